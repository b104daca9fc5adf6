package githubreview

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/google/go-github/v60/github"

	"github.com/djintegrity/djintegrity/internal/srclines"
	"github.com/djintegrity/djintegrity/review"
)

// maxConcurrentReads bounds the file reads in flight at once: GitHub asks
// integrators not to hammer it with concurrent requests (secondary rate
// limits), and a handful already hides the latency.
const maxConcurrentReads = 4

// prSource is a pull request on GitHub as a review.Source: the changed
// files from the pull request files API, the head tree listed once (git
// trees API, recursive), and the content of only the files review.Analyze
// asks for, fetched by blob id.
type prSource struct {
	gh                            *github.Client
	download                      *http.Client // the head's archive, without the API's credentials
	owner, repo, baseSHA, headSHA string
	number                        int
	mergeGroup                    bool // compare baseSHA...headSHA: there is no pull request
	log                           *slog.Logger

	changedOnce sync.Once
	changed     []review.ChangedFile
	changedErr  error
	// hunks are the head-side line ranges of each file's diff: where a
	// review comment may go.
	hunks map[string][]review.LineRange
	// partial is set when GitHub listed only part of the diff's files
	// (the first 3,000 of a pull request, 300 of a comparison); unlisted
	// then counts the others when GitHub says how many (a pull request's
	// changed_files), else is 0.
	partial  bool
	unlisted int

	treeOnce sync.Once
	tree     map[string]*github.TreeEntry
	treeErr  error

	cacheMu sync.Mutex
	cache   map[string][]byte

	// pullFiles is the pull request's count of changed files when the
	// job read it with the head; 0 has listChanged read it when it needs it.
	pullFiles int

	reads atomic.Int64 // blobs fetched
}

var (
	_ review.Source      = (*prSource)(nil)
	_ review.BatchReader = (*prSource)(nil)
	_ review.BaseReader  = (*prSource)(nil)
)

func newPRSource(gh *github.Client, download *http.Client, pr PullRequest, log *slog.Logger) *prSource {
	return &prSource{gh: gh, download: download, owner: pr.Owner, repo: pr.Repo, number: pr.Number, baseSHA: pr.BaseSHA, headSHA: pr.HeadSHA,
		mergeGroup: pr.MergeGroup != "", log: log, hunks: map[string][]review.LineRange{}, cache: map[string][]byte{}}
}

// Changed lists the pull request's files, 100 a page, up to GitHub's
// 3,000. A file without a patch (too large a diff, or binary) is reviewed
// as wholly changed when it is a text .py file, else skipped.
func (s *prSource) Changed(ctx context.Context) ([]review.ChangedFile, error) {
	s.changedOnce.Do(func() { s.changed, s.changedErr = s.listChanged(ctx) })
	return s.changed, s.changedErr
}

func (s *prSource) listChanged(ctx context.Context) ([]review.ChangedFile, error) {
	if s.mergeGroup {
		files, err := s.comparedFiles(ctx)
		if err != nil {
			return nil, err
		}
		return s.changedFiles(ctx, files)
	}
	var files []*github.CommitFile
	opts := &github.ListOptions{PerPage: perPage}
	for {
		page, resp, err := call(ctx, func(ctx context.Context) ([]*github.CommitFile, *github.Response, error) {
			return s.gh.PullRequests.ListFiles(ctx, s.owner, s.repo, s.number, opts)
		})
		if err != nil {
			return nil, fmt.Errorf("list pull request files (page %d): %w", max(opts.Page, 1), err)
		}
		files = append(files, page...)
		if resp.NextPage == 0 || len(files) >= maxPullRequestFiles {
			break
		}
		opts.Page = resp.NextPage
	}
	if len(files) >= maxPullRequestFiles {
		// GitHub stops at its maximum without a sign on the last page:
		// the pull request's count of changed files tells whether it did.
		// The job read it with the head; read it here only if it did not.
		if s.pullFiles < maxPullRequestFiles {
			pull, _, err := call(ctx, func(ctx context.Context) (*github.PullRequest, *github.Response, error) {
				return s.gh.PullRequests.Get(ctx, s.owner, s.repo, s.number)
			})
			if err != nil {
				return nil, fmt.Errorf("read pull request: %w", err)
			}
			s.pullFiles = pull.GetChangedFiles()
		}
		files = files[:min(len(files), maxPullRequestFiles)]
		s.unlisted = max(s.pullFiles-len(files), 0)
		s.partial = s.unlisted > 0
	}
	return s.changedFiles(ctx, files)
}

