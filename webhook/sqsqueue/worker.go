package sqsqueue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/djintegrity/djintegrity/webhook"
)

// DefaultRemember is how many finished deliveries a Worker remembers to
// skip their duplicates.
const DefaultRemember = 4096

// DefaultReserve is the time a Worker keeps back from the invocation's
// deadline: a review that runs out of time updates its check run (it will
// be tried again, or it is completed neutral when the review is not
// resumable), and Lambda must not freeze it first.
const DefaultReserve = 15 * time.Second

// WorkerOptions configure a Worker.
type WorkerOptions struct {
	// Runner runs each job. Required.
	Runner webhook.Runner
	// Logger is slog.Default() when nil.
	Logger *slog.Logger
	// Remember is how many finished jobs (by deduplication id) the worker
	// keeps to skip a duplicate delivery; DefaultRemember when zero.
	Remember int
	// Reserve is kept back from the invocation's deadline for a review
	// that runs out of time to finish its check run; DefaultReserve when
	// zero.
	Reserve time.Duration
	// MaxReceives is the queue's maxReceiveCount: SQS moves a message to
	// the dead-letter queue after that many deliveries. When it is set and
	// the Runner is a webhook.Abandoner, reviews run Resumable (a failed one
	// leaves its check run in progress for SQS's next delivery to resume),
	// and the last delivery of a message only abandons its job (completes
	// what it left in progress) without running it again: a job that ended
	// the invocation each time (a crash, Lambda's timeout) is given up too.
	// Zero: unknown; every failed review completes its check run.
	MaxReceives int
	// Now is time.Now when nil.
	Now func() time.Time
}

// Worker handles the SQS events of the worker function. It is safe for
// concurrent use, though Lambda sends one event at a time to an execution
// environment.
type Worker struct {
	runner      webhook.Runner
	abandoner   webhook.Abandoner // nil unless the runner is one and MaxReceives is known
	maxReceives int
	log         *slog.Logger
	now         func() time.Time
	reserve     time.Duration
	done        *recent
}

// NewWorker checks opts and builds the worker.
func NewWorker(opts WorkerOptions) (*Worker, error) {
	if opts.Runner == nil {
		return nil, errors.New("no runner for jobs")
	}
	if opts.MaxReceives < 0 {
		return nil, fmt.Errorf("max receives %d: want the queue's maxReceiveCount, or 0", opts.MaxReceives)
	}
	w := &Worker{runner: opts.Runner, log: opts.Logger, now: opts.Now, reserve: opts.Reserve, maxReceives: opts.MaxReceives}
	if a, ok := opts.Runner.(webhook.Abandoner); ok && opts.MaxReceives > 0 {
		w.abandoner = a
	}
	if w.reserve <= 0 {
		w.reserve = DefaultReserve
	}
	if w.log == nil {
		w.log = slog.Default()
	}
	if w.now == nil {
		w.now = time.Now
	}
	n := opts.Remember
	if n <= 0 {
		n = DefaultRemember
	}
	w.done = newRecent(n)
	return w, nil
}

