package webhook

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// openJournal opens the journal file in dir; the test closes it.
func openJournal(t *testing.T, dir string, opts JournalOptions) *Journal {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = quietLogger()
	}
	j, err := OpenJournal(filepath.Join(dir, "journal.db"), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { j.Close() })
	return j
}

var epoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// job is a pull_request job for PR number of acme/shop at head sha, pushed
// at minute updated.
func job(delivery string, number int, sha string, updated int) Job {
	j := Job{
		DeliveryID: delivery, Event: "pull_request", Action: "synchronize", InstallationID: 7,
		Owner: "acme", Repo: "shop", Number: number, BaseSHA: "base", HeadSHA: sha,
		Received: epoch.Add(time.Duration(updated) * time.Minute),
	}
	if updated >= 0 {
		j.Updated = epoch.Add(time.Duration(updated) * time.Minute)
	}
	return j
}

// rerun is a check_run rerequested job (no updated_at).
func rerun(delivery string, number int, sha string) Job {
	j := job(delivery, number, sha, -1)
	j.Event, j.Action = "check_run", "rerequested"
	return j
}

// recorder is a Runner that records the jobs it ran, in order.
type recorder struct {
	mu   sync.Mutex
	jobs []Job
	ran  chan Job
	fn   func(ctx context.Context, job Job) error
}

func newRecorder(fn func(ctx context.Context, job Job) error) *recorder {
	return &recorder{ran: make(chan Job, 100), fn: fn}
}

func (r *recorder) Run(ctx context.Context, job Job) error {
	var err error
	if r.fn != nil {
		err = r.fn(ctx, job)
	}
	r.mu.Lock()
	r.jobs = append(r.jobs, job)
	r.mu.Unlock()
	r.ran <- job
	return err
}

// heads are the head shas of jobs, in order.
func heads(jobs []Job) []string {
	var out []string
	for _, jb := range jobs {
		out = append(out, jb.HeadSHA)
	}
	return out
}

func (r *recorder) done() []Job {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Job(nil), r.jobs...)
}

// run starts j.Run in the background; the returned stop cancels it and
// waits for Run to return.
func run(t *testing.T, j *Journal, r Runner) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- j.Run(ctx, r) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-errc:
				if err != nil {
					t.Errorf("Run: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("Run did not return after cancel")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// wait receives n jobs from ch or fails.
func wait(t *testing.T, ch <-chan Job, n int) []Job {
	t.Helper()
	var got []Job
	for range n {
		select {
		case j := <-ch:
			got = append(got, j)
		case <-time.After(10 * time.Second):
			t.Fatalf("waited for %d jobs, got %d: %v", n, len(got), got)
		}
	}
	return got
}

// waitEmpty waits until the journal holds no job.
func waitEmpty(t *testing.T, j *Journal) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for j.Len() > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("journal still holds %d jobs", j.Len())
		}
		time.Sleep(time.Millisecond)
	}
}

func TestJournalJobSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	want := job("d1", 12, "aaa", 1)

	j := openJournal(t, dir, JournalOptions{})
	if err := j.Enqueue(t.Context(), want); err != nil {
		t.Fatal(err)
	}
	// The process stops before any worker ran the job.
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}

	j = openJournal(t, dir, JournalOptions{})
	if j.Len() != 1 {
		t.Fatalf("reopened journal holds %d jobs, want 1", j.Len())
	}
	rec := newRecorder(nil)
	run(t, j, rec)
	got := wait(t, rec.ran, 1)
	if diff := cmp.Diff([]Job{want}, got); diff != "" {
		t.Errorf("job after restart (-want +got):\n%s", diff)
	}
	waitEmpty(t, j)
	// A run job is gone for good: nothing runs after the next restart.
	j.Close()
	j = openJournal(t, dir, JournalOptions{})
	if j.Len() != 0 {
		t.Errorf("journal holds %d jobs after the job ran, want 0", j.Len())
	}
}