// notListed says which files of the diff the review did not read because
// GitHub did not list them, as a line of review.Result.Limits, or "" when
// it listed them all. Call it after Changed.
func (s *prSource) notListed() string {
	switch {
	case !s.partial:
		return ""
	case s.mergeGroup:
		return fmt.Sprintf("GitHub's API compares the first %d files of two commits ([compare two commits](%s)); "+
			"the files of the merge group after them were not read", maxComparedFiles, compareDocs)
	case s.unlisted == 1:
		return fmt.Sprintf("GitHub's API lists the first %d files of a pull request ([list pull requests files](%s)); "+
			"the file after them was not read", maxPullRequestFiles, listFilesDocs)
	}
	return fmt.Sprintf("GitHub's API lists the first %d files of a pull request ([list pull requests files](%s)); "+
		"the %d files after them were not read", maxPullRequestFiles, listFilesDocs, s.unlisted)
}

// changedFiles turns the files of the diff into the review's.
func (s *prSource) changedFiles(ctx context.Context, files []*github.CommitFile) ([]review.ChangedFile, error) {
	out := make([]review.ChangedFile, 0, len(files))
	for _, f := range files {
		c, ok, err := s.changedFile(ctx, f)
		if err != nil {
			return nil, err
		}
		if ok {
			out = append(out, c)
		}
	}
	return out, nil
}

func (s *prSource) changedFile(ctx context.Context, f *github.CommitFile) (review.ChangedFile, bool, error) {
	c := review.ChangedFile{Path: f.GetFilename(), Status: review.Modified}
	switch f.GetStatus() {
	case "added", "copied":
		c.Status = review.Added
	case "removed":
		return review.ChangedFile{Path: c.Path, Status: review.Deleted}, true, nil
	case "renamed":
		c.Status, c.OldPath = review.Renamed, f.GetPreviousFilename()
	case "unchanged":
		return c, false, nil
	}
	if strings.HasSuffix(c.Path, ".py") {
		if link, err := s.isLink(ctx, c.Path); err != nil {
			return c, false, err
		} else if link {
			return s.wholeFile(ctx, c)
		}
	}
	if f.Patch != nil {
		added, removed, hunks, err := review.ParsePatch(c.Path, f.GetPatch())
		if err == nil {
			c.Lines, c.Removed = added, removed
			s.hunks[c.Path] = hunks
			return c, true, nil
		}
		s.log.Debug("unreadable patch: reviewing the file as wholly changed", "path", c.Path, "err", err)
	}
	// No patch: GitHub shows no diff, so findings here become annotations.
	if !strings.HasSuffix(c.Path, ".py") {
		c.Binary, c.Lines = true, nil
		return c, true, nil
	}
	if f.GetChanges() == 0 && f.Patch == nil && c.Status == review.Renamed {
		c.Lines = map[int]bool{} // a pure rename changes no line
		return c, true, nil
	}
	return s.wholeFile(ctx, c)
}

// wholeFile reviews a changed .py file as wholly changed, with no diff
// to comment on (findings become annotations): one without a patch, or a
// symbolic link, whose patch is of the link's target path while Python
// reads the file it leads to.
func (s *prSource) wholeFile(ctx context.Context, c review.ChangedFile) (review.ChangedFile, bool, error) {
	delete(s.hunks, c.Path)
	b, err := s.ReadFile(ctx, c.Path)
	switch {
	case err != nil && review.SkipReason(err) != "":
		s.log.Debug("changed file not read", "path", c.Path, "err", err)
		c.Binary, c.Lines, c.Skipped = true, nil, review.SkipReason(err)
		return c, true, nil
	case err != nil:
		return c, false, fmt.Errorf("read %s: %w", c.Path, err)
	case bytes.IndexByte(b, 0) >= 0:
		c.Binary = true
		return c, true, nil
	}
	if b, _, c.Skipped = review.DecodeSource(b); c.Skipped != "" {
		c.Binary, c.Lines = true, nil
		return c, true, nil
	}
	c.Lines = map[int]bool{}
	for i := range len(srclines.Lines(b)) {
		c.Lines[i+1] = true
	}
	return c, true, nil
}

