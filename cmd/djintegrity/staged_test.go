package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCheckStaged: --staged judges a commit by what it adds, the index
// against HEAD, whatever the working tree and the branch's earlier commits
// hold. The steps run in order on one repository.
func TestCheckStaged(t *testing.T) {
	all := decodeReport(t, mustRun(t, "check", "--format", "json",
		"--base-dir", "../../examples/shop/base", "--head-dir", "../../examples/shop/head"))
	if len(all.Findings) == 0 {
		t.Fatal("the shop example has no finding")
	}
	repo := gitRepo(t) // HEAD is shop/base; the working tree holds shop/head, unstaged

	staged := func(t *testing.T, wantCode int) jsonReport {
		t.Helper()
		stdout, stderr, code := runCLI(t, "check", "--staged", "--format", "json", repo)
		if code != wantCode {
			t.Fatalf("check --staged: exit %d, want %d; stderr:\n%s", code, wantCode, stderr)
		}
		return decodeReport(t, stdout)
	}

	t.Run("nothing staged", func(t *testing.T) {
		if got := staged(t, exitOK); len(got.Findings) != 0 {
			t.Errorf("findings with nothing staged: %+v", got.Findings)
		}
	})
	t.Run("the change staged", func(t *testing.T) {
		gitIn(t, repo, "add", "-A")
		if diff := cmp.Diff(all.Findings, staged(t, exitFindings).Findings); diff != "" {
			t.Errorf("the staged review differs from the two-tree review (-want +got):\n%s", diff)
		}
	})
	t.Run("the index, not the working tree", func(t *testing.T) {
		// The working tree goes back to the base; the index keeps the change.
		replaceTree(t, "../../examples/shop/base", repo)
		if diff := cmp.Diff(all.Findings, staged(t, exitFindings).Findings); diff != "" {
			t.Errorf("the staged review read the working tree (-want +got):\n%s", diff)
		}
		if got := decodeReport(t, mustRun(t, "check", "--format", "json", repo)); len(got.Findings) != 0 {
			t.Errorf("the working-tree review of a tree equal to the base has findings: %+v", got.Findings)
		}
	})
	t.Run("errors committed earlier are not the commit's", func(t *testing.T) {
		gitIn(t, repo, "commit", "-q", "-m", "head")
		replaceTree(t, "../../examples/shop/head", repo) // the working tree is HEAD again
		if err := os.WriteFile(filepath.Join(repo, "shop", "constants.py"), []byte("PAGE_SIZE = 20\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		gitIn(t, repo, "add", "shop/constants.py")
		if got := staged(t, exitOK); len(got.Findings) != 0 || got.FilesAnalyzed == 0 {
			t.Errorf("a clean commit on a branch with findings: %d files analyzed, findings %+v", got.FilesAnalyzed, got.Findings)
		}
		if got := decodeReport(t, mustRun(t, "check", "--format", "json", repo)); len(got.Findings) == 0 {
			t.Error("the branch review lost the findings of the earlier commit")
		}
	})
}

func TestCheckStagedUsage(t *testing.T) {
	tests := map[string]struct {
		args []string
		want string
	}{
		"with --head":     {[]string{"check", "--staged", "--head", "HEAD"}, "--staged reviews the index"},
		"with --base-dir": {[]string{"check", "--staged", "--base-dir", ".", "--head-dir", "."}, "take no --base, --head, --staged or REPO"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, stderr, code := runCLI(t, tc.args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d naming %q", code, stderr, exitUsage, tc.want)
			}
		})
	}
}
