package webhook

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
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

	// noSync skips fsync (tests that open many journals).
	noSync bool
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
	Attempts  int       `json:"attempts"` // runs started, counted before each run (shutdown gives one back)
	Started   bool      `json:"started,omitempty"`
	NotBefore time.Time `json:"not_before,omitzero"`
	LastError string    `json:"last_error,omitempty"`
}

// started reports whether the job has run, or was running when the process
// stopped: its check run may be in progress, and only a run of this job
// finishes it (the Runner resumes or completes it), so it is never
// coalesced away.
func (r *record) started() bool { return r.Started || r.Attempts > 0 }

// decodeRecord reads one entry of the jobs bucket. An entry that is not a
// job the journal could have written is an error: it is dropped, not run.
func decodeRecord(k, v []byte) (*record, error) {
	if len(k) != 8 {
		return nil, fmt.Errorf("key of %d bytes, want 8", len(k))
	}
	rec := &record{}
	if err := json.Unmarshal(v, rec); err != nil {
		return nil, err
	}
	j := rec.Job
	switch {
	case j.DeliveryID == "":
		return nil, errors.New("job has no delivery id")
	case j.Owner == "" || j.Repo == "" || j.Number <= 0 && j.MergeGroup == "":
		return nil, errors.New("job names no pull request")
	case rec.Attempts < 0:
		return nil, fmt.Errorf("%d attempts", rec.Attempts)
	}
	rec.seq = binary.BigEndian.Uint64(k)
	return rec, nil
}

// Journal is a durable job queue in one bbolt file, with a worker pool
// (Run). A job is written and synced before Enqueue returns and deleted
// only when it has run, been given up, or been superseded before it
// started, so a crash or restart loses no accepted job: a job that was
// running runs again, and the Runner resumes its check run.
//
// Jobs for one pull request are coalesced: a newer job replaces the queued
// ones that never started, a job older than one queued or running is
// dropped, and a running one finishes before the next of its pull request
// starts.
type Journal struct {
	db      *bolt.DB
	opts    JournalOptions
	log     *slog.Logger
	running atomic.Bool

	mu      sync.Mutex
	closed  bool
	queued  map[uint64]*record // waiting to run
	active  map[string]*record // pull request -> its running job
	changed chan struct{}      // closed and replaced on every change
}

// OpenJournal opens (or creates) the journal file at path and loads the
// jobs it holds. A file held by another process is an error after a
// second, not a hang. A corrupted file is moved aside (path.corrupt-TIME,
// logged as an error) and an empty journal takes its place: the jobs it
// held are lost, but GitHub's redeliveries and the next push re-create the
// work, where refusing to start would stop every review.
func OpenJournal(path string, opts JournalOptions) (*Journal, error) {
	opts.defaults()
	j := &Journal{
		opts:    opts,
		log:     opts.Logger,
		queued:  map[uint64]*record{},
		active:  map[string]*record{},
		changed: make(chan struct{}),
	}
	err := j.openChecked(path)
	var bad *corruptError
	if errors.As(err, &bad) {
		aside := fmt.Sprintf("%s.corrupt-%s", path, opts.Now().UTC().Format("20060102T150405.000000000"))
		if rerr := os.Rename(path, aside); rerr != nil {
			return nil, fmt.Errorf("open journal %s: %w; moving it aside: %w", path, err, rerr)
		}
		j.log.Error("JOURNAL CORRUPTED: moved aside, starting with an empty journal; the jobs it held are lost until GitHub redelivers them or the next push",
			slog.String("path", path), slog.String("moved_to", aside), slog.Any("error", err))
		j.queued = map[uint64]*record{}
		err = j.openChecked(path)
	}
	if err != nil {
		return nil, fmt.Errorf("open journal %s: %w", path, err)
	}
	if err := j.prune(); err != nil {
		j.log.Warn("journal: pruning delivery ids failed", slog.Any("error", err))
	}
	return j, nil
}

