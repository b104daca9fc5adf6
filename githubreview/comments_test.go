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
	// create_coupon's, update_coupon's, and the one adding the import
	// update_coupon's suggestion needs.
	comments := s.Comments()
	if len(comments) != 3 || out.Inline != 3 {
		t.Fatalf("%d comments (outcome %+v), want 3", len(comments), out)
	}
	var body string
	for _, c := range comments {
		if c.GetLine() == want[0].EndLine {
			body = c.GetBody()
		}
	}
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
	if n := len(s.Comments()); n != 3 {
		t.Errorf("%d comments after a second run on the same head, want still 3", n)
	}
}

// TestGitHubReviewOffersImports: a suggestion that needs an import the file
// lacks gets a second suggestion adding it next to the imports when they
// are in the diff, so that committing both leaves no NameError; when they
// are not, the comment says which import to add.
func TestGitHubReviewOffersImports(t *testing.T) {
	base, head := sameStatementTrees(t)
	const need = "from django.db import IntegrityError"
	t.Run("imports in the diff", func(t *testing.T) {
		s := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
		if _, err := appReviewer(t, s, s.URL(), nil).Review(t.Context(), prOf(s, "d-1")); err != nil {
			t.Fatal(err)
		}
		byLine := map[int]string{}
		for _, c := range s.Comments() {
			byLine[c.GetLine()] = c.GetBody()
		}
		if want := "The suggestion needs `" + need + "`: the suggestion on line 7 adds it; commit both."; !strings.Contains(byLine[28], want) {
			t.Errorf("update_coupon's comment lacks %q:\n%s", want, byLine[28])
		}
		if want := "```suggestion\nfrom shop.models import Coupon\n" + need + "\n```"; !strings.Contains(byLine[7], want) {
			t.Errorf("the import comment lacks %q:\n%s", want, byLine[7])
		}
		// Both suggestions committed: the file imports what the fix uses.
		src := []byte(head["shop/views.py"])
		for _, line := range []int{28, 7} { // bottom-up, so that line numbers hold
			body := byLine[line]
			sugg := body[strings.Index(body, "```suggestion\n")+len("```suggestion\n"):]
			sugg = sugg[:strings.Index(sugg, "\n```")]
			var err error
			if src, err = review.ApplySuggestion(src, rules.Finding{Path: "shop/views.py", StartLine: line, EndLine: line, Suggestion: &sugg}); err != nil {
				t.Fatal(err)
			}
		}
		if !strings.Contains(string(src), "\n"+need+"\n") || !strings.Contains(string(src), "except IntegrityError:") {
			t.Errorf("the file with both suggestions committed:\n%s", src)
		}
	})
	t.Run("imports outside the diff", func(t *testing.T) {
		// The base has the head's imports and coupon_detail: the diff
		// starts below them, past git's three lines of context.
		before := base.Clone()
		before["shop/views.py"] = head["shop/views.py"][:strings.Index(head["shop/views.py"], "\n\n\n@require_POST")] + "\n"
		s := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, before, head))
		if _, err := appReviewer(t, s, s.URL(), nil).Review(t.Context(), prOf(s, "d-1")); err != nil {
			t.Fatal(err)
		}
		var bodies []string
		for _, c := range s.Comments() {
			if c.GetLine() == 28 {
				bodies = append(bodies, c.GetBody())
			}
			if c.GetLine() < 10 {
				t.Errorf("a comment on line %d, outside the diff:\n%s", c.GetLine(), c.GetBody())
			}
		}
		want := "Before committing the suggestion, add `" + need + "` to the file's imports, or the code it adds raises NameError.\n\n```suggestion\n"
		if len(bodies) != 1 || !strings.Contains(bodies[0], want) {
			t.Errorf("update_coupon's comment %q lacks %q", bodies, want)
		}
	})
}