func TestJournalRunningJobRunsAgainAfterCrash(t *testing.T) {
	dir := t.TempDir()
	j := openJournal(t, dir, JournalOptions{})
	if err := j.Enqueue(t.Context(), job("d1", 12, "aaa", 1)); err != nil {
		t.Fatal(err)
	}
	// Claim it as a worker would and "crash": the file is closed with the
	// job claimed but never settled.
	rec, _, _, _ := j.claim()
	if rec == nil {
		t.Fatal("no job to claim")
	}
	j.Close()

	j = openJournal(t, dir, JournalOptions{})
	r := newRecorder(nil)
	run(t, j, r)
	got := wait(t, r.ran, 1)
	if got[0].HeadSHA != "aaa" {
		t.Errorf("ran %+v, want the job claimed before the crash", got[0])
	}
}

func TestJournalDedupesDeliveries(t *testing.T) {
	dir := t.TempDir()
	j := openJournal(t, dir, JournalOptions{})
	first := job("d1", 12, "aaa", 1)
	if err := j.Enqueue(t.Context(), first); err != nil {
		t.Fatal(err)
	}
	if err := j.Enqueue(t.Context(), first); !errors.Is(err, ErrDuplicate) {
		t.Errorf("same delivery while queued: err %v, want ErrDuplicate", err)
	}
	r := newRecorder(nil)
	stop := run(t, j, r)
	wait(t, r.ran, 1)
	waitEmpty(t, j)
	if err := j.Enqueue(t.Context(), first); !errors.Is(err, ErrDuplicate) {
		t.Errorf("same delivery after it ran: err %v, want ErrDuplicate", err)
	}
	stop()
	j.Close()

	// Remembered across a restart too.
	j = openJournal(t, dir, JournalOptions{})
	if err := j.Enqueue(t.Context(), first); !errors.Is(err, ErrDuplicate) {
		t.Errorf("same delivery after restart: err %v, want ErrDuplicate", err)
	}
	// One check_suite delivery may name two pull requests: both are jobs.
	other := first
	other.Number = 13
	if err := j.Enqueue(t.Context(), other); err != nil {
		t.Errorf("same delivery, another pull request: %v", err)
	}
	if diff := cmp.Diff(1, j.Len()); diff != "" {
		t.Errorf("jobs queued (-want +got):\n%s", diff)
	}
}

func TestJournalForgetsOldDeliveries(t *testing.T) {
	dir := t.TempDir()
	now := epoch
	clock := func() time.Time { return now }
	j := openJournal(t, dir, JournalOptions{Now: clock, Retention: time.Hour})
	if err := j.Enqueue(t.Context(), job("d1", 12, "aaa", 1)); err != nil {
		t.Fatal(err)
	}
	j.Close()
	now = epoch.Add(2 * time.Hour)
	j = openJournal(t, dir, JournalOptions{Now: clock, Retention: time.Hour})
	// The delivery id was pruned at open: the same delivery is accepted
	// again (and coalesced with its own queued copy).
	if err := j.Enqueue(t.Context(), job("d1", 12, "aaa", 1)); err != nil {
		t.Errorf("delivery older than the retention: %v, want accepted", err)
	}
	if j.Len() != 1 {
		t.Errorf("journal holds %d jobs, want 1", j.Len())
	}
}

