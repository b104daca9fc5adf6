package review

import (
	"errors"
	"fmt"
	"strings"

	"github.com/djintegrity/djintegrity/rules"
	"github.com/djintegrity/djintegrity/rules/pyast"
)

// suggestionOK reports whether f's suggestion may be offered: every line it
// replaces is a changed line (GitHub applies a suggestion only to lines of
// the diff, and a review should not rewrite code the change did not touch),
// it keeps the indentation of the first replaced line, and it parses
// without an error node.
func suggestionOK(f rules.Finding, change rules.Change, lines []string) bool {
	if f.Suggestion == nil || f.StartLine < 1 || f.EndLine < f.StartLine || f.EndLine > len(lines) {
		return false
	}
	c, ok := change[f.Path]
	if !ok {
		return false
	}
	if !c.Added {
		for n := f.StartLine; n <= f.EndLine; n++ {
			if !c.Lines[n] {
				return false
			}
		}
	}
	indent := leadingSpace(lines[f.StartLine-1])
	first, _, _ := strings.Cut(*f.Suggestion, "\n")
	if leadingSpace(first) != indent {
		return false
	}
	return pyast.ValidFragment(*f.Suggestion)
}

func leadingSpace(s string) string { return s[:len(s)-len(strings.TrimLeft(s, " \t"))] }

// ApplySuggestion returns src with lines StartLine..EndLine replaced by f's
// suggestion. The line end of the replaced range (LF or CRLF, or none at
// the end of the file) is kept.
func ApplySuggestion(src []byte, f rules.Finding) ([]byte, error) {
	if f.Suggestion == nil {
		return nil, errors.New("apply suggestion: finding has no suggestion")
	}
	// Byte offsets of the start of every line.
	starts := []int{0}
	for i, b := range src {
		if b == '\n' && i+1 < len(src) {
			starts = append(starts, i+1)
		}
	}
	if len(src) == 0 || f.StartLine < 1 || f.EndLine < f.StartLine || f.EndLine > len(starts) {
		return nil, fmt.Errorf("apply suggestion: lines %d-%d outside %s (%d lines)", f.StartLine, f.EndLine, f.Path, len(starts))
	}
	from := starts[f.StartLine-1]
	to := len(src)
	if f.EndLine < len(starts) {
		to = starts[f.EndLine]
	}
	replaced := string(src[from:to])
	eol := ""
	switch {
	case strings.HasSuffix(replaced, "\r\n"):
		eol = "\r\n"
	case strings.HasSuffix(replaced, "\n"):
		eol = "\n"
	}
	repl := *f.Suggestion
	if eol == "\r\n" {
		repl = strings.ReplaceAll(strings.ReplaceAll(repl, "\r\n", "\n"), "\n", "\r\n")
	}
	out := make([]byte, 0, len(src)+len(repl))
	out = append(out, src[:from]...)
	out = append(out, repl...)
	if repl != "" { // an empty suggestion deletes the lines, as on GitHub
		out = append(out, eol...)
	}
	out = append(out, src[to:]...)
	return out, nil
}
