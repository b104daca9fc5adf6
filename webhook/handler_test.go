package webhook

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/webhook/webhooktest"
)

// memQueue is a Queue in memory.
type memQueue struct {
	mu   sync.Mutex
	jobs []Job
	err  error
}

func (q *memQueue) Enqueue(ctx context.Context, job Job) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.err != nil {
		return q.err
	}
	q.jobs = append(q.jobs, job)
	return nil
}

func (q *memQueue) queued() []Job {
	q.mu.Lock()
	defer q.mu.Unlock()
	return append([]Job(nil), q.jobs...)
}

var received = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)

func newTestHandler(t *testing.T, q Queue, mod func(*Options)) *Handler {
	t.Helper()
	opts := Options{
		Secret: []byte(testSecret),
		AppID:  29310, // the app of the check_suite examples
		Queue:  q,
		Logger: quietLogger(),
		Now:    func() time.Time { return received },
	}
	if mod != nil {
		mod(&opts)
	}
	h, err := NewHandler(opts)
	if err != nil {
		t.Fatal(err)
	}
	return h
}

const testSecret = "It's a Secret to Everybody"

// delivery is a delivery of body as GitHub sends it, signed with testSecret.
func delivery(event, id string, body []byte) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhook", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-GitHub-Event", event)
	r.Header.Set("X-GitHub-Delivery", id)
	r.Header.Set("X-Hub-Signature-256", webhooktest.Sign256(testSecret, body))
	return r
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestNewHandlerFailsClosed(t *testing.T) {
	tests := map[string]struct {
		opts Options
		want string
	}{
		"empty secret":       {Options{AppID: 1, Queue: &memQueue{}}, "secret is empty"},
		"one-byte secret":    {Options{Secret: []byte("s"), AppID: 1, Queue: &memQueue{}}, "secret has 1 bytes that are not white space, want at least 16"},
		"white space secret": {Options{Secret: []byte("                    \n"), AppID: 1, Queue: &memQueue{}}, "secret has 0 bytes"},
		"15 bytes and space": {Options{Secret: []byte(" 0123456789abcde \t"), AppID: 1, Queue: &memQueue{}}, "secret has 15 bytes"},
		"no app id":          {Options{Secret: []byte(testSecret), Queue: &memQueue{}}, "app id"},
		"no queue":           {Options{Secret: []byte(testSecret), AppID: 1}, "no queue"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			h, err := NewHandler(tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("NewHandler = %v, %v; want an error containing %q", h, err, tc.want)
			}
		})
	}
}

func TestHandlerSignature(t *testing.T) {
	body := webhooktest.Example(t, "pull_request", webhooktest.Action("opened")).Bytes(t)
	tests := map[string]struct {
		mod      func(r *http.Request)
		wantCode int
	}{
		"valid sha256": {func(r *http.Request) {}, http.StatusAccepted},
		"wrong secret": {func(r *http.Request) { r.Header.Set("X-Hub-Signature-256", webhooktest.Sign256("guess", body)) }, http.StatusUnauthorized},
		"missing":      {func(r *http.Request) { r.Header.Del("X-Hub-Signature-256") }, http.StatusUnauthorized},
		"garbage":      {func(r *http.Request) { r.Header.Set("X-Hub-Signature-256", "sha256=zz") }, http.StatusUnauthorized},
		"signature of another body": {func(r *http.Request) {
			r.Header.Set("X-Hub-Signature-256", webhooktest.Sign256(testSecret, append([]byte(" "), body...)))
		}, http.StatusUnauthorized},
		"sha1 header only, valid": {func(r *http.Request) {
			r.Header.Del("X-Hub-Signature-256")
			r.Header.Set("X-Hub-Signature", webhooktest.Sign1(testSecret, body))
		}, http.StatusUnauthorized},
		"valid sha1 digest in the sha256 header": {func(r *http.Request) {
			r.Header.Set("X-Hub-Signature-256", webhooktest.Sign1(testSecret, body))
		}, http.StatusUnauthorized},
		"bad sha256 with valid sha1": {func(r *http.Request) {
			r.Header.Set("X-Hub-Signature-256", webhooktest.Sign256("guess", body))
			r.Header.Set("X-Hub-Signature", webhooktest.Sign1(testSecret, body))
		}, http.StatusUnauthorized},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			q := &memQueue{}
			r := delivery("pull_request", "d-1", body)
			tc.mod(r)
			w := serve(newTestHandler(t, q, nil), r)
			if w.Code != tc.wantCode {
				t.Fatalf("status %d (%s), want %d", w.Code, strings.TrimSpace(w.Body.String()), tc.wantCode)
			}
			wantJobs := 0
			if tc.wantCode == http.StatusAccepted {
				wantJobs = 1
			}
			if got := len(q.queued()); got != wantJobs {
				t.Errorf("%d jobs queued, want %d", got, wantJobs)
			}
		})
	}
}

