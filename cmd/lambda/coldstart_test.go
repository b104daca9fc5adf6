package main

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/djintegrity/djintegrity/githubtest"
	"github.com/djintegrity/djintegrity/internal/awstest"
	"github.com/djintegrity/djintegrity/webhook/webhooktest"
)

// runtimeAPI is the part of Lambda's Runtime API a function's runtime loop
// uses (GET next, POST response/error), serving a list of events, one per
// next. It records when the first next came: the end of the init phase,
// which Lambda reports as "Init Duration".
type runtimeAPI struct {
	srv    *httptest.Server
	mu     sync.Mutex
	events [][]byte
	served int
	ready  time.Time // the first GET next
	sent   []time.Time
	done   chan invocationResult
}

type invocationResult struct {
	body    []byte
	failed  bool
	latency time.Duration // from handing the event out to the response
}

func newRuntimeAPI(t testing.TB, evs ...[]byte) *runtimeAPI {
	t.Helper()
	api := &runtimeAPI{events: evs, done: make(chan invocationResult, len(evs)+1)}
	api.srv = httptest.NewServer(http.HandlerFunc(api.serve))
	t.Cleanup(api.srv.Close)
	return api
}

func (a *runtimeAPI) serve(w http.ResponseWriter, r *http.Request) {
	const prefix = "/2018-06-01/runtime/"
	path := strings.TrimPrefix(r.URL.Path, prefix)
	switch {
	case r.Method == http.MethodGet && path == "invocation/next":
		a.mu.Lock()
		if a.ready.IsZero() {
			a.ready = time.Now()
		}
		if a.served == len(a.events) {
			a.mu.Unlock()
			<-r.Context().Done() // no more events: the environment idles
			return
		}
		ev, n := a.events[a.served], a.served
		a.served++
		a.sent = append(a.sent, time.Now())
		a.mu.Unlock()
		w.Header().Set("Lambda-Runtime-Aws-Request-Id", "req-"+strconv.Itoa(n))
		w.Header().Set("Lambda-Runtime-Deadline-Ms", strconv.FormatInt(time.Now().Add(2*time.Minute).UnixMilli(), 10))
		w.Header().Set("Lambda-Runtime-Invoked-Function-Arn", "arn:aws:lambda:us-east-1:000000000000:function:djintegrity-worker")
		w.Header().Set("Lambda-Runtime-Trace-Id", "Root=1-6751a1b2-0123456789abcdef01234567;Sampled=0")
		w.Write(ev)
	case r.Method == http.MethodPost && strings.HasPrefix(path, "invocation/"):
		body, _ := io.ReadAll(r.Body)
		n, _ := strconv.Atoi(strings.TrimPrefix(strings.Split(path, "/")[1], "req-"))
		a.mu.Lock()
		sent := a.sent[n]
		a.mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		a.done <- invocationResult{body: body, failed: strings.HasSuffix(path, "/error"), latency: time.Since(sent)}
	case r.Method == http.MethodPost && path == "init/error":
		body, _ := io.ReadAll(r.Body)
		w.WriteHeader(http.StatusAccepted)
		a.done <- invocationResult{body: body, failed: true}
	default:
		http.Error(w, "not in the Runtime API", http.StatusNotFound)
	}
}

// coldStart is what one fresh execution environment measured.
type coldStart struct {
	init      time.Duration // process start to the first GET next
	goInit    float64       // the function's own "init_ms" (Go runtime start to ready)
	latencies []time.Duration
	results   []invocationResult
	peakRSS   int64 // bytes, the process's maximum resident set
}

var (
	hostBinOnce sync.Once
	hostBinDir  string
	hostBin     string
	hostBinErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if hostBinDir != "" {
		os.RemoveAll(hostBinDir)
	}
	os.Exit(code)
}

