package webhook

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// JournalOptions configure a Journal; zero values take the defaults.
type JournalOptions struct {
	// Workers run jobs at the same time (default 4). Jobs of one pull
	// request never run at the same time.
	Workers int
	// MaxAttempts is how many times a failing job runs before it is given
	// up and logged (default 5). A Permanent error gives up at once.
	MaxAttempts int
	// Backoff is the wait before attempt n+1 after attempt n failed
	// (default 10s doubling per attempt, at most 5m, ±20% jitter).
	Backoff func(attempt int) time.Duration
	// Grace is how long running jobs may go on after Run's context is
	// cancelled before their own contexts are (default 30s).
	Grace time.Duration
	// JobTimeout bounds one run of one job (default 10m).
	JobTimeout time.Duration
	// Retention is how long delivery ids are remembered to drop
	// redeliveries (default 7 days; GitHub redelivers up to 3 days back).
	Retention time.Duration
	// Logger is slog.Default() when nil.
	Logger *slog.Logger
	// Now is time.Now when nil.
	Now func() time.Time
}

func (o *JournalOptions) defaults() {
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.MaxAttempts <= 0 {
		o.MaxAttempts = 5
	}
	if o.Backoff == nil {
		o.Backoff = DefaultBackoff
	}
	if o.Grace <= 0 {
		o.Grace = 30 * time.Second
	}
	if o.JobTimeout <= 0 {
		o.JobTimeout = 10 * time.Minute
	}
	if o.Retention <= 0 {
		o.Retention = 7 * 24 * time.Hour
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.Now == nil {
		o.Now = time.Now
	}
}

// DefaultBackoff waits 10s after the first failure, doubling up to 5m,
// with ±20% jitter so that jobs failed together do not retry together.
func DefaultBackoff(attempt int) time.Duration {
	d := 10 * time.Second
	for i := 1; i < attempt && d < 5*time.Minute; i++ {
		d *= 2
	}
	d = min(d, 5*time.Minute)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// ErrClosed is returned by Enqueue after Close.
var ErrClosed = errors.New("journal closed")

var (
	jobsBucket       = []byte("jobs")       // seq (8 bytes, big endian) -> record JSON
	deliveriesBucket = []byte("deliveries") // Job.deliveryKey -> first seen (unix nanoseconds)
)

// record is a job as the journal keeps it.
type record struct {
	seq       uint64
	Job       Job       `json:"job"`
	Attempts  int       `json:"attempts"` // runs started, counted before each run
	NotBefore time.Time `json:"not_before,omitzero"`
	LastError string    `json:"last_error,omitempty"`
}

// Journal is a durable job queue in one bbolt file, with a worker pool
// (Run). A job is written and synced before Enqueue returns and deleted
// only when it has run, failed for good, or been superseded, so a crash or
// restart loses no accepted job: a job that was running runs again (the
// review's fingerprints keep it from posting twice).
//
// Jobs for one pull request are coalesced: a newer job replaces the queued
// one, and a running one finishes before the next of its pull request
// starts.
type Journal struct {
	db      *bolt.DB
	opts    JournalOptions
	log     *slog.Logger
	running atomic.Bool

	mu      sync.Mutex
	closed  bool
	queued  map[uint64]*record // waiting to run
	byPR    map[string]uint64  // pull request -> its queued job
	active  map[string]bool    // pull requests with a running job
	changed chan struct{}      // closed and replaced on every change
}

// OpenJournal opens (or creates) the journal file at path and loads the
// jobs it holds. A file held by another process is an error after a
// second, not a hang.
func OpenJournal(path string, opts JournalOptions) (*Journal, error) {
	opts.defaults()
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("open journal %s: in use by another process", path)
		}
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	j := &Journal{
		db:      db,
		opts:    opts,
		log:     opts.Logger,
		queued:  map[uint64]*record{},
		byPR:    map[string]uint64{},
		active:  map[string]bool{},
		changed: make(chan struct{}),
	}
	if err := j.load(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	if err := j.prune(); err != nil {
		j.log.Warn("journal: pruning delivery ids failed", slog.Any("error", err))
	}
	return j, nil
}

// load reads the queued jobs in arrival order, replaying coalescing: a job
// that was running when the process stopped meets the newer job of its
// pull request again here.
func (j *Journal) load() error {
	return j.db.Update(func(tx *bolt.Tx) error {
		if _, err := tx.CreateBucketIfNotExists(deliveriesBucket); err != nil {
			return err
		}
		b, err := tx.CreateBucketIfNotExists(jobsBucket)
		if err != nil {
			return err
		}
		var drop [][]byte
		err = b.ForEach(func(k, v []byte) error {
			rec := &record{}
			if len(k) != 8 || json.Unmarshal(v, rec) != nil {
				j.log.Error("journal: dropping unreadable job", slog.String("key", fmt.Sprintf("%x", k)))
				drop = append(drop, k)
				return nil
			}
			rec.seq = binary.BigEndian.Uint64(k)
			pk := rec.Job.PRKey()
			if oldSeq, ok := j.byPR[pk]; ok {
				old := j.queued[oldSeq]
				if !Supersedes(rec.Job, old.Job) {
					drop = append(drop, k)
					return nil
				}
				delete(j.queued, oldSeq)
				drop = append(drop, seqKey(oldSeq))
			}
			j.queued[rec.seq] = rec
			j.byPR[pk] = rec.seq
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range drop {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		if len(j.queued) > 0 {
			j.log.Info("journal: jobs waiting from before", slog.Int("jobs", len(j.queued)))
		}
		return nil
	})
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func nanos(t time.Time) []byte { return binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())) }

// notify wakes the workers; j.mu must be held.
func (j *Journal) notify() {
	close(j.changed)
	j.changed = make(chan struct{})
}

// Enqueue writes job to the journal and returns once it is on disk. A
// delivery seen before returns ErrDuplicate; a job older than the queued
// one of its pull request is accepted and dropped (logged).
func (j *Journal) Enqueue(ctx context.Context, job Job) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if job.DeliveryID == "" {
		return errors.New("enqueue: job has no delivery id")
	}
	pk := job.PRKey()
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return ErrClosed
	}
	var prev *record
	stale := false
	rec := &record{Job: job}
	err := j.db.Update(func(tx *bolt.Tx) error {
		d := tx.Bucket(deliveriesBucket)
		key := []byte(job.deliveryKey())
		if d.Get(key) != nil {
			return ErrDuplicate
		}
		if err := d.Put(key, nanos(j.opts.Now())); err != nil {
			return err
		}
		b := tx.Bucket(jobsBucket)
		if seq, ok := j.byPR[pk]; ok {
			prev = j.queued[seq]
			if !Supersedes(job, prev.Job) {
				stale = true
				return nil
			}
			if err := b.Delete(seqKey(seq)); err != nil {
				return err
			}
		}
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		rec.seq = seq
		v, err := json.Marshal(rec)
		if err != nil {
			return err
		}
		return b.Put(seqKey(seq), v)
	})
	if errors.Is(err, ErrDuplicate) {
		return ErrDuplicate
	}
	if err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	if stale {
		j.log.Info("journal: job dropped, a newer one for the pull request is queued",
			append(job.LogAttrs(), slog.String("queued_head_sha", prev.Job.HeadSHA))...)
		return nil
	}
	if prev != nil {
		delete(j.queued, prev.seq)
		j.log.Info("journal: queued job superseded by a newer one",
			append(prev.Job.LogAttrs(), slog.String("new_head_sha", job.HeadSHA), slog.String("new_delivery", job.DeliveryID))...)
	}
	j.queued[rec.seq] = rec
	j.byPR[pk] = rec.seq
	j.notify()
	return nil
}

// Len is the number of jobs in the journal, queued or running.
func (j *Journal) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return len(j.queued) + len(j.active)
}

// Close closes the file. Call it after Run has returned.
func (j *Journal) Close() error {
	j.mu.Lock()
	if j.closed {
		j.mu.Unlock()
		return nil
	}
	j.closed = true
	j.notify()
	j.mu.Unlock()
	return j.db.Close()
}

// claim takes the oldest job that may run now and marks its pull request
// active. Without one it returns when the next delayed job is due (zero:
// none) and a channel closed on the next change.
func (j *Journal) claim() (*record, time.Time, <-chan struct{}) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil, time.Time{}, j.changed
	}
	now := j.opts.Now()
	var best *record
	var due time.Time
	for _, rec := range j.queued {
		if j.active[rec.Job.PRKey()] {
			continue
		}
		if rec.NotBefore.After(now) {
			if due.IsZero() || rec.NotBefore.Before(due) {
				due = rec.NotBefore
			}
			continue
		}
		if best == nil || rec.seq < best.seq {
			best = rec
		}
	}
	if best == nil {
		return nil, due, j.changed
	}
	pk := best.Job.PRKey()
	delete(j.queued, best.seq)
	if j.byPR[pk] == best.seq {
		delete(j.byPR, pk)
	}
	j.active[pk] = true
	best.Attempts++
	// Counting the attempt on disk before the run bounds a job that crashes
	// the process every time it runs.
	if err := j.put(best); err != nil {
		j.log.Warn("journal: recording attempt failed", append(best.Job.LogAttrs(), slog.Any("error", err))...)
	}
	return best, time.Time{}, nil
}

