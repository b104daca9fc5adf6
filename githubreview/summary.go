package githubreview

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/djintegrity/djintegrity/review"
	"github.com/djintegrity/djintegrity/rules"
)

// checkSummary is the check run's summary: per rule, how many findings,
// how many are review comments and how many only annotations, how many
// were acknowledged, each rule linked to its page; then the acknowledged
// findings with their reasons, the ignore comments to fix, the Python
// files that were not read and the changed ones not reviewed, and why,
// and what the review did not do (res.Limits: the files GitHub did not
// list, the rules a review out of time did not run).
func checkSummary(res *review.Result, p placement, mergeGroup bool) string {
	var b strings.Builder
	if len(res.Findings) == 0 && len(res.Acknowledged) == 0 {
		b.WriteString("No database-integrity hazards found on the changed lines.\n")
	} else {
		b.WriteString(ruleTable(res, p))
	}
	if len(res.Findings) > 0 {
		fmt.Fprintf(&b, "\n%s: %d new review comments, %d already commented by an earlier run, %d annotations.\n",
			plural(len(res.Findings), "finding"), len(p.inline), len(p.already), len(p.annotate))
		switch {
		case mergeGroup:
			b.WriteString("A merge group has no pull request to comment on: every finding is an annotation.\n")
		case len(p.annotate) > 0:
			b.WriteString("Annotations are the findings outside the diff, those of rules that speak only in the check run (too often wrong on real code to comment), and those beyond `max_inline_comments`.\n")
		}
	}
	if n := len(relatedAnnotations(res.Findings)); n > 0 {
		fmt.Fprintf(&b, "\nAnd %s at the places elsewhere in the repository that findings name (the unchanged writes a model change breaks).\n",
			plural(n, "annotation"))
	}
	if p.resolved > 0 {
		fmt.Fprintf(&b, "\n%s of earlier comments closed: this push fixed their findings.\n", plural(p.resolved, "thread"))
	}
	b.WriteString(review.AcknowledgedList(res.Acknowledged))
	b.WriteString(review.NoticeList(res.Notices))
	b.WriteString(review.SkippedList(res.Skipped))
	b.WriteString(review.UnreviewedList(res.Unreviewed))
	b.WriteString(review.LimitsList(res.Limits))
	if p.movedTo != "" {
		fmt.Fprintf(&b, "\nThe pull request's head moved to %s during this review: nothing was commented here; that head is reviewed next.\n", shortSHA(p.movedTo))
	}
	return truncateChars(b.String(), maxCheckOutputChars)
}

// ruleTable is the Markdown table of the review's findings by rule.
func ruleTable(res *review.Result, p placement) string {
	type row struct {
		rule                                  string
		sev                                   rules.Severity
		findings, inline, annotated, accepted int
	}
	rows := map[string]*row{}
	get := func(f rules.Finding) *row {
		r, ok := rows[f.Rule]
		if !ok {
			r = &row{rule: f.Rule, sev: f.Severity}
			rows[f.Rule] = r
		}
		r.sev = max(r.sev, f.Severity)
		return r
	}
	for _, f := range res.Findings {
		get(f).findings++
	}
	for _, c := range p.inline {
		for _, f := range c.Findings {
			get(f).inline++
		}
	}
	for _, f := range p.already {
		get(f).inline++
	}
	for _, f := range p.annotate {
		get(f).annotated++
	}
	for _, a := range res.Acknowledged {
		get(a.Finding).accepted++
	}
	sorted := make([]*row, 0, len(rows))
	for _, r := range rows {
		sorted = append(sorted, r)
	}
	slices.SortFunc(sorted, func(a, b *row) int { return cmp.Or(cmp.Compare(b.sev, a.sev), cmp.Compare(a.rule, b.rule)) })
	var b strings.Builder
	b.WriteString("| Rule | Severity | Findings | Review comments | Annotations only | Acknowledged |\n| --- | --- | ---: | ---: | ---: | ---: |\n")
	for _, r := range sorted {
		sev := r.sev.String()
		if r.findings == 0 {
			sev = "—"
		}
		fmt.Fprintf(&b, "| [`%s`](%s) | %s | %d | %d | %d | %d |\n", r.rule, review.RuleDocsURL(r.rule), sev, r.findings, r.inline, r.annotated, r.accepted)
	}
	return b.String()
}

// noticeAnnotations are the notices of ignore comments, as notice-level
// annotations on their lines.
func noticeAnnotations(notices []review.Notice) []*github.CheckRunAnnotation {
	out := make([]*github.CheckRunAnnotation, 0, len(notices))
	for _, n := range notices {
		out = append(out, &github.CheckRunAnnotation{
			Path: github.String(n.Path), StartLine: github.Int(n.Line), EndLine: github.Int(n.Line),
			AnnotationLevel: github.String("notice"), Title: github.String("djintegrity ignore comment"),
			Message: github.String(truncateBytes(n.Message, maxAnnotationBytes)),
		})
	}
	return out
}