// hostBootstrap builds cmd/lambda for this machine (the arm64 artifact
// cannot run here), once per test binary, with lambda.norpc as released.
// The release's netgo and osusergo tags are left out: they choose the DNS
// resolver and user lookup, which nothing measured here uses, and they would
// make the build recompile the net package and all above it.
func hostBootstrap(t testing.TB) string {
	t.Helper()
	hostBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "djintegrity-lambda")
		if err != nil {
			hostBinErr = err
			return
		}
		hostBinDir = dir
		hostBin = filepath.Join(dir, "bootstrap")
		out, err := exec.Command("go", "build", "-tags", "lambda.norpc",
			"-ldflags", "-s -w", "-o", hostBin, ".").CombinedOutput()
		if err != nil {
			hostBinErr = err
			hostBin = string(out)
		}
	})
	if hostBinErr != nil {
		t.Fatalf("go build ./cmd/lambda: %v\n%s", hostBinErr, hostBin)
	}
	return hostBin
}

// runColdStart starts the bootstrap as Lambda starts a new execution
// environment, with the role's environment, hands it events through the
// Runtime API and measures it.
func runColdStart(t testing.TB, bin string, vars map[string]string, evs ...[]byte) coldStart {
	t.Helper()
	api := newRuntimeAPI(t, evs...)
	cmd := exec.Command(bin)
	cmd.Env = []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),   // no developer's ~/.aws
		"TMPDIR=" + t.TempDir(), // the worker's parse cache, Lambda's /tmp
		"AWS_LAMBDA_RUNTIME_API=" + strings.TrimPrefix(api.srv.URL, "http://"),
		"AWS_LAMBDA_FUNCTION_NAME=djintegrity-" + vars["DJINTEGRITY_LAMBDA_ROLE"],
		"AWS_LAMBDA_FUNCTION_MEMORY_SIZE=128",
		"AWS_REGION=" + awstest.Region,
		"AWS_ACCESS_KEY_ID=ASIATESTROLE",
		"AWS_SECRET_ACCESS_KEY=role-secret",
		"AWS_SESSION_TOKEN=session-token",
		"TZ=:UTC",
	}
	for k, v := range vars {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	// DJINTEGRITY_LAMBDA_GODEBUG passes GODEBUG to the function (e.g.
	// gctrace=1, to see its heap).
	if v := os.Getenv("DJINTEGRITY_LAMBDA_GODEBUG"); v != "" {
		cmd.Env = append(cmd.Env, "GODEBUG="+v)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	var logs []string
	var logsMu sync.Mutex
	var logsDone sync.WaitGroup
	start := time.Now()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	logsDone.Go(func() {
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			logsMu.Lock()
			logs = append(logs, sc.Text())
			logsMu.Unlock()
		}
	})
	var cs coldStart
	for range evs {
		select {
		case r := <-api.done:
			cs.results = append(cs.results, r)
			cs.latencies = append(cs.latencies, r.latency)
		case <-time.After(time.Minute):
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("no response from the function in a minute; its log:\n%s", strings.Join(logs, "\n"))
		}
	}
	// The peak resident set of the function's own memory image. (wait4's
	// ru_maxrss would not do: the child shares the test's memory between
	// fork and exec, and counts the test's resident set as its own.)
	cs.peakRSS = peakRSS(t, cmd.Process.Pid)
	cmd.Process.Signal(syscall.SIGTERM)
	cmd.Wait()
	logsDone.Wait()
	api.mu.Lock()
	cs.init = api.ready.Sub(start)
	api.mu.Unlock()
	for _, l := range logs {
		var v struct {
			Msg    string  `json:"msg"`
			InitMS float64 `json:"init_ms"`
		}
		if json.Unmarshal([]byte(l), &v) == nil && v.Msg == "lambda: ready" {
			cs.goInit = v.InitMS
		}
	}
	for _, r := range cs.results {
		if r.failed {
			t.Fatalf("the function reported an error: %s\nits log:\n%s", r.body, strings.Join(logs, "\n"))
		}
	}
	return cs
}