// put writes rec; j.mu must be held.
func (j *Journal) put(rec *record) error {
	v, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	return j.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(jobsBucket).Put(seqKey(rec.seq), v) })
}

// remove deletes a job that is done with; j.mu must be held.
func (j *Journal) remove(rec *record) error {
	return j.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(jobsBucket).Delete(seqKey(rec.seq)) })
}

// outcome of one run.
type outcome int

const (
	done        outcome = iota // ran: delete
	failed                     // error: retry later or give up
	interrupted                // cut off by shutdown: leave for the next start
)

// settle records what became of a claimed job and frees its pull request.
func (j *Journal) settle(rec *record, out outcome, runErr error, log *slog.Logger) {
	j.mu.Lock()
	defer j.mu.Unlock()
	pk := rec.Job.PRKey()
	delete(j.active, pk)
	defer j.notify()
	_, newer := j.byPR[pk]
	keep := false
	switch {
	case out == done:
	case newer:
		log.Info("journal: unfinished job superseded by a newer one")
	case out == interrupted:
		rec.Attempts-- // shutdown is not the job's fault
		keep = true
		log.Warn("journal: job interrupted by shutdown, left in the journal")
	case IsPermanent(runErr) || rec.Attempts >= j.opts.MaxAttempts:
		log.Error("journal: job failed for good, giving up",
			slog.Int("attempts", rec.Attempts), slog.Bool("permanent", IsPermanent(runErr)), slog.Any("error", runErr))
	default:
		wait := j.opts.Backoff(rec.Attempts)
		rec.NotBefore = j.opts.Now().Add(wait)
		rec.LastError = runErr.Error()
		keep = true
		log.Warn("journal: job failed, will retry",
			slog.Int("attempts", rec.Attempts), slog.Int64("retry_in_ms", wait.Milliseconds()), slog.Any("error", runErr))
	}
	if j.closed {
		return
	}
	if !keep {
		if err := j.remove(rec); err != nil {
			log.Error("journal: deleting job failed", slog.Any("error", err))
		}
		return
	}
	if err := j.put(rec); err != nil {
		log.Error("journal: saving job failed", slog.Any("error", err))
	}
	j.queued[rec.seq] = rec
	j.byPR[pk] = rec.seq
}