// inDiff reports whether lines start..end of path lie in one hunk of the
// diff, where GitHub accepts a review comment on them.
func (s *prSource) inDiff(path string, start, end int) bool {
	for _, h := range s.hunks[path] {
		if start >= h.Start && end <= h.End {
			return true
		}
	}
	return false
}

// loadTree lists the head tree once.
func (s *prSource) loadTree(ctx context.Context) (map[string]*github.TreeEntry, error) {
	s.treeOnce.Do(func() {
		tree, _, err := call(ctx, func(ctx context.Context) (*github.Tree, *github.Response, error) {
			return s.gh.Git.GetTree(ctx, s.owner, s.repo, s.headSHA, true)
		})
		if err != nil {
			s.treeErr = fmt.Errorf("list head tree: %w", err)
			return
		}
		if tree.GetTruncated() {
			// Over GitHub's 100,000 entries: review with what was listed.
			s.log.Warn("head tree listing truncated by GitHub; context files beyond it are not read")
		}
		s.tree = make(map[string]*github.TreeEntry, len(tree.Entries))
		for _, e := range tree.Entries {
			s.tree[e.GetPath()] = e
		}
	})
	return s.tree, s.treeErr
}

func regularEntry(e *github.TreeEntry) bool {
	return e.GetType() == "blob" && review.IsRegularFileMode(e.GetMode())
}

// symlinkMode is git's mode of a symbolic link, whose blob is its target.
const symlinkMode = "120000"

func linkEntry(e *github.TreeEntry) bool { return e.GetType() == "blob" && e.GetMode() == symlinkMode }

// maxLinkHops bounds the symbolic links followed from one path, as the
// kernel's does (ELOOP).
const maxLinkHops = 8

// isLink reports whether p is a symbolic link at head.
func (s *prSource) isLink(ctx context.Context, p string) (bool, error) {
	tree, err := s.loadTree(ctx)
	if err != nil {
		return false, err
	}
	return linkEntry(tree[p]), nil
}

// Files lists the regular files of the head tree, and the .py symbolic
// links: Python imports a module through a link as from the file it leads
// to (ReadFile follows it).
func (s *prSource) Files(ctx context.Context) ([]string, error) {
	tree, err := s.loadTree(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(tree))
	for p, e := range tree {
		if regularEntry(e) || (linkEntry(e) && strings.HasSuffix(p, ".py")) {
			out = append(out, p)
		}
	}
	return out, nil
}

// resolve follows symbolic links from p to a regular file of the tree,
// reading each link's target (a request each). A link out of the
// repository, to nothing, or in a loop is a *review.SkipError.
func (s *prSource) resolve(ctx context.Context, tree map[string]*github.TreeEntry, p string) (*github.TreeEntry, error) {
	at, e := p, tree[p]
	for hops := 0; linkEntry(e); hops++ {
		if hops == maxLinkHops {
			return nil, &review.SkipError{Path: p, Reason: "symbolic link: too many levels of links"}
		}
		target, _, err := call(ctx, func(ctx context.Context) ([]byte, *github.Response, error) {
			return s.gh.Git.GetBlobRaw(ctx, s.owner, s.repo, e.GetSHA())
		})
		if err != nil {
			return nil, fmt.Errorf("read the symbolic link %s: %w", at, err)
		}
		next := path.Join(path.Dir(at), string(target))
		if path.IsAbs(string(target)) || next == ".." || strings.HasPrefix(next, "../") {
			return nil, &review.SkipError{Path: p, Reason: fmt.Sprintf("symbolic link to %s, outside the repository", target)}
		}
		at, e = next, tree[next]
		if e == nil {
			return nil, &review.SkipError{Path: p, Reason: fmt.Sprintf("symbolic link to %s, which is not in the head tree", next)}
		}
	}
	return e, nil
}