// peakRSS is VmHWM, the peak resident set size, of a running process.
func peakRSS(t testing.TB, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		t.Skipf("no /proc to measure memory: %v", err)
	}
	for l := range strings.Lines(string(b)) {
		if v, ok := strings.CutPrefix(l, "VmHWM:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err != nil {
				t.Fatalf("VmHWM %q: %v", v, err)
			}
			return kb << 10
		}
	}
	t.Fatalf("no VmHWM in /proc/%d/status", pid)
	return 0
}

// workerColdStart is a cold start of the worker reviewing the fake's pull
// request.
func workerColdStart(t testing.TB, gh *githubtest.Server) coldStart {
	t.Helper()
	appID, key := githubtest.AppKey(t)
	fake := newFakeAWS(t, map[string]string{privateKeyARN: string(key)})
	pr := gh.PullRequest()
	job := `{"delivery_id":"d-cold","event":"pull_request","action":"opened","installation_id":77,"owner":"octo","repo":"shop","number":7,"base_sha":"` + pr.BaseSHA + `","head_sha":"` + pr.HeadSHA + `"}`
	ev := awstest.SQSEvent(t, "arn:aws:sqs:us-east-1:000000000000:djintegrity-jobs.fifo",
		awstest.SQSMessage{Body: job, GroupID: "octo/shop#7", DeduplicationID: "d-cold:octo/shop#7"})
	cs := runColdStart(t, hostBootstrap(t), map[string]string{
		"DJINTEGRITY_LAMBDA_ROLE":            "worker",
		"DJINTEGRITY_APP_ID":                 itoa64(appID),
		"DJINTEGRITY_PRIVATE_KEY_SECRET_ARN": privateKeyARN,
		"DJINTEGRITY_GITHUB_URL":             gh.URL(),
		"AWS_ENDPOINT_URL":                   fake.srv.URL,
	}, ev)
	var resp events.SQSEventResponse
	if err := json.Unmarshal(cs.results[0].body, &resp); err != nil || len(resp.BatchItemFailures) != 0 {
		t.Fatalf("worker response %s (%v): want no failures", cs.results[0].body, err)
	}
	if n := len(gh.Reviews()); n != 1 {
		t.Fatalf("%d reviews posted, want 1", n)
	}
	return cs
}

// TestColdStartWorker runs the worker binary as a new Lambda execution
// environment and reviews a ten-file pull request: the init phase must
// stay well inside Lambda's 10 s (the aim is 100 ms) and the process
// inside the smallest memory size, 128 MB.
func TestColdStartWorker(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the function binary; skipped with -short")
	}
	base, head := shopPR(t)
	cs := workerColdStart(t, githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head)))
	t.Logf("worker cold start: init %v (Go runtime to ready %.1f ms), 10-file review %v, peak RSS %.1f MB",
		cs.init.Round(100*time.Microsecond), cs.goInit, cs.latencies[0].Round(time.Millisecond), float64(cs.peakRSS)/(1<<20))
	if cs.init > time.Second {
		t.Errorf("init took %v; the aim is 100 ms", cs.init)
	}
	if cs.peakRSS >= 128<<20 {
		t.Errorf("peak RSS %.1f MB, want under 128 MB", float64(cs.peakRSS)/(1<<20))
	}
}

