// Package review is the analysis pipeline: Analyze reads a change from a
// Source (this package has sources for two git revisions, a revision and
// the working tree or the index, and two directory trees), indexes the part of the head
// tree the rules need, runs the rules, keeps the findings on changed lines,
// applies the configuration, suppression comments and suggestion checks,
// and sets fingerprints; the writers print the result as text, JSON, SARIF
// or Markdown. It knows nothing of Django beyond the rules package's API,
// and nothing of GitHub's API: package githubreview reads pull requests
// and publishes reviews.
package review

import (
	"context"
	"errors"
	"fmt"
)

// Source is the change under review.
type Source interface {
	// Changed lists the files the change touches.
	Changed(ctx context.Context) ([]ChangedFile, error)
	// ReadFile returns the content of path at head. It fails with an error
	// wrapping ErrNotRegular for symlinks, submodules and directories.
	ReadFile(ctx context.Context, path string) ([]byte, error)
	// Files lists every regular file at head (the context of the review).
	Files(ctx context.Context) ([]string, error)
}

// ErrNotRegular is returned by ReadFile for a path that is not a regular
// file (a symlink, a submodule, a directory).
var ErrNotRegular = errors.New("not a regular file")

// SkipError is a file a source does not read, for a reason it states (a
// symbolic link out of the repository): the review lists the file with
// that reason.
type SkipError struct {
	Path, Reason string
}

func (e *SkipError) Error() string { return e.Path + ": " + e.Reason }

// ErrTooLarge is returned by BatchReader for a file over MaxFileSize,
// which it does not load.
var ErrTooLarge = errors.New("file too large")

// errMissingObject is the git source's error for a file whose blob the
// repository lacks (a partial clone, a snapshot without its largest
// files): the review reads on without it, as it does without a file over
// MaxFileSize.
var errMissingObject = errors.New("object missing from the repository")

// BatchReader is implemented by sources that read many files at once more
// cheaply than one by one. Analyze uses it when present.
type BatchReader interface {
	// ReadFiles returns the content of each path at head, with the error
	// ReadFile would give it; the error return is for the whole batch.
	ReadFiles(ctx context.Context, paths []string) ([]FileContent, error)
}

// BaseReader is implemented by sources that can read a file as it was
// before the change. Analyze reads only the few files the rules compare
// with their past (rules.Pass.BaseFile); without it, those rules stay
// silent on edited files.
type BaseReader interface {
	// ReadBaseFile returns the content of path (a path at base) before the
	// change.
	ReadBaseFile(ctx context.Context, path string) ([]byte, error)
}

// Searcher is implemented by sources that can find the files of the head
// tree that contain a byte string without a request per file: local trees,
// or one archive of the head. Analyze looks through it, and only through
// it, for the unchanged code a model change breaks (rules.ImpactSearch);
// without it that search is not made, and the result says so
// (Result.Limits).
type Searcher interface {
	// SearchFiles returns the text at head of the files among paths
	// that contain at least one of needles as a word (no letter, digit
	// or underscore on either side), by path, as SearchMatch gives it:
	// read as Python reads it (DecodeSource). Files that cannot be read
	// as text (binary, over MaxFileSize, in no encoding Python would
	// accept, not regular) are left out.
	SearchFiles(ctx context.Context, paths []string, needles []string) (map[string][]byte, error)
}

// ErrCannotSearch is wrapped by a Searcher's error when the search cannot
// be made within its limits (an archive too large): the review goes on
// without it and says so, as for a source that cannot search at all.
var ErrCannotSearch = errors.New("cannot search the head tree")

// FileContent is the content of one file read by a BatchReader.
type FileContent struct {
	Data []byte
	Err  error
}

// Status says what the change did to a file.
type Status int

// The statuses of a changed file.
const (
	Added Status = iota + 1
	Modified
	Renamed
	Deleted
)

var statusNames = map[Status]string{Added: "added", Modified: "modified", Renamed: "renamed", Deleted: "deleted"}

func (s Status) String() string {
	if n, ok := statusNames[s]; ok {
		return n
	}
	return fmt.Sprintf("status(%d)", int(s))
}

// ChangedFile is one file of the change.
type ChangedFile struct {
	Path    string // slash path at head; for Deleted, the path at base
	OldPath string // path at base; differs from Path when Renamed, "" when Added
	Status  Status
	Binary  bool
	// Skipped says why a Binary file was not read, when the source knows
	// better than "binary" (too large, a symlink that leads nowhere).
	Skipped string
	// Lines are the changed (added or replaced) lines on the head side,
	// 1-based; for Added files every line. Nil for Binary and Deleted files.
	Lines map[int]bool
	// Removed marks, for each block of changed lines that deletes more code
	// lines (not blank, not a comment) than it adds, the head line that now
	// follows it (past the last line when the block ended the file).
	Removed map[int]bool
}