func TestJournalCoalesces(t *testing.T) {
	tests := map[string]struct {
		jobs []Job
		want []string // head shas run, in order
	}{
		"newer push replaces queued push": {
			jobs: []Job{job("d1", 1, "aaa", 1), job("d2", 1, "bbb", 2), job("d3", 1, "ccc", 3)},
			want: []string{"ccc"},
		},
		"push delivered out of order is dropped": {
			jobs: []Job{job("d2", 1, "bbb", 2), job("d1", 1, "aaa", 1)},
			want: []string{"bbb"},
		},
		"re-run of an older head does not replace a queued push": {
			jobs: []Job{job("d1", 1, "bbb", 2), rerun("d2", 1, "aaa")},
			want: []string{"bbb"},
		},
		"push replaces a queued re-run": {
			jobs: []Job{rerun("d1", 1, "aaa"), job("d2", 1, "bbb", 2)},
			want: []string{"bbb"},
		},
		"re-run of the queued head replaces it": {
			jobs: []Job{job("d1", 1, "aaa", 1), rerun("d2", 1, "aaa")},
			want: []string{"aaa"},
		},
		"other pull requests are not coalesced": {
			jobs: []Job{job("d1", 1, "aaa", 1), job("d2", 2, "bbb", 2), job("d3", 1, "ccc", 3)},
			want: []string{"bbb", "ccc"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			j := openJournal(t, t.TempDir(), JournalOptions{Workers: 1})
			for _, jb := range tc.jobs {
				if err := j.Enqueue(t.Context(), jb); err != nil {
					t.Fatal(err)
				}
			}
			r := newRecorder(nil)
			run(t, j, r)
			wait(t, r.ran, len(tc.want))
			waitEmpty(t, j)
			got := heads(r.done())
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("head shas reviewed (-want +got):\n%s", diff)
			}
		})
	}
}

// TestJournalRunningJobResumesAfterRestart: a job that was running when the
// process died is not coalesced away by the newer job that came in
// meanwhile: it may have left its check run in progress, and only its own
// run finishes it. It runs first, then the newer one.
func TestJournalRunningJobResumesAfterRestart(t *testing.T) {
	dir := t.TempDir()
	j := openJournal(t, dir, JournalOptions{})
	if err := j.Enqueue(t.Context(), job("d1", 1, "aaa", 1)); err != nil {
		t.Fatal(err)
	}
	// "aaa" was running when the process died; "bbb" came in meanwhile, and
	// "ccc" after it (which replaces "bbb", never started).
	if rec, _, _, _ := j.claim(); rec == nil {
		t.Fatal("no job to claim")
	}
	for _, jb := range []Job{job("d2", 1, "bbb", 2), job("d3", 1, "ccc", 3)} {
		if err := j.Enqueue(t.Context(), jb); err != nil {
			t.Fatal(err)
		}
	}
	j.Close()
	j = openJournal(t, dir, JournalOptions{Workers: 2})
	if j.Len() != 2 {
		t.Fatalf("reopened journal holds %d jobs, want the started one and the newest", j.Len())
	}
	r := newRecorder(nil)
	run(t, j, r)
	got := heads(wait(t, r.ran, 2))
	if diff := cmp.Diff([]string{"aaa", "ccc"}, got); diff != "" {
		t.Errorf("heads run after the restart (-want +got):\n%s", diff)
	}
}

// TestJournalInterruptedJobIsNotReplaced: a job cut off by shutdown gets
// its attempt back, but it has started (its check run may be in progress):
// a newer job that comes in before the next start does not replace it.
func TestJournalInterruptedJobIsNotReplaced(t *testing.T) {
	dir := t.TempDir()
	started := make(chan struct{})
	j := openJournal(t, dir, JournalOptions{Grace: time.Millisecond})
	stop := run(t, j, RunnerFunc(func(ctx context.Context, jb Job) error {
		close(started)
		<-ctx.Done()
		return ctx.Err()
	}))
	if err := j.Enqueue(t.Context(), job("d1", 1, "aaa", 1)); err != nil {
		t.Fatal(err)
	}
	<-started
	stop()
	if err := j.Enqueue(t.Context(), job("d2", 1, "bbb", 2)); err != nil {
		t.Fatal(err)
	}
	j.Close()
	j = openJournal(t, dir, JournalOptions{})
	r := newRecorder(nil)
	run(t, j, r)
	if diff := cmp.Diff([]string{"aaa", "bbb"}, heads(wait(t, r.ran, 2))); diff != "" {
		t.Errorf("heads run after the restart (-want +got):\n%s", diff)
	}
}

