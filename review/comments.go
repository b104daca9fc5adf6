package review

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/djintegrity/djintegrity/internal/srclines"
	"github.com/djintegrity/djintegrity/rules"
)

// Comment is one inline review comment: the findings of one file whose
// line ranges overlap, merged so that a statement gets one comment, which
// names every rule and carries at most one suggestion. Two comments on one
// statement, each with a suggestion, are noise, and applying one
// suggestion outdates the other.
type Comment struct {
	Path               string
	StartLine, EndLine int             // the union of the findings' ranges
	Findings           []rules.Finding // most severe first
	// Suggestion replaces StartLine..EndLine; nil when no finding has one.
	Suggestion *string
	// Offered is the index in Findings of the finding whose suggestion is
	// offered, -1 when none is.
	Offered int
	// Imports are the imports the offered suggestion needs that the file
	// lacks.
	Imports []string
	// ImportsLine is the line of the comment that offers Imports as a
	// suggestion of its own (ImportComments), 0 when there is none: the
	// body then says which imports to add by hand.
	ImportsLine int

	// importsFor and importKeys are set on a comment of ImportComments: the
	// lines of the comments whose imports it adds, and its markers.
	importsFor []int
	importKeys []string
}

// Comments merges findings (of one review, on diff lines) into comments:
// findings of one file whose ranges overlap, directly or through another,
// share one. srcs holds the head content of their files (Result.Sources),
// to widen a suggestion to the comment's range. Comments are sorted by
// line within each file, the files in the order of findings.
func Comments(findings []rules.Finding, srcs map[string][]byte) []Comment {
	// Files keep the order they have in findings (rules.SortFindings').
	order := map[string]int{}
	for _, f := range findings {
		if _, ok := order[f.Path]; !ok {
			order[f.Path] = len(order)
		}
	}
	sorted := slices.Clone(findings)
	slices.SortStableFunc(sorted, func(a, b rules.Finding) int {
		return cmp.Or(cmp.Compare(order[a.Path], order[b.Path]), cmp.Compare(a.StartLine, b.StartLine), cmp.Compare(a.EndLine, b.EndLine))
	})
	var out []Comment
	for _, f := range sorted {
		if n := len(out); n > 0 && out[n-1].Path == f.Path && f.StartLine <= out[n-1].EndLine {
			c := &out[n-1]
			c.EndLine = max(c.EndLine, f.EndLine)
			c.Findings = append(c.Findings, f)
			continue
		}
		out = append(out, Comment{Path: f.Path, StartLine: f.StartLine, EndLine: f.EndLine, Findings: []rules.Finding{f}})
	}
	for i := range out {
		out[i].finish(srcs[out[i].Path])
	}
	return out
}

// finish orders the comment's findings, most severe first, and picks the
// suggestion that fixes the most: the one whose range covers the most of
// the comment's findings, then the most severe finding's, then the widest.
func (c *Comment) finish(src []byte) {
	slices.SortStableFunc(c.Findings, func(a, b rules.Finding) int { return cmp.Compare(b.Severity, a.Severity) })
	c.Offered = -1
	best := 0
	for i, f := range c.Findings {
		if f.Suggestion == nil {
			continue
		}
		covered := 0
		for _, g := range c.Findings {
			if g.StartLine >= f.StartLine && g.EndLine <= f.EndLine {
				covered++
			}
		}
		if c.Offered < 0 || covered > best || covered == best && f.Severity == c.Findings[c.Offered].Severity && span(f) > span(c.Findings[c.Offered]) {
			c.Offered, best = i, covered
		}
	}
	if c.Offered < 0 {
		return
	}
	f := c.Findings[c.Offered]
	c.Imports = f.Imports
	if f.StartLine == c.StartLine && f.EndLine == c.EndLine {
		c.Suggestion = f.Suggestion
		return
	}
	// A suggestion replaces exactly the commented lines: the lines of the
	// comment outside the finding's range are kept as they are.
	lines := srclines.Split(string(src))
	if c.EndLine > len(lines) {
		c.Offered, c.Imports = -1, nil // the file is not known: every fix is described
		return
	}
	var b strings.Builder
	for _, l := range lines[c.StartLine-1 : f.StartLine-1] {
		b.WriteString(l + "\n")
	}
	b.WriteString(*f.Suggestion)
	for _, l := range lines[f.EndLine:c.EndLine] {
		b.WriteString("\n" + l)
	}
	s := b.String()
	c.Suggestion = &s
}

func span(f rules.Finding) int { return f.EndLine - f.StartLine }

// Fingerprints are the fingerprints of the comment's findings (of a
// comment of ImportComments, the ImportsKey of each finding whose imports
// it adds).
func (c Comment) Fingerprints() []string {
	if c.importKeys != nil {
		return c.importKeys
	}
	out := make([]string, len(c.Findings))
	for i, f := range c.Findings {
		out[i] = f.Fingerprint
	}
	return out
}

// Body is the comment's Markdown: each finding's rule and message, the
// fixes not offered as the suggestion described in words and code, the
// suggestion block, and a hidden fingerprint marker per finding, by which
// a later run knows each finding it already commented.
func (c Comment) Body() string {
	if c.importKeys != nil {
		return c.importsBody()
	}
	var b strings.Builder
	for i, f := range c.Findings {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "**%s** `%s`: %s\n", severityLabel(f.Severity), f.Rule, strings.TrimRight(f.Message, "\n"))
		if f.Suggestion != nil && i != c.Offered {
			lines := fmt.Sprintf("line %d", f.StartLine)
			if f.EndLine > f.StartLine {
				lines = fmt.Sprintf("lines %d-%d", f.StartLine, f.EndLine)
			}
			fence := fenceFor(*f.Suggestion)
			fmt.Fprintf(&b, "\nIts own fix, not offered as the suggestion (one per comment), replaces %s with:\n\n%spython\n%s\n%s\n",
				lines, fence, *f.Suggestion, fence)
		}
	}
	if c.Suggestion != nil && len(c.Imports) > 0 {
		imports := "`" + strings.Join(c.Imports, "` and `") + "`"
		if c.ImportsLine > 0 {
			fmt.Fprintf(&b, "\nThe suggestion needs %s: the suggestion on line %d adds it; commit both.\n", imports, c.ImportsLine)
		} else {
			fmt.Fprintf(&b, "\nBefore committing the suggestion, add %s to the file's imports, or the code it adds raises NameError.\n", imports)
		}
	}
	if c.Suggestion != nil {
		fence := fenceFor(*c.Suggestion)
		fmt.Fprintf(&b, "\n%ssuggestion\n%s\n%s\n", fence, *c.Suggestion, fence)
	}
	b.WriteString("\n")
	for _, f := range c.Findings {
		fmt.Fprintf(&b, "%s%s -->\n", fingerprintMarker, f.Fingerprint)
	}
	return b.String()
}

// fenceFor is a code fence longer than any run of backticks in s.
func fenceFor(s string) string {
	fence := "```"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	return fence
}

// FingerprintsOf returns every fingerprint in a comment body written by
// Comment.Body (or CommentBody), in order.
func FingerprintsOf(body string) []string {
	var out []string
	for {
		_, rest, ok := strings.Cut(body, fingerprintMarker)
		if !ok {
			return out
		}
		fp, after, ok := strings.Cut(rest, " -->")
		if !ok {
			return out
		}
		out = append(out, fp)
		body = after
	}
}