// corruptError is a journal file that bbolt cannot read safely.
type corruptError struct{ err error }

func (e *corruptError) Error() string { return "corrupted: " + e.err.Error() }
func (e *corruptError) Unwrap() error { return e.err }

// openChecked opens the journal at path, checks its pages, rewrites what
// it holds into a fresh file that takes path's place, and loads the jobs.
// bbolt trusts its pages: on some corruptions it panics, faults on a page
// pointer past the file, loops on a page that points to itself, or
// allocates without bound for a free list that says it is huge, and its
// own check does some of these too. So the old file is opened read-only
// (its free list is never read), its tree is checked from the file's bytes
// (pageTree) before bbolt walks it, the walk copies it key by key into a
// file bbolt lays out itself, and the journal then writes only to that
// one. A panic or a fault on the way is recovered as a *corruptError.
func (j *Journal) openChecked(path string) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	var dbs []*bolt.DB
	var files []*os.File // bbolt's, to close if Open panics before it returns the DB
	defer func() {
		if p := recover(); p != nil {
			err = &corruptError{fmt.Errorf("bbolt panicked: %v", p)}
		}
		if err == nil {
			return
		}
		for _, db := range dbs {
			closeQuietly(db)
		}
		for _, f := range files {
			f.Close() // releases the lock too; a second Close is harmless
		}
	}()
	open := func(p string, readOnly bool) (*bolt.DB, error) {
		db, err := bolt.Open(p, 0o600, &bolt.Options{
			Timeout:  time.Second,
			ReadOnly: readOnly,
			NoSync:   j.opts.noSync,
			OpenFile: func(name string, flag int, perm os.FileMode) (*os.File, error) {
				f, err := os.OpenFile(name, flag, perm)
				if f != nil {
					files = append(files, f)
				}
				return f, err
			},
		})
		var pathErr *fs.PathError
		switch {
		case errors.Is(err, bolterrors.ErrTimeout):
			return nil, errors.New("in use by another process")
		case errors.As(err, &pathErr):
			return nil, err // the file could not be opened (permissions): not its content
		case err != nil:
			// What bbolt says of the file once open (invalid, checksum,
			// version, a size too small for its metas) is its content.
			return nil, &corruptError{err}
		}
		dbs = append(dbs, db)
		return db, nil
	}

	if fi, err := os.Stat(path); err == nil && fi.Size() > 0 {
		if err := j.rewrite(path, open); err != nil {
			return err
		}
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if j.db, err = open(path, false); err != nil {
		return err
	}
	return j.load()
}