// Handle runs the jobs of one batch in order and returns the messages SQS
// must deliver again (ReportBatchItemFailures); the others are deleted.
//
//   - A job that fails is reported for retry; after the queue's
//     maxReceiveCount its message goes to the dead-letter queue.
//   - On a FIFO queue the first failure ends the batch: that message and
//     every later one are reported, unrun, so that no review of a pull
//     request overtakes an earlier one that is to be retried.
//   - A message that is not a valid job is logged and dropped: retrying
//     cannot fix it.
//   - A job that fails with a webhook.Permanent error is logged and
//     dropped (the review has completed its check run as neutral).
//   - A duplicate of a job this environment has finished is skipped, and so
//     is a job that a later job in the batch for the same pull request
//     webhook.Supersedes, unless it was delivered before (it may have left
//     its check run in progress, and only its run finishes it).
//   - With MaxReceives and an Abandoner, the last delivery of a message
//     abandons its job without running it, and a permanent failure is
//     abandoned at once; the message of the former still goes to the
//     dead-letter queue.
//
// The error is always nil: a batch-level error would make SQS deliver
// every message again, including the ones that were reviewed.
func (w *Worker) Handle(ctx context.Context, ev events.SQSEvent) (events.SQSEventResponse, error) {
	var resp events.SQSEventResponse
	jobs := make([]*webhook.Job, len(ev.Records))
	fifo := false
	for i, rec := range ev.Records {
		fifo = fifo || strings.HasSuffix(rec.EventSourceARN, ".fifo")
		job, err := decodeJob(rec.Body)
		if err != nil {
			w.log.Error("sqs: dropping a message that is not a job",
				slog.String("message_id", rec.MessageId),
				slog.String("receive_count", rec.Attributes["ApproximateReceiveCount"]),
				slog.Int("body_bytes", len(rec.Body)),
				slog.Any("error", err))
			continue
		}
		jobs[i] = &job
	}
	superseded := supersededInBatch(jobs, ev.Records)

	failed := false
	for i, rec := range ev.Records {
		if failed && fifo {
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
			continue
		}
		job := jobs[i]
		if job == nil {
			continue
		}
		log := w.log.With(jobAttrs(rec, *job)...)
		key := DeduplicationID(*job)
		switch {
		case superseded[i]:
			log.Info("sqs: job superseded by a newer one in the batch")
			continue
		case w.done.has(key):
			log.Info("sqs: duplicate delivery skipped")
			continue
		}
		if w.abandoner != nil && w.maxReceives > 1 && receives(rec) >= w.maxReceives {
			w.abandon(ctx, log, *job, fmt.Errorf("the review failed, or ended the worker, on each of its %d deliveries; it was given up", receives(rec)-1))
			log.Error("sqs: job failed for good; to the dead-letter queue")
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
			failed = true
			continue
		}
		jobCtx, cancel := w.jobContext(ctx)
		if err := jobCtx.Err(); err != nil {
			cancel()
			// Out of time: Lambda is about to end the invocation. What was
			// not run goes back to the queue.
			log.Warn("sqs: no time left to run the job", slog.Any("error", err))
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
			failed = true
			continue
		}
		start := w.now()
		if !job.Received.IsZero() {
			log = log.With(slog.Int64("queued_ms", start.Sub(job.Received).Milliseconds()))
		}
		log.Info("sqs: job started")
		jobCtx, stats := webhook.JobContext(jobCtx, log)
		if w.abandoner != nil {
			jobCtx = webhook.WithResumable(jobCtx)
		}
		err := w.run(jobCtx, *job)
		cancel()
		took := slog.Int64("duration_ms", w.now().Sub(start).Milliseconds())
		switch {
		case err == nil:
			w.done.add(key)
			log.Info("sqs: job done", append([]any{took}, stats.LogAttrs()...)...)
		case webhook.IsPermanent(err):
			w.done.add(key)
			log.Error("sqs: job failed for good; dropped", took, slog.Any("error", err))
			w.abandon(ctx, log, *job, err)
		case w.abandoner != nil && receives(rec) >= w.maxReceives:
			// The last delivery (maxReceiveCount 1): nobody runs it again.
			log.Error("sqs: job failed for good; to the dead-letter queue", took, slog.Any("error", err))
			w.abandon(ctx, log, *job, err)
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
			failed = true
		default:
			log.Error("sqs: job failed; SQS will deliver it again", took, slog.Any("error", err))
			resp.BatchItemFailures = append(resp.BatchItemFailures, events.SQSBatchItemFailure{ItemIdentifier: rec.MessageId})
			failed = true
		}
	}
	return resp, nil
}

// abandon hands a job given up to the Runner's Abandon, which completes
// the check run it left in progress.
func (w *Worker) abandon(ctx context.Context, log *slog.Logger, job webhook.Job, cause error) {
	if w.abandoner == nil {
		return
	}
	ctx, _ = webhook.JobContext(ctx, log)
	err := func() (err error) {
		defer func() {
			if p := recover(); p != nil {
				err = fmt.Errorf("abandon panicked: %v\n%s", p, debug.Stack())
			}
		}()
		return w.abandoner.Abandon(ctx, job, cause)
	}()
	if err != nil {
		log.Error("sqs: finishing the given-up job failed", slog.Any("error", err))
	}
}

