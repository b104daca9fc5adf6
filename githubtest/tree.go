package githubtest

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Tree is the content of a commit: slash paths to file contents.
type Tree map[string]string

// ReadTree reads the regular files under dir into a Tree.
func ReadTree(t testing.TB, dir string) Tree {
	t.Helper()
	tree := Tree{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		tree[filepath.ToSlash(rel)] = string(b)
		return nil
	})
	if err != nil {
		t.Fatalf("read tree %s: %v", dir, err)
	}
	return tree
}

// Clone returns a copy of the tree, to change for a push.
func (tr Tree) Clone() Tree {
	return maps.Clone(tr)
}

// BlobSHA is git's object id of a file's content.
func BlobSHA(content string) string {
	h := sha1.New()
	fmt.Fprintf(h, "blob %d\x00", len(content))
	h.Write([]byte(content))
	return hex.EncodeToString(h.Sum(nil))
}

// commitSHA is a stable made-up commit id for a tree and its parent.
func commitSHA(tr Tree, parent string) string {
	h := sha1.New()
	fmt.Fprintf(h, "commit parent %s\n", parent)
	for _, p := range slices.Sorted(maps.Keys(tr)) {
		fmt.Fprintf(h, "%s %s\n", BlobSHA(tr[p]), p)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// treeSHA is a made-up tree id for the directory dir of a commit.
func treeSHA(commit, dir string) string {
	s := sha1.Sum([]byte("tree " + commit + " " + dir))
	return hex.EncodeToString(s[:])
}

// dirsOf lists every directory of the tree's paths, parents first.
func dirsOf(tr Tree) []string {
	seen := map[string]bool{}
	for p := range tr {
		for d := path.Dir(p); d != "." && !seen[d]; d = path.Dir(d) {
			seen[d] = true
		}
	}
	return slices.Sorted(maps.Keys(seen))
}

// prFile is one file of a pull request, as the files API lists it.
type prFile struct {
	path       string
	status     string // added, removed, modified
	patch      string // "" when GitHub would give none (binary)
	hasPatch   bool
	additions  int
	deletions  int
	rightLines []hunkRange // head-side line ranges of the hunks
}

type hunkRange struct{ start, end int } // inclusive

// diffTrees computes the pull request's files with git's patches, as GitHub
// shows them: the hunks without file headers and without the final
// newline. Renames are not detected.
func diffTrees(t testing.TB, base, head Tree) []prFile {
	t.Helper()
	var paths []string
	for p := range base {
		paths = append(paths, p)
	}
	for p := range head {
		if _, ok := base[p]; !ok {
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	dir := t.TempDir()
	var files []prFile
	for _, p := range paths {
		b, inBase := base[p]
		h, inHead := head[p]
		if inBase && inHead && b == h {
			continue
		}
		f := prFile{path: p, status: "modified"}
		switch {
		case !inBase:
			f.status = "added"
		case !inHead:
			f.status = "removed"
		}
		if patch, ok := wholeFilePatch(b, h); ok {
			f.patch, f.hasPatch = patch, true
		} else {
			f.patch, f.hasPatch = gitPatch(t, dir, blobOf(b), blobOf(h))
		}
		f.additions, f.deletions, f.rightLines = patchStats(f.patch)
		files = append(files, f)
	}
	return files
}

// wholeFilePatch is git's patch of a text file added or removed whole,
// made without running git (a pull request of thousands of files):
// ok is false for anything else, which gitPatch diffs.
func wholeFilePatch(base, head string) (string, bool) {
	content, sign, header := head, "+", "@@ -0,0 +1%s @@"
	switch {
	case base == "" && head != "":
	case head == "" && base != "":
		content, sign, header = base, "-", "@@ -1%s +0,0 @@"
	default:
		return "", false
	}
	if _, link := linkTarget(content); link || !strings.HasSuffix(content, "\n") || strings.ContainsRune(content, 0) {
		return "", false
	}
	lines := strings.Split(strings.TrimSuffix(content, "\n"), "\n")
	count := ""
	if len(lines) != 1 {
		count = "," + strconv.Itoa(len(lines))
	}
	return fmt.Sprintf(header, count) + "\n" + sign + strings.Join(lines, "\n"+sign), true
}

// symlinkMark begins the content of a Tree entry that is a symbolic link.
const symlinkMark = "\x00githubtest symlink\x00"

// Symlink is a Tree entry that is a symbolic link to target, a path
// relative to the link's directory: git stores it with mode 120000 and
// the target as its blob.
func Symlink(target string) string { return symlinkMark + target }

// linkTarget is the target of a Symlink entry.
func linkTarget(content string) (string, bool) { return strings.CutPrefix(content, symlinkMark) }

// blobOf is the blob git stores for a Tree entry: a link's target, or the
// file's content.
func blobOf(content string) string {
	if target, ok := linkTarget(content); ok {
		return target
	}
	return content
}

// modeOf is the git mode of a Tree entry.
func modeOf(content string) string {
	if _, ok := linkTarget(content); ok {
		return "120000"
	}
	return "100644"
}

// gitPatch diffs one file with git; a missing side is an empty file, which
// gives the hunks GitHub shows for an added or removed file.
func gitPatch(t testing.TB, dir, base, head string) (string, bool) {
	t.Helper()
	a, b := filepath.Join(dir, "a"), filepath.Join(dir, "b")
	if err := os.WriteFile(a, []byte(base), 0o644); err != nil {
		t.Errorf("githubtest: %v", err)
		return "", false
	}
	if err := os.WriteFile(b, []byte(head), 0o644); err != nil {
		t.Errorf("githubtest: %v", err)
		return "", false
	}
	cmd := exec.Command("git", "diff", "--no-index", "--no-color", "--no-ext-diff", "-U3", "--", a, b)
	cmd.Env = append(os.Environ(), "GIT_CONFIG_NOSYSTEM=1", "GIT_CONFIG_GLOBAL="+filepath.Join(dir, "none"))
	out, err := cmd.Output()
	if ee, ok := err.(*exec.ExitError); err != nil && (!ok || ee.ExitCode() != 1) {
		t.Errorf("githubtest: git diff --no-index: %v", err)
		return "", false
	}
	if bytes.Contains(out, []byte("\nBinary files ")) {
		return "", false
	}
	i := bytes.Index(out, []byte("\n@@ "))
	if i < 0 {
		return "", true // an empty file added or removed
	}
	return strings.TrimSuffix(string(out[i+1:]), "\n"), true
}

// hunkHeader matches a hunk's header; a side's count is omitted when it
// is 1.
var hunkHeader = regexp.MustCompile(`^@@ -\d+(?:,\d+)? \+(\d+)(?:,(\d+))? @@`)

// patchStats counts a patch's added and removed lines and the head-side
// ranges of its hunks.
func patchStats(patch string) (adds, dels int, ranges []hunkRange) {
	if patch == "" {
		return 0, 0, nil
	}
	for _, l := range strings.Split(patch, "\n") {
		if m := hunkHeader.FindStringSubmatch(l); m != nil {
			start, _ := strconv.Atoi(m[1])
			n := 1
			if m[2] != "" {
				n, _ = strconv.Atoi(m[2])
			}
			if n > 0 {
				ranges = append(ranges, hunkRange{start, start + n - 1})
			}
			continue
		}
		switch {
		case strings.HasPrefix(l, "+"):
			adds++
		case strings.HasPrefix(l, "-"):
			dels++
		}
	}
	return adds, dels, ranges
}
