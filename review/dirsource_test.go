package review

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/internal/testtree"
)

func TestDirSourceChanged(t *testing.T) {
	dir := t.TempDir()
	base, head := filepath.Join(dir, "base"), filepath.Join(dir, "head with space")
	long := strings.Repeat("line\n", 30)
	testtree.Write(t, base, map[string]string{
		"shop/models.py":  "a\nb\nc\n",
		"shop/old.py":     "x\n",
		"shop/same.py":    "same\n",
		"shop/moved.py":   long,
		"shop/ünïcode.py": "1\n",
		"shop/mode.py":    "m\n",
		"assets/logo.png": "\x00\x01\x02",
	})
	testtree.Write(t, head, map[string]string{
		"shop/models.py":  "a\nB\nc\nd\n",
		"shop/same.py":    "same\n",
		"shop/new.py":     "1\n2\n",
		"core/moved.py":   long + "tail\n",
		"shop/ünïcode.py": "2\n",
		"shop/mode.py":    "m\n",
		"assets/logo.png": "\x00\x01\x03",
		".git/HEAD":       "ref: refs/heads/main\n",
	})
	if err := os.Chmod(filepath.Join(head, "shop/mode.py"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("models.py", filepath.Join(head, "shop/link.py")); err != nil {
		t.Fatal(err)
	}

	got, err := NewDirSource(base, head).Changed(t.Context())
	if err != nil {
		t.Fatalf("Changed: %v", err)
	}
	slices.SortFunc(got, func(a, b ChangedFile) int { return strings.Compare(a.Path, b.Path) })
	want := []ChangedFile{
		{Path: "assets/logo.png", OldPath: "assets/logo.png", Status: Modified, Binary: true},
		{Path: "core/moved.py", OldPath: "shop/moved.py", Status: Renamed, Lines: lines(31)},
		{Path: "shop/link.py", Status: Added, Lines: lines(1)},
		{Path: "shop/mode.py", OldPath: "shop/mode.py", Status: Modified, Lines: lines()},
		{Path: "shop/models.py", OldPath: "shop/models.py", Status: Modified, Lines: lines(2, 4)},
		{Path: "shop/new.py", Status: Added, Lines: lines(1, 2)},
		{Path: "shop/old.py", OldPath: "shop/old.py", Status: Deleted},
		{Path: "shop/ünïcode.py", OldPath: "shop/ünïcode.py", Status: Modified, Lines: lines(1)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Changed (-want +got):\n%s", diff)
	}
}

func TestDirSourceMissingBase(t *testing.T) {
	dir := t.TempDir()
	head := filepath.Join(dir, "head")
	testtree.Write(t, head, map[string]string{"a.py": "x\ny\n", "pkg/b.py": "z\n"})
	got, err := NewDirSource(filepath.Join(dir, "nope"), head).Changed(t.Context())
	if err != nil {
		t.Fatalf("Changed: %v", err)
	}
	want := []ChangedFile{
		{Path: "a.py", Status: Added, Lines: lines(1, 2)},
		{Path: "pkg/b.py", Status: Added, Lines: lines(1)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Changed (-want +got):\n%s", diff)
	}
}

func TestDirSourceIdentical(t *testing.T) {
	dir := t.TempDir()
	testtree.Write(t, filepath.Join(dir, "b"), map[string]string{"a.py": "x\n"})
	testtree.Write(t, filepath.Join(dir, "h"), map[string]string{"a.py": "x\n"})
	got, err := NewDirSource(filepath.Join(dir, "b"), filepath.Join(dir, "h")).Changed(t.Context())
	if err != nil || len(got) != 0 {
		t.Errorf("Changed of identical trees = %v, %v; want none", got, err)
	}
}

func TestDirSourceMissingHead(t *testing.T) {
	dir := t.TempDir()
	_, err := NewDirSource(dir, filepath.Join(dir, "missing")).Changed(t.Context())
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Changed with a missing head: got %v, want not-exist error", err)
	}
}

func TestDirSourceFilesAndRead(t *testing.T) {
	head := t.TempDir()
	testtree.Write(t, head, map[string]string{"a.py": "x\n", "pkg/b.py": "z\n", ".git/config": "", "pkg/.git/x": ""})
	if err := os.Symlink("a.py", filepath.Join(head, "link.py")); err != nil {
		t.Fatal(err)
	}
	src := NewDirSource(filepath.Join(head, "nope"), head)
	files, err := src.Files(t.Context())
	if err != nil {
		t.Fatalf("Files: %v", err)
	}
	if diff := cmp.Diff([]string{"a.py", "pkg/b.py"}, files); diff != "" {
		t.Errorf("Files (-want +got):\n%s", diff)
	}
	if b, err := src.ReadFile(t.Context(), "pkg/b.py"); err != nil || string(b) != "z\n" {
		t.Errorf("ReadFile(pkg/b.py) = %q, %v", b, err)
	}
	if _, err := src.ReadFile(t.Context(), "link.py"); !errors.Is(err, ErrNotRegular) {
		t.Errorf("ReadFile(link.py): got %v, want ErrNotRegular", err)
	}
	if _, err := src.ReadFile(t.Context(), "../etc/passwd"); err == nil {
		t.Error("ReadFile(../etc/passwd): want error")
	}
	if _, err := src.ReadFile(t.Context(), "missing.py"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("ReadFile(missing.py): got %v, want not-exist", err)
	}
}

func TestStripRoots(t *testing.T) {
	in := `diff --git a/b/x/a/b/y.py b/h/x/a/b/y.py
old mode 100644
new mode 100755
diff --git "a/b/\303\251 q.py" "b/h/\303\251 q.py"
--- "a/b/\303\251 q.py"
+++ "b/h/\303\251 q.py"
@@ -1 +1 @@
--- a/b/keep
+++ b/h/keep
diff --git a/b/r.py b/h/s.py
similarity index 100%
rename from b/r.py
rename to h/s.py
`
	want := `diff --git a/x/a/b/y.py b/x/a/b/y.py
old mode 100644
new mode 100755
diff --git "a/\303\251 q.py" "b/\303\251 q.py"
--- "a/\303\251 q.py"
+++ "b/\303\251 q.py"
@@ -1 +1 @@
--- a/b/keep
+++ b/h/keep
diff --git a/r.py b/s.py
similarity index 100%
rename from r.py
rename to s.py
`
	if diff := cmp.Diff(want, stripRoots(in, "b", "h")); diff != "" {
		t.Errorf("stripRoots (-want +got):\n%s", diff)
	}
}

func TestDirSourceOverlap(t *testing.T) {
	dir := t.TempDir()
	testtree.Write(t, dir, map[string]string{"head/a.py": "x\n"})
	if _, err := NewDirSource(dir, filepath.Join(dir, "head")).Changed(t.Context()); err == nil || !strings.Contains(err.Error(), "overlap") {
		t.Errorf("Changed of nested trees: got %v, want overlap error", err)
	}
}