// receives is a message's ApproximateReceiveCount: 1 on its first
// delivery.
func receives(rec events.SQSMessage) int {
	n, err := strconv.Atoi(rec.Attributes["ApproximateReceiveCount"])
	if err != nil || n < 1 {
		return 1
	}
	return n
}

// jobContext is the context of one job: the invocation's, ending the
// reserve before its deadline.
func (w *Worker) jobContext(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok {
		return context.WithDeadline(ctx, d.Add(-w.reserve))
	}
	return context.WithCancel(ctx)
}

// run calls the runner, turning a panic into an error so that one bad
// review costs one message, not the batch. Unlike the journal, which drops
// such a job, the worker lets SQS retry it: after maxReceiveCount it rests
// in the dead-letter queue, whose alarm tells someone to look.
func (w *Worker) run(ctx context.Context, job webhook.Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("review panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return w.runner.Run(ctx, job)
}

// decodeJob parses a message body. Unknown fields are allowed, so that a
// worker one deployment behind still runs the jobs of a newer receiver;
// what a review cannot do without is required. (The review reads the
// commits from the pull request when the job lacks them.)
func decodeJob(body string) (webhook.Job, error) {
	var job webhook.Job
	if err := json.Unmarshal([]byte(body), &job); err != nil {
		return job, fmt.Errorf("decoding job: %w", err)
	}
	switch {
	case job.DeliveryID == "":
		return job, errors.New("job has no delivery id")
	case job.InstallationID <= 0:
		return job, errors.New("job has no installation")
	case job.Owner == "" || job.Repo == "" || job.Number <= 0 && job.MergeGroup == "":
		return job, errors.New("job names no pull request")
	}
	return job, nil
}

// supersededInBatch marks the jobs that another job of the same pull
// request in the batch replaces. The rule is the journal's: pushes are
// ordered by the pull request's updated_at, since GitHub may deliver them
// out of order; a re-run request (no updated_at) on another head than a
// push is older than that push; otherwise the later message wins. A
// message delivered before is never replaced: its job may have left its
// check run in progress, and only its run finishes it.
func supersededInBatch(jobs []*webhook.Job, recs []events.SQSMessage) []bool {
	out := make([]bool, len(jobs))
	for i, a := range jobs {
		if a == nil {
			continue
		}
		for j := i + 1; j < len(jobs) && !out[i]; j++ {
			b := jobs[j]
			if b == nil || out[j] || a.PRKey() != b.PRKey() {
				continue
			}
			if webhook.Supersedes(*b, *a) {
				out[i] = receives(recs[i]) == 1
			} else {
				out[j] = receives(recs[j]) == 1
			}
		}
	}
	return out
}

// jobAttrs are the log attributes of a job and its message; the job's are
// webhook.Job.LogAttrs, so logs read the same as the journal's.
func jobAttrs(rec events.SQSMessage, j webhook.Job) []any {
	return append([]any{
		slog.String("message_id", rec.MessageId),
		slog.String("receive_count", rec.Attributes["ApproximateReceiveCount"]),
	}, j.LogAttrs()...)
}

// recent is a bounded set of keys: the oldest key goes when a new one
// comes and the set is full.
type recent struct {
	mu   sync.Mutex
	keys map[string]struct{}
	ring []string
	next int
}

func newRecent(n int) *recent {
	return &recent{keys: make(map[string]struct{}, n), ring: make([]string, n)}
}

func (r *recent) has(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.keys[key]
	return ok
}

func (r *recent) add(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.keys[key]; ok {
		return
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.keys, old)
	}
	r.ring[r.next] = key
	r.keys[key] = struct{}{}
	r.next = (r.next + 1) % len(r.ring)
}