func TestHandlerBodyLimit(t *testing.T) {
	tests := map[string]struct {
		limit    int64
		size     int
		chunked  bool // no Content-Length: the handler must count
		wantCode int
	}{
		// GitHub's own cap: a body of 25 MB and one byte is refused.
		"one byte over 25 MB":          {limit: 0, size: MaxBodyBytes + 1, wantCode: http.StatusRequestEntityTooLarge},
		"one byte over 25 MB, chunked": {limit: 0, size: MaxBodyBytes + 1, chunked: true, wantCode: http.StatusRequestEntityTooLarge},
		"over a small cap":             {limit: 1 << 20, size: 1<<20 + 1, wantCode: http.StatusRequestEntityTooLarge},
		"over a small cap, chunked":    {limit: 1 << 20, size: 1<<20 + 1, chunked: true, wantCode: http.StatusRequestEntityTooLarge},
		"at a small cap":               {limit: 1 << 20, size: 1 << 20, wantCode: http.StatusAccepted},
		"at a small cap, chunked":      {limit: 1 << 20, size: 1 << 20, chunked: true, wantCode: http.StatusAccepted},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			// A real payload padded with trailing whitespace (still valid JSON).
			body := webhooktest.Example(t, "pull_request", webhooktest.Action("opened")).Bytes(t)
			body = append(body, strings.Repeat(" ", tc.size-len(body))...)
			r := delivery("pull_request", "d-1", body)
			if tc.chunked {
				r.ContentLength = -1
			}
			q := &memQueue{}
			w := serve(newTestHandler(t, q, func(o *Options) { o.MaxBodyBytes = tc.limit }), r)
			if w.Code != tc.wantCode {
				t.Errorf("status %d (%s), want %d", w.Code, strings.TrimSpace(w.Body.String()), tc.wantCode)
			}
			if got, want := len(q.queued()), btoi(tc.wantCode == http.StatusAccepted); got != want {
				t.Errorf("%d jobs queued, want %d", got, want)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

func TestHandlerMalformed(t *testing.T) {
	tests := map[string]struct {
		event    string
		body     string
		mod      func(r *http.Request)
		wantCode int
	}{
		"not JSON":               {event: "pull_request", body: `{"action": "opened", `, wantCode: http.StatusBadRequest},
		"wrong types":            {event: "pull_request", body: `{"action": 1, "number": "two"}`, wantCode: http.StatusBadRequest},
		"not JSON, other event":  {event: "push", body: `<xml/>`, wantCode: http.StatusBadRequest},
		"no event header":        {event: "", body: `{}`, wantCode: http.StatusBadRequest},
		"form encoded":           {event: "pull_request", body: `payload=%7B%7D`, mod: func(r *http.Request) { r.Header.Set("Content-Type", "application/x-www-form-urlencoded") }, wantCode: http.StatusBadRequest},
		"GET is not a delivery":  {event: "pull_request", body: `{}`, mod: func(r *http.Request) { r.Method = http.MethodGet }, wantCode: http.StatusMethodNotAllowed},
		"unsigned and malformed": {event: "pull_request", body: `{`, mod: func(r *http.Request) { r.Header.Del("X-Hub-Signature-256") }, wantCode: http.StatusUnauthorized},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			q := &memQueue{}
			r := delivery(tc.event, "d-1", []byte(tc.body))
			if tc.mod != nil {
				tc.mod(r)
			}
			w := serve(newTestHandler(t, q, nil), r)
			if w.Code != tc.wantCode {
				t.Errorf("status %d (%s), want %d", w.Code, strings.TrimSpace(w.Body.String()), tc.wantCode)
			}
			if len(q.queued()) != 0 {
				t.Error("a rejected delivery was queued")
			}
		})
	}
}

func TestHandlerIgnoresOtherEvents(t *testing.T) {
	for _, event := range []string{"push", "issues", "pull_request_review", "check_run", "check_suite", "installation", "installation_repositories"} {
		for i, raw := range webhooktest.Payloads(t, event) {
			t.Run(fmt.Sprintf("%s/%d", event, i), func(t *testing.T) {
				var p webhooktest.Payload
				if err := json.Unmarshal(raw, &p); err != nil {
					t.Fatal(err)
				}
				if a := p.Str("action"); a == "rerequested" {
					t.Skip("rerequested is tested on its own")
				}
				q := &memQueue{}
				w := serve(newTestHandler(t, q, nil), delivery(event, "d-1", raw))
				if w.Code != http.StatusAccepted || !strings.HasPrefix(w.Body.String(), "ignored") {
					t.Errorf("status %d %q, want 202 ignored", w.Code, w.Body.String())
				}
				if len(q.queued()) != 0 {
					t.Errorf("queued %v", q.queued())
				}
			})
		}
	}
}

func TestHandlerPing(t *testing.T) {
	for i, raw := range webhooktest.Payloads(t, "ping") {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			q := &memQueue{}
			w := serve(newTestHandler(t, q, nil), delivery("ping", "d-1", raw))
			if w.Code != http.StatusOK {
				t.Errorf("status %d %q, want 200", w.Code, w.Body.String())
			}
			if len(q.queued()) != 0 {
				t.Errorf("ping queued %v", q.queued())
			}
		})
	}
}