func TestJournalRunningJobFinishesBeforeTheNewerOne(t *testing.T) {
	release := make(chan struct{})
	var inPR atomic.Int32
	var overlap atomic.Bool
	r := newRecorder(func(ctx context.Context, jb Job) error {
		if inPR.Add(1) > 1 {
			overlap.Store(true)
		}
		defer inPR.Add(-1)
		if jb.HeadSHA == "aaa" {
			<-release
		}
		return nil
	})
	started := make(chan struct{})
	var once sync.Once
	wrapped := RunnerFunc(func(ctx context.Context, jb Job) error {
		once.Do(func() { close(started) })
		return r.Run(ctx, jb)
	})
	j := openJournal(t, t.TempDir(), JournalOptions{Workers: 4})
	run(t, j, wrapped)
	if err := j.Enqueue(t.Context(), job("d1", 1, "aaa", 1)); err != nil {
		t.Fatal(err)
	}
	<-started
	if err := j.Enqueue(t.Context(), job("d2", 1, "bbb", 2)); err != nil {
		t.Fatal(err)
	}
	// Three idle workers, but "bbb" must wait for "aaa" of the same PR.
	time.Sleep(50 * time.Millisecond)
	if len(r.done()) != 0 {
		t.Fatalf("ran %v while the older job of the PR was running", r.done())
	}
	close(release)
	got := wait(t, r.ran, 2)
	if diff := cmp.Diff([]string{"aaa", "bbb"}, []string{got[0].HeadSHA, got[1].HeadSHA}); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if overlap.Load() {
		t.Error("two jobs of one pull request ran at the same time")
	}
}