// Run runs queued jobs with the pool of workers until ctx is cancelled.
// Then it starts no new job, gives running jobs the grace period, cancels
// their contexts, and returns once they have returned; whatever did not
// finish stays in the journal for the next start.
func (j *Journal) Run(ctx context.Context, r Runner) error {
	if !j.running.CompareAndSwap(false, true) {
		return errors.New("journal: Run called twice")
	}
	// Running jobs get their own context: cancelled only after the grace
	// period that follows ctx's cancellation.
	jobsCtx, cancelJobs := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelJobs()
	stopGrace := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(j.opts.Grace, cancelJobs)
		context.AfterFunc(jobsCtx, func() { t.Stop() })
	})
	defer stopGrace()

	var wg sync.WaitGroup
	for range j.opts.Workers {
		wg.Go(func() { j.work(ctx, jobsCtx, r) })
	}
	wg.Go(func() {
		t := time.NewTicker(time.Hour)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := j.prune(); err != nil {
					j.log.Warn("journal: pruning delivery ids failed", slog.Any("error", err))
				}
			}
		}
	})
	wg.Wait()
	return nil
}

func (j *Journal) work(ctx, jobsCtx context.Context, r Runner) {
	for ctx.Err() == nil {
		rec, due, changed := j.claim()
		if rec == nil {
			var timer <-chan time.Time
			var t *time.Timer
			if !due.IsZero() {
				t = time.NewTimer(due.Sub(j.opts.Now()))
				timer = t.C
			}
			select {
			case <-ctx.Done():
			case <-changed:
			case <-timer:
			}
			if t != nil {
				t.Stop()
			}
			continue
		}
		j.runOne(jobsCtx, r, rec)
	}
}

// runOne runs one claimed job and logs its outcome with everything known.
func (j *Journal) runOne(jobsCtx context.Context, r Runner, rec *record) {
	log := j.log.With(rec.Job.LogAttrs()...).With(slog.Int("attempt", rec.Attempts))
	ctx, cancel := context.WithTimeout(jobsCtx, j.opts.JobTimeout)
	defer cancel()
	ctx, stats := JobContext(ctx, log)

	start := j.opts.Now()
	err := safeRun(ctx, r, rec.Job)
	took := j.opts.Now().Sub(start)
	log = log.With(append([]any{
		slog.Int64("duration_ms", took.Milliseconds()),
		slog.Int64("queued_ms", start.Sub(rec.Job.Received).Milliseconds()),
	}, stats.LogAttrs()...)...)
	switch {
	case err == nil:
		// Debug: the Runner logs the job's outcome itself (serve's reviewer
		// logs "review done" with the same attributes); failures are logged
		// here, since the Runner returns them unlogged.
		log.Debug("job done")
		j.settle(rec, done, nil, log)
	case jobsCtx.Err() != nil:
		j.settle(rec, interrupted, err, log)
	default:
		j.settle(rec, failed, err, log)
	}
}

// safeRun turns a Runner's panic into an error: one bad job must not take
// the server and the other jobs down.
func safeRun(ctx context.Context, r Runner, job Job) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = Permanent(fmt.Errorf("runner panicked: %v\n%s", p, debug.Stack()))
		}
	}()
	return r.Run(ctx, job)
}

// prune forgets delivery ids older than the retention.
func (j *Journal) prune() error {
	cutoff := uint64(j.opts.Now().Add(-j.opts.Retention).UnixNano())
	return j.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(deliveriesBucket)
		var old [][]byte
		err := b.ForEach(func(k, v []byte) error {
			if len(v) != 8 || binary.BigEndian.Uint64(v) < cutoff {
				old = append(old, k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		return nil
	})
}
