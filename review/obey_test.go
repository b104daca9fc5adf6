package review

import (
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/djintegrity/djintegrity/internal/testtree"
	"github.com/djintegrity/djintegrity/rules"
)

// TestEveryRuleObeysTheRepository takes every failing rule example and
// checks, rule by rule, that the repository's word holds: the rule switched
// off in the configuration, or its severity changed; a suppression comment
// on the line above each finding; and, for findings in view files, the same
// view moved under tests/, which paths.exclude leaves alone by default.
func TestEveryRuleObeysTheRepository(t *testing.T) {
	cases, _ := filepath.Glob("../rules/testdata/*/fail-*")
	if len(cases) < len(rules.Catalog()) {
		t.Fatalf("found only %d failing examples for %d rules", len(cases), len(rules.Catalog()))
	}
	for _, dir := range cases {
		slug := filepath.Base(filepath.Dir(dir))
		t.Run(slug+"/"+filepath.Base(dir), func(t *testing.T) {
			t.Parallel()
			found := ruleFindings(t, dir, slug, DefaultConfig())
			if len(found) == 0 {
				t.Fatalf("the failing example has no %s finding", slug)
			}

			t.Run("switched off", func(t *testing.T) {
				cfg := DefaultConfig()
				cfg.Off[slug] = true
				if got := ruleFindings(t, dir, slug, cfg); len(got) > 0 {
					t.Errorf("rule off, still %d findings, first at %s:%d", len(got), got[0].Path, got[0].StartLine)
				}
			})

			t.Run("severity overridden", func(t *testing.T) {
				cfg := DefaultConfig()
				cfg.Severity[slug] = rules.Notice
				got := ruleFindings(t, dir, slug, cfg)
				if len(got) != len(found) {
					t.Fatalf("%d findings with the severity changed, want %d", len(got), len(found))
				}
				for _, f := range got {
					if f.Severity != rules.Notice {
						t.Errorf("%s:%d has severity %v, want the configured notice", f.Path, f.StartLine, f.Severity)
					}
				}
				if Exceeds(ruleFindings(t, dir, slug, cfg), rules.Warning) {
					t.Error("notices fail a check whose fail_on is warning")
				}
			})

			t.Run("suppressed", func(t *testing.T) {
				// The same comment line for another rule first: the
				// inserted line alone must not hide the findings.
				other := t.TempDir()
				testtree.Copy(t, dir, other)
				suppressAbove(t, filepath.Join(other, "head"), "some-other-rule", found)
				if got := ruleFindings(t, other, slug, DefaultConfig()); len(got) != len(found) {
					t.Fatalf("an ignore comment for another rule left %d of %d findings", len(got), len(found))
				}
				tmp := t.TempDir()
				testtree.Copy(t, dir, tmp)
				suppressAbove(t, filepath.Join(tmp, "head"), slug, found)
				if got := ruleFindings(t, tmp, slug, DefaultConfig()); len(got) > 0 {
					t.Errorf("suppressed, still %d findings, first at %s:%d", len(got), got[0].Path, got[0].StartLine)
				}
			})

			var views []string
			for _, f := range found {
				if path.Base(f.Path) == "views.py" && !slices.Contains(views, f.Path) {
					views = append(views, f.Path)
				}
			}
			if len(views) == 0 {
				return
			}
			t.Run("view under tests", func(t *testing.T) {
				tmp := t.TempDir()
				testtree.Copy(t, dir, tmp)
				for _, v := range views {
					moved := path.Join(path.Dir(v), "tests", "views.py")
					for _, side := range []string{"base", "head"} {
						moveFile(t, filepath.Join(tmp, side), v, moved)
					}
				}
				if got := ruleFindings(t, tmp, slug, DefaultConfig()); len(got) > 0 {
					t.Errorf("in a tests/ directory, still %d findings, first at %s:%d", len(got), got[0].Path, got[0].StartLine)
				}
			})
		})
	}
}

// ruleFindings reviews the example dir (base to head) and returns the
// findings of one rule.
func ruleFindings(t *testing.T, dir, slug string, cfg *Config) []rules.Finding {
	t.Helper()
	res, err := Analyze(t.Context(), NewDirSource(filepath.Join(dir, "base"), filepath.Join(dir, "head")), cfg)
	if err != nil {
		t.Fatal(err)
	}
	var out []rules.Finding
	for _, f := range res.Findings {
		if f.Rule == slug {
			out = append(out, f)
		}
	}
	return out
}

// suppressAbove puts `# djintegrity: ignore[slug]` on a line of its own
// above each finding, indented like the finding's first line, bottom-up so
// that the line numbers hold.
func suppressAbove(t *testing.T, head, slug string, found []rules.Finding) {
	t.Helper()
	byPath := map[string][]int{}
	for _, f := range found {
		if !slices.Contains(byPath[f.Path], f.StartLine) {
			byPath[f.Path] = append(byPath[f.Path], f.StartLine)
		}
	}
	for p, starts := range byPath {
		file := filepath.Join(head, filepath.FromSlash(p))
		data, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		lines := strings.SplitAfter(string(data), "\n")
		slices.Sort(starts)
		for _, n := range slices.Backward(starts) {
			line := lines[n-1]
			indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
			lines = slices.Insert(lines, n-1, indent+"# djintegrity: ignore["+slug+"]\n")
		}
		if err := os.WriteFile(file, []byte(strings.Join(lines, "")), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// moveFile moves the slash path from to the slash path to within root, if
// root has it.
func moveFile(t *testing.T, root, from, to string) {
	t.Helper()
	src := filepath.Join(root, filepath.FromSlash(from))
	if _, err := os.Stat(src); os.IsNotExist(err) {
		return
	}
	dst := filepath.Join(root, filepath.FromSlash(to))
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(src, dst); err != nil {
		t.Fatal(err)
	}
}