func TestJournalWorkersRunInParallel(t *testing.T) {
	const workers = 3
	var running, peak atomic.Int32
	release := make(chan struct{})
	r := newRecorder(func(ctx context.Context, jb Job) error {
		n := running.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		<-release
		running.Add(-1)
		return nil
	})
	j := openJournal(t, t.TempDir(), JournalOptions{Workers: workers})
	run(t, j, r)
	for i := range workers {
		if err := j.Enqueue(t.Context(), job(fmt.Sprint("d", i), i+1, "aaa", 1)); err != nil {
			t.Fatal(err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for peak.Load() < workers && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wait(t, r.ran, workers)
	if got := peak.Load(); got != workers {
		t.Errorf("at most %d jobs ran at once, want %d", got, workers)
	}
}

func TestJournalRetries(t *testing.T) {
	boom := errors.New("github said 502")
	tests := map[string]struct {
		failures     int   // runs that fail before one succeeds
		err          error // the failure; nil panics
		wantRuns     int
		wantBackoffs []int // attempts after which the journal waited
	}{
		"succeeds on the third attempt":  {failures: 2, err: boom, wantRuns: 3, wantBackoffs: []int{1, 2}},
		"gives up after max attempts":    {failures: 99, err: boom, wantRuns: 4, wantBackoffs: []int{1, 2, 3}},
		"permanent error is not retried": {failures: 99, err: Permanent(boom), wantRuns: 1},
		"panic is given up at once":      {failures: 99, err: nil, wantRuns: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var runs atomic.Int32
			var mu sync.Mutex
			var backoffs []int
			runner := RunnerFunc(func(ctx context.Context, jb Job) error {
				if int(runs.Add(1)) > tc.failures {
					return nil
				}
				if tc.err == nil {
					panic("runner bug")
				}
				return tc.err
			})
			j := openJournal(t, t.TempDir(), JournalOptions{
				MaxAttempts: 4,
				Backoff: func(attempt int) time.Duration {
					mu.Lock()
					defer mu.Unlock()
					backoffs = append(backoffs, attempt)
					return time.Millisecond
				},
			})
			run(t, j, runner)
			if err := j.Enqueue(t.Context(), job("d1", 1, "aaa", 1)); err != nil {
				t.Fatal(err)
			}
			waitEmpty(t, j)
			time.Sleep(20 * time.Millisecond) // a wrong extra retry would show here
			if got := int(runs.Load()); got != tc.wantRuns {
				t.Errorf("ran %d times, want %d", got, tc.wantRuns)
			}
			mu.Lock()
			defer mu.Unlock()
			if diff := cmp.Diff(tc.wantBackoffs, backoffs); diff != "" {
				t.Errorf("backoffs (-want +got):\n%s", diff)
			}
		})
	}
}

func TestJournalRetryWaitsForBackoff(t *testing.T) {
	var runs atomic.Int32
	r := newRecorder(func(ctx context.Context, jb Job) error {
		if runs.Add(1) == 1 {
			return errors.New("first attempt fails")
		}
		return nil
	})
	j := openJournal(t, t.TempDir(), JournalOptions{Backoff: func(int) time.Duration { return 300 * time.Millisecond }})
	run(t, j, r)
	if err := j.Enqueue(t.Context(), job("d1", 1, "aaa", 1)); err != nil {
		t.Fatal(err)
	}
	wait(t, r.ran, 1)
	start := time.Now()
	wait(t, r.ran, 1)
	if took := time.Since(start); took < 250*time.Millisecond {
		t.Errorf("retried after %v, want the 300ms backoff", took)
	}
}

// TestJournalJobArrivesWhileOneFails: the first run of a pull request
// fails while another job of it comes in.
//
// An older push delivered late is issue 14's first defect: it must not be
// queued behind the running job and then replace it, leaving the newest
// head unreviewed; the newest head is retried instead.
//
// A newer push runs at once, and the failed job is still retried (its
// check run may be in progress, and only its own run finishes it).
func TestJournalJobArrivesWhileOneFails(t *testing.T) {
	tests := map[string]struct {
		first, next Job
		backoff     time.Duration
		want        []string // heads run, in order
	}{
		"older push delivered late": {first: job("d2", 1, "bbb", 2), next: job("d1", 1, "aaa", 1),
			backoff: time.Millisecond, want: []string{"bbb", "bbb"}},
		"newer push": {first: job("d1", 1, "aaa", 1), next: job("d2", 1, "bbb", 2),
			backoff: 200 * time.Millisecond, want: []string{"aaa", "bbb", "aaa"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			started := make(chan struct{})
			release := make(chan struct{})
			var runs atomic.Int32
			r := newRecorder(func(ctx context.Context, jb Job) error {
				if runs.Add(1) == 1 {
					close(started)
					<-release
					return errors.New("github said 502")
				}
				return nil
			})
			j := openJournal(t, t.TempDir(), JournalOptions{Backoff: func(int) time.Duration { return tc.backoff }})
			run(t, j, r)
			if err := j.Enqueue(t.Context(), tc.first); err != nil {
				t.Fatal(err)
			}
			<-started
			if err := j.Enqueue(t.Context(), tc.next); err != nil {
				t.Fatal(err)
			}
			close(release)
			wait(t, r.ran, len(tc.want))
			waitEmpty(t, j)
			time.Sleep(20 * time.Millisecond) // a wrong extra run would show here
			if diff := cmp.Diff(tc.want, heads(r.done())); diff != "" {
				t.Errorf("heads run (-want +got):\n%s", diff)
			}
		})
	}
}

// abandoner is a recorder that is also an Abandoner.
type abandoner struct {
	*recorder
	mu        sync.Mutex
	abandoned []string // head sha: cause
	resumable []bool   // Resumable(ctx) of each run
}

func (a *abandoner) Run(ctx context.Context, jb Job) error {
	a.mu.Lock()
	a.resumable = append(a.resumable, Resumable(ctx))
	a.mu.Unlock()
	return a.recorder.Run(ctx, jb)
}

func (a *abandoner) Abandon(ctx context.Context, jb Job, cause error) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.abandoned = append(a.abandoned, jb.HeadSHA+": "+cause.Error())
	return nil
}

func (a *abandoner) gaveUp() []string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return slices.Clone(a.abandoned)
}

