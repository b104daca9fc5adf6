package githubreview

import (
	"strings"
	"testing"

	"github.com/djintegrity/djintegrity/githubtest"
	"github.com/djintegrity/djintegrity/review"
)

// TestGitHubReviewPyprojectFromBase: [tool.djintegrity] of the base's
// pyproject.toml configures the review as .github/djintegrity.yml does,
// the head's cannot switch the checks off, and a base with both files
// fails the check run naming both, with no review.
func TestGitHubReviewPyprojectFromBase(t *testing.T) {
	tests := map[string]struct {
		base       map[string]string
		wantInline int    // comments of the review
		wantError  string // in the failed check run's summary, when invalid
	}{
		"pyproject": {
			base:       map[string]string{review.PyprojectPath: "[project]\nname = \"shop\"\n\n[tool.djintegrity]\nmax_inline_comments = 2\n"},
			wantInline: 2,
		},
		"pyproject without the table": {
			base:       map[string]string{review.PyprojectPath: "[project]\nname = \"shop\"\n", review.ConfigPath: "max_inline_comments: 1\n"},
			wantInline: 1,
		},
		"both": {
			base:      map[string]string{review.PyprojectPath: "[tool.djintegrity]\nfail_on = \"never\"\n", review.ConfigPath: "max_inline_comments: 1\n"},
			wantError: "configuration in both .github/djintegrity.yml and pyproject.toml [tool.djintegrity]",
		},
		"invalid pyproject": {
			base:      map[string]string{review.PyprojectPath: "[tool.djintegrity]\n\nfail_on = \"sometimes\"\n"},
			wantError: `pyproject.toml:3: fail_on: unknown threshold "sometimes"`,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			base, head := shopTrees(t)
			for p, text := range tt.base {
				base[p] = text
			}
			head[review.PyprojectPath] = "[tool.djintegrity]\nfail_on = \"never\"\nmax_inline_comments = 0\n"
			s := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
			r := appReviewer(t, s, s.URL(), nil)
			if _, err := r.Review(t.Context(), prOf(s, "d1")); err != nil {
				t.Fatal(err)
			}
			runs := s.CheckRuns()
			if len(runs) != 1 {
				t.Fatalf("got %d check runs, want 1", len(runs))
			}
			if tt.wantError != "" {
				if runs[0].Conclusion != "failure" || !strings.Contains(runs[0].Summary, tt.wantError) || len(s.Reviews()) != 0 {
					t.Errorf("check run %s with summary\n%s\nand %d reviews; want failure quoting %q and no review", runs[0].Conclusion, runs[0].Summary, len(s.Reviews()), tt.wantError)
				}
				return
			}
			reviews := s.Reviews()
			if len(reviews) != 1 || len(reviews[0].Comments) != tt.wantInline {
				t.Fatalf("want one review with %d comments (the base's max_inline_comments), got %d reviews", tt.wantInline, len(reviews))
			}
			if runs[0].Conclusion != "failure" {
				t.Errorf("conclusion %q, want failure (the head's fail_on never must not apply)", runs[0].Conclusion)
			}
		})
	}
}
