package review

import (
	"fmt"
	"strings"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
)

// ParseDiff reads a unified diff of several files, as `git diff` prints it,
// into changed files. Names keep the diff's own prefixes stripped (a/, b/);
// callers that diffed other roots map them to tree paths.
func ParseDiff(diff string) ([]ChangedFile, error) {
	files, _, err := gitdiff.Parse(strings.NewReader(diff))
	if err != nil {
		return nil, fmt.Errorf("parse diff: %w", err)
	}
	out := make([]ChangedFile, 0, len(files))
	for _, f := range files {
		out = append(out, changedFile(f))
	}
	return out, nil
}

func changedFile(f *gitdiff.File) ChangedFile {
	c := ChangedFile{Path: f.NewName, OldPath: f.OldName, Binary: f.IsBinary}
	switch {
	case f.IsNew || f.IsCopy:
		c.Status, c.OldPath = Added, ""
	case f.IsDelete:
		c.Status, c.Path = Deleted, f.OldName
	case f.IsRename:
		c.Status = Renamed
	default:
		c.Status = Modified
	}
	if c.Status != Deleted && !c.Binary {
		c.Lines, c.Removed = headLines(f.TextFragments)
	}
	return c
}

// headLines returns the head-side numbers of the lines the fragments add,
// and of the lines that follow a run of deleted lines that nothing replaced
// (see ChangedFile.Removed).
func headLines(frags []*gitdiff.TextFragment) (added, removed map[int]bool) {
	added = map[int]bool{}
	mark := func(n int) {
		if removed == nil {
			removed = map[int]bool{}
		}
		removed[n] = true
	}
	for _, frag := range frags {
		n := int(frag.NewPosition)
		if frag.NewLines == 0 {
			// A hunk that only deletes is numbered by the line before it.
			n++
		}
		deleting := false
		for _, l := range frag.Lines {
			if deleting && l.Op == gitdiff.OpContext {
				mark(n)
			}
			deleting = l.Op == gitdiff.OpDelete
			switch l.Op {
			case gitdiff.OpAdd:
				added[n] = true
				n++
			case gitdiff.OpContext:
				n++
			}
		}
		if deleting {
			mark(n)
		}
	}
	return added, removed
}

// ParsePatch reads the hunks of one file (a GitHub pull-request file's
// "patch": hunks without file headers) into its changed head-side lines:
// those added, and those that follow deleted lines (ChangedFile.Removed).
// path is used only in errors.
func ParsePatch(path, patch string) (added, removed map[int]bool, err error) {
	if strings.TrimSpace(patch) == "" {
		return map[int]bool{}, nil, nil
	}
	if !strings.HasSuffix(patch, "\n") {
		patch += "\n"
	}
	// A traditional header lets the parser take the hunks as one file; the
	// names are placeholders.
	files, _, err := gitdiff.Parse(strings.NewReader("--- a/f\n+++ b/f\n" + patch))
	if err != nil {
		return nil, nil, fmt.Errorf("parse patch of %s: %w", path, err)
	}
	if len(files) != 1 {
		return nil, nil, fmt.Errorf("parse patch of %s: want hunks of one file, got %d files", path, len(files))
	}
	added, removed = headLines(files[0].TextFragments)
	return added, removed, nil
}
