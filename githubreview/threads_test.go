package githubreview

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/githubtest"
	"github.com/djintegrity/djintegrity/review"
)

func TestGraphQLURL(t *testing.T) {
	tests := map[string]struct{ rest, want string }{
		"github.com":                  {"https://api.github.com/", "https://api.github.com/graphql"},
		"Enterprise Server":           {"https://ghe.example.com/api/v3/", "https://ghe.example.com/api/graphql"},
		"the fake":                    {"http://127.0.0.1:4567/", "http://127.0.0.1:4567/graphql"},
		"the fake as Enterprise":      {"http://127.0.0.1:4567/api/v3/", "http://127.0.0.1:4567/api/graphql"},
		"a proxy without a slash end": {"https://proxy.example.com/github", "https://proxy.example.com/github/graphql"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := graphqlURL(tc.rest); got != tc.want {
				t.Errorf("graphqlURL(%q) = %q, want %q", tc.rest, got, tc.want)
			}
		})
	}
}

// fixOneOfTwo reviews the shop pull request, adds a person's thread, then
// pushes a head that fixes the missing-migration finding (the unique email
// is reverted) and reviews it again. It returns the fixed finding's
// fingerprint.
func fixOneOfTwo(t *testing.T, s *githubtest.Server, baseURL string, refuse bool) string {
	t.Helper()
	r := appReviewer(t, s, baseURL, nil)
	if _, err := r.Review(t.Context(), prOf(s, "d1")); err != nil {
		t.Fatal(err)
	}
	s.AddComment("octocat", "shop/views.py", 44, "Why a savepoint here?")
	base, head := shopTrees(t)
	var fixed string
	for _, f := range localFindings(t, base, head) {
		if f.Rule == "missing-migration" {
			fixed = f.Fingerprint
		}
	}
	next := head.Clone()
	next["accounts/models.py"] = base["accounts/models.py"]
	s.Push(next)
	if refuse {
		s.RefuseResolve()
	}
	s.Reset()
	out, err := r.Review(t.Context(), prOf(s, "d2"))
	if err != nil {
		t.Fatal(err)
	}
	if out.Inline != 0 {
		t.Errorf("the push posted %d comments, want none", out.Inline)
	}
	if n := countRoute(s.Requests(), "POST", githubtest.GraphQLRoute); n < 2 {
		t.Errorf("%d GraphQL requests, want the threads' list and a resolve", n)
	}
	return fixed
}

// TestGitHubReviewResolvesFixedThreads: a push that fixes one of the
// hazards resolves the bot's thread on it, leaves the others open, and
// never touches a person's thread. Every GraphQL request is checked by the
// fake against GitHub's schema.
func TestGitHubReviewResolvesFixedThreads(t *testing.T) {
	for name, url := range map[string]func(s *githubtest.Server) string{
		"github.com":        (*githubtest.Server).URL,
		"Enterprise Server": (*githubtest.Server).EnterpriseURL,
	} {
		t.Run(name, func(t *testing.T) {
			s := shopServer(t)
			fixed := fixOneOfTwo(t, s, url(s), false)
			threads := s.Threads()
			if len(threads) < 3 {
				t.Fatalf("%d threads, want the bot's (2 or more) and a person's", len(threads))
			}
			for _, th := range threads {
				fps := review.FingerprintsOf(th.Comment.GetBody())
				want := len(fps) == 1 && fps[0] == fixed
				if th.Resolved != want {
					t.Errorf("thread of %s on %s:%d (fingerprints %v): resolved %v, want %v",
						th.Comment.GetUser().GetLogin(), th.Comment.GetPath(), th.Comment.GetLine(), fps, th.Resolved, want)
				}
			}
		})
	}
}

// TestGitHubReviewMarksFixedWhenResolveRefused: where GitHub refuses to
// resolve the thread, the bot's comment says it was fixed, and in which
// commit; a person's comment is untouched.
func TestGitHubReviewMarksFixedWhenResolveRefused(t *testing.T) {
	s := shopServer(t)
	fixed := fixOneOfTwo(t, s, s.URL(), true)
	head := s.PullRequest().HeadSHA
	var marked []string
	for _, th := range s.Threads() {
		if th.Resolved {
			t.Errorf("thread %s resolved, but GitHub refused", th.ID)
		}
		if strings.Contains(th.Comment.GetBody(), "**Fixed** in `"+shortSHA(head)+"`") {
			marked = append(marked, review.FingerprintsOf(th.Comment.GetBody())...)
		}
		if th.Comment.GetUser().GetLogin() == "octocat" && th.Comment.GetBody() != "Why a savepoint here?" {
			t.Errorf("a person's comment was edited: %q", th.Comment.GetBody())
		}
	}
	if diff := cmp.Diff([]string{fixed}, marked); diff != "" {
		t.Errorf("comments marked fixed (-want +got):\n%s", diff)
	}
}
