package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/djintegrity/djintegrity/internal/testtree"
	"github.com/djintegrity/djintegrity/review"
	"github.com/google/go-cmp/cmp"
)

// Regenerate the golden files with: go test ./cmd/djintegrity -update
var update = flag.Bool("update", false, "rewrite testdata golden files")

// asCLI in the environment makes the test binary run main instead of the
// tests, so that a test can start djintegrity as its own process.
const asCLI = "DJINTEGRITY_TEST_RUN_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asCLI) == "1" {
		main()
	}
	code := m.Run()
	removeRelease()
	os.Exit(code)
}

// runCLI runs the program as main would and returns its output and status.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(t.Context(), args, strings.NewReader(""), &out, &errOut)
	code = exitCode(err, &errOut)
	return out.String(), errOut.String(), code
}

// jsonReport is the JSON output contract, less the timing.
type jsonReport struct {
	Findings []struct {
		Rule        string  `json:"rule"`
		Severity    string  `json:"severity"`
		Path        string  `json:"path"`
		StartLine   int     `json:"start_line"`
		EndLine     int     `json:"end_line"`
		Message     string  `json:"message"`
		Suggestion  *string `json:"suggestion"`
		Fingerprint string  `json:"fingerprint"`
		Related     []struct {
			Path      string `json:"path"`
			StartLine int    `json:"start_line"`
			EndLine   int    `json:"end_line"`
			Message   string `json:"message"`
		} `json:"related,omitempty"`
		URL string `json:"url"`
	} `json:"findings"`
	FilesAnalyzed int      `json:"files_analyzed"`
	DurationMS    *int     `json:"duration_ms"`
	Limits        []string `json:"limits,omitempty"`
}

func decodeReport(t *testing.T, stdout string) jsonReport {
	t.Helper()
	var r jsonReport
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		t.Fatalf("output is not the JSON contract: %v\n%s", err, stdout)
	}
	if r.DurationMS == nil {
		t.Fatalf("duration_ms missing:\n%s", stdout)
	}
	r.DurationMS = nil
	return r
}

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	p := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(p, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("read golden (run with -update to create it): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs (-want +got):\n%s", p, diff)
	}
}

func TestCheckExamples(t *testing.T) {
	tests := map[string]struct {
		example  string
		wantCode int
	}{
		"shop change trips every rule": {"shop", exitFindings},
		"clean change has no finding":  {"clean", exitOK},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("..", "..", "examples", tc.example)
			stdout, stderr, code := runCLI(t, "check", "--format", "json",
				"--base-dir", filepath.Join(dir, "base"), "--head-dir", filepath.Join(dir, "head"))
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr:\n%s", code, tc.wantCode, stderr)
			}
			r := decodeReport(t, stdout)
			b, _ := json.MarshalIndent(r, "", "  ")
			golden(t, tc.example+".json", append(b, '\n'))
		})
	}
}

// TestCheckCacheDir checks the shop example three times with one
// --cache-dir: the first run parses and fills it, the next ones read it,
// and every report is the first one's.
func TestCheckCacheDir(t *testing.T) {
	dir := filepath.Join("..", "..", "examples", "shop")
	cache := t.TempDir()
	var want jsonReport
	for i := range 3 {
		stdout, stderr, code := runCLI(t, "check", "--format", "json", "-v", "--cache-dir", cache,
			"--base-dir", filepath.Join(dir, "base"), "--head-dir", filepath.Join(dir, "head"))
		if code != exitFindings {
			t.Fatalf("run %d: exit %d, want %d; stderr:\n%s", i, code, exitFindings, stderr)
		}
		got := decodeReport(t, stdout)
		if i == 0 {
			want = got
			if !strings.Contains(stderr, "from_disk=0 parsed=") || strings.Contains(stderr, "from_disk=0 parsed=0") {
				t.Errorf("first run: want every file parsed; stderr:\n%s", stderr)
			}
			continue
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("run %d differs from the first (-first +this):\n%s", i, diff)
		}
		if !strings.Contains(stderr, "parsed=0") {
			t.Errorf("run %d parsed files the cache holds; stderr:\n%s", i, stderr)
		}
	}
}