// rewrite checks the journal at path and puts a fresh copy of it in its
// place. A file in use by a serve that runs is refused (its lock).
func (j *Journal) rewrite(path string, open func(string, bool) (*bolt.DB, error)) error {
	old, err := open(path, true)
	if err != nil {
		return err
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	t := &pageTree{data: data, seen: map[uint64]bool{}}
	var root uint64
	if err := old.View(func(tx *bolt.Tx) error {
		t.pageSize = uint64(old.Info().PageSize)
		t.hwm = uint64(tx.Size()) / t.pageSize
		root = uint64(tx.Cursor().Bucket().Root())
		return nil
	}); err != nil {
		return err
	}
	if err := t.check(root); err != nil {
		return &corruptError{err}
	}
	// A second serve started at the same time (both read the old file
	// under a shared lock) finds tmp locked, and stops: in use.
	tmp := path + ".compact"
	fresh, err := openFresh(tmp, open)
	if err != nil {
		return err
	}
	if err := copyAll(old, fresh); err != nil {
		return err
	}
	if err := fresh.Close(); err != nil {
		return err
	}
	if err := old.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	if !j.opts.noSync {
		syncDir(filepath.Dir(path))
	}
	return nil
}

// openFresh opens the file a rewrite copies into. One that a crash left
// corrupted is removed and made again: its corruption is not the
// journal's.
func openFresh(tmp string, open func(string, bool) (*bolt.DB, error)) (*bolt.DB, error) {
	try := func() (db *bolt.DB, err error) {
		defer func() {
			if p := recover(); p != nil {
				err = &corruptError{fmt.Errorf("bbolt panicked: %v", p)}
			}
		}()
		return open(tmp, false)
	}
	db, err := try()
	if bad := (*corruptError)(nil); errors.As(err, &bad) {
		if err := os.Remove(tmp); err != nil {
			return nil, err
		}
		db, err = try()
	}
	if bad := (*corruptError)(nil); errors.As(err, &bad) {
		return nil, fmt.Errorf("%s: %v", tmp, bad) // not the journal's corruption
	}
	return db, err
}

// copyAll copies every bucket, key, value and bucket sequence of src into
// dst, in one transaction. What src holds that bbolt would not write (an
// empty key, a bucket that is not one) is a *corruptError; a failure to
// write dst is returned as it is.
func copyAll(src, dst *bolt.DB) error {
	var bad error
	err := src.View(func(stx *bolt.Tx) error {
		return dst.Update(func(dtx *bolt.Tx) error {
			// dst may hold a copy that a crash cut short.
			var left [][]byte
			if err := dtx.ForEach(func(name []byte, _ *bolt.Bucket) error {
				left = append(left, bytes.Clone(name))
				return nil
			}); err != nil {
				return err
			}
			for _, name := range left {
				if err := dtx.DeleteBucket(name); err != nil {
					return err
				}
			}
			return stx.ForEach(func(name []byte, sb *bolt.Bucket) error {
				db, err := dtx.CreateBucket(name)
				if err != nil {
					bad = err
					return err
				}
				return copyBucket(sb, db, &bad)
			})
		})
	})
	if bad != nil {
		return &corruptError{fmt.Errorf("copying the journal: %w", bad)}
	}
	return err
}

func copyBucket(src, dst *bolt.Bucket, bad *error) error {
	fail := func(err error) error {
		*bad = err
		return err
	}
	if err := dst.SetSequence(src.Sequence()); err != nil {
		return fail(err)
	}
	return src.ForEach(func(k, v []byte) error {
		if v != nil {
			if err := dst.Put(k, v); err != nil {
				return fail(fmt.Errorf("key %x: %w", k, err))
			}
			return nil
		}
		sb := src.Bucket(k)
		if sb == nil {
			return fail(fmt.Errorf("key %x: neither a value nor a bucket", k))
		}
		db, err := dst.CreateBucket(k)
		if err != nil {
			return fail(fmt.Errorf("bucket %x: %w", k, err))
		}
		return copyBucket(sb, db, bad)
	})
}

// syncDir makes a rename in dir durable; where a directory cannot be
// synced, the rename is as durable as the system makes it.
func syncDir(dir string) {
	d, err := os.Open(dir)
	if err != nil {
		return
	}
	defer d.Close()
	_ = d.Sync()
}

// closeQuietly closes a database found corrupted; closing may panic too.
func closeQuietly(db *bolt.DB) {
	defer func() { _ = recover() }()
	_ = db.Close()
}

// load reads the queued jobs in arrival order, replaying coalescing: a job
// that was running when the process stopped meets the newer job of its
// pull request again here, and both are kept (the started one first).
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
			rec, err := decodeRecord(k, v)
			if err != nil {
				j.log.Error("journal: dropping unreadable job", slog.String("key", fmt.Sprintf("%x", k)), slog.Any("error", err))
				drop = append(drop, k)
				return nil
			}
			stale, replaced := j.coalesce(rec.Job)
			if stale != nil && !rec.started() {
				drop = append(drop, k)
				return nil
			}
			for _, old := range replaced {
				delete(j.queued, old.seq)
				drop = append(drop, seqKey(old.seq))
			}
			j.queued[rec.seq] = rec
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
		// New jobs must sort after every job kept, whatever the sequence
		// says.
		if k, _ := b.Cursor().Last(); len(k) == 8 && binary.BigEndian.Uint64(k) > b.Sequence() {
			if err := b.SetSequence(binary.BigEndian.Uint64(k)); err != nil {
				return err
			}
		}
		if len(j.queued) > 0 {
			j.log.Info("journal: jobs waiting from before", slog.Int("jobs", len(j.queued)))
		}
		return nil
	})
}

