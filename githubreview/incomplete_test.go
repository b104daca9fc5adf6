package githubreview

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/githubtest"
	"github.com/djintegrity/djintegrity/review"
	"github.com/djintegrity/djintegrity/rules"
)

// cleanTrees is a change with no finding: a review that reads all of it
// concludes success.
func cleanTrees(t testing.TB) (base, head githubtest.Tree) {
	return githubtest.ReadTree(t, "../examples/clean/base"), githubtest.ReadTree(t, "../examples/clean/head")
}

// reviewOnce runs one review of the fake's pull request and returns its
// only check run.
func reviewOnce(t *testing.T, s *githubtest.Server, r *Reviewer) githubtest.CheckRun {
	t.Helper()
	if _, err := r.Review(t.Context(), prOf(s, "d1")); err != nil {
		t.Fatal(err)
	}
	runs := s.CheckRuns()
	if len(runs) != 1 || runs[0].Status != "completed" {
		t.Fatalf("check runs %+v, want one completed", runs)
	}
	return runs[0]
}

// TestGitHubReviewNeverPassesUnreadCode: a changed Python file the review
// could not read is listed with its reason, and the check run concludes
// neutral, or failure when the configuration says incomplete: failure;
// never success.
func TestGitHubReviewNeverPassesUnreadCode(t *testing.T) {
	base, head := cleanTrees(t)
	if got := localFindings(t, base, head); len(got) != 0 {
		t.Fatalf("the clean example has %d findings", len(got))
	}
	head["shop/generated.py"] = "x = 1\n" + strings.Repeat("#", review.MaxFileSize)
	head["shop/link.py"] = githubtest.Symlink("../../outside.py")
	for _, tc := range []struct{ config, want string }{{"", "neutral"}, {"incomplete: failure\n", "failure"}} {
		t.Run(tc.want, func(t *testing.T) {
			b, h := base.Clone(), head.Clone()
			if tc.config != "" {
				b[review.ConfigPath], h[review.ConfigPath] = tc.config, tc.config
			}
			s := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, b, h))
			run := reviewOnce(t, s, appReviewer(t, s, s.URL(), nil))
			if run.Conclusion != tc.want || !strings.HasPrefix(run.Title, incompleteTitle) {
				t.Errorf("conclusion %q, title %q; want %s and an incomplete title", run.Conclusion, run.Title, tc.want)
			}
			// A redelivery finds the head reviewed: the same files would
			// be skipped again.
			out, err := appReviewer(t, s, s.URL(), nil).Review(t.Context(), prOf(s, "d2"))
			if err != nil || !out.AlreadyReviewed || len(s.CheckRuns()) != 1 {
				t.Errorf("a redelivery: %+v, %v, %d check runs; want the head already reviewed, one run", out, err, len(s.CheckRuns()))
			}
			for _, want := range []string{
				"- `shop/generated.py`: not reviewed: over 1 MiB\n",
				"- `shop/link.py`: not reviewed: symbolic link to ../../outside.py, outside the repository\n",
			} {
				if !strings.Contains(run.Summary, want) {
					t.Errorf("summary lacks %q:\n%s", want, run.Summary)
				}
			}
		})
	}
}

// TestGitHubReviewReadsWhatPythonReads: a view in Latin-1 with its PEP 263
// declaration, and a views.py that is a symbolic link, are read as Python
// reads them, and their findings reported as for the plain file.
func TestGitHubReviewReadsWhatPythonReads(t *testing.T) {
	base, head := shopTrees(t)
	views := head["shop/views.py"]
	cases := map[string]struct {
		edit func(b, h githubtest.Tree)
		// plain is the edit the findings must equal: the same code as a
		// plain UTF-8 file.
		plain func(b, h githubtest.Tree)
	}{
		"latin-1": {
			edit: func(_, h githubtest.Tree) {
				h["shop/views.py"] = "# -*- coding: latin-1 -*-\n# caf\xe9\n" + views
			},
			plain: func(_, h githubtest.Tree) { h["shop/views.py"] = "# -*- coding: latin-1 -*-\n# cafe\n" + views },
		},
		"symbolic link": {
			edit: func(b, h githubtest.Tree) {
				delete(b, "shop/views.py")
				h["common/shop_views.py"] = views
				h["shop/views.py"] = githubtest.Symlink("../common/shop_views.py")
			},
			plain: func(b, h githubtest.Tree) {
				delete(b, "shop/views.py")
				h["common/shop_views.py"] = views
			},
		},
	}
	byRule := func(fs []rules.Finding) map[string]int {
		out := map[string]int{}
		for _, f := range fs {
			if f.Path == "shop/views.py" {
				out[f.Rule]++
			}
		}
		return out
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			pb, ph := base.Clone(), head.Clone()
			tc.plain(pb, ph)
			want := byRule(localFindings(t, pb, ph))
			if len(want) == 0 {
				t.Fatal("the plain variant has no finding in shop/views.py")
			}
			b, h := base.Clone(), head.Clone()
			tc.edit(b, h)
			s := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, b, h))
			run := reviewOnce(t, s, appReviewer(t, s, s.URL(), nil))
			got := map[string]int{}
			for _, a := range run.Annotations {
				if a.GetPath() == "shop/views.py" {
					got[a.GetTitle()]++
				}
			}
			for _, rv := range s.Reviews() {
				for _, c := range rv.Comments {
					if c.GetPath() == "shop/views.py" {
						got[strings.SplitN(c.GetBody(), "`", 3)[1]]++
					}
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("findings on shop/views.py by rule (-want +got):\n%s\nsummary:\n%s", diff, run.Summary)
			}
			if strings.Contains(run.Summary, "shop/views.py") {
				t.Errorf("summary names shop/views.py as not read:\n%s", run.Summary)
			}
		})
	}
}