// wantJob is the job a pull_request payload should become.
func wantPRJob(p webhooktest.Payload, delivery string) Job {
	updated, _ := time.Parse(time.RFC3339, p.Str("pull_request", "updated_at"))
	return Job{
		DeliveryID:     delivery,
		Event:          "pull_request",
		Action:         p.Str("action"),
		InstallationID: p.Num("installation", "id"),
		Owner:          p.Str("repository", "owner", "login"),
		Repo:           p.Str("repository", "name"),
		Number:         int(p.Num("number")),
		BaseSHA:        p.Str("pull_request", "base", "sha"),
		HeadSHA:        p.Str("pull_request", "head", "sha"),
		Received:       received,
		Updated:        updated,
	}
}

func TestHandlerPullRequest(t *testing.T) {
	tests := map[string]struct {
		action string
		change func(p webhooktest.Payload) // a field the example lacks for this case
		queued bool
	}{
		"opened":           {action: "opened", queued: true},
		"synchronize":      {action: "synchronize", queued: true},
		"reopened":         {action: "reopened", queued: true},
		"ready_for_review": {action: "ready_for_review", queued: true},
		// Drafts are skipped; ready_for_review reviews them.
		"opened as draft":      {action: "opened", change: func(p webhooktest.Payload) { p.Set(true, "pull_request", "draft") }},
		"synchronize of draft": {action: "synchronize", change: func(p webhooktest.Payload) { p.Set(true, "pull_request", "draft") }},
		"closed":               {action: "closed"},
		"labeled":              {action: "labeled"},
		"converted_to_draft":   {action: "converted_to_draft"},
		"review_requested":     {action: "review_requested"},
		// No edited example is published: the opened one is edited as
		// GitHub's schema (webhook-pull-request-edited) has it. A new base
		// is a new diff; a new title or body is not.
		"edited": {action: "opened", change: func(p webhooktest.Payload) { p.Set("edited", "action") }},
		"edited title": {action: "opened", change: func(p webhooktest.Payload) {
			p.Set("edited", "action")
			p["changes"] = map[string]any{"title": map[string]any{"from": "Update the README with new information"}}
		}},
		"edited base": {action: "opened", queued: true, change: func(p webhooktest.Payload) {
			p.Set("edited", "action")
			p["changes"] = map[string]any{"base": map[string]any{
				"ref": map[string]any{"from": "develop"},
				"sha": map[string]any{"from": "9049f1265b7d61be4a8904a9a27120d2064dab3b"},
			}}
		}},
		// A repository webhook, not an App installation, sent this one.
		"no installation": {action: "opened", change: func(p webhooktest.Payload) { delete(p, "installation") }},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := webhooktest.Example(t, "pull_request", webhooktest.Action(tc.action))
			if tc.change != nil {
				tc.change(p)
			}
			got := queuedBy(t, "pull_request", "72d3162e-cc78-11e3-81ab-4c9367dc0958", p)
			var want []Job
			if tc.queued {
				want = []Job{wantPRJob(p, "72d3162e-cc78-11e3-81ab-4c9367dc0958")}
				if want[0].InstallationID == 0 || want[0].HeadSHA == "" || want[0].Number == 0 {
					t.Fatalf("example lacks fields: %+v", want[0])
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("queued (-want +got):\n%s", diff)
			}
		})
	}
}

// checkRunExample is the check_run "rerequested" example, with the pull
// request list of the check_run "created" example: the rerequested ones
// in @octokit/webhooks-examples belong to no pull request.
func checkRunExample(t *testing.T) webhooktest.Payload {
	p := rerequestedCheckRun(t)
	created := webhooktest.Example(t, "check_run", func(p webhooktest.Payload) bool { return p["action"] == "created" })
	p.Set(created.Get("check_run", "pull_requests"), "check_run", "pull_requests")
	return p
}