// coalesce compares job with the jobs of its pull request in the journal,
// queued or running: stale is one of them that job does not supersede
// (job is then dropped), else replaced are the queued ones job supersedes
// that never started. j.mu must be held (or the journal not yet shared).
func (j *Journal) coalesce(job Job) (stale *record, replaced []*record) {
	pk := job.PRKey()
	if r := j.active[pk]; r != nil && !Supersedes(job, r.Job) {
		return r, nil
	}
	for _, r := range j.queued {
		if r.Job.PRKey() != pk {
			continue
		}
		if !Supersedes(job, r.Job) {
			return r, nil
		}
		if !r.started() {
			replaced = append(replaced, r)
		}
	}
	return nil, replaced
}

func seqKey(seq uint64) []byte { return binary.BigEndian.AppendUint64(nil, seq) }

func nanos(t time.Time) []byte { return binary.BigEndian.AppendUint64(nil, uint64(t.UnixNano())) }

// notify wakes the workers; j.mu must be held.
func (j *Journal) notify() {
	close(j.changed)
	j.changed = make(chan struct{})
}

// Enqueue writes job to the journal and returns once it is on disk. A
// delivery seen before returns ErrDuplicate; a job older than one queued
// or running for its pull request is accepted and dropped (logged).
func (j *Journal) Enqueue(ctx context.Context, job Job) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if job.DeliveryID == "" {
		return errors.New("enqueue: job has no delivery id")
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return ErrClosed
	}
	stale, replaced := j.coalesce(job)
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
		if stale != nil {
			return nil
		}
		b := tx.Bucket(jobsBucket)
		for _, r := range replaced {
			if err := b.Delete(seqKey(r.seq)); err != nil {
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
	if stale != nil {
		j.log.Info("journal: job dropped, a newer one for the pull request is queued or running",
			append(job.LogAttrs(), slog.String("newer_head_sha", stale.Job.HeadSHA), slog.String("newer_delivery", stale.Job.DeliveryID))...)
		return nil
	}
	for _, r := range replaced {
		delete(j.queued, r.seq)
		j.log.Info("journal: queued job superseded by a newer one",
			append(r.Job.LogAttrs(), slog.String("new_head_sha", job.HeadSHA), slog.String("new_delivery", job.DeliveryID))...)
	}
	j.queued[rec.seq] = rec
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

// claim takes the oldest job that may run now, marks its pull request
// active and counts the attempt on disk. Without one it returns when the
// next delayed job is due (zero: none) and a channel closed on the next
// change. crashed is set for a job that was running each of the
// MaxAttempts times the process stopped: it is to be given up, not run.
func (j *Journal) claim() (rec *record, crashed bool, due time.Time, changed <-chan struct{}) {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.closed {
		return nil, false, time.Time{}, j.changed
	}
	now := j.opts.Now()
	var best *record
	for _, r := range j.queued {
		if j.active[r.Job.PRKey()] != nil {
			continue
		}
		if r.NotBefore.After(now) {
			if due.IsZero() || r.NotBefore.Before(due) {
				due = r.NotBefore
			}
			continue
		}
		if best == nil || r.seq < best.seq {
			best = r
		}
	}
	if best == nil {
		return nil, false, due, j.changed
	}
	delete(j.queued, best.seq)
	j.active[best.Job.PRKey()] = best
	if best.Attempts >= j.opts.MaxAttempts {
		// Every attempt was counted and none settled: each run ended with
		// the process.
		return best, true, time.Time{}, nil
	}
	best.Attempts++
	best.Started = true
	// Counting the attempt on disk before the run bounds a job that crashes
	// the process every time it runs.
	if err := j.put(best); err != nil {
		j.log.Warn("journal: recording attempt failed", append(best.Job.LogAttrs(), slog.Any("error", err))...)
	}
	return best, false, time.Time{}, nil
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
	done        outcome = iota // ran, or given up: delete
	failed                     // error: retry later
	interrupted                // cut off by shutdown: leave for the next start
)

// settle records what became of a claimed job and frees its pull request.
// A failed job is retried even when a newer one of its pull request is
// queued: its check run may be in progress, and its next run finishes it
// (the Runner sees the head moved, completes that run and reviews the new
// head, or finds it reviewed).
func (j *Journal) settle(rec *record, out outcome, runErr error, log *slog.Logger) {
	j.mu.Lock()
	defer j.mu.Unlock()
	delete(j.active, rec.Job.PRKey())
	defer j.notify()
	keep := false
	switch out {
	case done:
	case interrupted:
		rec.Attempts-- // shutdown is not the job's fault
		keep = true
		log.Warn("journal: job interrupted by shutdown, left in the journal")
	case failed:
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
		rec, crashed, due, changed := j.claim()
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
		if crashed {
			j.giveUpCrashed(jobsCtx, r, rec)
			continue
		}
		j.runOne(jobsCtx, r, rec)
	}
}

// abandonTimeout bounds Abandon, which completes a given-up job's check
// run.
const abandonTimeout = time.Minute

// giveUp hands a job given up for good to the Runner's Abandon, if it has
// one, so that nothing the job started is left in progress.
func (j *Journal) giveUp(jobsCtx context.Context, r Runner, rec *record, cause error, log *slog.Logger) {
	a, ok := r.(Abandoner)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(jobsCtx, abandonTimeout)
	defer cancel()
	ctx, _ = JobContext(ctx, log)
	if err := safeAbandon(ctx, a, rec.Job, cause); err != nil {
		log.Error("journal: finishing the given-up job failed", slog.Any("error", err))
	}
}

// giveUpCrashed gives up a job that was running each time the process
// stopped, without running it again.
func (j *Journal) giveUpCrashed(jobsCtx context.Context, r Runner, rec *record) {
	log := j.log.With(rec.Job.LogAttrs()...).With(slog.Int("attempts", rec.Attempts))
	cause := fmt.Errorf("the review was running each of the %d times the server stopped; it was given up", rec.Attempts)
	log.Error("journal: job failed for good, giving up: it was running each time the process stopped")
	j.giveUp(jobsCtx, r, rec, cause, log)
	j.settle(rec, done, nil, log)
}

// runOne runs one claimed job and logs its outcome with everything known.
func (j *Journal) runOne(jobsCtx context.Context, r Runner, rec *record) {
	log := j.log.With(rec.Job.LogAttrs()...).With(slog.Int("attempt", rec.Attempts))
	ctx, cancel := context.WithTimeout(jobsCtx, j.opts.JobTimeout)
	defer cancel()
	ctx, stats := JobContext(ctx, log)
	if _, ok := r.(Abandoner); ok {
		ctx = WithResumable(ctx)
	}

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
	case IsPermanent(err) || rec.Attempts >= j.opts.MaxAttempts:
		log.Error("journal: job failed for good, giving up",
			slog.Int("attempts", rec.Attempts), slog.Bool("permanent", IsPermanent(err)), slog.Any("error", err))
		j.giveUp(jobsCtx, r, rec, err, log)
		j.settle(rec, done, err, log)
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

// safeAbandon is safeRun for Abandon.
func safeAbandon(ctx context.Context, a Abandoner, job Job, cause error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("abandon panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return a.Abandon(ctx, job, cause)
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