// TestJournalAbandonsWhatItGivesUp: a job given up for good is handed to
// the Runner's Abandon (which completes its check run), and its runs are
// told that the journal will either run them again or abandon them.
func TestJournalAbandonsWhatItGivesUp(t *testing.T) {
	boom := errors.New("github said 502")
	tests := map[string]struct {
		err  error // every run's; nil panics
		want []string
	}{
		"last attempt failed": {err: boom, want: []string{"aaa: github said 502"}},
		"permanent error":     {err: Permanent(errors.New("repository gone")), want: []string{"aaa: repository gone"}},
		"panic":               {err: nil, want: []string{"aaa: runner panicked: runner bug"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			a := &abandoner{recorder: newRecorder(func(ctx context.Context, jb Job) error {
				if tc.err == nil {
					panic("runner bug")
				}
				return tc.err
			})}
			j := openJournal(t, t.TempDir(), JournalOptions{MaxAttempts: 2, Backoff: func(int) time.Duration { return time.Millisecond }})
			run(t, j, a)
			if err := j.Enqueue(t.Context(), job("d1", 1, "aaa", 1)); err != nil {
				t.Fatal(err)
			}
			waitEmpty(t, j)
			var got []string
			for _, g := range a.gaveUp() {
				got = append(got, strings.SplitN(g, "\n", 2)[0]) // a panic's stack follows
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("abandoned (-want +got):\n%s", diff)
			}
			a.mu.Lock()
			defer a.mu.Unlock()
			for i, r := range a.resumable {
				if !r {
					t.Errorf("run %d was not told it is resumable", i+1)
				}
			}
		})
	}
}

// TestJournalGivesUpAJobThatCrashesTheProcess: attempts are counted on
// disk before each run, so a job that takes the process down every time
// it runs is given up (and abandoned) after MaxAttempts, not run forever.
func TestJournalGivesUpAJobThatCrashesTheProcess(t *testing.T) {
	const maxAttempts = 3
	dir := t.TempDir()
	j := openJournal(t, dir, JournalOptions{MaxAttempts: maxAttempts})
	if err := j.Enqueue(t.Context(), job("d1", 1, "aaa", 1)); err != nil {
		t.Fatal(err)
	}
	for range maxAttempts {
		// A worker claims the job and the process dies while it runs.
		rec, crashed, _, _ := j.claim()
		if rec == nil || crashed {
			t.Fatalf("claim: %v crashed=%v, want the job to run", rec, crashed)
		}
		j.Close()
		j = openJournal(t, dir, JournalOptions{MaxAttempts: maxAttempts})
	}
	a := &abandoner{recorder: newRecorder(nil)}
	run(t, j, a)
	waitEmpty(t, j)
	if n := len(a.done()); n != 0 {
		t.Errorf("the job ran a %d. time", maxAttempts+n)
	}
	want := []string{"aaa: the review was running each of the 3 times the server stopped; it was given up"}
	if diff := cmp.Diff(want, a.gaveUp()); diff != "" {
		t.Errorf("abandoned (-want +got):\n%s", diff)
	}
}

