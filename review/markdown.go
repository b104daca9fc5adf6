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
// table of the check run, then each comment (the findings that share
// lines, merged) under its location.
type markdownWriter struct{ W io.Writer }

// Publish implements Writer.
func (m markdownWriter) Publish(_ context.Context, r *Result) error {
	var b strings.Builder
	b.WriteString("## djintegrity\n\n")
	b.WriteString(SummaryTable(r.Findings))
	b.WriteString(SkippedList(r.Skipped))
	b.WriteString(UnreviewedList(r.Unreviewed))
	b.WriteString(AcknowledgedList(r.Acknowledged))
	b.WriteString(NoticeList(r.Notices))
	b.WriteString(LimitsList(r.Limits))
	for _, c := range Comments(r.Findings, r.Sources) {
		lines := fmt.Sprintf("line %d", c.StartLine)
		if c.EndLine > c.StartLine {
			lines = fmt.Sprintf("lines %d-%d", c.StartLine, c.EndLine)
		}
		var links []string
		for _, f := range c.Findings {
			if l := fmt.Sprintf("[%s](%s)", f.Rule, RuleURL(f.Rule)); !slices.Contains(links, l) {
				links = append(links, l)
			}
		}
		fmt.Fprintf(&b, "\n### `%s` %s · %s\n\n", c.Path, lines, strings.Join(links, " · "))
		b.WriteString(c.Body())
	}
	if _, err := io.WriteString(m.W, b.String()); err != nil {
		return fmt.Errorf("write markdown: %w", err)
	}
	return nil
}

// SkippedList is the Markdown list of the Python files the review could
// not read, or "" when it read them all.
func SkippedList(skipped []SkippedFile) string {
	return markdownList("Python files not read:", skipped, func(sk SkippedFile) string {
		return fmt.Sprintf("`%s`: %s", sk.Path, SkipNote(sk))
	})
}

// AcknowledgedList is the Markdown list of the findings ignore comments
// waved through, with their reasons, or "".
func AcknowledgedList(acked []Acknowledged) string {
	return markdownList("Acknowledged by ignore comments:", acked, func(a Acknowledged) string {
		return fmt.Sprintf("`%s` at `%s` line %d: %s", a.Rule, a.Path, a.StartLine, AckReason(a))
	})
}

// NoticeList is the Markdown list of the notices on ignore comments, or "".
func NoticeList(notices []Notice) string {
	return markdownList("Ignore comments to fix:", notices, func(n Notice) string {
		return fmt.Sprintf("`%s` line %d: %s", n.Path, n.Line, n.Message)
	})
}

// markdownList is a titled Markdown list of items, or "" when there are
// none.
func markdownList[T any](title string, items []T, item func(T) string) string {
	if len(items) == 0 {
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\n**%s**\n\n", title)
	for _, it := range items {
		fmt.Fprintf(&b, "- %s\n", item(it))
	}
	return b.String()
}

// UnreviewedList is the Markdown list of the changed Python files that no
// rule reports on, and why, or "" when there are none.
func UnreviewedList(unreviewed []SkippedFile) string {
	return markdownList("Changed Python files not reviewed:", unreviewed, func(u SkippedFile) string {
		return fmt.Sprintf("`%s`: %s", u.Path, u.Reason)
	})
}

// LimitsList is the Markdown list of what the review did not do that the
// change called for, or "" when it did all of it.
func LimitsList(limits []string) string {
	return markdownList("Not done:", limits, func(l string) string { return l })
}

// fingerprintMarker prefixes the hidden marker by which a later run knows
// a comment it already posted.
const fingerprintMarker = "<!-- djintegrity:fingerprint="

// CommentBody is the body of a finding's review comment when no other
// finding shares its lines: the message, the suggestion block when there
// is one, and a hidden fingerprint marker.
func CommentBody(f rules.Finding) string {
	return Comments([]rules.Finding{f}, nil)[0].Body()
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
