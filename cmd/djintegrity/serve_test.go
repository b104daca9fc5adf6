package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.yaml.in/yaml/v3"

	"github.com/djintegrity/djintegrity/githubtest"
	"github.com/djintegrity/djintegrity/webhook"
	"github.com/djintegrity/djintegrity/webhook/webhooktest"
)

const serveTestSecret = "s3cr3t-webhook-value"

// serveEnv is a getenv over a map.
func serveEnv(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestServeConfig(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(keyFile, []byte("PEM FROM FILE"), 0o600); err != nil {
		t.Fatal(err)
	}
	openKeyFile := filepath.Join(t.TempDir(), "open.pem")
	if err := os.WriteFile(openKeyFile, []byte("PEM FROM FILE"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(openKeyFile, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	base := map[string]string{
		"DJINTEGRITY_APP_ID":         "12345",
		"DJINTEGRITY_PRIVATE_KEY":    "PEM TEXT",
		"DJINTEGRITY_WEBHOOK_SECRET": serveTestSecret,
	}
	with := func(kv ...string) map[string]string {
		m := map[string]string{}
		for k, v := range base {
			m[k] = v
		}
		for i := 0; i < len(kv); i += 2 {
			if kv[i+1] == "" {
				delete(m, kv[i])
			} else {
				m[kv[i]] = kv[i+1]
			}
		}
		return m
	}
	defaults := serveConfig{
		AppID: 12345, PrivateKey: []byte("PEM TEXT"), WebhookSecret: []byte(serveTestSecret),
		GitHubURL: "https://api.github.com/", Addr: ":8080", DataDir: "djintegrity-data", Workers: 4, Grace: 20 * time.Second,
	}
	tests := map[string]struct {
		env     map[string]string
		args    []string
		want    func(c *serveConfig)
		wantErr string
	}{
		"defaults": {env: base},
		"environment": {
			env: with("DJINTEGRITY_GITHUB_URL", "https://ghe.example.com/api/v3/", "DJINTEGRITY_ADDR", "127.0.0.1:9000",
				"DJINTEGRITY_DATA_DIR", "/var/lib/djintegrity", "DJINTEGRITY_WORKERS", "8"),
			want: func(c *serveConfig) {
				c.GitHubURL, c.Addr, c.DataDir, c.Workers = "https://ghe.example.com/api/v3/", "127.0.0.1:9000", "/var/lib/djintegrity", 8
			},
		},
		"flags override the environment": {
			env: with("DJINTEGRITY_ADDR", "127.0.0.1:9000", "DJINTEGRITY_WORKERS", "8", "DJINTEGRITY_APP_ID", "1"),
			args: []string{"-addr", ":9999", "-workers", "2", "-app-id", "777", "-github-url", "http://localhost:3000/",
				"-data-dir", "/tmp/j", "-grace", "5s", "-private-key-file", keyFile},
			want: func(c *serveConfig) {
				c.Addr, c.Workers, c.AppID, c.GitHubURL, c.DataDir, c.Grace = ":9999", 2, 777, "http://localhost:3000/", "/tmp/j", 5*time.Second
				c.PrivateKey = []byte("PEM FROM FILE")
			},
		},
		"key file": {
			env:  with("DJINTEGRITY_PRIVATE_KEY", "", "DJINTEGRITY_PRIVATE_KEY_FILE", keyFile),
			want: func(c *serveConfig) { c.PrivateKey = []byte("PEM FROM FILE") },
		},
		"key file others can read": {
			env: with("DJINTEGRITY_PRIVATE_KEY", "", "DJINTEGRITY_PRIVATE_KEY_FILE", openKeyFile),
			want: func(c *serveConfig) {
				c.PrivateKey = []byte("PEM FROM FILE")
				c.Warnings = []string{"the private key file " + openKeyFile + " is readable by other users (mode -rw-r--r--): whoever reads it can act as the App; chmod 600 it"}
			},
		},
		"empty secret refuses to start": {env: with("DJINTEGRITY_WEBHOOK_SECRET", ""), wantErr: "refusing to accept unsigned webhooks"},
		"one-byte secret":               {env: with("DJINTEGRITY_WEBHOOK_SECRET", "x"), wantErr: "webhook secret has 1 bytes that are not white space, want at least 16"},
		"white space secret":            {env: with("DJINTEGRITY_WEBHOOK_SECRET", "                  "), wantErr: "webhook secret has 0 bytes"},
		"GitHub URL with a password":    {env: with("DJINTEGRITY_GITHUB_URL", "ftp://bot:hunter2@ghe.example.com/"), wantErr: `"ftp://REDACTED@ghe.example.com/"`},
		"no app id":                     {env: with("DJINTEGRITY_APP_ID", ""), wantErr: "DJINTEGRITY_APP_ID"},
		"app id not a number":           {env: with("DJINTEGRITY_APP_ID", "djintegrity"), wantErr: "numeric id"},
		"no private key":                {env: with("DJINTEGRITY_PRIVATE_KEY", ""), wantErr: "no private key"},
		"two private keys":              {env: with("DJINTEGRITY_PRIVATE_KEY_FILE", keyFile), wantErr: "give one"},
		"missing key file":              {env: with("DJINTEGRITY_PRIVATE_KEY", "", "DJINTEGRITY_PRIVATE_KEY_FILE", keyFile+".missing"), wantErr: "private key"},
		"zero workers":                  {env: with("DJINTEGRITY_WORKERS", "0"), wantErr: "DJINTEGRITY_WORKERS"},
		"bad GitHub URL":                {env: with("DJINTEGRITY_GITHUB_URL", "ghe.example.com"), wantErr: "DJINTEGRITY_GITHUB_URL"},
		"argument":                      {env: base, args: []string{"extra"}, wantErr: "no arguments"},
		"secret has no flag":            {env: base, args: []string{"-webhook-secret", "x"}, wantErr: "flag provided but not defined"},
		"every missing setting at once": {env: map[string]string{}, wantErr: "3 settings to fix:\n" +
			"  DJINTEGRITY_APP_ID \"\": want the App's numeric id\n" +
			"  no private key: set DJINTEGRITY_PRIVATE_KEY_FILE or DJINTEGRITY_PRIVATE_KEY\n" +
			"  DJINTEGRITY_WEBHOOK_SECRET is empty"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseServeConfig(tc.args, serveEnv(tc.env), io.Discard)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want one containing %q", err, tc.wantErr)
				}
				var usage usageError
				if !errors.As(err, &usage) {
					t.Errorf("err %v is not a usage error (exit 2)", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := defaults
			if tc.want != nil {
				tc.want(&want)
			}
			if diff := cmp.Diff(&want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

// setServeEnv sets every variable serve reads for the test: the rest of
// the environment must not leak in.
func setServeEnv(t *testing.T, kv map[string]string) {
	for _, k := range []string{"DJINTEGRITY_APP_ID", "DJINTEGRITY_PRIVATE_KEY_FILE", "DJINTEGRITY_PRIVATE_KEY",
		"DJINTEGRITY_WEBHOOK_SECRET", "DJINTEGRITY_GITHUB_URL", "DJINTEGRITY_ADDR", "DJINTEGRITY_DATA_DIR", "DJINTEGRITY_WORKERS"} {
		t.Setenv(k, kv[k])
	}
}

func TestServeRefusesToStart(t *testing.T) {
	_, key := githubtest.AppKey(t)
	tests := map[string]struct {
		env  map[string]string
		want string
	}{
		"without a webhook secret": {
			env:  map[string]string{"DJINTEGRITY_APP_ID": "1", "DJINTEGRITY_PRIVATE_KEY": string(key)},
			want: "DJINTEGRITY_WEBHOOK_SECRET is empty",
		},
		"with a key that is not a key": {
			env:  map[string]string{"DJINTEGRITY_APP_ID": "1", "DJINTEGRITY_PRIVATE_KEY": "not a PEM", "DJINTEGRITY_WEBHOOK_SECRET": serveTestSecret},
			want: "github app 1",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			tc.env["DJINTEGRITY_DATA_DIR"] = t.TempDir()
			tc.env["DJINTEGRITY_ADDR"] = "127.0.0.1:0"
			setServeEnv(t, tc.env)
			_, stderr, code := runCLI(t, "serve")
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", code, stderr, exitUsage, tc.want)
			}
			if strings.Contains(stderr, "serving") {
				t.Error("serve started")
			}
		})
	}
}

// serveLogs collects serve's JSON log lines.
type serveLogs struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *serveLogs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *serveLogs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// count is the number of log lines with message msg.
func (l *serveLogs) count(msg string) int { return strings.Count(l.String(), `"msg":"`+msg+`"`) }

// waitLog waits for n lines with message msg.
func (l *serveLogs) waitLog(t testing.TB, msg string, n int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for l.count(msg) < n {
		if time.Now().After(deadline) {
			t.Fatalf("waited for %d %q log lines; log:\n%s", n, msg, l.String())
		}
		time.Sleep(time.Millisecond)
	}
}

// serving is one running `serve`.
type serving struct {
	url  string // http://127.0.0.1:PORT
	logs *serveLogs
	stop func() error // SIGTERM, and wait for serve to return
}

// startServe runs serveOn on a free local port with runner.
func startServe(t testing.TB, cfg *serveConfig, runner func(log *serveLogs) webhook.Runner) *serving {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	logs := &serveLogs{}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- serveOn(ctx, cfg, ln, runner(logs), newJSONLogger(logs, true)) }()
	s := &serving{url: "http://" + ln.Addr().String(), logs: logs}
	var once sync.Once
	var stopErr error
	s.stop = func() error {
		once.Do(func() {
			cancel()
			select {
			case stopErr = <-errc:
			case <-time.After(30 * time.Second):
				stopErr = errors.New("serve did not return after SIGTERM")
			}
		})
		return stopErr
	}
	t.Cleanup(func() { s.stop() })
	logs.waitLog(t, "serving", 1)
	return s
}

func (s *serving) post(t testing.TB, event, delivery string, body []byte, secret string) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(webhooktest.Request(t, s.url+"/webhook", secret, event, delivery, body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

func (s *serving) get(t testing.TB, path string) (int, string) {
	t.Helper()
	resp, err := http.Get(s.url + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

// testServeConfig is a configuration for a test server of app appID.
func testServeConfig(t testing.TB, appID int64, githubURL string) *serveConfig {
	return &serveConfig{
		AppID: appID, WebhookSecret: []byte(serveTestSecret), GitHubURL: githubURL,
		DataDir: t.TempDir(), Workers: 2, Grace: 5 * time.Second,
	}
}

// jobRecorder is a Runner that hands every job to a channel.
type jobRecorder struct{ jobs chan webhook.Job }

func (r jobRecorder) Run(ctx context.Context, job webhook.Job) error {
	r.jobs <- job
	return nil
}

func TestServeReceivesAndRuns(t *testing.T) {
	rec := jobRecorder{make(chan webhook.Job, 10)}
	s := startServe(t, testServeConfig(t, 1, "http://127.0.0.1:1/"), func(*serveLogs) webhook.Runner { return rec })

	if code, body := s.get(t, "/healthz"); code != http.StatusOK || body != "ok" {
		t.Errorf("GET /healthz: %d %q, want 200 ok", code, body)
	}
	if code, _ := s.get(t, "/webhook"); code != http.StatusMethodNotAllowed {
		t.Errorf("GET /webhook: %d, want 405", code)
	}
	p := webhooktest.Example(t, "pull_request", webhooktest.Action("opened"))
	if code, body := s.post(t, "pull_request", "d-1", p.Bytes(t), "wrong secret"); code != http.StatusUnauthorized {
		t.Errorf("bad signature: %d %q, want 401", code, body)
	}
	if code, body := s.post(t, "pull_request", "d-2", p.Bytes(t), serveTestSecret); code != http.StatusAccepted {
		t.Errorf("signed delivery: %d %q, want 202", code, body)
	}
	select {
	case job := <-rec.jobs:
		if job.DeliveryID != "d-2" || job.HeadSHA != p.Str("pull_request", "head", "sha") {
			t.Errorf("ran %+v, want delivery d-2 at the example's head", job)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the job did not run")
	}
	if err := s.stop(); err != nil {
		t.Fatalf("serve returned %v after SIGTERM", err)
	}
	select {
	case job := <-rec.jobs:
		t.Errorf("the bad-signature delivery ran: %+v", job)
	default:
	}
	if _, err := http.Get(s.url + "/healthz"); err == nil {
		t.Error("still answering after shutdown")
	}
}

// TestServeShutdownAndRestart: SIGTERM lets the running review finish,
// leaves the queued one in the journal, and the next start runs it.
func TestServeShutdownAndRestart(t *testing.T) {
	cfg := testServeConfig(t, 1, "http://127.0.0.1:1/")
	cfg.Workers = 1
	started := make(chan webhook.Job, 10)
	finish := make(chan struct{})
	s := startServe(t, cfg, func(*serveLogs) webhook.Runner {
		return webhook.RunnerFunc(func(ctx context.Context, job webhook.Job) error {
			started <- job
			<-finish
			return nil
		})
	})
	pr := webhooktest.Example(t, "pull_request", webhooktest.Action("opened"))
	for i, n := range []int{1, 2} {
		p := pr.ForPullRequest(5, "acme", "shop", n, "base", fmt.Sprint("head", n))
		if code, body := s.post(t, "pull_request", fmt.Sprint("d-", i), p.Bytes(t), serveTestSecret); code != http.StatusAccepted {
			t.Fatalf("delivery %d: %d %q", i, code, body)
		}
		if i == 0 {
			<-started // PR 1 is running; PR 2 waits for the one worker
		}
	}
	stopped := make(chan error, 1)
	go func() { stopped <- s.stop() }()
	s.logs.waitLog(t, "shutting down: no new deliveries; running reviews may finish", 1)
	close(finish) // the running review finishes inside the grace period
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if got := s.logs.count("job done"); got != 1 {
		t.Errorf("%d reviews done before stopping, want 1", got)
	}
	if !strings.Contains(s.logs.String(), `"jobs_left":1`) {
		t.Errorf("stop line does not say one job is left:\n%s", s.logs.String())
	}

	rec := jobRecorder{make(chan webhook.Job, 10)}
	startServe(t, cfg, func(*serveLogs) webhook.Runner { return rec })
	select {
	case job := <-rec.jobs:
		if job.Number != 2 {
			t.Errorf("after restart ran PR %d, want the queued PR 2", job.Number)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the job left in the journal did not run after the restart")
	}
}

func TestServeRefusesSecondInstanceOnOneJournal(t *testing.T) {
	cfg := testServeConfig(t, 1, "http://127.0.0.1:1/")
	startServe(t, cfg, func(*serveLogs) webhook.Runner { return jobRecorder{make(chan webhook.Job, 1)} })
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	err = serveOn(t.Context(), cfg, ln, jobRecorder{}, newJSONLogger(io.Discard, false))
	if err == nil || !strings.Contains(err.Error(), "in use") {
		t.Errorf("second serve on one data directory: %v, want an in-use error", err)
	}
}

// appManifest is the part of a GitHub App manifest that app.yml may hold:
// decoding with KnownFields rejects a misspelt key.
type appManifest struct {
	Name           string `yaml:"name"`
	URL            string `yaml:"url"`
	Description    string `yaml:"description"`
	Public         bool   `yaml:"public"`
	HookAttributes struct {
		URL    string `yaml:"url" json:"url"`
		Active bool   `yaml:"active" json:"active"`
	} `yaml:"hook_attributes" json:"hook_attributes"`
	RedirectURL        string            `yaml:"redirect_url" json:"redirect_url"`
	CallbackURLs       []string          `yaml:"callback_urls"`
	SetupURL           string            `yaml:"setup_url"`
	DefaultPermissions map[string]string `yaml:"default_permissions" json:"default_permissions"`
	DefaultEvents      []string          `yaml:"default_events"`
}

func TestAppManifest(t *testing.T) {
	f, err := os.Open("../../app.yml")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := yaml.NewDecoder(f)
	dec.KnownFields(true)
	var m appManifest
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("app.yml: %v", err)
	}
	if diff := cmp.Diff(map[string]string{
		"checks": "write", "pull_requests": "write", "contents": "read", "metadata": "read", "merge_queues": "read",
	}, m.DefaultPermissions); diff != "" {
		t.Errorf("default_permissions (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"check_run", "check_suite", "merge_group", "pull_request"}, m.DefaultEvents, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
		t.Errorf("default_events (-want +got):\n%s", diff)
	}
	// GitHub refuses a manifest subscribing to an event without the
	// permission it needs.
	needs := map[string]string{"check_run": "checks", "check_suite": "checks", "pull_request": "pull_requests", "merge_group": "merge_queues"}
	for _, ev := range m.DefaultEvents {
		if p, ok := needs[ev]; !ok || m.DefaultPermissions[p] == "" {
			t.Errorf("event %s without its permission %q", ev, p)
		}
	}
	if m.Name == "" || !strings.HasPrefix(m.URL, "https://") {
		t.Errorf("name %q and url %q are required", m.Name, m.URL)
	}
	if !strings.HasPrefix(m.HookAttributes.URL, "https://") || !strings.HasSuffix(m.HookAttributes.URL, "/webhook") || !m.HookAttributes.Active {
		t.Errorf("hook_attributes %+v: want an active https URL ending in /webhook (serve's path)", m.HookAttributes)
	}
	if m.Public {
		t.Error("the manifest makes a public App; an organisation's own App is private")
	}
}

// shopPR is the fake's pull request: the change of examples/shop, with
// notes files added to make it at least ten changed files.
func shopPR(t testing.TB) (base, head githubtest.Tree) {
	base = githubtest.ReadTree(t, "../../examples/shop/base")
	head = githubtest.ReadTree(t, "../../examples/shop/head")
	for i := 1; changedFiles(base, head) < 10; i++ {
		head[fmt.Sprintf("notes/change-%d.md", i)] = "- checkout: coupons, shipping, product integrity\n"
	}
	return base, head
}

func changedFiles(base, head githubtest.Tree) int {
	n := 0
	for p, c := range head {
		if b, ok := base[p]; !ok || b != c {
			n++
		}
	}
	for p := range base {
		if _, ok := head[p]; !ok {
			n++
		}
	}
	return n
}

const serveInstallation = 77

// reviewerFor makes serve's real reviewer, against the fake.
func reviewerFor(t testing.TB, gh *githubtest.Server) func(*serveLogs) webhook.Runner {
	appID, key := githubtest.AppKey(t)
	return func(logs *serveLogs) webhook.Runner {
		cfg := &serveConfig{AppID: appID, PrivateKey: key, GitHubURL: gh.URL()}
		r, err := newReviewRunner(cfg, gh.Client(), newJSONLogger(logs, true))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
}

// prDelivery is GitHub's real pull_request example of action, pointed at
// the fake's pull request.
func prDelivery(t testing.TB, gh *githubtest.Server, action string) []byte {
	pr := gh.PullRequest()
	return webhooktest.Example(t, "pull_request", webhooktest.Action(action)).
		ForPullRequest(serveInstallation, pr.Owner, pr.Repo, pr.Number, pr.BaseSHA, pr.HeadSHA).Bytes(t)
}

func TestServeEndToEnd(t *testing.T) {
	base, head := shopPR(t)
	gh := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
	appID, key := githubtest.AppKey(t)
	s := startServe(t, testServeConfig(t, appID, gh.URL()), reviewerFor(t, gh))
	opened := prDelivery(t, gh, "opened")
	headSHA := gh.PullRequest().HeadSHA

	t.Run("bad signature", func(t *testing.T) {
		if code, body := s.post(t, "pull_request", "d-forged", opened, "guess"); code != http.StatusUnauthorized {
			t.Errorf("%d %q, want 401", code, body)
		}
	})

	t.Run("opened", func(t *testing.T) {
		if code, body := s.post(t, "pull_request", "d-1", opened, serveTestSecret); code != http.StatusAccepted || body != "queued 1, duplicate 0" {
			t.Fatalf("%d %q, want 202 queued", code, body)
		}
		s.logs.waitLog(t, "job done", 1)
		reviews := gh.Reviews()
		if len(reviews) != 1 {
			t.Fatalf("%d reviews, want 1", len(reviews))
		}
		if r := reviews[0]; r.Event != "COMMENT" || r.CommitID != headSHA || len(r.Comments) == 0 {
			t.Errorf("review: event %s on %s with %d comments; want COMMENT on %s with comments", r.Event, r.CommitID, len(r.Comments), headSHA)
		}
		for _, c := range reviews[0].Comments {
			if base[c.GetPath()] == head[c.GetPath()] {
				t.Errorf("comment on %s, a file the pull request does not change", c.GetPath())
			}
		}
		runs := gh.CheckRuns()
		if len(runs) != 1 {
			t.Fatalf("%d check runs, want 1", len(runs))
		}
		if r := runs[0]; r.Name != webhook.DefaultCheckName || r.HeadSHA != headSHA || r.Status != "completed" || r.Conclusion != "failure" {
			t.Errorf("check run %s on %s: %s/%s; want %s on %s completed/failure", r.Name, r.HeadSHA, r.Status, r.Conclusion, webhook.DefaultCheckName, headSHA)
		}
		// The request in the bad-signature case never reached the journal:
		// one job ran, one check run exists.
		if got := s.logs.count("job done"); got != 1 {
			t.Errorf("%d jobs ran, want 1", got)
		}
	})

	t.Run("same delivery again", func(t *testing.T) {
		gh.Reset()
		if code, body := s.post(t, "pull_request", "d-1", opened, serveTestSecret); code != http.StatusAccepted || body != "queued 0, duplicate 1" {
			t.Fatalf("%d %q, want 202 duplicate", code, body)
		}
		time.Sleep(200 * time.Millisecond) // a job would have started by now
		if reqs := gh.Requests(); len(reqs) != 0 {
			t.Errorf("a redelivery made %d requests to GitHub, want 0: %+v", len(reqs), reqs[0])
		}
		if len(gh.Reviews()) != 1 || len(gh.CheckRuns()) != 1 {
			t.Errorf("%d reviews and %d check runs after the redelivery, want 1 and 1", len(gh.Reviews()), len(gh.CheckRuns()))
		}
	})

	t.Run("another delivery for the same head", func(t *testing.T) {
		// Reopened: a new delivery id, so the journal runs it; the review's
		// fingerprints keep it from repeating a comment.
		comments := len(gh.Comments())
		if code, body := s.post(t, "pull_request", "d-2", prDelivery(t, gh, "reopened"), serveTestSecret); code != http.StatusAccepted {
			t.Fatalf("%d %q", code, body)
		}
		s.logs.waitLog(t, "job done", 2)
		if got := len(gh.Comments()); got != comments {
			t.Errorf("%d comments after a second run on the same head, want still %d", got, comments)
		}
	})

	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	logs := s.logs.String()
	keyLines := strings.Split(strings.TrimSpace(string(key)), "\n")
	for _, secret := range []string{serveTestSecret, "PRIVATE KEY", keyLines[1], "ghs_", "eyJ"} {
		if strings.Contains(logs, secret) {
			t.Errorf("the log holds a secret or token (%.12s...)", secret)
		}
	}
	for _, want := range []string{`"delivery":"d-1"`, `"installation":77`, `"repo":"octo/shop"`, `"pr":7`, `"head_sha":"` + headSHA + `"`, `"duration_ms":`, `"findings":`} {
		if !strings.Contains(logs, want) {
			t.Errorf("the job log lacks %s", want)
		}
	}
}

// TestServeProcess starts `djintegrity serve` as its own process,
// configured by the environment alone as an operator would, reviews a pull
// request through it against the fake GitHub, and stops it with SIGTERM.
func TestServeProcess(t *testing.T) {
	base, head := shopPR(t)
	gh := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
	// Credentials in the URL are never sent (the App authenticates), nor
	// logged.
	p := startServeProcessWith(t, gh, t.TempDir(), nil, "DJINTEGRITY_GITHUB_URL="+strings.Replace(gh.URL(), "://", "://bot:hunter2@", 1))
	if code, body := p.post(t, "pull_request", "d-1", prDelivery(t, gh, "opened"), serveTestSecret); code != http.StatusAccepted {
		t.Fatalf("%d %q, want 202", code, body)
	}
	p.wait("the job", func() bool { return p.logs.count("job done") > 0 })
	if reviews, runs := gh.Reviews(), gh.CheckRuns(); len(reviews) != 1 || len(runs) != 1 || runs[0].Conclusion != "failure" {
		t.Errorf("%d reviews and %d check runs (%+v), want one review and one failing check run", len(reviews), len(runs), runs)
	}
	// The journal's line for the job carries the count the review reported.
	counts := map[string]*int{}
	for l := range strings.Lines(p.logs.String()) {
		var v struct {
			Msg      string
			Findings *int
		}
		if json.Unmarshal([]byte(l), &v) == nil && (v.Msg == "review done" || v.Msg == "job done") {
			counts[v.Msg] = v.Findings
		}
	}
	if r, j := counts["review done"], counts["job done"]; r == nil || j == nil || *r != *j || *r == 0 {
		t.Errorf("findings: review done %v, job done %v; want the same count, not zero", r, j)
	}

	p.stop()
	if logs := p.logs.String(); strings.Contains(logs, "hunter2") || !strings.Contains(logs, `"github_url":"http://REDACTED@`) {
		t.Errorf("the log holds the GitHub URL's password, or not the URL redacted:\n%s", logs)
	}
}

func TestServeEndToEndRestart(t *testing.T) {
	base, head := shopPR(t)
	gh := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
	appID, _ := githubtest.AppKey(t)
	cfg := testServeConfig(t, appID, gh.URL())
	cfg.Grace = 50 * time.Millisecond

	// The first process accepts the delivery, then is stopped before the
	// review gets anywhere (its runner hangs until cancelled).
	started := make(chan struct{}, 1)
	s := startServe(t, cfg, func(*serveLogs) webhook.Runner {
		return webhook.RunnerFunc(func(ctx context.Context, job webhook.Job) error {
			started <- struct{}{}
			<-ctx.Done()
			return ctx.Err()
		})
	})
	if code, body := s.post(t, "pull_request", "d-1", prDelivery(t, gh, "opened"), serveTestSecret); code != http.StatusAccepted {
		t.Fatalf("%d %q", code, body)
	}
	<-started
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	if len(gh.Requests()) != 0 {
		t.Fatalf("the first process reached GitHub")
	}

	// The next start finds the job in the journal and completes it.
	s = startServe(t, cfg, reviewerFor(t, gh))
	s.logs.waitLog(t, "job done", 1)
	if len(gh.Reviews()) != 1 {
		t.Errorf("%d reviews after the restart, want 1", len(gh.Reviews()))
	}
	runs := gh.CheckRuns()
	if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Conclusion != "failure" {
		t.Errorf("check runs after the restart: %+v, want one completed failure", runs)
	}
}

// BenchmarkServeWebhookToReview measures a signed pull_request.opened
// through serve (handler, journal, worker, reviewer) to the review posted on
// the fake, for a 10-file pull request; each iteration is a fresh fake and
// server, so the installation token is fetched each time.
func BenchmarkServeWebhookToReview(b *testing.B) {
	base, head := shopPR(b)
	appID, _ := githubtest.AppKey(b)
	var toReview, toDone []time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		gh := githubtest.NewBenchServer(b, githubtest.WithPullRequest("octo", "shop", 7, base, head), githubtest.WithToken("warm-up"))
		warmFake(b, gh)
		var posted time.Time
		var postedMu sync.Mutex
		gh.Before("POST", "/repos/{owner}/{repo}/pulls/{pull_number}/reviews", func() {
			postedMu.Lock()
			posted = time.Now()
			postedMu.Unlock()
		})
		s := startServe(b, testServeConfig(b, appID, gh.URL()), reviewerFor(b, gh))
		body := prDelivery(b, gh, "opened")
		b.StartTimer()

		start := time.Now()
		if code, resp := s.post(b, "pull_request", fmt.Sprint("d-", i), body, serveTestSecret); code != http.StatusAccepted {
			b.Fatalf("%d %q", code, resp)
		}
		for s.logs.count("job done") == 0 {
			time.Sleep(200 * time.Microsecond)
		}
		done := time.Since(start)

		b.StopTimer()
		postedMu.Lock()
		if posted.IsZero() {
			b.Fatal("no review posted")
		}
		toReview = append(toReview, posted.Sub(start))
		postedMu.Unlock()
		toDone = append(toDone, done)
		if err := s.stop(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(changedFiles(base, head)), "files")
	b.ReportMetric(servePercentile(toReview, 50), "p50-review-ms")
	b.ReportMetric(servePercentile(toReview, 90), "p90-review-ms")
	b.ReportMetric(servePercentile(toDone, 50), "p50-check-done-ms")
}

// warmFake has the fake compute its pull request's diffs (it runs git
// diff for each file, once per head) before the clock starts: the goal is
// for a fake that answers at once.
func warmFake(b *testing.B, gh *githubtest.Server) {
	pr := gh.PullRequest()
	req, err := http.NewRequest(http.MethodGet, fmt.Sprintf("%srepos/%s/%s/pulls/%d/files?per_page=100", gh.URL(), pr.Owner, pr.Repo, pr.Number), nil)
	if err != nil {
		b.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer warm-up")
	resp, err := gh.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("warming the fake: %s", resp.Status)
	}
}

func servePercentile(ds []time.Duration, p int) float64 {
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return float64(s[(len(s)-1)*p/100]) / float64(time.Millisecond)
}

// TestReviewRunnerPermanentErrors: what GitHub will refuse again is not
// retried.
func TestReviewRunnerPermanentErrors(t *testing.T) {
	base, head := shopPR(t)
	gh := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
	r := reviewerFor(t, gh)(&serveLogs{})
	pr := gh.PullRequest()
	// GitHub answers 404 for a repository the installation cannot see.
	err := r.Run(t.Context(), webhook.Job{DeliveryID: "d-1", InstallationID: serveInstallation,
		Owner: "octo", Repo: "gone", Number: 7, BaseSHA: pr.BaseSHA, HeadSHA: pr.HeadSHA})
	if err == nil || !webhook.IsPermanent(err) {
		t.Errorf("review of a repository that is gone: %v, want a permanent error", err)
	}
}

// TestREADMEManifestCommand runs the README's command that turns app.yml
// into the manifest JSON, with the yq it names (Debian's), and checks the
// JSON GitHub would get: the name set, the webhook and redirect URLs.
func TestREADMEManifestCommand(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)```sh\n  (yq .*?) > manifest.json\n").FindSubmatch(readme)
	if m == nil {
		t.Fatal("README has no yq command writing manifest.json")
	}
	if _, err := exec.LookPath("yq"); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("yq is not installed (apt install yq)")
		}
		t.Skip("yq is not installed (apt install yq)")
	}
	cmd := exec.CommandContext(t.Context(), "sh", "-c", string(m[1]))
	cmd.Dir = "../.."
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v", m[1], err)
	}
	var got appManifest
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("the command's output is not the manifest JSON: %v\n%s", err, out)
	}
	if got.Name != "djintegrity-ORG" || got.HookAttributes.URL != "https://djintegrity.example.org/webhook" || got.RedirectURL == "" || len(got.DefaultPermissions) == 0 {
		t.Errorf("manifest %+v: want the README's name, webhook URL and redirect URL, and app.yml's permissions", got)
	}
	if app, _ := os.ReadFile("../../app.yml"); !strings.Contains(string(app), "name: djintegrity-<your-org>") {
		t.Error("app.yml's name must be the placeholder djintegrity-<your-org>: App names are unique across GitHub")
	}
}
