package reviewrunner

import (
	"errors"
	"log/slog"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/githubreview"
	"github.com/djintegrity/djintegrity/githubtest"
	"github.com/djintegrity/djintegrity/review"
	"github.com/djintegrity/djintegrity/webhook"
)

func TestRun(t *testing.T) {
	base := githubtest.ReadTree(t, "../../examples/shop/base")
	head := githubtest.ReadTree(t, "../../examples/shop/head")
	gh := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
	runner := New(appReviewer(t, gh))
	pr := gh.PullRequest()
	job := func(repo string) webhook.Job {
		return webhook.Job{DeliveryID: "d-1", Event: "pull_request", Action: "opened", InstallationID: 77,
			Owner: "octo", Repo: repo, Number: 7, BaseSHA: pr.BaseSHA, HeadSHA: pr.HeadSHA}
	}

	ctx, stats := webhook.JobContext(t.Context(), slog.New(slog.DiscardHandler))
	if err := runner.Run(ctx, job("shop")); err != nil {
		t.Fatalf("review of the pull request: %v", err)
	}
	local, err := review.Analyze(t.Context(), review.NewDirSource("../../examples/shop/base", "../../examples/shop/head"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]any{slog.Int("findings", len(local.Findings))}, stats.LogAttrs(), cmp.Comparer(func(a, b slog.Attr) bool { return a.Equal(b) })); diff != "" {
		t.Errorf("reported stats (-want +got):\n%s", diff)
	}
	if runs := gh.CheckRuns(); len(runs) != 1 || runs[0].HeadSHA != pr.HeadSHA || runs[0].Status != "completed" {
		t.Errorf("check runs %+v: want one completed on %s", runs, pr.HeadSHA)
	}
	// GitHub answers 404 for a repository the installation cannot see:
	// retrying cannot help.
	if err := runner.Run(t.Context(), job("gone")); err == nil || !webhook.IsPermanent(err) {
		t.Errorf("review of a repository that is gone: %v, want a permanent error", err)
	}
}

// TestRunInstallationGone: GitHub answers 404 for the token of an
// installation that was removed. The job is given up at once (a
// permanent error: neither the journal nor SQS retries it), after one
// token request and no attempt at a check run it could not write.
func TestRunInstallationGone(t *testing.T) {
	base := githubtest.ReadTree(t, "../../examples/shop/base")
	head := githubtest.ReadTree(t, "../../examples/shop/head")
	gh := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
	gh.Inject(githubtest.Fault{Method: http.MethodPost, Route: "/app/installations/{installation_id}/access_tokens",
		Status: http.StatusNotFound, Times: 100})
	pr := gh.PullRequest()
	runner := New(appReviewer(t, gh))
	job := webhook.Job{DeliveryID: "d-1", Event: "pull_request", Action: "opened", InstallationID: 77,
		Owner: "octo", Repo: "shop", Number: 7, BaseSHA: pr.BaseSHA, HeadSHA: pr.HeadSHA}
	err := runner.Run(t.Context(), job)
	if !webhook.IsPermanent(err) || !errors.Is(err, githubreview.ErrInstallationGone) {
		t.Errorf("Run: %v, want a permanent error: the installation is gone", err)
	}
	// The host then abandons the job: nothing to write, nothing to ask.
	if err := runner.Abandon(t.Context(), job, err); err != nil {
		t.Errorf("Abandon: %v", err)
	}
	if reqs := gh.Requests(); len(reqs) != 1 {
		t.Errorf("%d requests to GitHub, want the one token request: %+v", len(reqs), reqs)
	}
}
