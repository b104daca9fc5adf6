package review

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/internal/testtree"
	"github.com/djintegrity/djintegrity/rules"
)

// TestFixExamples is --fix on every failing example of the rules: each
// suggestion is applied with the imports it needs, or said to need a
// migration; the fixed files parse; a second review reports none of the
// fixed findings and has nothing left to fix; and a second fix changes
// nothing. The proofs under real Django (djangotest) run the same fixes.
func TestFixExamples(t *testing.T) {
	cases, _ := filepath.Glob("../rules/testdata/*/fail-*")
	if len(cases) == 0 {
		t.Fatal("no examples")
	}
	fixedAny, importsAdded, migrationsLeft := 0, 0, 0
	for _, dir := range cases {
		name := filepath.Base(filepath.Dir(dir)) + "/" + filepath.Base(dir)
		t.Run(name, func(t *testing.T) {
			tmp := t.TempDir()
			testtree.Copy(t, dir, tmp)
			base, head := filepath.Join(tmp, "base"), filepath.Join(tmp, "head")
			res, err := Analyze(t.Context(), NewDirSource(base, head), nil)
			if err != nil {
				t.Fatal(err)
			}
			read := func(p string) ([]byte, error) { return os.ReadFile(filepath.Join(head, filepath.FromSlash(p))) }
			fixes, unfixed, err := Fixes(res.Findings, read)
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range unfixed {
				if !NeedsMigration(u.Finding) {
					t.Errorf("%s at %s:%d not fixed: %s", u.Finding.Rule, u.Finding.Path, u.Finding.StartLine, u.Reason)
				}
				migrationsLeft++
			}
			var fixed []string
			for _, ff := range fixes {
				if err := os.WriteFile(filepath.Join(head, filepath.FromSlash(ff.Path)), ff.New, 0o644); err != nil {
					t.Fatal(err)
				}
				for _, f := range ff.Fixed {
					fixed = append(fixed, f.Fingerprint)
					for _, imp := range FixImports(f) {
						importsAdded++
						if !slices.Contains(strings.Split(string(ff.New), "\n"), imp) {
							t.Errorf("%s: the fix lacks %q", ff.Path, imp)
						}
					}
				}
				fixedAny++
			}

			again, err := Analyze(t.Context(), NewDirSource(base, head), nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range again.Findings {
				if slices.Contains(fixed, f.Fingerprint) {
					t.Errorf("after the fix, %s still reported at %s:%d", f.Rule, f.Path, f.StartLine)
				}
			}
			for _, sk := range again.Skipped {
				t.Errorf("after the fix, %s is skipped: %s", sk.Path, sk.Reason)
			}
			refix, _, err := Fixes(again.Findings, read)
			if err != nil {
				t.Fatal(err)
			}
			for _, ff := range refix {
				t.Errorf("a second fix changes %s again:\n%s", ff.Path, diffString(t, ff))
			}
		})
	}
	t.Logf("%d files fixed, %d imports added, %d suggestions left for a migration", fixedAny, importsAdded, migrationsLeft)
	if fixedAny == 0 || importsAdded == 0 || migrationsLeft == 0 {
		t.Errorf("the examples should exercise fixes, imports and suggestions needing a migration")
	}
}

func diffString(t *testing.T, ff FileFix) string {
	var b bytes.Buffer
	if err := UnifiedDiff(&b, ff.Path, ff.Old, ff.New); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestAddImports(t *testing.T) {
	const imp = "from django.db import transaction"
	tests := map[string]struct{ src, want string }{
		"after the imports": {
			src:  "import os\nfrom django.db import models\n\n\ndef f():\n    pass\n",
			want: "import os\nfrom django.db import models\n" + imp + "\n\n\ndef f():\n    pass\n",
		},
		"multi-line import": {
			src:  "from x import (\n    a,\n    b,\n)\nX = 1\n",
			want: "from x import (\n    a,\n    b,\n)\n" + imp + "\nX = 1\n",
		},
		"after the docstring and future": {
			src:  "#!/usr/bin/env python\n\"\"\"Views.\n\nMore.\n\"\"\"\nfrom __future__ import annotations\n\nX = 1\n",
			want: "#!/usr/bin/env python\n\"\"\"Views.\n\nMore.\n\"\"\"\nfrom __future__ import annotations\n" + imp + "\n\nX = 1\n",
		},
		"no imports":        {src: "# coding: utf-8\nX = 1\n", want: "# coding: utf-8\n" + imp + "\nX = 1\n"},
		"empty":             {src: "", want: imp + "\n"},
		"already there":     {src: imp + "\nX = 1\n", want: imp + "\nX = 1\n"},
		"no final newline":  {src: "import os", want: "import os\n" + imp + "\n"},
		"crlf":              {src: "import os\r\nX = 1\r\n", want: "import os\r\n" + imp + "\r\nX = 1\r\n"},
		"later import kept": {src: "import os\nX = 1\nimport sys\n", want: "import os\n" + imp + "\nX = 1\nimport sys\n"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got := string(AddImports([]byte(tt.src), []string{imp, imp}))
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("AddImports (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFixFileOverlap(t *testing.T) {
	src := []byte("a\nb\nc\n")
	f := func(start, end int, s string) rules.Finding {
		return rules.Finding{Rule: "r", StartLine: start, EndLine: end, Suggestion: &s}
	}
	out, fixed, unfixed := FixFile(src, []rules.Finding{f(1, 2, "A\nB"), f(2, 3, "BB\nCC"), f(3, 3, "C")})
	if diff := cmp.Diff("A\nB\nC\n", string(out)); diff != "" {
		t.Errorf("FixFile (-want +got):\n%s", diff)
	}
	if len(fixed) != 2 || len(unfixed) != 1 {
		t.Errorf("fixed %d, unfixed %d; want 2 and 1 (the overlapping one)", len(fixed), len(unfixed))
	}
}

// TestUnifiedDiff: git apply turns the old file into the new with the
// diff.
func TestUnifiedDiff(t *testing.T) {
	long := strings.Repeat("line\n", 20)
	tests := map[string]struct{ old, new string }{
		"insert at the top and change far below": {old: "import os\n" + long + "x = 1\n" + long, new: "import os\nimport sys\n" + long + "try:\n    x = 1\nexcept E:\n    pass\n" + long},
		"change the last line without newline":   {old: "a\nb\nc", new: "a\nb\nC"},
		"append":                                 {old: "a\n", new: "a\nb\n"},
		"from empty":                             {old: "", new: "a\n"},
		"two hunks":                              {old: "1\n" + long + "2\n" + long + "3\n", new: "one\n" + long + "2\n" + long + "three\n"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			testtree.Write(t, dir, map[string]string{"pkg/f.py": tt.old})
			var b bytes.Buffer
			if err := UnifiedDiff(&b, "pkg/f.py", []byte(tt.old), []byte(tt.new)); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("git", "apply", "--unidiff-zero", "-")
			cmd.Dir, cmd.Stdin = dir, &b
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("git apply: %v\n%s\ndiff:\n%s", err, out, b.String())
			}
			got, err := os.ReadFile(filepath.Join(dir, "pkg/f.py"))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.new, string(got)); diff != "" {
				t.Errorf("applied diff (-want +got):\n%s", diff)
			}
		})
	}
	var b bytes.Buffer
	if err := UnifiedDiff(&b, "f.py", []byte("a\n"), []byte("a\n")); err != nil || b.Len() != 0 {
		t.Errorf("diff of equal files: %q, %v; want nothing", b.String(), err)
	}
}
