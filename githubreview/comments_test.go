package githubreview

import (
	"os"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/djintegrity/djintegrity/githubtest"
	"github.com/djintegrity/djintegrity/review"
	"github.com/djintegrity/djintegrity/rules"
)

// sameStatementTrees is the change of cmd/djintegrity's gating test: its
// create_coupon trips two rules that comment inline on one statement (it
// writes request data to a field a CheckConstraint covers, and gives no
// value for a NOT NULL field), update_coupon a third, and an ignore
// comment names no rule.
func sameStatementTrees(t testing.TB) (base, head githubtest.Tree) {
	base = githubtest.ReadTree(t, "../cmd/djintegrity/testdata/gating/base")
	views, err := os.ReadFile("../cmd/djintegrity/testdata/gating/head_views.py")
	if err != nil {
		t.Fatal(err)
	}
	head = base.Clone()
	head["shop/views.py"] = string(views)
	return base, head
}

// TestGitHubReviewOneCommentPerStatement: two rules on one create get one
// comment naming both, with one suggestion; a second run on the same head
// posts nothing, since each finding's fingerprint is in that comment.
func TestGitHubReviewOneCommentPerStatement(t *testing.T) {
	base, head := sameStatementTrees(t)
	s := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
	r := appReviewer(t, s, s.URL(), nil)
	var want []rules.Finding // the findings that comment inline on create_coupon
	for _, f := range localFindings(t, base, head) {
		if inline(f) && f.StartLine == 18 {
			want = append(want, f)
		}
	}
	if len(want) != 2 || want[0].StartLine != want[1].StartLine {
		t.Fatalf("the change should have two inline findings on one statement, got %+v", want)
	}

	out, err := r.Review(t.Context(), prOf(s, "d-1"))
	if err != nil {
		t.Fatal(err)
	}
	comments := s.Comments()
	if len(comments) != 2 || out.Inline != 2 {
		t.Fatalf("%d comments (outcome %+v), want 2: create_coupon's and update_coupon's", len(comments), out)
	}
	body := comments[0].GetBody()
	var wantFPs []string
	for _, f := range want {
		wantFPs = append(wantFPs, f.Fingerprint)
		if !strings.Contains(body, "`"+f.Rule+"`") {
			t.Errorf("the comment does not name %s:\n%s", f.Rule, body)
		}
	}
	if diff := cmp.Diff(wantFPs, review.FingerprintsOf(body), cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("fingerprints (-want +got):\n%s", diff)
	}
	if n := strings.Count(body, "```suggestion\n"); n > 1 {
		t.Errorf("%d suggestion blocks, want at most 1:\n%s", n, body)
	}

	if _, err := r.Review(t.Context(), prOf(s, "d-2")); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Comments()); n != 2 {
		t.Errorf("%d comments after a second run on the same head, want still 2", n)
	}
}
