package githubtest

import (
	"net/http"
	"strings"

	"github.com/google/go-github/v60/github"
)

// maxComparedFiles: the compare API lists at most 300 files.
const maxComparedFiles = 300

// AddCommit stores a commit of tree whose parent is parent, as a merge
// queue's group is a commit on top of its base branch, and returns its
// sha. Check runs can then be created on it and the compare API compares
// it.
func (s *Server) AddCommit(tree Tree, parent string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addCommit(tree, parent)
}

// commitFiles is the JSON of files as the files and compare APIs list
// them; s.mu held.
func (s *Server) commitFiles(fs []prFile, head string) []*github.CommitFile {
	out := make([]*github.CommitFile, len(fs))
	for i, f := range fs {
		cf := &github.CommitFile{
			Filename: github.String(f.path), Status: github.String(f.status),
			Additions: github.Int(f.additions), Deletions: github.Int(f.deletions),
			Changes: github.Int(f.additions + f.deletions),
		}
		if c, ok := s.commits[head][f.path]; ok {
			cf.SHA = github.String(BlobSHA(blobOf(c)))
		}
		if f.hasPatch && !s.omitPatch[f.path] {
			cf.Patch = github.String(f.patch)
		}
		out[i] = cf
	}
	return out
}

// compare answers GET /repos/{owner}/{repo}/compare/{base}...{head}: the
// files on the first page (up to 300), as GitHub lists them whatever the
// page; s.mu held.
func (s *Server) compare(w http.ResponseWriter, basehead string) {
	b, h, ok := strings.Cut(basehead, "...")
	base, okBase := s.resolve(b)
	head, okHead := s.resolve(h)
	if !ok || !okBase || !okHead {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	files := s.commitFiles(diffTrees(s.t, s.commits[base], s.commits[head]), head)
	if len(files) > maxComparedFiles {
		files = files[:maxComparedFiles]
	}
	writeJSON(w, http.StatusOK, &github.CommitsComparison{
		BaseCommit: &github.RepositoryCommit{SHA: github.String(base)},
		Status:     github.String("ahead"), AheadBy: github.Int(1), BehindBy: github.Int(0), TotalCommits: github.Int(1),
		Files: files,
	})
}