// receiverColdStart is a cold start of the receiver taking n signed
// pull_request deliveries, each queued on the local SQS.
func receiverColdStart(t testing.TB, n int) coldStart {
	t.Helper()
	fake := newFakeAWS(t, map[string]string{webhookSecretARN: testWebhookSecret})
	queueURL := awstest.StartSQS(t).CreateFIFOQueue(t, "cold")
	body := webhooktest.Example(t, "pull_request", webhooktest.Action("opened")).
		ForPullRequest(testInstallation, "octo", "shop", 7, "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", "ec26c3e57ca3a959ca5aad62de7213c562f8c821").Bytes(t)
	var evs [][]byte
	for i := range n {
		evs = append(evs, urlEvent(t, delivery{event: "pull_request", id: "d-cold-" + strconv.Itoa(i), body: body, secret: testWebhookSecret}))
	}
	cs := runColdStart(t, hostBootstrap(t), map[string]string{
		"DJINTEGRITY_LAMBDA_ROLE":        "receiver",
		"DJINTEGRITY_APP_ID":             "29310",
		"DJINTEGRITY_QUEUE_URL":          queueURL,
		"DJINTEGRITY_WEBHOOK_SECRET_ARN": webhookSecretARN,
		"AWS_ENDPOINT_URL":               fake.srv.URL,
	}, evs...)
	for _, r := range cs.results {
		if resp := parseStreamed(t, r.body); resp.Status != http.StatusAccepted {
			t.Fatalf("receiver answered %d %q, want 202", resp.Status, resp.Body)
		}
	}
	return cs
}

// TestColdStartReceiver runs the receiver binary as a new execution
// environment behind the Function URL (RESPONSE_STREAM) and queues a
// delivery on the local SQS.
func TestColdStartReceiver(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the function binary; skipped with -short")
	}
	cs := receiverColdStart(t, 3)
	t.Logf("receiver cold start: init %v (Go runtime to ready %.1f ms), requests %v (local SQS included), peak RSS %.1f MB",
		cs.init.Round(100*time.Microsecond), cs.goInit, cs.latencies, float64(cs.peakRSS)/(1<<20))
	if cs.init > time.Second {
		t.Errorf("init took %v; the aim is 100 ms", cs.init)
	}
	if cs.peakRSS >= 128<<20 {
		t.Errorf("peak RSS %.1f MB, want under 128 MB", float64(cs.peakRSS)/(1<<20))
	}
}

// BenchmarkColdStartWorker: each iteration is a new execution environment
// (a fresh process) reviewing the ten-file pull request. Metrics: init-ms
// (process start to the runtime loop's first request, Lambda's Init
// Duration), review-ms (the invocation), peak-MB (VmHWM).
//
//	go test ./cmd/lambda -run '^$' -bench ColdStartWorker -benchtime 10x
func BenchmarkColdStartWorker(b *testing.B) {
	base, head := shopPR(b)
	var inits, reviews []time.Duration
	var peak int64
	for b.Loop() {
		gh := githubtest.NewBenchServer(b, githubtest.WithPullRequest("octo", "shop", 7, base, head))
		cs := workerColdStart(b, gh)
		inits = append(inits, cs.init)
		reviews = append(reviews, cs.latencies[0])
		peak = max(peak, cs.peakRSS)
	}
	reportColdStarts(b, inits, reviews, peak)
}

// BenchmarkColdStartReceiver: each iteration is a new execution
// environment taking one delivery (local SQS included).
//
//	go test ./cmd/lambda -run '^$' -bench ColdStartReceiver -benchtime 10x
func BenchmarkColdStartReceiver(b *testing.B) {
	var inits, reqs []time.Duration
	var peak int64
	for b.Loop() {
		cs := receiverColdStart(b, 1)
		inits = append(inits, cs.init)
		reqs = append(reqs, cs.latencies[0])
		peak = max(peak, cs.peakRSS)
	}
	reportColdStarts(b, inits, reqs, peak)
}

func reportColdStarts(b *testing.B, inits, work []time.Duration, peak int64) {
	ms := func(ds []time.Duration, p int) float64 {
		s := slices.Clone(ds)
		slices.Sort(s)
		return float64(s[(len(s)-1)*p/100]) / float64(time.Millisecond)
	}
	b.ReportMetric(ms(inits, 50), "init-p50-ms")
	b.ReportMetric(ms(inits, 100), "init-max-ms")
	b.ReportMetric(ms(work, 50), "invoke-p50-ms")
	b.ReportMetric(float64(peak)/(1<<20), "peak-MB")
}
