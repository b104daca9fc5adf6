package githubreview

import (
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/githubtest"
	"github.com/djintegrity/djintegrity/review"
	"github.com/djintegrity/djintegrity/rules"
)

// summaryRow is a row of the check run's table of findings by rule.
var summaryRow = regexp.MustCompile("(?m)^\\| \\[`([a-z-]+)`\\]\\(([^)]*)\\) \\| [^|]+ \\| (\\d+) \\| (\\d+) \\| (\\d+) \\| (\\d+) \\|$")

// summaryCounts reads the number of findings of each rule from a check
// run's summary.
func summaryCounts(summary string) map[string]int {
	out := map[string]int{}
	for _, m := range summaryRow.FindAllStringSubmatch(summary, -1) {
		if n, _ := strconv.Atoi(m[3]); n > 0 {
			out[m[1]] = n
		}
	}
	return out
}

func countByRule(findings []rules.Finding) map[string]int {
	out := map[string]int{}
	for _, f := range findings {
		out[f.Rule]++
	}
	return out
}

// TestCheckSummaryByRule: each rule's row says how many findings are
// review comments, how many only annotations and how many were
// acknowledged, and links the rule's page; the acknowledged findings are
// listed with their reasons, and a misspelled rule in an ignore comment is
// a notice annotation on its line.
func TestCheckSummaryByRule(t *testing.T) {
	base, head := sameStatementTrees(t)
	head["shop/views.py"] = strings.Replace(head["shop/views.py"],
		"    coupon = Coupon.objects.create(",
		"    # djintegrity: ignore[missing-required-feld]\n"+
			"    # djintegrity: ignore[unvalidated-check-write] -- percent_off is checked by the form\n"+
			"    coupon = Coupon.objects.create(", 1)
	s := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
	if _, err := appReviewer(t, s, s.URL(), nil).Review(t.Context(), prOf(s, "d1")); err != nil {
		t.Fatal(err)
	}
	run := s.CheckRuns()[0]
	type counts struct{ Findings, Comments, Annotations, Acknowledged int }
	got := map[string]counts{}
	for _, m := range summaryRow.FindAllStringSubmatch(run.Summary, -1) {
		n := func(i int) int { v, _ := strconv.Atoi(m[i]); return v }
		got[m[1]] = counts{n(3), n(4), n(5), n(6)}
		if m[2] != review.RuleDocsURL(m[1]) {
			t.Errorf("%s links %s, want its page", m[1], m[2])
		}
	}
	want := map[string]counts{
		"missing-required-field":  {1, 1, 0, 0},
		"unguarded-unique-create": {1, 0, 1, 0}, // demoted: the check run only
		"unvalidated-check-write": {1, 1, 0, 1}, // update_coupon's; create_coupon's acknowledged
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("summary by rule (-want +got):\n%s", diff)
	}
	for _, want := range []string{
		"- `unvalidated-check-write` at `shop/views.py` line 20: percent_off is checked by the form\n",
		"`# djintegrity: ignore[missing-required-feld]` names no rule (did you mean `missing-required-field`?)",
	} {
		if !strings.Contains(run.Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, run.Summary)
		}
	}
	var notices []string
	for _, a := range run.Annotations {
		if a.GetTitle() == "djintegrity ignore comment" {
			notices = append(notices, a.GetPath()+":"+strconv.Itoa(a.GetStartLine())+" "+a.GetAnnotationLevel())
		}
	}
	if diff := cmp.Diff([]string{"shop/views.py:18 notice", "shop/views.py:28 notice"}, notices); diff != "" {
		t.Errorf("notice annotations (-want +got):\n%s", diff)
	}
}
