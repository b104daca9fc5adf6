package githubreview

import (
	"context"
	"fmt"

	"github.com/google/go-github/v60/github"
)

// maxComparedFiles: the compare API lists at most 300 changed files, all
// on its first page (compareDocs).
const (
	maxComparedFiles = 300
	compareDocs      = "https://docs.github.com/rest/commits/commits#compare-two-commits"
)

// comparedFiles lists the files that differ between a merge group's base
// and head: the diff GitHub will merge. The compare API gives every file
// (up to 300) on its first page, whatever the page size of the commits it
// also lists, so one request with a page of one commit is enough.
func (s *prSource) comparedFiles(ctx context.Context) ([]*github.CommitFile, error) {
	cmp, _, err := call(ctx, func(ctx context.Context) (*github.CommitsComparison, *github.Response, error) {
		return s.gh.Repositories.CompareCommits(ctx, s.owner, s.repo, s.baseSHA, s.headSHA, &github.ListOptions{PerPage: 1})
	})
	if err != nil {
		return nil, fmt.Errorf("compare %s...%s: %w", shortSHA(s.baseSHA), shortSHA(s.headSHA), err)
	}
	s.partial = len(cmp.Files) >= maxComparedFiles
	return cmp.Files, nil
}
