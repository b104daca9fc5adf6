package review

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// gitSource is a change between two revisions of a git repository, or
// between a revision and the working tree or the index.
type gitSource struct {
	repo, baseRev, headRev string
	index                  bool   // the head is the index (the staged change)
	headName               string // the head in messages: headRev, or "the index"

	mu       sync.Mutex
	ready    bool
	top      string               // the repository's top-level directory
	base     string               // commit id of baseRev
	head     string               // commit id of headRev; "" for the working tree and the index
	tree     map[string]treeEntry // the head's files, when it is a commit or the index
	treeDone bool
}

var (
	_ Source      = (*gitSource)(nil)
	_ BatchReader = (*gitSource)(nil)
	_ fileLister  = (*gitSource)(nil)
)

type treeEntry struct{ mode, oid string }

// NewGitSource returns the change from baseRev to headRev in the git
// repository at repoDir (any directory inside it). headRev "" is the working
// tree: staged, unstaged and untracked (not ignored) changes included.
// Revisions are checked on first use; a bad one is an error naming it.
func NewGitSource(repoDir, baseRev, headRev string) Source {
	return &gitSource{repo: repoDir, baseRev: baseRev, headRev: headRev, headName: headRev}
}

// NewIndexSource returns the staged change of the git repository at
// repoDir: from baseRev (usually HEAD) to the index, what `git commit`
// would commit. Files are read from the index, not the working tree, so a
// file staged in part is reviewed as staged, and untracked files are not
// part of the change. In a repository with no commit yet, base "HEAD" is
// the empty tree.
func NewIndexSource(repoDir, baseRev string) Source {
	return &gitSource{repo: repoDir, baseRev: baseRev, index: true, headName: "the index"}
}

// fromObjects reports whether the head is read from git objects (a commit
// or the index) rather than from the working tree.
func (s *gitSource) fromObjects() bool { return s.head != "" || s.index }

// git runs a git command in dir and returns its standard output.
func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	cmd.Env = gitEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		msg := strings.TrimSpace(stderr.String())
		if i := strings.IndexByte(msg, '\n'); i >= 0 {
			msg = msg[:i]
		}
		return nil, fmt.Errorf("git %s: %w: %s", args[0], err, msg)
	}
	return stdout.Bytes(), nil
}

// gitEnv is the environment of git commands: the repository is named by
// the working directory, not by variables a git hook may have set, and read
// commands take no index lock that could disturb the user's own git.
func gitEnv() []string {
	env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
		return strings.HasPrefix(kv, "GIT_DIR=") || strings.HasPrefix(kv, "GIT_WORK_TREE=")
	})
	return append(env, "GIT_OPTIONAL_LOCKS=0")
}

// prepare finds the repository and resolves the revisions, once.
func (s *gitSource) prepare(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ready {
		return nil
	}
	if fi, err := os.Stat(s.repo); err != nil {
		return fmt.Errorf("repository: %w", err)
	} else if !fi.IsDir() {
		return fmt.Errorf("repository %s: not a directory", s.repo)
	}
	top, err := gitTop(ctx, s.repo, s.headRev != "")
	if err != nil {
		return err
	}
	base, err := resolveCommit(ctx, top, s.baseRev)
	if err != nil && s.index && s.baseRev == "HEAD" {
		// The first commit: HEAD names no commit yet, and everything
		// staged is new.
		base, err = emptyTree(ctx, top)
	}
	if err != nil {
		return err
	}
	var head string
	if s.headRev != "" {
		if head, err = resolveCommit(ctx, top, s.headRev); err != nil {
			return err
		}
	}
	s.top, s.base, s.head, s.ready = top, base, head, true
	return nil
}

// gitTop returns the directory git commands of repo run in: the top of its
// working tree or, when a head revision is named and repo is a bare
// repository (a mirror reviewed commit by commit), the git directory.
func gitTop(ctx context.Context, repo string, hasHead bool) (string, error) {
	out, err := git(ctx, repo, "rev-parse", "--show-toplevel")
	if err == nil {
		return strings.TrimRight(string(out), "\n"), nil
	}
	if ctx.Err() != nil {
		return "", ctx.Err()
	}
	if hasHead {
		if bare, berr := git(ctx, repo, "rev-parse", "--is-bare-repository"); berr == nil && strings.TrimSpace(string(bare)) == "true" {
			dir, derr := git(ctx, repo, "rev-parse", "--absolute-git-dir")
			if derr != nil {
				return "", fmt.Errorf("git directory of %s: %w", repo, derr)
			}
			return strings.TrimRight(string(dir), "\n"), nil
		}
	}
	return "", fmt.Errorf("%s is not in a git working tree: %w", repo, err)
}

