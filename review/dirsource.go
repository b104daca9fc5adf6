package review

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// dirSource is a change between two plain directory trees.
type dirSource struct {
	base, head string
}

var (
	_ Source     = (*dirSource)(nil)
	_ fileLister = (*dirSource)(nil)
)

// NewDirSource returns the change from the tree baseDir to the tree headDir.
// A baseDir that does not exist is an empty tree: every head file is added.
func NewDirSource(baseDir, headDir string) Source {
	return &dirSource{base: baseDir, head: headDir}
}

func (s *dirSource) Changed(ctx context.Context) ([]ChangedFile, error) {
	head, err := filepath.Abs(s.head)
	if err != nil {
		return nil, fmt.Errorf("head directory: %w", err)
	}
	if fi, err := os.Stat(head); err != nil {
		return nil, fmt.Errorf("head directory: %w", err)
	} else if !fi.IsDir() {
		return nil, fmt.Errorf("head directory %s: not a directory", s.head)
	}
	base, err := filepath.Abs(s.base)
	if err != nil {
		return nil, fmt.Errorf("base directory: %w", err)
	}
	if _, err := os.Stat(base); errors.Is(err, fs.ErrNotExist) {
		base, err = os.MkdirTemp("", "djintegrity-empty-base-")
		if err != nil {
			return nil, fmt.Errorf("empty base directory: %w", err)
		}
		defer os.Remove(base)
	} else if err != nil {
		return nil, fmt.Errorf("base directory: %w", err)
	}

	if base == head {
		return nil, nil
	}
	// git prints --no-index paths as given, relative to its working
	// directory. Running it in the deepest common directory keeps the tree
	// roots short; stripRoots then cuts them from the file headers, which
	// also gives mode-only changes the equal names the parser wants.
	dir, relBase, relHead, err := commonRoot(base, head)
	if err != nil {
		return nil, err
	}
	args := append(diffArgs("diff", "--no-index", "--find-renames"), "--", relBase, relHead)
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	// --no-index exits 1 when the trees differ.
	var exit *exec.ExitError
	if err != nil && !(errors.As(err, &exit) && exit.ExitCode() == 1) {
		return nil, fmt.Errorf("git diff --no-index %s %s: %w: %s", s.base, s.head, err, strings.TrimSpace(stderr.String()))
	}
	files, err := parseDiff(stripRoots(stdout.String(), relBase, relHead))
	if err != nil {
		return nil, err
	}
	return slices.DeleteFunc(files, func(f ChangedFile) bool { return isGitPath(f.Path) }), nil
}

// commonRoot returns the deepest directory holding both trees and the
// trees' slash paths relative to it. Nested trees are refused: their paths
// would be ambiguous.
func commonRoot(base, head string) (dir, relBase, relHead string, err error) {
	dir = filepath.Dir(base)
	for {
		rb, errB := filepath.Rel(dir, base)
		rh, errH := filepath.Rel(dir, head)
		if errB == nil && errH == nil && !strings.HasPrefix(rb, "..") && !strings.HasPrefix(rh, "..") {
			relBase, relHead = filepath.ToSlash(rb), filepath.ToSlash(rh)
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", "", "", fmt.Errorf("directories %s and %s have no common root", base, head)
		}
		dir = parent
	}
	if relBase == "." || relHead == "." || strings.HasPrefix(relHead+"/", relBase+"/") || strings.HasPrefix(relBase+"/", relHead+"/") {
		return "", "", "", fmt.Errorf("base directory %s and head directory %s overlap", base, head)
	}
	for _, r := range []string{relBase, relHead} {
		// git quotes such names in its headers, and the roots could not be
		// cut from them reliably.
		if strings.ContainsFunc(r, func(c rune) bool { return c < 0x20 || c == 0x7f || c == '"' || c == '\\' }) {
			return "", "", "", fmt.Errorf("directory name %q: quotes, backslashes and control characters are not supported", r)
		}
	}
	return dir, relBase, relHead, nil
}

// stripRoots removes the tree roots from the file names in the headers of
// a --no-index diff, so that names are relative to the trees.
func stripRoots(diff string, roots ...string) string {
	// Longest first, so that a root that prefixes another does not cut it.
	roots = slices.Clone(roots)
	slices.SortFunc(roots, func(a, b string) int { return len(b) - len(a) })
	var pairs []string
	for _, r := range roots {
		// A root is cut only where a name starts: after the space that ends
		// the keyword or the previous name, and its quote.
		for _, p := range []string{" a/", " b/", ` "a/`, ` "b/`, "from ", `from "`, "to ", `to "`} {
			pairs = append(pairs, p+r+"/", p)
		}
	}
	repl := strings.NewReplacer(pairs...)
	var b strings.Builder
	b.Grow(len(diff))
	header := false
	for line := range strings.Lines(diff) {
		switch {
		case strings.HasPrefix(line, "diff --git "):
			header = true
		case strings.HasPrefix(line, "@@ "):
			header = false
		}
		if header {
			line = repl.Replace(line)
		}
		b.WriteString(line)
	}
	return b.String()
}

// diffArgs are the git options that make diff output parseable whatever
// the user's configuration: no colour, no external or textconv drivers,
// fixed a/ b/ prefixes, no context (only changed lines matter), and no
// merging of nearby hunks.
func diffArgs(sub string, extra ...string) []string {
	args := []string{
		"-c", "core.quotePath=false", "-c", "diff.suppressBlankEmpty=false",
		sub, "--no-color", "--no-ext-diff", "--no-textconv", "--src-prefix=a/", "--dst-prefix=b/",
		"--unified=0", "--inter-hunk-context=0",
	}
	return append(args, extra...)
}

// isGitPath reports whether p lies in a .git directory.
func isGitPath(p string) bool {
	return p == ".git" || strings.HasPrefix(p, ".git/") || strings.Contains(p, "/.git/")
}

func (s *dirSource) ReadFile(_ context.Context, p string) ([]byte, error) {
	return readRegular(s.head, p)
}

func (s *dirSource) ReadBaseFile(_ context.Context, p string) ([]byte, error) {
	return readRegular(s.base, p)
}

// treePath joins a slash path relative to a tree, refusing paths that climb
// out of it.
func treePath(root, p string) (string, error) {
	if !fs.ValidPath(p) {
		return "", fmt.Errorf("read %s: invalid path", p)
	}
	return filepath.Join(root, filepath.FromSlash(p)), nil
}

func (s *dirSource) Files(ctx context.Context) ([]string, error) { return s.files(ctx, discard) }

func (s *dirSource) files(ctx context.Context, log *slog.Logger) ([]string, error) {
	var out []string
	err := filepath.WalkDir(s.head, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == ".git" {
				return filepath.SkipDir
			}
			return nil
		}
		rel, err := filepath.Rel(s.head, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if !d.Type().IsRegular() {
			log.Debug("skipping file that is not regular", "path", rel, "type", d.Type().String())
			return nil
		}
		out = append(out, path.Clean(rel))
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list head directory: %w", err)
	}
	return out, nil
}
