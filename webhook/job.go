// Package webhook receives GitHub App webhook deliveries, turns the ones that
// ask for a review into Jobs, and runs them from a durable journal.
//
// The receiving half (Handler) verifies, parses and filters a delivery and
// queues a Job before it answers 202; the working half (Journal.Run) hands
// queued Jobs to a Runner with a pool of workers. The two meet at the Queue
// interface, so another queue (SQS on AWS) can take the journal's place.
package webhook

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"
)

// Job is one review request taken from a webhook delivery.
type Job struct {
	DeliveryID     string    `json:"delivery_id"` // X-GitHub-Delivery: dedupe and logs
	Event          string    `json:"event"`       // pull_request, check_run, check_suite, merge_group
	Action         string    `json:"action"`
	InstallationID int64     `json:"installation_id"`
	Owner          string    `json:"owner"`
	Repo           string    `json:"repo"`
	Number         int       `json:"number"`
	BaseSHA        string    `json:"base_sha"`
	HeadSHA        string    `json:"head_sha"`
	Received       time.Time `json:"received"`
	// MergeGroup is the head ref of a merge queue's group
	// (refs/heads/gh-readonly-queue/...) for a merge_group job, which has
	// no pull request number: the review compares BaseSHA with HeadSHA and
	// only completes a check run on HeadSHA.
	MergeGroup string `json:"merge_group,omitempty"`
	// Updated is the pull request's updated_at from a pull_request event
	// (zero for check events). GitHub does not promise delivery order, so
	// coalescing uses it to tell the newer of two pushes.
	Updated time.Time `json:"updated,omitzero"`
}

// PRKey names the pull request a job is about, owner/repo#number: jobs with
// the same key are coalesced and never run at the same time (in the
// journal; on SQS it is the FIFO message group). A merge group's key is
// its head ref, so that its destroyed event supersedes its queued review.
func (j Job) PRKey() string {
	if j.MergeGroup != "" {
		return j.Owner + "/" + j.Repo + "@" + j.MergeGroup
	}
	return j.Owner + "/" + j.Repo + "#" + strconv.Itoa(j.Number)
}

// Cancels reports whether the job only cancels the queued work of its key
// (a merge group that GitHub destroyed): it supersedes that work and runs
// nothing.
func (j Job) Cancels() bool { return j.Event == "merge_group" && j.Action == "destroyed" }

// deliveryKey is what a redelivery repeats. One check_suite delivery can
// name several pull requests, each its own job, so the key holds both.
func (j Job) deliveryKey() string { return j.DeliveryID + " " + j.PRKey() }

// Supersedes reports whether job next replaces job prev of the same pull
// request. Pushes are ordered by the pull request's updated_at, since
// deliveries may arrive out of order; a re-run request on another head sha
// than a queued push is older than that push (its check run exists, the
// push's does not yet) and is dropped. Otherwise the later arrival wins,
// as it does when two pushes share updated_at's second: the order is a
// hint, for the review reads the pull request's head when it runs and
// reviews that one (githubreview).
func Supersedes(next, prev Job) bool {
	switch {
	case !next.Updated.IsZero() && !prev.Updated.IsZero():
		return !next.Updated.Before(prev.Updated)
	case next.Updated.IsZero() && !prev.Updated.IsZero() && next.HeadSHA != prev.HeadSHA:
		return false
	}
	return true
}

// LogAttrs are the log attributes of a job, the same in every mode (the
// journal of serve, SQS on Lambda).
func (j Job) LogAttrs() []any {
	attrs := []any{
		slog.String("delivery", j.DeliveryID),
		slog.String("event", j.Event),
		slog.String("action", j.Action),
		slog.Int64("installation", j.InstallationID),
		slog.String("repo", j.Owner+"/"+j.Repo),
		slog.Int("pr", j.Number),
		slog.String("head_sha", j.HeadSHA),
	}
	if j.MergeGroup != "" {
		attrs = append(attrs, slog.String("merge_group", j.MergeGroup))
	}
	return attrs
}

// Runner runs one job: the review of one pull request at one head sha.
// An error makes the journal retry the job later, unless it is Permanent.
type Runner interface {
	Run(ctx context.Context, job Job) error
}

// Abandoner is a Runner that can finish what a job leaves behind when its
// host gives the job up (a permanent error, its last attempt failed, or it
// was running each time the process died): the Runner's review then
// completes its check run with cause, so that none is left in progress.
type Abandoner interface {
	Runner
	Abandon(ctx context.Context, job Job, cause error) error
}

// WithResumable marks a job's context: its host runs the job again if
// this run fails, and calls Abandon when it gives the job up. A Runner may
// then leave its work unfinished on a failure (the check run in progress,
// saying why) for the next run to resume, rather than conclude it: a
// check that concludes "neutral" after a failure that a retry would fix
// lets a pull request merge unreviewed.
func WithResumable(ctx context.Context) context.Context {
	return context.WithValue(ctx, resumableKey, true)
}

// Resumable reports whether ctx was marked by WithResumable.
func Resumable(ctx context.Context) bool {
	v, _ := ctx.Value(resumableKey).(bool)
	return v
}

// RunnerFunc adapts a function to Runner.
type RunnerFunc func(ctx context.Context, job Job) error

// Run calls f.
func (f RunnerFunc) Run(ctx context.Context, job Job) error { return f(ctx, job) }

// Queue stores accepted jobs. Enqueue must not return before the job is
// durable: the Handler answers 202 only after it returns nil, and GitHub
// does not send a delivery again after a 2xx.
type Queue interface {
	Enqueue(ctx context.Context, job Job) error
}

// ErrDuplicate is returned by Enqueue for a delivery (and pull request)
// the queue has already accepted: GitHub redelivers with the same id.
var ErrDuplicate = errors.New("duplicate delivery")

// permanentError marks an error that retrying cannot fix.
type permanentError struct{ err error }

func (e permanentError) Error() string { return e.err.Error() }
func (e permanentError) Unwrap() error { return e.err }

// Permanent wraps err so that the journal gives the job up at once instead
// of retrying it (a repository that is gone, an installation removed).
func Permanent(err error) error {
	if err == nil {
		return nil
	}
	return permanentError{err}
}

// IsPermanent reports whether err was wrapped by Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

type ctxKey int

const (
	loggerKey ctxKey = iota
	statsKey
	resumableKey
)

// Logger returns the logger the journal put in a job's context, carrying
// the job's delivery, installation, repository, pull request and head sha;
// outside a job it returns slog.Default().
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey).(*slog.Logger); ok {
		return l
	}
	return slog.Default()
}

// JobStats is what a Runner reports back about its job, for the job's
// completion log line.
type JobStats struct{ findings int }

// JobContext is the context a host (the journal, the SQS worker) runs a
// job under: Logger(ctx) returns log, and what the Runner reports with
// ReportFindings lands in the returned stats.
func JobContext(ctx context.Context, log *slog.Logger) (context.Context, *JobStats) {
	s := &JobStats{findings: -1}
	return context.WithValue(context.WithValue(ctx, loggerKey, log), statsKey, s), s
}

// LogAttrs returns what the Runner reported, as log attributes.
func (s *JobStats) LogAttrs() []any {
	if s.findings < 0 {
		return nil
	}
	return []any{slog.Int("findings", s.findings)}
}

// ReportFindings records how many findings a job's review produced, for
// the host's completion line. Outside JobContext it does nothing.
func ReportFindings(ctx context.Context, n int) {
	if s, ok := ctx.Value(statsKey).(*JobStats); ok {
		s.findings = n
	}
}