// resolveCommit returns the commit id rev names.
func resolveCommit(ctx context.Context, dir, rev string) (string, error) {
	if rev == "" || strings.HasPrefix(rev, "-") {
		return "", fmt.Errorf("bad revision %q", rev)
	}
	out, err := git(ctx, dir, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	if err != nil {
		if ctx.Err() != nil {
			return "", err
		}
		return "", fmt.Errorf("bad revision %q: not a commit in %s", rev, dir)
	}
	return strings.TrimSpace(string(out)), nil
}

// emptyTree returns the id of the tree with no file (it differs between
// SHA-1 and SHA-256 repositories).
func emptyTree(ctx context.Context, dir string) (string, error) {
	out, err := git(ctx, dir, "hash-object", "-t", "tree", os.DevNull)
	if err != nil {
		return "", fmt.Errorf("empty tree: %w", err)
	}
	return strings.TrimSpace(string(out)), nil
}

// DefaultBase returns the merge-base of HEAD with the repository's default
// branch: origin/HEAD, else main, else master, whichever exists first.
func DefaultBase(ctx context.Context, repo string) (string, error) {
	for _, b := range []string{"origin/HEAD", "main", "master"} {
		if _, err := git(ctx, repo, "rev-parse", "--verify", "--quiet", b+"^{commit}"); err != nil {
			if ctx.Err() != nil {
				return "", ctx.Err()
			}
			continue
		}
		out, err := git(ctx, repo, "merge-base", "HEAD", b)
		if err != nil {
			return "", fmt.Errorf("merge-base of HEAD and %s in %s: %w", b, repo, err)
		}
		return strings.TrimSpace(string(out)), nil
	}
	return "", fmt.Errorf("no default branch (origin/HEAD, main or master) in %s: name the base revision", repo)
}

// pythonFiles is the pathspec of the files a review reads: in git's
// pathspecs "*" also matches "/", so this is every .py file at any depth.
const pythonFiles = "*.py"

func (s *gitSource) Changed(ctx context.Context) ([]ChangedFile, error) {
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	args := diffArgs("diff", "--find-renames", "--no-relative", s.base)
	switch {
	case s.index:
		// Read the index first: a conflict in it fails the review before
		// git diff reports unmerged paths it cannot describe.
		if _, err := s.loadTree(ctx); err != nil {
			return nil, err
		}
		args = diffArgs("diff", "--cached", "--find-renames", "--no-relative", s.base)
	case s.head != "":
		args = append(args, s.head)
	}
	// Only Python files are reviewed, so only theirs are diffed: git reads
	// no other blob, and a large or missing one (a shallow or partial
	// clone) cannot fail the review.
	out, err := git(ctx, s.top, append(args, "--", pythonFiles)...)
	if err != nil {
		return nil, fmt.Errorf("diff %s: %w", s.baseRev, err)
	}
	files, err := parseDiff(string(out))
	if err != nil {
		return nil, err
	}
	if s.fromObjects() {
		return files, nil
	}
	untracked, err := git(ctx, s.top, "ls-files", "-z", "--others", "--exclude-standard", "--", pythonFiles)
	if err != nil {
		return nil, fmt.Errorf("list untracked files: %w", err)
	}
	for _, p := range splitZ(untracked) {
		f, err := s.untracked(p)
		if err != nil {
			return nil, err
		}
		files = append(files, f)
	}
	return files, nil
}

// untracked describes an untracked file as an added one.
func (s *gitSource) untracked(p string) (ChangedFile, error) {
	f := ChangedFile{Path: p, Status: Added}
	full := filepath.Join(s.top, filepath.FromSlash(p))
	fi, err := os.Lstat(full)
	if err != nil {
		return f, fmt.Errorf("untracked file %s: %w", p, err)
	}
	if !fi.Mode().IsRegular() {
		return f, nil
	}
	b, err := os.ReadFile(full)
	if err != nil {
		return f, fmt.Errorf("untracked file %s: %w", p, err)
	}
	// git's own test: a NUL in the first 8000 bytes.
	if bytes.IndexByte(b[:min(len(b), 8000)], 0) >= 0 {
		f.Binary = true
		return f, nil
	}
	f.Lines = map[int]bool{}
	n := bytes.Count(b, []byte{'\n'})
	if len(b) > 0 && b[len(b)-1] != '\n' {
		n++
	}
	for l := 1; l <= n; l++ {
		f.Lines[l] = true
	}
	return f, nil
}

func splitZ(b []byte) []string {
	var out []string
	for _, p := range strings.Split(string(b), "\x00") {
		if p != "" {
			out = append(out, p)
		}
	}
	return out
}

// loadTree lists the head revision's tree, or the index, once.
func (s *gitSource) loadTree(ctx context.Context) (map[string]treeEntry, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.treeDone {
		return s.tree, nil
	}
	if s.index {
		tree, err := s.loadIndex(ctx)
		if err != nil {
			return nil, err
		}
		s.tree, s.treeDone = tree, true
		return tree, nil
	}
	out, err := git(ctx, s.top, "ls-tree", "-r", "-z", "--full-tree", s.head)
	if err != nil {
		return nil, fmt.Errorf("list tree of %s: %w", s.headName, err)
	}
	tree := map[string]treeEntry{}
	for _, rec := range splitZ(out) {
		// "<mode> SP <type> SP <oid> TAB <path>"
		meta, p, ok := strings.Cut(rec, "\t")
		fields := strings.Fields(meta)
		if !ok || len(fields) != 3 {
			return nil, fmt.Errorf("list tree of %s: bad record %q", s.headName, rec)
		}
		tree[p] = treeEntry{mode: fields[0], oid: fields[2]}
	}
	s.tree, s.treeDone = tree, true
	return tree, nil
}

// loadIndex lists the index's entries as a tree.
func (s *gitSource) loadIndex(ctx context.Context) (map[string]treeEntry, error) {
	out, err := git(ctx, s.top, "ls-files", "-z", "--stage", "--full-name")
	if err != nil {
		return nil, fmt.Errorf("list the index: %w", err)
	}
	tree := map[string]treeEntry{}
	var unmerged []string
	for _, rec := range splitZ(out) {
		// "<mode> SP <oid> SP <stage> TAB <path>"
		meta, p, ok := strings.Cut(rec, "\t")
		fields := strings.Fields(meta)
		if !ok || len(fields) != 3 {
			return nil, fmt.Errorf("list the index: bad record %q", rec)
		}
		if fields[2] != "0" {
			if len(unmerged) == 0 || unmerged[len(unmerged)-1] != p {
				unmerged = append(unmerged, p)
			}
			continue
		}
		tree[p] = treeEntry{mode: fields[0], oid: fields[1]}
	}
	if len(unmerged) > 0 {
		return nil, fmt.Errorf("the index has unmerged paths (%s): resolve the conflicts first", strings.Join(unmerged, ", "))
	}
	return tree, nil
}

// IsRegularFileMode reports whether a git tree entry's mode is a regular
// file's (100644, or 100755 when executable), not a symlink's (120000) or
// a submodule's (160000).
func IsRegularFileMode(mode string) bool { return mode == "100644" || mode == "100755" }

func (s *gitSource) Files(ctx context.Context) ([]string, error) { return s.files(ctx, discard) }

func (s *gitSource) files(ctx context.Context, log *slog.Logger) ([]string, error) {
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	var out []string
	if s.fromObjects() {
		tree, err := s.loadTree(ctx)
		if err != nil {
			return nil, err
		}
		for p, e := range tree {
			if !IsRegularFileMode(e.mode) {
				log.Debug("skipping file that is not regular", "path", p, "mode", e.mode)
				continue
			}
			out = append(out, p)
		}
		slices.Sort(out)
		return out, nil
	}
	b, err := git(ctx, s.top, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	if err != nil {
		return nil, fmt.Errorf("list working tree: %w", err)
	}
	for _, p := range splitZ(b) {
		fi, err := os.Lstat(filepath.Join(s.top, filepath.FromSlash(p)))
		switch {
		case errors.Is(err, fs.ErrNotExist):
			continue // deleted in the working tree
		case err != nil:
			return nil, fmt.Errorf("list working tree: %w", err)
		case !fi.Mode().IsRegular():
			log.Debug("skipping file that is not regular", "path", p, "mode", fi.Mode().String())
			continue
		}
		out = append(out, p)
	}
	slices.Sort(out)
	return slices.Compact(out), nil // an unmerged path is listed once per stage
}

func (s *gitSource) ReadFile(ctx context.Context, p string) ([]byte, error) {
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	if !s.fromObjects() {
		return readRegular(s.top, p)
	}
	tree, err := s.loadTree(ctx)
	if err != nil {
		return nil, err
	}
	e, ok := tree[p]
	switch {
	case !ok:
		return nil, fmt.Errorf("read %s at %s: %w", p, s.headName, fs.ErrNotExist)
	case !IsRegularFileMode(e.mode):
		return nil, fmt.Errorf("read %s at %s: %w", p, s.headName, ErrNotRegular)
	}
	b, err := git(ctx, s.top, "cat-file", "blob", e.oid)
	if err != nil {
		return nil, fmt.Errorf("read %s at %s: %w", p, s.headName, err)
	}
	return b, nil
}

func (s *gitSource) ReadBaseFile(ctx context.Context, p string) ([]byte, error) {
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	b, err := git(ctx, s.top, "cat-file", "blob", s.base+":"+p)
	if err != nil {
		return nil, fmt.Errorf("read %s at base: %w", p, err)
	}
	return b, nil
}

// readRegular reads the regular file p of the tree at root.
func readRegular(root, p string) ([]byte, error) {
	full, err := treePath(root, p)
	if err != nil {
		return nil, err
	}
	fi, err := os.Lstat(full)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("read %s: %w", p, ErrNotRegular)
	}
	b, err := os.ReadFile(full)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	return b, nil
}

// ReadFiles reads many files of the head revision through one
// `git cat-file --batch`: a process per file would dominate the review of
// a large tree.
func (s *gitSource) ReadFiles(ctx context.Context, paths []string) ([]FileContent, error) {
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	out := make([]FileContent, len(paths))
	if !s.fromObjects() {
		for i, p := range paths {
			out[i].Data, out[i].Err = readRegular(s.top, p)
		}
		return out, nil
	}
	tree, err := s.loadTree(ctx)
	if err != nil {
		return nil, err
	}
	var want []int
	var stdin strings.Builder
	for i, p := range paths {
		e, ok := tree[p]
		switch {
		case !ok:
			out[i].Err = fmt.Errorf("read %s at %s: %w", p, s.headName, fs.ErrNotExist)
		case !IsRegularFileMode(e.mode):
			out[i].Err = fmt.Errorf("read %s at %s: %w", p, s.headName, ErrNotRegular)
		default:
			want = append(want, i)
			stdin.WriteString(e.oid + "\n")
		}
	}
	if len(want) == 0 {
		return out, nil
	}
	cmd := exec.CommandContext(ctx, "git", "cat-file", "--batch")
	cmd.Dir, cmd.Env = s.top, gitEnv()
	cmd.Stdin = strings.NewReader(stdin.String())
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("git cat-file: %w", err)
	}
	r := bufio.NewReaderSize(pipe, 64<<10)
	readErr := func() error {
		for _, i := range want {
			// "<oid> SP <type> SP <size> LF <contents> LF"
			hdr, err := r.ReadString('\n')
			if err != nil {
				return fmt.Errorf("read header: %w", err)
			}
			f := strings.Fields(hdr)
			if len(f) == 2 && f[1] == "missing" {
				out[i].Err = fmt.Errorf("read %s at %s: %w", paths[i], s.headName, errMissingObject)
				continue
			}
			if len(f) != 3 || f[1] != "blob" {
				return fmt.Errorf("unexpected header %q for %s", strings.TrimSpace(hdr), paths[i])
			}
			size, err := strconv.Atoi(f[2])
			if err != nil || size < 0 {
				return fmt.Errorf("bad size in %q", strings.TrimSpace(hdr))
			}
			if size > MaxFileSize {
				if _, err := r.Discard(size + 1); err != nil {
					return fmt.Errorf("read %s: %w", paths[i], err)
				}
				out[i].Err = fmt.Errorf("read %s: %d bytes: %w", paths[i], size, ErrTooLarge)
				continue
			}
			b := make([]byte, size+1)
			if _, err := io.ReadFull(r, b); err != nil {
				return fmt.Errorf("read %s: %w", paths[i], err)
			}
			out[i].Data = b[:size]
		}
		return nil
	}()
	if readErr != nil {
		_ = cmd.Process.Kill()
	}
	_, _ = io.Copy(io.Discard, r)
	waitErr := cmd.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if readErr != nil {
		return nil, fmt.Errorf("git cat-file: %w", readErr)
	}
	if waitErr != nil {
		return nil, fmt.Errorf("git cat-file: %w: %s", waitErr, strings.TrimSpace(stderr.String()))
	}
	return out, nil
}
