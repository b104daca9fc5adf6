// Package srclines finds the lines of source text: where the line holding
// an offset starts and ends, which bytes lines first..last span, and a text
// cut into its lines. Lines are numbered from 1 and end at "\n"; a "\r"
// before it is a CRLF line end, which Split and Lines leave out of a
// line's text. It knows nothing of Python or Django.
package srclines

import (
	"bytes"
	"strings"
)

// Split cuts s at every "\n", dropping a "\r" that ends a piece: line n
// is Split(s)[n-1]. As with strings.Split, the text after the last "\n"
// is one more line, empty when s ends with a line end.
func Split(s string) []string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = strings.TrimSuffix(l, "\r")
	}
	return lines
}

// Lines returns the lines of a file without their line ends: Split
// without the empty line after a final line end. A file that is empty or
// a single line end has no lines.
func Lines(src []byte) []string {
	s := strings.TrimSuffix(string(src), "\n")
	if s == "" {
		return nil
	}
	return Split(s)
}

// Start returns the offset of the first byte of the line that holds
// offset.
func Start[I int | uint](src []byte, offset I) I {
	return I(bytes.LastIndexByte(src[:offset], '\n') + 1)
}

// End returns the offset of the "\n" that ends the line holding offset,
// or len(src) when that line is the last and has no line end.
func End[I int | uint](src []byte, offset I) I {
	if i := bytes.IndexByte(src[offset:], '\n'); i >= 0 {
		return offset + I(i)
	}
	return I(len(src))
}

// Span returns the offset of the first byte of line first and the offset
// of the "\n" that ends line last (len(src) for a last line without one):
// src[start:end] is lines first..last without the final line end. Lines
// are counted as Split counts them. ok is false when first..last is empty
// or not all in src.
func Span(src []byte, first, last int) (start, end int, ok bool) {
	if first < 1 || last < first {
		return 0, 0, false
	}
	line := 1
	start = -1
	if first == 1 {
		start = 0
	}
	for i, b := range src {
		if b != '\n' {
			continue
		}
		if line == last {
			return start, i, start >= 0
		}
		line++
		if line == first {
			start = i + 1
		}
	}
	if line == last && start >= 0 {
		return start, len(src), true
	}
	return 0, 0, false
}

// Index holds where each line of a text starts, so that the span of any
// lines is found without counting lines from the start of the text again:
// a rule that quotes the lines of each of a file's findings stays linear
// in the file however many findings it has.
type Index struct {
	starts []int // starts[n-1] is the offset of line n
	size   int
}

// NewIndex indexes the lines of src, counted as Split counts them.
func NewIndex(src []byte) *Index {
	x := &Index{starts: []int{0}, size: len(src)}
	for i, b := range src {
		if b == '\n' {
			x.starts = append(x.starts, i+1)
		}
	}
	return x
}

// Span is Span of the indexed text.
func (x *Index) Span(first, last int) (start, end int, ok bool) {
	if first < 1 || last < first || last > len(x.starts) {
		return 0, 0, false
	}
	end = x.size
	if last < len(x.starts) {
		end = x.starts[last] - 1
	}
	return x.starts[first-1], end, true
}
