package review

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/djintegrity/djintegrity/rules"
)

// RuleURL is the page of a rule's documentation, which every output
// format links.
func RuleURL(slug string) string { return docsURI + slug + ".md" }

// githubWriter prints GitHub Actions workflow commands, one annotation per
// finding (`::error file=...,line=...,endLine=...,title=...::message`) and
// per place it relates to, so that a plain CI log shows the findings on
// the pull request's files.
type githubWriter struct{ W io.Writer }

// Publish implements Writer.
func (g githubWriter) Publish(_ context.Context, r *Result) error {
	w := bufio.NewWriter(g.W)
	for _, f := range r.Findings {
		msg := strings.TrimRight(f.Message, "\n") + "\n" + RuleURL(f.Rule)
		fmt.Fprintf(w, "::%s file=%s,line=%d,endLine=%d,title=%s::%s\n", annotationLevel(f.Severity),
			escapeProperty(f.Path), f.StartLine, max(f.EndLine, f.StartLine), escapeProperty("djintegrity "+f.Rule), escapeData(msg))
		// Each place the finding is about too, at its own line, as the
		// check run annotates it.
		for _, l := range f.Related {
			fmt.Fprintf(w, "::%s file=%s,line=%d,endLine=%d,title=%s::%s\n", annotationLevel(f.Severity),
				escapeProperty(l.Path), l.StartLine, max(l.EndLine, l.StartLine), escapeProperty("djintegrity "+f.Rule), escapeData(l.Message))
		}
	}
	for _, sk := range r.Skipped {
		fmt.Fprintf(w, "::warning file=%s,title=djintegrity::%s\n", escapeProperty(sk.Path), escapeData(SkipNote(sk)))
	}
	for _, l := range r.Limits {
		fmt.Fprintf(w, "::notice title=djintegrity::%s\n", escapeData(l))
	}
	fmt.Fprintln(w, summaryLine(r))
	return w.Flush()
}

// annotationLevel is SARIF's level, but for a note: workflow commands say
// notice.
func annotationLevel(s rules.Severity) string {
	if l := sarifLevelOf(s); l != "note" {
		return l
	}
	return "notice"
}

// escapeData escapes a workflow command's message, as @actions/core does:
// % first, then the line breaks that would end the command.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

// escapeProperty escapes a property value: the message's escapes, and the
// ':' and ',' that delimit properties.
func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