// TestCheckEveryRule is the acceptance: the bundled change reports
// every rule of the catalog.
func TestCheckEveryRule(t *testing.T) {
	stdout, stderr, _ := runCLI(t, "check", "--format", "json",
		"--base-dir", "../../examples/shop/base", "--head-dir", "../../examples/shop/head")
	seen := map[string]bool{}
	for _, f := range decodeReport(t, stdout).Findings {
		seen[f.Rule] = true
	}
	out, _, _ := runCLI(t, "explain", "missing-migration")
	if out == "" {
		t.Fatal("explain printed nothing")
	}
	for _, slug := range ruleSlugs() {
		if !seen[slug] {
			t.Errorf("examples/shop does not trip %s; stderr:\n%s", slug, stderr)
		}
	}
}

// gitRepo makes a repository whose main branch holds examples/shop/base and
// whose feature branch, checked out, adds examples/shop/head on top.
func gitRepo(t *testing.T) string {
	t.Helper()
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	repo := t.TempDir()
	gitIn(t, repo, "init", "-q", "-b", "main")
	testtree.Copy(t, "../../examples/shop/base", repo)
	gitIn(t, repo, "add", "-A")
	gitIn(t, repo, "commit", "-q", "-m", "base")
	gitIn(t, repo, "checkout", "-q", "-b", "feature")
	replaceTree(t, "../../examples/shop/head", repo)
	return repo
}

// gitIn runs git in repo with a fixed identity and no user configuration.
func gitIn(t *testing.T, repo string, args ...string) {
	t.Helper()
	cmd := exec.CommandContext(t.Context(), "git", args...)
	cmd.Dir = repo
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_GLOBAL=/dev/null")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

func TestCheckGitRepository(t *testing.T) {
	want := decodeReport(t, mustRun(t, "check", "--format", "json",
		"--base-dir", "../../examples/shop/base", "--head-dir", "../../examples/shop/head"))
	repo := gitRepo(t)

	t.Run("working tree against the merge-base with main", func(t *testing.T) {
		got := decodeReport(t, mustRun(t, "check", repo, "--format", "json")) // flags after REPO
		if diff := cmp.Diff(want.Findings, got.Findings); diff != "" {
			t.Errorf("working-tree review differs from the two-tree review (-want +got):\n%s", diff)
		}
	})
	t.Run("committed head against an explicit base", func(t *testing.T) {
		cmd := exec.CommandContext(t.Context(), "sh", "-c",
			"git add -A && git -c user.name=t -c user.email=t@example.com commit -q -m head")
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("commit: %v\n%s", err, out)
		}
		got := decodeReport(t, mustRun(t, "check", "--format", "json", "--base", "main", "--head", "feature", repo))
		if diff := cmp.Diff(want.Findings, got.Findings); diff != "" {
			t.Errorf("revision review differs from the two-tree review (-want +got):\n%s", diff)
		}
	})
}

// mustRun runs the CLI and returns stdout; exit 0 and 1 are both results.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	stdout, stderr, code := runCLI(t, args...)
	if code != exitOK && code != exitFindings {
		t.Fatalf("djintegrity %v: exit %d\n%s", args, code, stderr)
	}
	return stdout
}

func TestFormats(t *testing.T) {
	for _, format := range []string{"text", "json", "sarif", "markdown", "github"} {
		t.Run(format, func(t *testing.T) {
			stdout, stderr, code := runCLI(t, "check", "--format", format,
				"--base-dir", "../../examples/shop/base", "--head-dir", "../../examples/shop/head")
			if code != exitFindings {
				t.Fatalf("exit %d, want 1; stderr:\n%s", code, stderr)
			}
			if !strings.Contains(stdout, "check-then-insert") {
				t.Errorf("%s output does not name check-then-insert:\n%s", format, stdout)
			}
			if page := review.RuleURL("check-then-insert"); !strings.Contains(stdout, page) {
				t.Errorf("%s output does not link the rule's page %s", format, page)
			}
		})
	}
}

