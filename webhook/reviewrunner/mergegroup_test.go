package reviewrunner

import (
	"log/slog"
	"testing"

	"github.com/djintegrity/djintegrity/githubreview"
	"github.com/djintegrity/djintegrity/githubtest"
	"github.com/djintegrity/djintegrity/webhook"
)

// TestRunMergeGroup: a merge group's job completes the check run on the
// group's head; its destroyed job asks nothing of GitHub.
func TestRunMergeGroup(t *testing.T) {
	base := githubtest.ReadTree(t, "../../examples/shop/base")
	gh := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, base))
	baseSHA := gh.PullRequest().BaseSHA
	groupSHA := gh.AddCommit(githubtest.ReadTree(t, "../../examples/shop/head"), baseSHA)
	r := appReviewer(t, gh)
	job := webhook.Job{DeliveryID: "d-1", Event: "merge_group", Action: "destroyed", InstallationID: 77,
		Owner: "octo", Repo: "shop", MergeGroup: "refs/heads/gh-readonly-queue/main/pr-7-" + baseSHA, BaseSHA: baseSHA, HeadSHA: groupSHA}
	if err := New(r).Run(t.Context(), job); err != nil {
		t.Fatal(err)
	}
	if n := len(gh.Requests()); n != 0 {
		t.Errorf("a destroyed merge group made %d requests to GitHub, want none", n)
	}
	job.Action = "checks_requested"
	if err := New(r).Run(t.Context(), job); err != nil {
		t.Fatal(err)
	}
	if runs := gh.CheckRuns(); len(runs) != 1 || runs[0].HeadSHA != groupSHA || runs[0].Status != "completed" {
		t.Errorf("check runs %+v: want one completed on the group's head %s", runs, groupSHA)
	}
}

// appReviewer is a GitHub App reviewer against the fake.
func appReviewer(t *testing.T, gh *githubtest.Server) *githubreview.Reviewer {
	t.Helper()
	appID, key := githubtest.AppKey(t)
	r, err := githubreview.New(githubreview.Options{BaseURL: gh.URL(), AppID: appID, PrivateKey: key,
		HTTPClient: gh.Client(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	return r
}
