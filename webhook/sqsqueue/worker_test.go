package sqsqueue

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/internal/awstest"
	"github.com/djintegrity/djintegrity/webhook"
)

const (
	fifoARN     = "arn:aws:sqs:eu-west-1:123456789012:djintegrity-jobs.fifo"
	standardARN = "arn:aws:sqs:eu-west-1:123456789012:djintegrity-jobs"
)

func sha256hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// recordingRunner records the jobs it runs and fails those of the pull
// requests (by number) listed in fail. Every job it runs reports findings,
// as the review runner does.
type recordingRunner struct {
	mu       sync.Mutex
	ran      []string // "delivery #number head"
	fail     map[int]error
	findings int
}

func (r *recordingRunner) Run(ctx context.Context, j webhook.Job) error {
	webhook.ReportFindings(ctx, r.findings)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ran = append(r.ran, j.DeliveryID+" #"+itoa(j.Number)+" "+j.HeadSHA[:7])
	if err, ok := r.fail[j.Number]; ok {
		if err == errPanic {
			panic("index out of range [3] with length 3")
		}
		return err
	}
	return nil
}

var errPanic = errors.New("panic")

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// msg is the SQS message carrying j, as the receiver's Queue sends it.
func msg(t *testing.T, j webhook.Job) awstest.SQSMessage {
	return awstest.SQSMessage{Body: mustJSON(t, j), GroupID: GroupID(j), DeduplicationID: DeduplicationID(j)}
}

// invoke runs the worker the way the Lambda runtime does: the event as
// JSON in, the response as JSON out.
func invoke(t *testing.T, w *Worker, event []byte) events.SQSEventResponse {
	t.Helper()
	out, err := lambda.NewHandler(w.Handle).Invoke(t.Context(), event)
	if err != nil {
		t.Fatalf("handler error: %v", err)
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("response %s: %v", out, err)
	}
	return resp
}

func failures(ids ...string) []string { return ids }

func failed(resp events.SQSEventResponse) []string {
	var ids []string
	for _, f := range resp.BatchItemFailures {
		ids = append(ids, f.ItemIdentifier)
	}
	return ids
}

// ids are the message ids awstest.SQSEvent gives a batch's messages.
func id(n int) string { return "059f36b4-87a3-44ab-83d2-66197500000" + itoa(n) }