// TestGitHubReviewOverFileLimit: GitHub lists 3,000 files of a pull
// request and stops without saying so; the review reads the pull request's
// count, says how many files it did not read, and does not pass. A merge
// group's comparison stops at 300 files, without a count: the same.
func TestGitHubReviewOverFileLimit(t *testing.T) {
	base, head := cleanTrees(t)
	padded := func(files int) githubtest.Tree {
		h := head.Clone()
		for i := range files - changedCount(base, head) {
			h[fmt.Sprintf("static/img/icon%04d.svg", i)] = fmt.Sprintf("<svg id=%q/>\n", fmt.Sprint(i))
		}
		return h
	}
	t.Run("pull request", func(t *testing.T) {
		s := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, padded(maxPullRequestFiles+1)))
		run := reviewOnce(t, s, appReviewer(t, s, s.URL(), nil))
		want := fmt.Sprintf("**Not done:**\n\n- GitHub's API lists the first %d files of a pull request ([list pull requests files](%s)); the file after them was not read\n", maxPullRequestFiles, listFilesDocs)
		if run.Conclusion != "neutral" || !strings.Contains(run.Summary, want) {
			t.Errorf("conclusion %q, summary:\n%s\nwant neutral, saying %q", run.Conclusion, run.Summary, want)
		}
	})
	t.Run("merge group", func(t *testing.T) {
		s := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, base))
		baseSHA := s.PullRequest().BaseSHA
		groupSHA := s.AddCommit(padded(maxComparedFiles+1), baseSHA)
		out, err := appReviewer(t, s, s.URL(), nil).Review(t.Context(), PullRequest{DeliveryID: "d-mg", InstallationID: testInstallation,
			Owner: "octo", Repo: "shop", MergeGroup: "refs/heads/gh-readonly-queue/main/pr-7-" + baseSHA, BaseSHA: baseSHA, HeadSHA: groupSHA})
		if err != nil {
			t.Fatal(err)
		}
		runs := s.CheckRuns()
		if len(runs) != 1 || !out.Incomplete {
			t.Fatalf("outcome %+v, check runs %+v; want incomplete, one run", out, runs)
		}
		want := fmt.Sprintf("- GitHub's API compares the first %d files of two commits ([compare two commits](%s)); the files of the merge group after them were not read\n", maxComparedFiles, compareDocs)
		if runs[0].Conclusion != "neutral" || !strings.Contains(runs[0].Summary, want) {
			t.Errorf("conclusion %q, summary:\n%s\nwant neutral, saying %q", runs[0].Conclusion, runs[0].Summary, want)
		}
	})
}

// TestGitHubReviewUnreadFileNoRuleReviews: a changed file the review could
// not read but would not review anyway (a test, under paths.exclude) is
// listed once, as not reviewed, and the check run still passes.
func TestGitHubReviewUnreadFileNoRuleReviews(t *testing.T) {
	base, head := cleanTrees(t)
	head["shop/tests/test_generated.py"] = "x = 1\n" + strings.Repeat("#", review.MaxFileSize)
	s := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
	run := reviewOnce(t, s, appReviewer(t, s, s.URL(), nil))
	want := "**Changed Python files not reviewed:**\n\n- `shop/tests/test_generated.py`: matches paths.exclude\n"
	if run.Conclusion != "success" || !strings.Contains(run.Summary, want) || strings.Count(run.Summary, "test_generated.py") != 1 {
		t.Errorf("conclusion %q, summary:\n%s\nwant success, saying only %q", run.Conclusion, run.Summary, want)
	}
}

func changedCount(base, head githubtest.Tree) int {
	n := 0
	for p, c := range head {
		if base[p] != c {
			n++
		}
	}
	for p := range base {
		if _, ok := head[p]; !ok {
			n++
		}
	}
	return n
}