// rerequestedCheckRun is the check_run "rerequested" example with its
// app's created_at and updated_at in RFC 3339: the example dates from 2018,
// when GitHub wrote them "2018-04-25 20:42:10", which go-github's Timestamp
// (and so ParseWebHook) rejects; GitHub has sent RFC 3339 since.
func rerequestedCheckRun(t *testing.T) webhooktest.Payload {
	p := webhooktest.Example(t, "check_run", webhooktest.Action("rerequested"))
	for _, app := range [][]any{{"check_run", "app"}, {"check_run", "check_suite", "app"}} {
		for _, k := range []string{"created_at", "updated_at"} {
			path := append(append([]any(nil), app...), k)
			if v := p.Str(path...); v != "" {
				ts, err := time.Parse(time.DateTime, v)
				if err != nil {
					t.Fatalf("%v: %q is neither the 2018 format nor missing: %v", path, v, err)
				}
				p.Set(ts.UTC().Format(time.RFC3339), path...)
			}
		}
	}
	return p
}

func TestHandlerRerequested(t *testing.T) {
	run := checkRunExample(t)
	runApp, runName := run.Num("check_run", "app", "id"), run.Str("check_run", "name")
	suite := webhooktest.Example(t, "check_suite", webhooktest.Action("rerequested"))
	suiteApp := suite.Num("check_suite", "app", "id")
	runJob := Job{
		Event: "check_run", Action: "rerequested",
		InstallationID: run.Num("installation", "id"),
		Owner:          run.Str("repository", "owner", "login"),
		Repo:           run.Str("repository", "name"),
		HeadSHA:        run.Str("check_run", "head_sha"),
	}
	runPR := webhooktest.Payload(run.Get("check_run", "pull_requests").([]any)[0].(map[string]any))
	runJob.Number, runJob.BaseSHA = int(runPR.Num("number")), runPR.Str("base", "sha")
	suitePR := webhooktest.Payload(suite.Get("check_suite", "pull_requests").([]any)[0].(map[string]any))
	suiteJob := Job{
		Event: "check_suite", Action: "rerequested",
		InstallationID: suite.Num("installation", "id"),
		Owner:          suite.Str("repository", "owner", "login"),
		Repo:           suite.Str("repository", "name"),
		Number:         int(suitePR.Num("number")),
		BaseSHA:        suitePR.Str("base", "sha"),
		HeadSHA:        suite.Str("check_suite", "head_sha"),
	}
	noPRs := rerequestedCheckRun(t) // as published: no pull request

	tests := map[string]struct {
		event     string
		p         webhooktest.Payload
		appID     int64
		checkName string
		want      []Job
	}{
		"check run of this app":          {event: "check_run", p: run, appID: runApp, checkName: runName, want: []Job{runJob}},
		"check run of another app":       {event: "check_run", p: run, appID: runApp + 1, checkName: runName},
		"check run of another name":      {event: "check_run", p: run, appID: runApp, checkName: "djintegrity"},
		"check run without pull request": {event: "check_run", p: noPRs, appID: runApp, checkName: runName},
		"check suite of this app":        {event: "check_suite", p: suite, appID: suiteApp, want: []Job{suiteJob}},
		"check suite of another app":     {event: "check_suite", p: suite, appID: suiteApp + 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			q := &memQueue{}
			h := newTestHandler(t, q, func(o *Options) { o.AppID, o.CheckName = tc.appID, tc.checkName })
			w := serve(h, delivery(tc.event, "d-9", tc.p.Bytes(t)))
			if w.Code != http.StatusAccepted {
				t.Fatalf("status %d %q, want 202", w.Code, w.Body.String())
			}
			for i := range tc.want {
				tc.want[i].DeliveryID, tc.want[i].Received = "d-9", received
			}
			if diff := cmp.Diff(tc.want, q.queued()); diff != "" {
				t.Errorf("queued (-want +got):\n%s", diff)
			}
		})
	}
}

func TestHandlerQueueFailureIs5xx(t *testing.T) {
	q := &memQueue{err: errors.New("disk full")}
	w := serve(newTestHandler(t, q, nil), delivery("pull_request", "d-1", webhooktest.Example(t, "pull_request", webhooktest.Action("opened")).Bytes(t)))
	if w.Code < 500 {
		t.Errorf("status %d, want 5xx so that GitHub marks the delivery failed", w.Code)
	}
}

