package main

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/djintegrity/djintegrity/internal/testtree"
)

// TestCheckFix: --diff prints the fixes as a patch git applies, and
// changes nothing; --fix writes the same change, then reports only what
// it could not fix; a second --fix has nothing to do.
func TestCheckFix(t *testing.T) {
	repo := gitRepo(t) // the working tree holds shop/head
	before := decodeReport(t, mustRun(t, "check", repo, "--format", "json"))
	var suggested []string
	for _, f := range before.Findings {
		if f.Suggestion != nil {
			suggested = append(suggested, f.Fingerprint)
		}
	}
	if len(suggested) == 0 {
		t.Fatal("the shop example has no suggestion")
	}

	patch, stderr, code := runCLI(t, "check", repo, "--diff")
	if code != exitFindings || !strings.Contains(patch, "+++ b/") {
		t.Fatalf("--diff: exit %d, want 1 with a patch; stdout:\n%s\nstderr:\n%s", code, patch, stderr)
	}
	if !strings.Contains(patch, "+    Customer.objects.get_or_create(") {
		t.Errorf("--diff lacks check-then-insert's fix:\n%s", patch)
	}
	if !strings.Contains(stderr, "needs a new migration") {
		t.Errorf("--diff does not say which suggestions need a migration:\n%s", stderr)
	}
	if got := decodeReport(t, mustRun(t, "check", repo, "--format", "json")); len(got.Findings) != len(before.Findings) {
		t.Fatalf("--diff changed the working tree: %d findings, was %d", len(got.Findings), len(before.Findings))
	}
	check := exec.CommandContext(t.Context(), "git", "apply", "--check", "-")
	check.Dir, check.Stdin = repo, strings.NewReader(patch)
	if out, err := check.CombinedOutput(); err != nil {
		t.Fatalf("git apply --check of the --diff output: %v\n%s", err, out)
	}

	stdout, stderr, _ := runCLI(t, "check", repo, "--fix", "--format", "json")
	after := decodeReport(t, stdout)
	left := 0
	for _, f := range after.Findings {
		if f.Suggestion != nil {
			left++
		}
		if slices.Contains(suggested, f.Fingerprint) && f.Suggestion != nil && !strings.Contains(f.Message, "makemigrations") {
			t.Errorf("after --fix, %s at %s:%d is still reported with its suggestion", f.Rule, f.Path, f.StartLine)
		}
	}
	if !strings.Contains(stderr, "fixed ") {
		t.Errorf("--fix does not say what it fixed:\n%s", stderr)
	}
	diff := exec.CommandContext(t.Context(), "git", "diff", "--quiet")
	diff.Dir = repo
	if diff.Run() == nil {
		t.Fatal("--fix changed no file")
	}

	patch, stderr, code = runCLI(t, "check", repo, "--diff")
	if patch != "" || code != exitOK {
		t.Errorf("after --fix, --diff: exit %d, want 0 and no patch:\n%s\n%s", code, patch, stderr)
	}
	t.Logf("%d findings with suggestions before, %d after --fix (needing a migration)", len(suggested), left)
}

// TestCheckPyprojectConfig: check finds [tool.djintegrity] in the nearest
// pyproject.toml, and refuses a repository configured twice.
func TestCheckPyprojectConfig(t *testing.T) {
	repo := gitRepo(t)
	testtree.Write(t, repo, map[string]string{"pyproject.toml": "[project]\nname = \"shop\"\n\n[tool.djintegrity]\nfail_on = \"never\"\n"})
	if _, stderr, code := runCLI(t, "check", filepath.Join(repo, "shop")); code != exitOK {
		t.Errorf("with fail_on never in pyproject.toml: exit %d, want 0\n%s", code, stderr)
	}
	testtree.Write(t, repo, map[string]string{".github/djintegrity.yml": "fail_on: notice\n"})
	if _, stderr, code := runCLI(t, "check", repo); code != exitUsage || !strings.Contains(stderr, "configuration in both") {
		t.Errorf("configured twice: exit %d, want 2 naming both\n%s", code, stderr)
	}
}
