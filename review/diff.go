package review

import (
	"fmt"
	"strings"

	"github.com/bluekeyes/go-gitdiff/gitdiff"
)

// parseDiff reads a unified diff of several files, as `git diff` prints it,
// into changed files. Names keep the diff's own prefixes stripped (a/, b/);
// callers that diffed other roots map them to tree paths.
func parseDiff(diff string) ([]ChangedFile, error) {
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
// and of the lines that follow a block of changed lines that deletes more
// code than it adds (see ChangedFile.Removed).
func headLines(frags []*gitdiff.TextFragment) (added, removed map[int]bool) {
	added = map[int]bool{}
	for _, frag := range frags {
		n := int(frag.NewPosition)
		if frag.NewLines == 0 {
			// A hunk that only deletes is numbered by the line before it.
			n++
		}
		// Code lines deleted and added by the current block of changes.
		var deleted, adds int
		end := func() {
			if deleted > adds {
				if removed == nil {
					removed = map[int]bool{}
				}
				removed[max(n, 1)] = true
			}
			deleted, adds = 0, 0
		}
		for _, l := range frag.Lines {
			switch l.Op {
			case gitdiff.OpDelete:
				if isCode(l.Line) {
					deleted++
				}
			case gitdiff.OpAdd:
				if isCode(l.Line) {
					adds++
				}
				added[n] = true
				n++
			case gitdiff.OpContext:
				end()
				n++
			}
		}
		end()
	}
	return added, removed
}

// isCode reports whether a Python line holds more than blanks or a comment:
// deleting a comment or an empty line changes nothing below it.
func isCode(line string) bool {
	s := strings.TrimSpace(line)
	return s != "" && !strings.HasPrefix(s, "#")
}

// LineRange is lines Start..End of a file, both included.
type LineRange struct{ Start, End int }

// ParsePatch reads the hunks of one file (a GitHub pull-request file's
// "patch": hunks without file headers) into its changed head-side lines:
// those added, and those that follow deleted lines (ChangedFile.Removed);
// hunks are the head-side lines each hunk spans, where GitHub accepts a
// review comment. path is used only in errors.
func ParsePatch(path, patch string) (added, removed map[int]bool, hunks []LineRange, err error) {
	if strings.TrimSpace(patch) == "" {
		return map[int]bool{}, nil, nil, nil
	}
	if !strings.HasSuffix(patch, "\n") {
		patch += "\n"
	}
	// A traditional header lets the parser take the hunks as one file; the
	// names are placeholders.
	files, _, err := gitdiff.Parse(strings.NewReader("--- a/f\n+++ b/f\n" + patch))
	if err != nil {
		return nil, nil, nil, fmt.Errorf("parse patch of %s: %w", path, err)
	}
	if len(files) != 1 {
		return nil, nil, nil, fmt.Errorf("parse patch of %s: want hunks of one file, got %d files", path, len(files))
	}
	for _, frag := range files[0].TextFragments {
		if frag.NewLines > 0 {
			start := int(frag.NewPosition)
			hunks = append(hunks, LineRange{start, start + int(frag.NewLines) - 1})
		}
	}
	added, removed = headLines(files[0].TextFragments)
	return added, removed, hunks, nil
}
