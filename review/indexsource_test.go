package review

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/internal/testtree"
)

// TestIndexSource: the staged change is the index against HEAD, read from
// the index: a file staged in part is reviewed as staged, unstaged edits,
// deletions and untracked files are not part of it.
func TestIndexSource(t *testing.T) {
	repo := gitRepo(t)
	testtree.Write(t, repo, map[string]string{
		"shop/models.py": "a\nb\nc\nd\n",
		"shop/gone.py":   "g\n",
		"shop/kept.py":   "k\n",
		"shop/old.py":    "o1\no2\no3\n",
	})
	commitAll(t, repo, "base")
	testtree.Write(t, repo, map[string]string{
		"shop/models.py": "a\nB\nc\nd\n",
		"shop/new.py":    "n1\nn2\n",
	})
	run(t, repo, "add", "shop/models.py", "shop/new.py")
	run(t, repo, "rm", "-q", "shop/gone.py")
	run(t, repo, "mv", "shop/old.py", "shop/renamed.py")
	// Not staged: an edit of a staged file, a deletion, an untracked file.
	testtree.Write(t, repo, map[string]string{
		"shop/models.py":    "a\nB\nc\nD\n",
		"shop/untracked.py": "u\n",
	})
	if err := os.Remove(filepath.Join(repo, "shop", "kept.py")); err != nil {
		t.Fatal(err)
	}

	src := NewIndexSource(repo, "HEAD")
	want := []ChangedFile{
		{Path: "shop/gone.py", OldPath: "shop/gone.py", Status: Deleted},
		{Path: "shop/models.py", OldPath: "shop/models.py", Status: Modified, Lines: lines(2)},
		{Path: "shop/new.py", Status: Added, Lines: lines(1, 2)},
		{Path: "shop/renamed.py", OldPath: "shop/old.py", Status: Renamed, Lines: lines()},
	}
	if diff := cmp.Diff(want, sortedChanged(t, src)); diff != "" {
		t.Errorf("Changed (-want +got):\n%s", diff)
	}
	files, err := src.Files(t.Context())
	if err != nil {
		t.Fatalf("Files: %v", err)
	}
	if diff := cmp.Diff([]string{"shop/kept.py", "shop/models.py", "shop/new.py", "shop/renamed.py"}, files); diff != "" {
		t.Errorf("Files (-want +got):\n%s", diff)
	}
	if b, err := src.ReadFile(t.Context(), "shop/models.py"); err != nil || string(b) != "a\nB\nc\nd\n" {
		t.Errorf("ReadFile(shop/models.py) = %q, %v; want the staged content", b, err)
	}
	got, err := src.(BatchReader).ReadFiles(t.Context(), []string{"shop/models.py", "shop/kept.py", "shop/untracked.py"})
	if err != nil {
		t.Fatalf("ReadFiles: %v", err)
	}
	if string(got[0].Data) != "a\nB\nc\nd\n" || string(got[1].Data) != "k\n" || got[2].Err == nil {
		t.Errorf("ReadFiles = %q %q %v; want the staged models.py, kept.py as staged, no untracked.py", got[0].Data, got[1].Data, got[2].Err)
	}
	if b, err := src.(BaseReader).ReadBaseFile(t.Context(), "shop/models.py"); err != nil || string(b) != "a\nb\nc\nd\n" {
		t.Errorf("ReadBaseFile(shop/models.py) = %q, %v; want HEAD's content", b, err)
	}
}

// TestIndexSourceHookIndex: git commit -a and git commit PATH run the
// pre-commit hook with GIT_INDEX_FILE naming a temporary index, which is
// what the commit will hold: the review reads that one.
func TestIndexSourceHookIndex(t *testing.T) {
	repo := gitRepo(t)
	testtree.Write(t, repo, map[string]string{"a.py": "a\n"})
	commitAll(t, repo, "base")
	testtree.Write(t, repo, map[string]string{"a.py": "a\nb\n"})
	index, err := os.ReadFile(filepath.Join(repo, ".git", "index"))
	if err != nil {
		t.Fatal(err)
	}
	hookIndex := filepath.Join(t.TempDir(), "index")
	if err := os.WriteFile(hookIndex, index, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("GIT_INDEX_FILE", hookIndex)
	run(t, repo, "add", "a.py")

	want := []ChangedFile{{Path: "a.py", OldPath: "a.py", Status: Modified, Lines: lines(2)}}
	if diff := cmp.Diff(want, sortedChanged(t, NewIndexSource(repo, "HEAD"))); diff != "" {
		t.Errorf("Changed with GIT_INDEX_FILE (-want +got):\n%s", diff)
	}
}

func TestIndexSourceFirstCommit(t *testing.T) {
	repo := gitRepo(t)
	testtree.Write(t, repo, map[string]string{"a.py": "x\ny\n", "b.py": "untracked\n"})
	run(t, repo, "add", "a.py")
	want := []ChangedFile{{Path: "a.py", Status: Added, Lines: lines(1, 2)}}
	if diff := cmp.Diff(want, sortedChanged(t, NewIndexSource(repo, "HEAD"))); diff != "" {
		t.Errorf("Changed before the first commit (-want +got):\n%s", diff)
	}
}

func TestIndexSourceErrors(t *testing.T) {
	conflict := gitRepo(t)
	testtree.Write(t, conflict, map[string]string{"a.py": "x\n"})
	commitAll(t, conflict, "one")
	run(t, conflict, "checkout", "-q", "-b", "other")
	testtree.Write(t, conflict, map[string]string{"a.py": "y\n"})
	commitAll(t, conflict, "two")
	run(t, conflict, "checkout", "-q", "main")
	testtree.Write(t, conflict, map[string]string{"a.py": "z\n"})
	commitAll(t, conflict, "three")
	cmd := exec.Command("git", "-c", "user.name=T", "-c", "user.email=t@example.com", "merge", "-q", "other")
	cmd.Dir, cmd.Env = conflict, gitEnv()
	if out, err := cmd.CombinedOutput(); err == nil {
		t.Fatalf("git merge: want a conflict, got none:\n%s", out)
	}

	tests := map[string]struct {
		repo, base string
		want       string
	}{
		"unmerged paths": {repo: conflict, base: "HEAD", want: "unmerged paths (a.py)"},
		"bad base":       {repo: conflict, base: "nosuchbranch", want: `bad revision "nosuchbranch"`},
		"not a repo":     {repo: t.TempDir(), base: "HEAD", want: "is not in a git working tree"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := NewIndexSource(tc.repo, tc.base).Changed(t.Context())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Changed: got %v, want an error containing %q", err, tc.want)
			}
		})
	}
}
