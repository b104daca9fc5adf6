// Package reviewrunner runs webhook jobs as reviews on GitHub: the glue
// between webhook.Runner and githubreview.Reviewer, shared by every mode
// that takes jobs from a queue (the journal of `djintegrity serve`, SQS on
// Lambda).
package reviewrunner

import (
	"context"
	"errors"
	"log/slog"
	"net/http"

	"github.com/google/go-github/v60/github"

	"github.com/djintegrity/djintegrity/githubreview"
	"github.com/djintegrity/djintegrity/webhook"
)

// Runner runs a job as a review of its pull request. It implements
// webhook.Runner.
type Runner struct{ reviewer *githubreview.Reviewer }

var _ webhook.Abandoner = Runner{}

// New returns a runner reviewing with r.
func New(r *githubreview.Reviewer) Runner { return Runner{r} }

// Run reviews the job's pull request at its head, logging to the job's
// logger (webhook.Logger). An error that retrying cannot fix is marked
// webhook.Permanent, so that a queue gives the job up at once instead of
// retrying it until its dead-letter queue.
func (r Runner) Run(ctx context.Context, job webhook.Job) error {
	if job.Cancels() {
		// Queued after the group's review, it has superseded that review
		// if it had not started: nothing is left to do.
		webhook.Logger(ctx).Info("merge group destroyed: its review is cancelled")
		return nil
	}
	pr := pullRequest(job, webhook.Logger(ctx))
	pr.Resumable = webhook.Resumable(ctx)
	out, err := r.reviewer.Review(ctx, pr)
	if err == nil {
		if !out.AlreadyReviewed {
			webhook.ReportFindings(ctx, out.Findings)
		}
		return nil
	}
	// A repository, pull request or installation that is gone, or a request
	// GitHub refuses as invalid, fails the same way on every retry.
	if errors.Is(err, githubreview.ErrInstallationGone) {
		return webhook.Permanent(err)
	}
	var gh *github.ErrorResponse
	if errors.As(err, &gh) && gh.Response != nil {
		switch gh.Response.StatusCode {
		case http.StatusNotFound, http.StatusGone, http.StatusUnprocessableEntity:
			return webhook.Permanent(err)
		}
	}
	return err
}

// Abandon completes the check run a job its host gave up left in progress
// (webhook.Abandoner).
func (r Runner) Abandon(ctx context.Context, job webhook.Job, cause error) error {
	if job.Cancels() {
		return nil
	}
	return r.reviewer.Abandon(ctx, pullRequest(job, webhook.Logger(ctx)), cause)
}

// pullRequest is the review a job asks for. A check run or suite
// re-requested asks for a new review even of a head reviewed before.
func pullRequest(job webhook.Job, log *slog.Logger) githubreview.PullRequest {
	return githubreview.PullRequest{
		DeliveryID:     job.DeliveryID,
		InstallationID: job.InstallationID,
		Owner:          job.Owner,
		Repo:           job.Repo,
		Number:         job.Number,
		BaseSHA:        job.BaseSHA,
		HeadSHA:        job.HeadSHA,
		MergeGroup:     job.MergeGroup,
		Rerun:          job.Event == "check_run" || job.Event == "check_suite",
		Logger:         log,
	}
}
