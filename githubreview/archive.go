package githubreview

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/djintegrity/djintegrity/review"
)

// maxArchiveBytes bounds the download of the head's archive: a repository
// whose gzipped tarball is larger is not searched (the review says so).
// Django projects of thousands of modules weigh a few tens of MB.
const maxArchiveBytes = 256 << 20

var _ review.Searcher = (*prSource)(nil)

// SearchFiles implements review.Searcher with one archive of the head: the
// tarball endpoint answers with a redirect to the archive (one request),
// which is downloaded without the API's credentials (the URL carries its
// own) and read as a stream, keeping only the files among paths that
// contain a needle. An archive that cannot be had (GitHub refuses it, it
// is over maxArchiveBytes) is an error wrapping review.ErrCannotSearch:
// the review goes on without the search and says so, rather than fail
// whole for it.
func (s *prSource) SearchFiles(ctx context.Context, paths, needles []string) (map[string][]byte, error) {
	cannot := func(format string, args ...any) error {
		if err := ctx.Err(); err != nil {
			return err
		}
		return fmt.Errorf("%w: %s", review.ErrCannotSearch, fmt.Sprintf(format, args...))
	}
	if s.download == nil {
		return nil, cannot("no client to download the archive")
	}
	link, _, err := call(ctx, func(ctx context.Context) (*url.URL, *github.Response, error) {
		return s.gh.Repositories.GetArchiveLink(ctx, s.owner, s.repo, github.Tarball, &github.RepositoryContentGetOptions{Ref: s.headSHA}, 0)
	})
	if err != nil {
		return nil, cannot("archive link of %s: %v", shortSHA(s.headSHA), err)
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, link.String(), nil)
	if err != nil {
		return nil, cannot("archive of %s: %v", shortSHA(s.headSHA), err)
	}
	resp, err := s.download.Do(req)
	if err != nil {
		return nil, cannot("download the archive of %s: %v", shortSHA(s.headSHA), err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, cannot("download the archive of %s: %s", shortSHA(s.headSHA), resp.Status)
	}
	if resp.ContentLength > maxArchiveBytes {
		return nil, cannot("the archive of the head is %d MB, over %d MB", resp.ContentLength>>20, maxArchiveBytes>>20)
	}
	s.reads.Add(1)
	body := &countingReader{r: io.LimitReader(resp.Body, maxArchiveBytes+1)}
	found, err := searchTarball(body, paths, needles)
	if body.n > maxArchiveBytes {
		return nil, cannot("the archive of the head is over %d MB", maxArchiveBytes>>20)
	}
	if err != nil {
		return nil, cannot("read the archive of %s: %v", shortSHA(s.headSHA), err)
	}
	return found, nil
}

// searchTarball reads a gzipped tarball of a tree whose entries sit under
// one top directory, as GitHub's archives do, and returns the content of
// the regular files among paths that review.SearchMatch keeps.
func searchTarball(r io.Reader, paths, needles []string) (map[string][]byte, error) {
	want := make(map[string]bool, len(paths))
	for _, p := range paths {
		want[p] = true
	}
	zr, err := gzip.NewReader(r)
	if err != nil {
		return nil, err
	}
	defer zr.Close()
	tr := tar.NewReader(zr)
	found := map[string][]byte{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return found, nil
		}
		if err != nil {
			return nil, err
		}
		_, p, ok := strings.Cut(h.Name, "/")
		if h.Typeflag != tar.TypeReg || !ok || !want[p] || h.Size > review.MaxFileSize {
			continue
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			return nil, err
		}
		if text, ok := review.SearchMatch(b, needles); ok {
			found[p] = text
		}
	}
}

// countingReader counts the bytes read through it.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
