package review

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/djintegrity/djintegrity/internal/srclines"
	"github.com/djintegrity/djintegrity/rules"
)

// textWriter prints findings as a compiler does: `path:line: severity:
// message [rule]`, further message lines indented, then the suggested
// replacement as a small diff.
type textWriter struct{ W io.Writer }

// Publish implements Writer.
func (t textWriter) Publish(_ context.Context, r *Result) error {
	w := bufio.NewWriter(t.W)
	for _, f := range r.Findings {
		msg := strings.Split(strings.TrimRight(f.Message, "\n"), "\n")
		fmt.Fprintf(w, "%s:%d: %s: %s [%s]\n", f.Path, f.StartLine, f.Severity, msg[0], f.Rule)
		for _, l := range msg[1:] {
			writeIndented(w, "    ", l)
		}
		writeIndented(w, "    see ", RuleURL(f.Rule))
		if f.Suggestion != nil {
			fmt.Fprintf(w, "    suggested change (lines %d-%d):\n", f.StartLine, f.EndLine)
			for _, l := range flaggedLines(r, f) {
				writeIndented(w, "    -", l)
			}
			for _, l := range strings.Split(*f.Suggestion, "\n") {
				writeIndented(w, "    +", l)
			}
			for _, imp := range f.Imports {
				writeIndented(w, "    and add to the imports: ", imp)
			}
		}
		// Each related place as a compiler's note, which editors jump to.
		for _, l := range f.Related {
			fmt.Fprintf(w, "%s:%d: note: %s\n", l.Path, l.StartLine, l.Message)
		}
		fmt.Fprintln(w) // set a finding apart from the next
	}
	for _, sk := range r.Skipped {
		fmt.Fprintf(w, "%s: %s\n", sk.Path, SkipNote(sk))
	}
	for _, a := range r.Acknowledged {
		fmt.Fprintf(w, "%s:%d: acknowledged: %s [%s]\n", a.Path, a.StartLine, AckReason(a), a.Rule)
	}
	for _, n := range r.Notices {
		fmt.Fprintf(w, "%s:%d: ignore comment: %s\n", n.Path, n.Line, n.Message)
	}
	for _, l := range r.Limits {
		fmt.Fprintf(w, "note: %s\n", l)
	}
	fmt.Fprintln(w, summaryLine(r))
	return w.Flush()
}

// AckReason is the reason an acknowledged finding's ignore comment gives,
// or says it gives none.
func AckReason(a Acknowledged) string {
	if a.Reason == "" {
		return "(no reason given)"
	}
	return a.Reason
}

// SkipNote says what skipping a file means for the review.
func SkipNote(sk SkippedFile) string {
	if sk.Changed {
		return "not reviewed: " + sk.Reason
	}
	return "not read as context (" + sk.Reason + "): findings that depend on it may be missing"
}

// notReviewed counts the changed files the review could not read.
func notReviewed(r *Result) int {
	n := 0
	for _, sk := range r.Skipped {
		if sk.Changed {
			n++
		}
	}
	return n
}

func writeIndented(w io.Writer, prefix, line string) {
	fmt.Fprintln(w, strings.TrimRight(prefix+line, " \t"))
}

// flaggedLines returns the head lines StartLine..EndLine of f, when the
// result carries the file.
func flaggedLines(r *Result, f rules.Finding) []string {
	ls := srclines.Lines(r.Sources[f.Path])
	if f.StartLine < 1 || f.EndLine > len(ls) || f.EndLine < f.StartLine {
		return nil
	}
	return ls[f.StartLine-1 : f.EndLine]
}

// summaryLine counts findings by severity: "2 errors, 1 warning in 14
// files analyzed".
func summaryLine(r *Result) string {
	line := findingsLine(r)
	if n := notReviewed(r); n > 0 {
		line += fmt.Sprintf("; %s not reviewed", plural(n, "changed Python file"))
	}
	if n := len(r.Acknowledged); n > 0 {
		line += fmt.Sprintf("; %s acknowledged by ignore comments", plural(n, "finding"))
	}
	return line
}

func findingsLine(r *Result) string {
	if len(r.Findings) == 0 {
		return fmt.Sprintf("no findings in %s analyzed", plural(r.FilesAnalyzed, "file"))
	}
	count := map[rules.Severity]int{}
	for _, f := range r.Findings {
		count[f.Severity]++
	}
	var parts []string
	for _, s := range []rules.Severity{rules.Error, rules.Warning, rules.Notice} {
		if count[s] > 0 {
			parts = append(parts, plural(count[s], s.String()))
		}
	}
	return fmt.Sprintf("%s in %s analyzed", strings.Join(parts, ", "), plural(r.FilesAnalyzed, "file"))
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
