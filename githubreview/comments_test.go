package githubreview

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/djintegrity/djintegrity/githubtest"
	"github.com/djintegrity/djintegrity/review"
	"github.com/djintegrity/djintegrity/rules"
)

// sameStatementTrees is a change whose one new create trips two rules that
// comment inline: it writes request data to a field a CheckConstraint
// covers (unvalidated-check-write) and gives no value for a NOT NULL field
// (missing-required-field).
func sameStatementTrees(t testing.TB) (base, head githubtest.Tree) {
	base = githubtest.ReadTree(t, "../rules/testdata/unvalidated-check-write/fail-atomic-requests-save/base")
	base["shop/models.py"] = strings.Replace(base["shop/models.py"], "    percent_off = models.IntegerField()\n",
		"    percent_off = models.IntegerField()\n    max_uses = models.IntegerField()\n", 1)
	base["shop/migrations/0001_initial.py"] = strings.Replace(base["shop/migrations/0001_initial.py"],
		`                ("percent_off", models.IntegerField()),`+"\n",
		`                ("percent_off", models.IntegerField()),`+"\n"+`                ("max_uses", models.IntegerField()),`+"\n", 1)
	head = base.Clone()
	head["shop/views.py"] = `import json

from django.http import JsonResponse
from django.views.decorators.http import require_POST

from shop.models import Coupon


@require_POST
def create_coupon(request):
    data = json.loads(request.body)
    coupon = Coupon.objects.create(code=data["code"], percent_off=data["percent_off"])
    return JsonResponse({"code": coupon.code}, status=201)
`
	return base, head
}

// TestGitHubReviewOneCommentPerStatement: two rules on one create get one
// comment naming both, with one suggestion; a second run on the same head
// posts nothing, since each finding's fingerprint is in that comment.
func TestGitHubReviewOneCommentPerStatement(t *testing.T) {
	base, head := sameStatementTrees(t)
	s := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
	r := appReviewer(t, s, s.URL(), nil)
	var want []rules.Finding // the findings that comment inline
	for _, f := range localFindings(t, base, head) {
		if inline(f) {
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
	if len(comments) != 1 || out.Inline != 1 {
		t.Fatalf("%d comments (outcome %+v), want 1", len(comments), out)
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
	if n := len(s.Comments()); n != 1 {
		t.Errorf("%d comments after a second run on the same head, want still 1", n)
	}
}