func TestHandle(t *testing.T) {
	j1 := job(delivery1, 1, "1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	j2 := job(delivery1, 2, "2222222aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	j3 := job(delivery1, 3, "3333333aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	older := job(delivery1, 4, "4444444aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	newer := job(delivery2, 4, "5555555aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	newer.Updated = older.Updated.Add(time.Minute)
	rerun := job(delivery2, 4, older.HeadSHA) // a re-run of the older head: no updated_at
	rerun.Event, rerun.Action, rerun.Updated = "check_run", "rerequested", time.Time{}
	noPR := j1
	noPR.Number = 0

	for name, tc := range map[string]struct {
		arn      string
		msgs     []awstest.SQSMessage
		fail     map[int]error
		wantRan  []string
		wantFail []string
	}{
		"all succeed": {
			arn:     fifoARN,
			msgs:    []awstest.SQSMessage{msg(t, j1), msg(t, j2), msg(t, j3)},
			wantRan: []string{delivery1 + " #1 1111111", delivery1 + " #2 2222222", delivery1 + " #3 3333333"},
		},
		"FIFO: second of three fails": {
			arn:      fifoARN,
			msgs:     []awstest.SQSMessage{msg(t, j1), msg(t, j2), msg(t, j3)},
			fail:     map[int]error{2: errors.New("GET /repos/Codertocat/Hello-World/pulls/2/files: 502 Bad Gateway")},
			wantRan:  []string{delivery1 + " #1 1111111", delivery1 + " #2 2222222"},
			wantFail: failures(id(2), id(3)),
		},
		"standard queue: second of three fails": {
			arn:      standardARN,
			msgs:     []awstest.SQSMessage{msg(t, j1), msg(t, j2), msg(t, j3)},
			fail:     map[int]error{2: errors.New("502 Bad Gateway")},
			wantRan:  []string{delivery1 + " #1 1111111", delivery1 + " #2 2222222", delivery1 + " #3 3333333"},
			wantFail: failures(id(2)),
		},
		"FIFO: first fails": {
			arn:      fifoARN,
			msgs:     []awstest.SQSMessage{msg(t, j1), msg(t, j2)},
			fail:     map[int]error{1: errors.New("context deadline exceeded")},
			wantRan:  []string{delivery1 + " #1 1111111"},
			wantFail: failures(id(1), id(2)),
		},
		"poison messages are dropped": {
			arn: fifoARN,
			msgs: []awstest.SQSMessage{
				{Body: "Message Body", GroupID: "x", DeduplicationID: "x1"},
				msg(t, j1),
				{Body: `{"delivery_id":"` + delivery2 + `","installation_id":2311213}`, GroupID: "x", DeduplicationID: "x2"},
				msg(t, noPR),
				{Body: `[]`, GroupID: "x", DeduplicationID: "x3"},
			},
			wantRan: []string{delivery1 + " #1 1111111"},
		},
		"failure after a poison message": {
			arn:      fifoARN,
			msgs:     []awstest.SQSMessage{{Body: "{", GroupID: "x", DeduplicationID: "x1"}, msg(t, j2), msg(t, j3)},
			fail:     map[int]error{2: errors.New("502")},
			wantRan:  []string{delivery1 + " #2 2222222"},
			wantFail: failures(id(2), id(3)),
		},
		"duplicate delivery in one batch runs once": {
			arn:     fifoARN,
			msgs:    []awstest.SQSMessage{msg(t, j1), msg(t, j1)},
			wantRan: []string{delivery1 + " #1 1111111"},
		},
		"permanent failure is dropped, not retried": {
			arn:     fifoARN,
			msgs:    []awstest.SQSMessage{msg(t, j1), msg(t, j2), msg(t, j3)},
			fail:    map[int]error{2: webhook.Permanent(errors.New("404 Not Found: repository gone"))},
			wantRan: []string{delivery1 + " #1 1111111", delivery1 + " #2 2222222", delivery1 + " #3 3333333"},
		},
		"a panicking review fails its message": {
			arn:      fifoARN,
			msgs:     []awstest.SQSMessage{msg(t, j1), msg(t, j2)},
			fail:     map[int]error{1: errPanic},
			wantRan:  []string{delivery1 + " #1 1111111"},
			wantFail: failures(id(1), id(2)),
		},
		"newer push in the batch supersedes the older": {
			arn:     fifoARN,
			msgs:    []awstest.SQSMessage{msg(t, older), msg(t, newer)},
			wantRan: []string{delivery2 + " #4 5555555"},
		},
		"push delivered out of order": {
			arn:     fifoARN,
			msgs:    []awstest.SQSMessage{msg(t, newer), msg(t, older)},
			wantRan: []string{delivery2 + " #4 5555555"},
		},
		"re-run of an older head than a queued push": {
			arn:     fifoARN,
			msgs:    []awstest.SQSMessage{msg(t, newer), msg(t, rerun)},
			wantRan: []string{delivery2 + " #4 5555555"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := &recordingRunner{fail: tc.fail}
			var logs bytes.Buffer
			w, err := NewWorker(WorkerOptions{Runner: r, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
			if err != nil {
				t.Fatal(err)
			}
			resp := invoke(t, w, awstest.SQSEvent(t, tc.arn, tc.msgs...))
			if diff := cmp.Diff(tc.wantRan, r.ran); diff != "" {
				t.Errorf("jobs run (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantFail, failed(resp)); diff != "" {
				t.Errorf("batch item failures (-want +got):\n%s\nlogs:\n%s", diff, logs.String())
			}
		})
	}
}

// TestHandleRedelivery: a message SQS delivers again after the job ran
// (its deletion was lost, or GitHub redelivered after SQS's five-minute
// window) is skipped by the execution environment that ran it; a job that
// failed runs again.
func TestHandleRedelivery(t *testing.T) {
	j1 := job(delivery1, 1, "1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	j2 := job(delivery1, 2, "2222222aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	r := &recordingRunner{fail: map[int]error{2: errors.New("502")}}
	w, err := NewWorker(WorkerOptions{Runner: r, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	first := invoke(t, w, awstest.SQSEvent(t, fifoARN, msg(t, j1), msg(t, j2)))
	if diff := cmp.Diff(failures(id(2)), failed(first)); diff != "" {
		t.Fatalf("first batch failures (-want +got):\n%s", diff)
	}
	delete(r.fail, 2)
	again := msg(t, j1)
	again.ReceiveCount = 2
	retry := msg(t, j2)
	retry.ReceiveCount = 2
	second := invoke(t, w, awstest.SQSEvent(t, fifoARN, again, retry))
	if len(second.BatchItemFailures) != 0 {
		t.Errorf("second batch failures: %v", failed(second))
	}
	want := []string{delivery1 + " #1 1111111", delivery1 + " #2 2222222", delivery1 + " #2 2222222"}
	if diff := cmp.Diff(want, r.ran); diff != "" {
		t.Errorf("jobs run (-want +got):\n%s", diff)
	}
}

// TestHandleOutOfTime: when the invocation's time is up, the jobs not yet
// run go back to the queue.
func TestHandleOutOfTime(t *testing.T) {
	j1 := job(delivery1, 1, "1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	j2 := job(delivery1, 2, "2222222aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	ctx, cancel := context.WithCancel(t.Context())
	r := &recordingRunner{}
	w, err := NewWorker(WorkerOptions{Runner: webhook.RunnerFunc(func(c context.Context, j webhook.Job) error {
		cancel() // the deadline passes during the first review
		return r.Run(c, j)
	}), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	var ev events.SQSEvent
	if err := json.Unmarshal(awstest.SQSEvent(t, fifoARN, msg(t, j1), msg(t, j2)), &ev); err != nil {
		t.Fatal(err)
	}
	resp, err := w.Handle(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(failures(id(2)), failed(resp)); diff != "" {
		t.Errorf("failures (-want +got):\n%s", diff)
	}
}

// TestHandleReserve: a review's context ends DefaultReserve before the
// invocation's deadline, and a job is not started inside the reserve.
func TestHandleReserve(t *testing.T) {
	j1 := job(delivery1, 1, "1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	var ev events.SQSEvent
	if err := json.Unmarshal(awstest.SQSEvent(t, fifoARN, msg(t, j1)), &ev); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		left     time.Duration // until the invocation's deadline
		wantRun  bool
		wantFail []string
	}{
		"time to review":     {left: time.Minute, wantRun: true},
		"inside the reserve": {left: DefaultReserve - time.Second, wantFail: failures(id(1))},
	} {
		t.Run(name, func(t *testing.T) {
			deadline := time.Now().Add(tc.left)
			ctx, cancel := context.WithDeadline(t.Context(), deadline)
			defer cancel()
			ran := false
			w, err := NewWorker(WorkerOptions{Runner: webhook.RunnerFunc(func(c context.Context, _ webhook.Job) error {
				ran = true
				if d, ok := c.Deadline(); !ok || !d.Equal(deadline.Add(-DefaultReserve)) {
					t.Errorf("review deadline %v (set %t), want %v", d, ok, deadline.Add(-DefaultReserve))
				}
				return nil
			}), Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			resp, err := w.Handle(ctx, ev)
			if err != nil {
				t.Fatal(err)
			}
			if ran != tc.wantRun {
				t.Errorf("job ran: %t, want %t", ran, tc.wantRun)
			}
			if diff := cmp.Diff(tc.wantFail, failed(resp)); diff != "" {
				t.Errorf("failures (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHandleLogs: the log lines of a job carry the job, and a poison
// message is logged without its body.
func TestHandleLogs(t *testing.T) {
	var logs bytes.Buffer
	w, err := NewWorker(WorkerOptions{Runner: &recordingRunner{findings: 4}, Logger: slog.New(slog.NewJSONHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	invoke(t, w, awstest.SQSEvent(t, fifoARN,
		msg(t, job(delivery1, 1, "1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")),
		awstest.SQSMessage{Body: "ghp_notajob", GroupID: "x", DeduplicationID: "y"}))
	type line struct {
		Msg      string `json:"msg"`
		Delivery string `json:"delivery"`
		Repo     string `json:"repo"`
		PR       int    `json:"pr"`
		Findings *int   `json:"findings"`
	}
	var got []line
	for l := range strings.Lines(logs.String()) {
		var v line
		if err := json.Unmarshal([]byte(l), &v); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		got = append(got, v)
	}
	want := []line{
		{Msg: "sqs: dropping a message that is not a job"},
		{Msg: "sqs: job started", Delivery: delivery1, Repo: "Codertocat/Hello-World", PR: 1},
		{Msg: "sqs: job done", Delivery: delivery1, Repo: "Codertocat/Hello-World", PR: 1, Findings: ptr(4)},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("log lines (-want +got):\n%s", diff)
	}
	if strings.Contains(logs.String(), "ghp_notajob") {
		t.Error("a message body was logged")
	}
}

func ptr[T any](v T) *T { return &v }

func TestRecent(t *testing.T) {
	r := newRecent(2)
	r.add("a")
	r.add("b")
	r.add("a") // already there: does not push b out
	r.add("c") // pushes a out
	got := map[string]bool{"a": r.has("a"), "b": r.has("b"), "c": r.has("c")}
	if diff := cmp.Diff(map[string]bool{"a": false, "b": true, "c": true}, got); diff != "" {
		t.Errorf("remembered (-want +got):\n%s", diff)
	}
}

func TestNewWorker(t *testing.T) {
	if _, err := NewWorker(WorkerOptions{}); err == nil {
		t.Error("NewWorker without a runner: no error")
	}
	if _, err := NewWorker(WorkerOptions{Runner: &recordingRunner{}, MaxReceives: -1}); err == nil {
		t.Error("NewWorker with negative max receives: no error")
	}
}

// abandoningRunner is a recordingRunner that is a webhook.Abandoner.
type abandoningRunner struct {
	recordingRunner
	abandoned []string // "#number: cause"
	resumable []bool   // webhook.Resumable of each run
}

func (r *abandoningRunner) Run(ctx context.Context, j webhook.Job) error {
	r.mu.Lock()
	r.resumable = append(r.resumable, webhook.Resumable(ctx))
	r.mu.Unlock()
	return r.recordingRunner.Run(ctx, j)
}

func (r *abandoningRunner) Abandon(ctx context.Context, j webhook.Job, cause error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.abandoned = append(r.abandoned, "#"+itoa(j.Number)+": "+cause.Error())
	return nil
}

// TestHandleAbandons: the worker's own copy of the journal's guarantees.
// With the queue's maxReceiveCount known, reviews run resumable (a failed
// one leaves its check run in progress for the next delivery); a job given
// up (a permanent error; its last delivery, which only abandons it, so
// that a job that ended the invocation every time is given up too) is
// abandoned, so that no check run is left in progress.
func TestHandleAbandons(t *testing.T) {
	j1 := job(delivery1, 1, "1111111aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	older := job(delivery1, 4, "4444444aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	newer := job(delivery2, 4, "5555555aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	newer.Updated = older.Updated.Add(time.Minute)
	redelivered := func(j webhook.Job, n int) awstest.SQSMessage {
		m := msg(t, j)
		m.ReceiveCount = n
		return m
	}
	boom := errors.New("502 Bad Gateway")
	for name, tc := range map[string]struct {
		maxReceives   int
		msgs          []awstest.SQSMessage
		fail          map[int]error
		wantRan       []string
		wantFail      []string
		wantAbandoned []string
		wantResumable bool
	}{
		"failure with deliveries left": {
			maxReceives: 3, msgs: []awstest.SQSMessage{redelivered(j1, 2)}, fail: map[int]error{1: boom},
			wantRan: []string{delivery1 + " #1 1111111"}, wantFail: failures(id(1)), wantResumable: true,
		},
		"last delivery abandons without running": {
			maxReceives: 3, msgs: []awstest.SQSMessage{redelivered(j1, 3)},
			wantFail:      failures(id(1)),
			wantAbandoned: []string{"#1: the review failed, or ended the worker, on each of its 2 deliveries; it was given up"},
		},
		"permanent failure": {
			maxReceives: 3, msgs: []awstest.SQSMessage{msg(t, j1)}, fail: map[int]error{1: webhook.Permanent(errors.New("404 repository gone"))},
			wantRan: []string{delivery1 + " #1 1111111"}, wantAbandoned: []string{"#1: 404 repository gone"}, wantResumable: true,
		},
		"a single delivery runs and is abandoned": {
			maxReceives: 1, msgs: []awstest.SQSMessage{msg(t, j1)}, fail: map[int]error{1: boom},
			wantRan: []string{delivery1 + " #1 1111111"}, wantFail: failures(id(1)), wantAbandoned: []string{"#1: 502 Bad Gateway"}, wantResumable: true,
		},
		"maxReceiveCount unknown": {
			msgs: []awstest.SQSMessage{redelivered(j1, 9)}, fail: map[int]error{1: webhook.Permanent(boom)},
			wantRan: []string{delivery1 + " #1 1111111"},
		},
		"a job delivered before is not superseded": {
			maxReceives: 3, msgs: []awstest.SQSMessage{redelivered(older, 2), msg(t, newer)},
			wantRan: []string{delivery1 + " #4 4444444", delivery2 + " #4 5555555"}, wantResumable: true,
		},
	} {
		t.Run(name, func(t *testing.T) {
			r := &abandoningRunner{recordingRunner: recordingRunner{fail: tc.fail}}
			w, err := NewWorker(WorkerOptions{Runner: r, MaxReceives: tc.maxReceives, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			resp := invoke(t, w, awstest.SQSEvent(t, fifoARN, tc.msgs...))
			if diff := cmp.Diff(tc.wantRan, r.ran); diff != "" {
				t.Errorf("jobs run (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantFail, failed(resp)); diff != "" {
				t.Errorf("batch item failures (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantAbandoned, r.abandoned); diff != "" {
				t.Errorf("abandoned (-want +got):\n%s", diff)
			}
			for i, res := range r.resumable {
				if res != tc.wantResumable {
					t.Errorf("run %d resumable %v, want %v", i+1, res, tc.wantResumable)
				}
			}
		})
	}
}