func TestHandlerNeedsDeliveryID(t *testing.T) {
	q := &memQueue{}
	r := delivery("pull_request", "", webhooktest.Example(t, "pull_request", webhooktest.Action("opened")).Bytes(t))
	if w := serve(newTestHandler(t, q, nil), r); w.Code != http.StatusBadRequest {
		t.Errorf("status %d, want 400", w.Code)
	}
	if len(q.queued()) != 0 {
		t.Error("queued a job without a delivery id")
	}
}

func TestHandlerLogsInstallations(t *testing.T) {
	for _, event := range []string{"installation", "installation_repositories"} {
		t.Run(event, func(t *testing.T) {
			var buf syncBuffer
			q := &memQueue{}
			h := newTestHandler(t, q, func(o *Options) { o.Logger = slog.New(slog.NewJSONHandler(&buf, nil)) })
			p := webhooktest.Example(t, event, func(p webhooktest.Payload) bool { return p["installation"] != nil })
			w := serve(h, delivery(event, "d-1", p.Bytes(t)))
			if w.Code != http.StatusAccepted {
				t.Errorf("status %d, want 202", w.Code)
			}
			want := fmt.Sprintf(`"installation":%d`, p.Num("installation", "id"))
			if !strings.Contains(buf.String(), want) || !strings.Contains(buf.String(), `"action":"`+p.Str("action")+`"`) {
				t.Errorf("log lacks %s and the action: %s", want, buf.String())
			}
		})
	}
}

// TestHandlerWithJournal runs deliveries through the handler into a real
// journal and worker pool: a redelivery is acknowledged and not run again.
func TestHandlerWithJournal(t *testing.T) {
	j := openJournal(t, t.TempDir(), JournalOptions{})
	h := newTestHandler(t, j, nil)
	r := newRecorder(nil)
	run(t, j, r)

	body := webhooktest.Example(t, "pull_request", webhooktest.Action("opened")).Bytes(t)
	for i, want := range []string{"queued 1, duplicate 0", "queued 0, duplicate 1"} {
		w := serve(h, delivery("pull_request", "d-1", body))
		if w.Code != http.StatusAccepted || strings.TrimSpace(w.Body.String()) != want {
			t.Errorf("delivery %d: %d %q, want 202 %q", i, w.Code, w.Body.String(), want)
		}
	}
	wait(t, r.ran, 1)
	waitEmpty(t, j)
	// The same delivery once more, after its job ran.
	if w := serve(h, delivery("pull_request", "d-1", body)); !strings.Contains(w.Body.String(), "duplicate 1") {
		t.Errorf("redelivery after the run: %q", w.Body.String())
	}
	time.Sleep(20 * time.Millisecond)
	if got := len(r.done()); got != 1 {
		t.Errorf("ran %d jobs for one delivery, want 1", got)
	}
}

// TestHandlerUnverifiedRoom: the bodies read before their signature is
// checked share a bounded room. While one body takes it all, another
// delivery is answered 503 at once, unread; once the first is answered
// (401, a wrong signature), the room is free again.
func TestHandlerUnverifiedRoom(t *testing.T) {
	body := webhooktest.Example(t, "pull_request", webhooktest.Action("opened")).Bytes(t)
	const room = 1 << 20
	q := &memQueue{}
	h := newTestHandler(t, q, func(o *Options) { o.MaxBodyBytes, o.UnverifiedBytes = room, room })

	// A forged delivery declares the whole room and sends its body slowly.
	pr, pw := io.Pipe()
	forged := delivery("pull_request", "d-forged", nil)
	forged.Body, forged.ContentLength = pr, room
	forged.Header.Set("X-Hub-Signature-256", "sha256="+strings.Repeat("0", 64))
	forgedDone := make(chan int)
	go func() { forgedDone <- serve(h, forged).Code }()
	if _, err := pw.Write(make([]byte, 1000)); err != nil { // the handler is reading it now
		t.Fatal(err)
	}

	for _, chunked := range []bool{false, true} {
		r := delivery("pull_request", "d-1", body)
		if chunked {
			r.ContentLength = -1
		}
		if w := serve(h, r); w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") == "" {
			t.Errorf("chunked %v: status %d %q while the room is taken, want 503 with Retry-After", chunked, w.Code, w.Body.String())
		}
	}
	go func() {
		pw.Write(bytes.Repeat([]byte(" "), room-1000))
		pw.Close()
	}()
	if code := <-forgedDone; code != http.StatusUnauthorized {
		t.Errorf("forged delivery: %d, want 401", code)
	}
	if w := serve(h, delivery("pull_request", "d-1", body)); w.Code != http.StatusAccepted || len(q.queued()) != 1 {
		t.Errorf("after the forged delivery was answered: %d %q, want 202 and the job queued", w.Code, w.Body.String())
	}
}