func TestExitStatus(t *testing.T) {
	shop := []string{"--base-dir", "../../examples/shop/base", "--head-dir", "../../examples/shop/head"}
	badConfig := filepath.Join(t.TempDir(), "bad.yml")
	if err := os.WriteFile(badConfig, []byte("rules:\n  no-such-rule: error\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	offConfig := filepath.Join(t.TempDir(), "off.yml")
	if err := os.WriteFile(offConfig, []byte("fail_on: error\nrules:\n"+ruleList(": warning\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	notRepo := t.TempDir()
	tests := map[string]struct {
		args       []string
		want       int
		wantStderr string
	}{
		"findings at the default threshold":   {append([]string{"check"}, shop...), exitFindings, ""},
		"--fail-on never":                     {append([]string{"check", "--fail-on", "never"}, shop...), exitOK, ""},
		"config lowers every rule to warning": {append([]string{"check", "--config", offConfig}, shop...), exitOK, ""},
		"--fail-on warning then fails again":  {append([]string{"check", "--config", offConfig, "--fail-on", "warning"}, shop...), exitFindings, ""},
		"unknown rule in config":              {append([]string{"check", "--config", badConfig}, shop...), exitUsage, "no-such-rule"},
		"missing config file":                 {append([]string{"check", "--config", "/nonexistent.yml"}, shop...), exitUsage, "nonexistent.yml"},
		"bad --fail-on":                       {append([]string{"check", "--fail-on", "fatal"}, shop...), exitUsage, "fatal"},
		"bad --format":                        {append([]string{"check", "--format", "xml"}, shop...), exitUsage, "xml"},
		"unknown flag":                        {[]string{"check", "--nope"}, exitUsage, "djintegrity: check: flag provided but not defined: -nope\nRun 'djintegrity check -h' for the flags.\n"},
		"unknown flag after REPO":             {[]string{"check", ".", "--nope"}, exitUsage, "-nope"},
		"flags after REPO":                    {[]string{"check", notRepo, "--fail-on", "never", "--base", "HEAD"}, exitUsage, "not in a git repository"},
		"two repositories":                    {[]string{"check", ".", "--format", "json", "other"}, exitUsage, "at most one repository"},
		"--exit-zero":                         {append([]string{"check", "--exit-zero"}, shop...), exitOK, ""},
		"--exit-zero keeps usage errors":      {[]string{"check", "--exit-zero", "--format", "xml", "--base-dir", "."}, exitUsage, "go together"},
		"outside a git repository":            {[]string{"check", notRepo}, exitUsage, "give --base-dir BASE --head-dir HEAD"},
		"--fix with --staged":                 {[]string{"check", "--fix", "--staged"}, exitUsage, "--fix and --diff"},
		"missing directory":                   {[]string{"check", "--base-dir", "/nonexistent", "--head-dir", "."}, exitUsage, "/nonexistent"},
		"half a directory pair":               {[]string{"check", "--base-dir", "."}, exitUsage, "go together"},
		"not a git repository":                {[]string{"check", "--base", "HEAD~1", notRepo}, exitUsage, ""},
		"unknown command":                     {[]string{"lint"}, exitUsage, "lint"},
		"no command":                          {nil, exitUsage, "usage"},
		"explain unknown rule":                {[]string{"explain", "nope"}, exitUsage, "nope"},
		"explain":                             {[]string{"explain", "check-then-insert"}, exitOK, ""},
		"version":                             {[]string{"version"}, exitOK, ""},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, stderr, code := runCLI(t, tc.args...)
			if code != tc.want {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.want, stderr)
			}
			if !strings.Contains(stderr, tc.wantStderr) {
				t.Errorf("stderr does not mention %q:\n%s", tc.wantStderr, stderr)
			}
			if tc.want == exitUsage && strings.Count(strings.TrimSpace(stderr), "djintegrity:") != 1 {
				t.Errorf("a usage error prints one djintegrity: line, got:\n%s", stderr)
			}
		})
	}
}

// replaceTree makes dst's files (other than .git) those of src.
func replaceTree(t *testing.T, src, dst string) {
	t.Helper()
	entries, err := os.ReadDir(dst)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Name() != ".git" {
			if err := os.RemoveAll(filepath.Join(dst, e.Name())); err != nil {
				t.Fatal(err)
			}
		}
	}
	testtree.Copy(t, src, dst)
}