func TestJournalShutdown(t *testing.T) {
	tests := map[string]struct {
		obeysCancel bool // the running job stops only when its context is cancelled
		wantRan     int  // jobs completed
		wantLeft    int  // jobs left in the journal for the next start
	}{
		"running job finishes within the grace period": {obeysCancel: false, wantRan: 1, wantLeft: 1},
		"running job cut off after the grace period":   {obeysCancel: true, wantRan: 0, wantLeft: 2},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			started := make(chan struct{}, 1)
			finish := make(chan struct{})
			var completed atomic.Int32
			runner := RunnerFunc(func(ctx context.Context, jb Job) error {
				started <- struct{}{}
				if tc.obeysCancel {
					<-ctx.Done()
					return ctx.Err()
				}
				<-finish
				completed.Add(1)
				return nil
			})
			j := openJournal(t, dir, JournalOptions{Workers: 1, Grace: 200 * time.Millisecond})
			stop := run(t, j, runner)
			if err := j.Enqueue(t.Context(), job("d1", 1, "aaa", 1)); err != nil {
				t.Fatal(err)
			}
			<-started
			if err := j.Enqueue(t.Context(), job("d2", 2, "bbb", 1)); err != nil {
				t.Fatal(err)
			}
			stopped := make(chan struct{})
			go func() { stop(); close(stopped) }()
			if !tc.obeysCancel {
				time.Sleep(50 * time.Millisecond) // inside the grace period
				select {
				case <-stopped:
					t.Fatal("Run returned while a job was still running in its grace period")
				default:
				}
				close(finish)
			}
			start := time.Now()
			<-stopped
			if tc.obeysCancel && time.Since(start) < 150*time.Millisecond {
				t.Errorf("job cancelled after %v, before the 200ms grace", time.Since(start))
			}
			select {
			case <-started:
				t.Error("a new job started after shutdown began")
			default:
			}
			if got := int(completed.Load()); got != tc.wantRan {
				t.Errorf("%d jobs completed, want %d", got, tc.wantRan)
			}
			j.Close()
			j = openJournal(t, dir, JournalOptions{})
			if j.Len() != tc.wantLeft {
				t.Errorf("journal holds %d jobs after shutdown, want %d", j.Len(), tc.wantLeft)
			}
			// An interrupted job keeps its attempt budget.
			for _, rec := range j.queued {
				if rec.Attempts != 0 {
					t.Errorf("job %s has %d attempts recorded, want 0", rec.Job.HeadSHA, rec.Attempts)
				}
			}
		})
	}
}

func TestJournalRefusesSecondOpen(t *testing.T) {
	dir := t.TempDir()
	openJournal(t, dir, JournalOptions{})
	_, err := OpenJournal(filepath.Join(dir, "journal.db"), JournalOptions{Logger: quietLogger()})
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second open: %v, want an in-use error", err)
	}
}

func TestJournalEnqueueAfterClose(t *testing.T) {
	j := openJournal(t, t.TempDir(), JournalOptions{})
	j.Close()
	if err := j.Enqueue(t.Context(), job("d1", 1, "aaa", 1)); !errors.Is(err, ErrClosed) {
		t.Errorf("enqueue after close: %v, want ErrClosed", err)
	}
}

func TestJournalLogsOneLinePerJob(t *testing.T) {
	var buf syncBuffer
	log := slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	j := openJournal(t, t.TempDir(), JournalOptions{Logger: log})
	r := newRecorder(func(ctx context.Context, jb Job) error {
		Logger(ctx).Info("inside the review")
		ReportFindings(ctx, 3)
		return nil
	})
	run(t, j, r)
	if err := j.Enqueue(t.Context(), job("d1", 12, "aaa", 1)); err != nil {
		t.Fatal(err)
	}
	wait(t, r.ran, 1)
	waitEmpty(t, j)
	lines := buf.lines()
	var done, inside string
	for _, l := range lines {
		switch {
		case strings.Contains(l, `"msg":"job done"`):
			done = l
		case strings.Contains(l, `"msg":"inside the review"`):
			inside = l
		}
	}
	for _, want := range []string{`"delivery":"d1"`, `"installation":7`, `"repo":"acme/shop"`, `"pr":12`, `"head_sha":"aaa"`, `"duration_ms":`, `"findings":3`} {
		if !strings.Contains(done, want) {
			t.Errorf("job done line lacks %s: %s", want, done)
		}
	}
	if !strings.Contains(inside, `"delivery":"d1"`) {
		t.Errorf("Logger(ctx) line lacks the job's attributes: %s", inside)
	}
}

// syncBuffer collects log output from many goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) lines() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return strings.Split(strings.TrimSpace(s.b.String()), "\n")
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
