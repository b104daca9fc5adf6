package review

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/internal/testtree"
)

// gitRepo makes a repository in a temporary directory with a "main" branch.
func gitRepo(t *testing.T) string {
	t.Helper()
	// The user's and the system's configuration must not change what the
	// tests see.
	t.Setenv("GIT_CONFIG_GLOBAL", os.DevNull)
	t.Setenv("GIT_CONFIG_NOSYSTEM", "1")
	dir := t.TempDir()
	run(t, dir, "init", "-q", "-b", "main")
	return dir
}

// run runs git in dir and returns its trimmed output.
func run(t *testing.T, dir string, args ...string) string {
	t.Helper()
	cmd := exec.Command("git", append([]string{"-c", "user.name=T", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
	cmd.Dir = dir
	cmd.Env = gitEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("git %v: %v\n%s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}

func commitAll(t *testing.T, dir, msg string) string {
	t.Helper()
	run(t, dir, "add", "-A")
	run(t, dir, "commit", "-q", "--allow-empty", "-m", msg)
	return run(t, dir, "rev-parse", "HEAD")
}

func sortedChanged(t *testing.T, src Source) []ChangedFile {
	t.Helper()
	got, err := src.Changed(t.Context())
	if err != nil {
		t.Fatalf("Changed: %v", err)
	}
	slices.SortFunc(got, func(a, b ChangedFile) int { return strings.Compare(a.Path, b.Path) })
	return got
}

func TestGitSourceRevisions(t *testing.T) {
	repo := gitRepo(t)
	long := strings.Repeat("line\n", 30)
	testtree.Write(t, repo, map[string]string{
		"shop/models.py": "a\nb\nc\n",
		"shop/old.py":    "x\n",
		"shop/moved.py":  long,
		"logo.png":       "\x00\x01",
	})
	base := commitAll(t, repo, "base")
	testtree.Write(t, repo, map[string]string{
		"shop/models.py": "a\nB\nc\nd\n",
		"shop/new.py":    "1\n2\n",
		"core/moved.py":  long + "tail\n",
		"logo.png":       "\x00\x02",
	})
	if err := os.Remove(filepath.Join(repo, "shop/old.py")); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(filepath.Join(repo, "shop/moved.py")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("models.py", filepath.Join(repo, "shop/link.py")); err != nil {
		t.Fatal(err)
	}
	commitAll(t, repo, "head")
	// Uncommitted edits must not show when the head is a revision.
	testtree.Write(t, repo, map[string]string{"shop/models.py": "dirty\n", "untracked.py": "u\n"})

	src := NewGitSource(filepath.Join(repo, "shop"), base, "HEAD") // any directory of the repository
	want := []ChangedFile{
		{Path: "core/moved.py", OldPath: "shop/moved.py", Status: Renamed, Lines: lines(31)},
		// logo.png changed too: only Python files are diffed.
		{Path: "shop/link.py", Status: Added, Lines: lines(1)},
		{Path: "shop/models.py", OldPath: "shop/models.py", Status: Modified, Lines: lines(2, 4)},
		{Path: "shop/new.py", Status: Added, Lines: lines(1, 2)},
		{Path: "shop/old.py", OldPath: "shop/old.py", Status: Deleted},
	}
	if diff := cmp.Diff(want, sortedChanged(t, src)); diff != "" {
		t.Errorf("Changed (-want +got):\n%s", diff)
	}

	files, err := src.Files(t.Context())
	if err != nil {
		t.Fatalf("Files: %v", err)
	}
	if diff := cmp.Diff([]string{"core/moved.py", "logo.png", "shop/models.py", "shop/new.py"}, files); diff != "" {
		t.Errorf("Files (-want +got):\n%s", diff)
	}
	if b, err := src.ReadFile(t.Context(), "shop/models.py"); err != nil || string(b) != "a\nB\nc\nd\n" {
		t.Errorf("ReadFile(shop/models.py) = %q, %v; want the committed content", b, err)
	}
	if _, err := src.ReadFile(t.Context(), "shop/link.py"); !errors.Is(err, ErrNotRegular) {
		t.Errorf("ReadFile(shop/link.py): got %v, want ErrNotRegular", err)
	}
	if _, err := src.ReadFile(t.Context(), "untracked.py"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadFile(untracked.py): got %v, want not-exist", err)
	}

	br := src.(BatchReader)
	got, err := br.ReadFiles(t.Context(), []string{"shop/new.py", "shop/link.py", "nope.py", "shop/models.py"})
	if err != nil {
		t.Fatalf("ReadFiles: %v", err)
	}
	if string(got[0].Data) != "1\n2\n" || got[0].Err != nil ||
		!errors.Is(got[1].Err, ErrNotRegular) || !errors.Is(got[2].Err, os.ErrNotExist) ||
		string(got[3].Data) != "a\nB\nc\nd\n" || got[3].Err != nil {
		t.Errorf("ReadFiles = %+v", got)
	}
}

// TestGitSourceMissingObject reads a revision whose repository lacks a
// blob, as a partial clone or a snapshot without its largest files does:
// that file is reported missing, the others are read.
func TestGitSourceMissingObject(t *testing.T) {
	repo := gitRepo(t)
	testtree.Write(t, repo, map[string]string{"shop/models.py": "m\n", "shop/data.py": "TABLE = 1\n"})
	commitAll(t, repo, "head")
	oid := run(t, repo, "rev-parse", "HEAD:shop/data.py")
	if err := os.Remove(filepath.Join(repo, ".git", "objects", oid[:2], oid[2:])); err != nil {
		t.Fatal(err)
	}
	br := NewGitSource(repo, "HEAD", "HEAD").(BatchReader)
	got, err := br.ReadFiles(t.Context(), []string{"shop/data.py", "shop/models.py"})
	if err != nil {
		t.Fatalf("ReadFiles: %v", err)
	}
	if !errors.Is(got[0].Err, errMissingObject) || string(got[1].Data) != "m\n" || got[1].Err != nil {
		t.Errorf("ReadFiles = %+v, want data.py missing and models.py read", got)
	}
}

func TestGitSourceWorkingTree(t *testing.T) {
	repo := gitRepo(t)
	testtree.Write(t, repo, map[string]string{
		"shop/models.py": "a\nb\nc\n",
		"shop/staged.py": "s\n",
		".gitignore":     "*.log\nbuild/\n",
	})
	base := commitAll(t, repo, "base")
	testtree.Write(t, repo, map[string]string{
		"shop/models.py":   "a\nb\nC\n", // unstaged
		"shop/staged.py":   "s\nt\n",
		"shop/views.py":    "v1\nv2\nv3", // untracked, no final newline
		"shop/blob.py":     "\x00x",      // untracked binary
		"shop/blob.bin":    "\x00x",      // untracked, not Python: not listed
		"debug.log":        "ignored\n",
		"build/gen.py":     "ignored\n",
		"shop/sp ace é.py": "q\n",
	})
	run(t, repo, "add", "shop/staged.py")

	src := NewGitSource(repo, base, "")
	want := []ChangedFile{
		{Path: "shop/blob.py", Status: Added, Binary: true},
		{Path: "shop/models.py", OldPath: "shop/models.py", Status: Modified, Lines: lines(3)},
		{Path: "shop/sp ace é.py", Status: Added, Lines: lines(1)},
		{Path: "shop/staged.py", OldPath: "shop/staged.py", Status: Modified, Lines: lines(2)},
		{Path: "shop/views.py", Status: Added, Lines: lines(1, 2, 3)},
	}
	if diff := cmp.Diff(want, sortedChanged(t, src)); diff != "" {
		t.Errorf("Changed (-want +got):\n%s", diff)
	}
	files, err := src.Files(t.Context())
	if err != nil {
		t.Fatalf("Files: %v", err)
	}
	wantFiles := []string{".gitignore", "shop/blob.bin", "shop/blob.py", "shop/models.py", "shop/sp ace é.py", "shop/staged.py", "shop/views.py"}
	if diff := cmp.Diff(wantFiles, files); diff != "" {
		t.Errorf("Files (-want +got):\n%s", diff)
	}
	if b, err := src.ReadFile(t.Context(), "shop/models.py"); err != nil || string(b) != "a\nb\nC\n" {
		t.Errorf("ReadFile(shop/models.py) = %q, %v; want the working-tree content", b, err)
	}
}

func TestGitSourceErrors(t *testing.T) {
	repo := gitRepo(t)
	testtree.Write(t, repo, map[string]string{"a.py": "x\n"})
	commitAll(t, repo, "one")
	tests := map[string]struct {
		repo, base, head string
		want             string
	}{
		"bad base":     {repo: repo, base: "nosuchbranch", want: `bad revision "nosuchbranch"`},
		"bad head":     {repo: repo, base: "HEAD", head: "v9", want: `bad revision "v9"`},
		"option base":  {repo: repo, base: "--output=/tmp/x", want: `bad revision "--output=/tmp/x"`},
		"empty base":   {repo: repo, base: "", want: `bad revision ""`},
		"tree not rev": {repo: repo, base: "HEAD^{tree}", want: `bad revision "HEAD^{tree}"`},
		"not a repo":   {repo: t.TempDir(), base: "HEAD", want: "is not in a git working tree"},
		"missing dir":  {repo: filepath.Join(repo, "missing"), base: "HEAD", want: "no such file or directory"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := NewGitSource(tt.repo, tt.base, tt.head).Changed(t.Context())
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Changed: got %v, want error containing %q", err, tt.want)
			}
		})
	}
}

func TestDefaultBase(t *testing.T) {
	repo := gitRepo(t)
	testtree.Write(t, repo, map[string]string{"a.py": "x\n"})
	first := commitAll(t, repo, "one")
	run(t, repo, "checkout", "-q", "-b", "feature")
	testtree.Write(t, repo, map[string]string{"a.py": "y\n"})
	commitAll(t, repo, "two")
	got, err := DefaultBase(t.Context(), repo)
	if err != nil || got != first {
		t.Errorf("DefaultBase = %q, %v; want the fork point %s", got, err, first)
	}

	// master is used when there is no main.
	run(t, repo, "branch", "-m", "main", "master")
	if got, err := DefaultBase(t.Context(), repo); err != nil || got != first {
		t.Errorf("DefaultBase with master = %q, %v; want %s", got, err, first)
	}

	// origin/HEAD wins over local branches.
	run(t, repo, "update-ref", "refs/remotes/origin/trunk", "HEAD")
	run(t, repo, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/trunk")
	head := run(t, repo, "rev-parse", "HEAD")
	if got, err := DefaultBase(t.Context(), repo); err != nil || got != head {
		t.Errorf("DefaultBase with origin/HEAD = %q, %v; want %s", got, err, head)
	}

	lone := gitRepo(t)
	testtree.Write(t, lone, map[string]string{"a.py": "x\n"})
	run(t, lone, "checkout", "-q", "-b", "dev")
	commitAll(t, lone, "one")
	if _, err := DefaultBase(t.Context(), lone); err == nil || !strings.Contains(err.Error(), "no default branch") {
		t.Errorf("DefaultBase without a default branch: got %v", err)
	}
}

func TestGitSourceChecksRevisions(t *testing.T) {
	repo := gitRepo(t)
	testtree.Write(t, repo, map[string]string{"a.py": "x\n"})
	commitAll(t, repo, "one")
	if _, err := NewGitSource(repo, "nope", "").Changed(t.Context()); err == nil || !strings.Contains(err.Error(), `bad revision "nope"`) {
		t.Errorf("Changed(bad base): got %v", err)
	}
	if _, err := NewGitSource(repo, "HEAD", "").Changed(t.Context()); err != nil {
		t.Errorf("Changed: %v", err)
	}
}

// TestAnalyzeGit reviews a committed change and a working tree through
// Analyze, which reads the head tree in one batch.
func TestAnalyzeGit(t *testing.T) {
	repo := gitRepo(t)
	testtree.Write(t, repo, map[string]string{
		"shop/models.py": "from django.db import models\n\nclass Product(models.Model):\n    sku = models.CharField(max_length=32)\n",
		"README.md":      "shop\n",
	})
	base := commitAll(t, repo, "base")
	testtree.Write(t, repo, map[string]string{
		"shop/models.py": "from django.db import models\n\nclass Product(models.Model):\n    sku = models.CharField(max_length=32, unique=True)\n",
		"shop/views.py":  "def v(request):\n    pass\n",
		"shop/huge.py":   strings.Repeat("#", MaxFileSize+1),
		"shop/bin.py":    "\x00",
	})
	commitAll(t, repo, "head")
	for name, head := range map[string]string{"revision": "HEAD", "working tree": ""} {
		t.Run(name, func(t *testing.T) {
			res, err := Analyze(t.Context(), NewGitSource(repo, base, head), nil)
			if err != nil {
				t.Fatalf("Analyze: %v", err)
			}
			if res.FilesAnalyzed != 2 { // models.py and views.py
				t.Errorf("FilesAnalyzed = %d, want 2", res.FilesAnalyzed)
			}
		})
	}
}