// TestGitHubReviewOutOfTime: a review that runs out of its time budget
// concludes with what it has, says so, and does not pass.
func TestGitHubReviewOutOfTime(t *testing.T) {
	base, head := cleanTrees(t)
	var slow strings.Builder
	slow.WriteString("def v(request):\n")
	for range 8000 { // 840 KB: seconds of indexing
		slow.WriteString("    if not M.objects.filter(a=request.POST['a']).exists():\n        M.objects.create(a=request.POST['a'])\n")
	}
	head["shop/bulk.py"] = slow.String()
	s := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
	appID, key := githubtest.AppKey(t)
	r, err := New(Options{BaseURL: s.URL(), AppID: appID, PrivateKey: key, HTTPClient: s.Client(),
		retryBaseDelay: time.Millisecond, analysisBudget: time.Second}) // past the listing, short of the indexing
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	run := reviewOnce(t, s, r)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("the review took %v with a budget of 1 s", took)
	}
	for _, want := range []string{"the review ran out of its time budget", "- `shop/bulk.py`: not reviewed: the review's time budget ran out first\n"} {
		if run.Conclusion != "neutral" || !strings.Contains(run.Summary, want) {
			t.Errorf("conclusion %q, summary:\n%s\nwant neutral, saying %q", run.Conclusion, run.Summary, want)
		}
	}
}

// TestGitHubReviewConfigTooLarge: a base configuration over the 1 MB the
// contents API returns is the user's to fix: one failed check run saying
// so, and no error (an error would be retried into more check runs).
func TestGitHubReviewConfigTooLarge(t *testing.T) {
	base, head := cleanTrees(t)
	base[review.ConfigPath] = "fail_on: error\n" + strings.Repeat("# padding\n", 110_000)
	s := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
	run := reviewOnce(t, s, appReviewer(t, s, s.URL(), nil))
	want := fmt.Sprintf("%s: %d bytes is too large to read", review.ConfigPath, len(base[review.ConfigPath]))
	if run.Conclusion != "failure" || !strings.Contains(run.Summary, want) {
		t.Errorf("conclusion %q, summary:\n%s\nwant failure, saying %q", run.Conclusion, run.Summary, want)
	}
}

func TestRedactURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://api.github.com/":                       "https://api.github.com/",
		"https://bot:hunter2@ghe.example.com/api/v3/":   "https://REDACTED@ghe.example.com/api/v3/",
		"https://ghp_token@ghe.example.com/":            "https://REDACTED@ghe.example.com/",
		"https://bot:hun ter2@ghe example.com/api/v3/":  "https://REDACTED@ghe example.com/api/v3/", // does not parse
		"bot:hunter2@ghe.example.com":                   "REDACTED@ghe.example.com",
		"http://[::1]:3000/":                            "http://[::1]:3000/",
		"https://bot:p%ZZ@ghe.example.com/?next=a@b.io": "https://REDACTED@ghe.example.com/?next=a@b.io",
	} {
		if got := RedactURL(raw); got != want {
			t.Errorf("RedactURL(%q) = %q, want %q", raw, got, want)
		}
	}
}

// TestGitHubReviewURLCredentialsNeverLogged: a password in the GitHub URL
// appears in no log line and no error, even one quoting a request's URL
// (the installation token's).
func TestGitHubReviewURLCredentialsNeverLogged(t *testing.T) {
	s := shopServer(t)
	s.Inject(githubtest.Fault{Method: "POST", Route: routeToken, Status: 404})
	logs := &syncBuffer{}
	withUser := strings.Replace(s.URL(), "://", "://bot:hunter2@", 1)
	r := appReviewer(t, s, withUser, logs)
	_, err := r.Review(t.Context(), prOf(s, "d1"))
	if err == nil || !strings.Contains(err.Error(), "access_tokens") {
		t.Fatalf("Review: %v, want the token request's error", err)
	}
	if strings.Contains(err.Error()+logs.String(), "hunter2") {
		t.Errorf("the password is in the error or the log:\n%v\n%s", err, logs)
	}
	if _, err := New(Options{Token: "t", BaseURL: "ftp://bot:hunter2@ghe.example.com/"}); err == nil || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("New with a bad URL: %v, want an error without the password", err)
	}
}

// TestAnalysisDeadline: the analysis ends after its budget, and leaves
// time before the review's own deadline to publish: a minute, or a
// quarter of the time when that is shorter (a Lambda worker's 105 s).
func TestAnalysisDeadline(t *testing.T) {
	start := time.Now()
	for name, tc := range map[string]struct {
		deadline time.Duration // 0: none
		want     time.Duration
	}{
		"no deadline":         {0, analysisBudget},
		"serve's job, 10 min": {10 * time.Minute, analysisBudget},
		"5 min 30 s":          {330 * time.Second, 270 * time.Second},
		"Lambda, 105 s":       {105 * time.Second, 105 * time.Second * 3 / 4},
	} {
		t.Run(name, func(t *testing.T) {
			ctx := t.Context()
			if tc.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithDeadline(ctx, start.Add(tc.deadline))
				defer cancel()
			}
			if got := (&job{}).analysisDeadline(ctx, start).Sub(start); got != tc.want {
				t.Errorf("analysis budget %v, want %v", got, tc.want)
			}
		})
	}
}