// ReadFile fetches a file's blob at head, following symbolic links within
// the repository. Files over review.MaxFileSize are not fetched
// (review.ErrTooLarge); submodules are review.ErrNotRegular.
func (s *prSource) ReadFile(ctx context.Context, p string) ([]byte, error) {
	s.cacheMu.Lock()
	b, ok := s.cache[p]
	s.cacheMu.Unlock()
	if ok {
		return b, nil
	}
	tree, err := s.loadTree(ctx)
	if err != nil {
		return nil, err
	}
	if _, ok := tree[path.Clean(p)]; !ok {
		return nil, fmt.Errorf("%s at %s: %w", p, shortSHA(s.headSHA), fs.ErrNotExist)
	}
	e, err := s.resolve(ctx, tree, path.Clean(p))
	if err != nil {
		return nil, err
	}
	switch {
	case !regularEntry(e):
		return nil, fmt.Errorf("%s: %w", p, review.ErrNotRegular)
	case e.GetSize() > review.MaxFileSize:
		return nil, fmt.Errorf("%s (%d bytes): %w", p, e.GetSize(), review.ErrTooLarge)
	}
	b, _, err = call(ctx, func(ctx context.Context) ([]byte, *github.Response, error) {
		return s.gh.Git.GetBlobRaw(ctx, s.owner, s.repo, e.GetSHA())
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", p, err)
	}
	s.reads.Add(1)
	s.cacheMu.Lock()
	s.cache[p] = b
	s.cacheMu.Unlock()
	return b, nil
}

// ReadBaseFile fetches a file as it was at the base commit, through the
// contents API (one request; the review asks only for edited migrations
// and files it compares with their past).
func (s *prSource) ReadBaseFile(ctx context.Context, p string) ([]byte, error) {
	if s.baseSHA == "" {
		return nil, fmt.Errorf("%s at base: the base commit is unknown", p)
	}
	b, err := readContents(ctx, s.gh, s.owner, s.repo, p, s.baseSHA)
	if err != nil {
		return nil, fmt.Errorf("%s at base: %w", p, err)
	}
	s.reads.Add(1)
	return b, nil
}

// readContents reads one file at ref through the contents API. It fails
// with the API's error (statusOf tells a 404), review.ErrNotRegular for a
// directory, or a *tooLargeError wrapping review.ErrTooLarge for a file
// the API leaves out (over 1 MB).
func readContents(ctx context.Context, gh *github.Client, owner, repo, p, ref string) ([]byte, error) {
	file, _, err := call(ctx, func(ctx context.Context) (*github.RepositoryContent, *github.Response, error) {
		f, _, resp, err := gh.Repositories.GetContents(ctx, owner, repo, p, &github.RepositoryContentGetOptions{Ref: ref})
		return f, resp, err
	})
	if err != nil {
		return nil, err
	}
	switch {
	case file == nil:
		return nil, review.ErrNotRegular // a directory
	case file.GetType() == "symlink":
		// The API follows a link to a file of the repository; this one
		// leads elsewhere.
		return nil, &review.SkipError{Path: p, Reason: "symbolic link to " + file.GetTarget() + ", not a file of the repository"}
	case file.GetEncoding() == "none":
		// "Between 1-100 MB: [...] the content field will be an empty
		// string and the encoding field will be "none"."
		return nil, &tooLargeError{size: file.GetSize()}
	}
	text, err := file.GetContent()
	if err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if text == "" && file.GetSize() > 0 {
		return nil, &tooLargeError{size: file.GetSize()}
	}
	return []byte(text), nil
}

// tooLargeError is a file the contents API did not return for its size.
type tooLargeError struct{ size int }

func (e *tooLargeError) Error() string {
	return fmt.Sprintf("%d bytes: %v", e.size, review.ErrTooLarge)
}
func (e *tooLargeError) Unwrap() error { return review.ErrTooLarge }

// ReadFiles reads paths, a few at a time.
func (s *prSource) ReadFiles(ctx context.Context, paths []string) ([]review.FileContent, error) {
	out := make([]review.FileContent, len(paths))
	sem := make(chan struct{}, maxConcurrentReads)
	var wg sync.WaitGroup
	for i, p := range paths {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return nil, ctx.Err()
		}
		wg.Go(func() {
			defer func() { <-sem }()
			out[i].Data, out[i].Err = s.ReadFile(ctx, p)
		})
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
