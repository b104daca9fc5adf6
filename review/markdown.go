package review

import (
	"cmp"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/djintegrity/djintegrity/rules"
)

// markdownWriter writes the review as the GitHub bot posts it: the summary
// table of the check run, then each finding's comment body under its
// location.
type markdownWriter struct{ W io.Writer }

// Publish implements Writer.
func (m markdownWriter) Publish(_ context.Context, r *Result) error {
	var b strings.Builder
	b.WriteString("## djintegrity\n\n")
	b.WriteString(SummaryTable(r.Findings))
	b.WriteString(SkippedList(r.Skipped))
	b.WriteString(UnreviewedList(r.Unreviewed))
	b.WriteString(LimitsList(r.Limits))
	for _, f := range r.Findings {
		lines := fmt.Sprintf("line %d", f.StartLine)
		if f.EndLine > f.StartLine {
			lines = fmt.Sprintf("lines %d-%d", f.StartLine, f.EndLine)
		}
		fmt.Fprintf(&b, "\n### `%s` %s\n\n", f.Path, lines)
		b.WriteString(CommentBody(f))
	}
	if _, err := io.WriteString(m.W, b.String()); err != nil {
		return fmt.Errorf("write markdown: %w", err)
	}
	return nil
}

// SkippedList is the Markdown list of the Python files the review could
// not read, or "" when it read them all.
func SkippedList(skipped []SkippedFile) string {
	items := make([]string, len(skipped))
	for i, sk := range skipped {
		items[i] = fmt.Sprintf("`%s`: %s", sk.Path, SkipNote(sk))
	}
	return markdownList("Python files not read", items)
}

// UnreviewedList is the Markdown list of the changed Python files that no
// rule reports on, and why, or "" when there are none.
func UnreviewedList(unreviewed []SkippedFile) string {
	items := make([]string, len(unreviewed))
	for i, u := range unreviewed {
		items[i] = fmt.Sprintf("`%s`: %s", u.Path, u.Reason)
	}
	return markdownList("Changed Python files not reviewed", items)
}

// LimitsList is the Markdown list of what the review did not do that the
// change called for, or "" when it did all of it.
func LimitsList(limits []string) string { return markdownList("Not done", limits) }

// markdownList is a bold heading and a bullet list of items, or "" when
// there are none.
func markdownList(heading string, items []string) string {
	if len(items) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n**%s:**\n\n", heading)
	for _, it := range items {
		fmt.Fprintf(&b, "- %s\n", it)
	}
	return b.String()
}

// fingerprintMarker prefixes the hidden marker by which a later run knows
// a comment it already posted.
const fingerprintMarker = "<!-- djintegrity:fingerprint="

// CommentBody is the body of a finding's review comment: the message, the
// suggestion block when there is one, and a hidden fingerprint marker.
func CommentBody(f rules.Finding) string {
	var b strings.Builder
	fmt.Fprintf(&b, "**%s** `%s`: %s\n", severityLabel(f.Severity), f.Rule, strings.TrimRight(f.Message, "\n"))
	if f.Suggestion != nil {
		fence := "```"
		for strings.Contains(*f.Suggestion, fence) {
			fence += "`"
		}
		fmt.Fprintf(&b, "\n%ssuggestion\n%s\n%s\n", fence, *f.Suggestion, fence)
	}
	fmt.Fprintf(&b, "\n%s%s -->\n", fingerprintMarker, f.Fingerprint)
	return b.String()
}

// FingerprintOf returns the fingerprint in a comment body written by
// CommentBody, or "".
func FingerprintOf(body string) string {
	_, rest, ok := strings.Cut(body, fingerprintMarker)
	if !ok {
		return ""
	}
	fp, _, ok := strings.Cut(rest, " -->")
	if !ok {
		return ""
	}
	return fp
}

func severityLabel(s rules.Severity) string {
	n := s.String()
	return strings.ToUpper(n[:1]) + n[1:]
}

// SummaryTable is a Markdown table of findings by rule: count and
// severity, most severe first.
func SummaryTable(findings []rules.Finding) string {
	if len(findings) == 0 {
		return "No database-integrity hazards found on the changed lines.\n"
	}
	type row struct {
		rule  string
		sev   rules.Severity
		count int
	}
	idx := map[[2]string]int{}
	var rows []row
	for _, f := range findings {
		k := [2]string{f.Rule, f.Severity.String()}
		i, ok := idx[k]
		if !ok {
			i = len(rows)
			idx[k] = i
			rows = append(rows, row{rule: f.Rule, sev: f.Severity})
		}
		rows[i].count++
	}
	slices.SortFunc(rows, func(a, b row) int {
		return cmp.Or(cmp.Compare(b.sev, a.sev), cmp.Compare(a.rule, b.rule))
	})
	var b strings.Builder
	b.WriteString("| Rule | Count | Severity |\n| --- | ---: | --- |\n")
	for _, r := range rows {
		fmt.Fprintf(&b, "| `%s` | %d | %s |\n", r.rule, r.count, r.sev)
	}
	return b.String()
}
