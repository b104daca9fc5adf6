package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/djintegrity/djintegrity/githubtest"
	"github.com/djintegrity/djintegrity/webhook"
	"github.com/djintegrity/djintegrity/webhook/webhooktest"
)

// serveProcess is `djintegrity serve` running as its own process (the
// test binary, running main), configured by the environment alone as an
// operator would.
type serveProcess struct {
	*serving
	t       *testing.T
	cmd     *exec.Cmd
	exited  chan error
	stopped bool
}

// startServeProcess starts serve against gh with the App's key in a file,
// two workers and env (NAME=value) over the defaults, and waits for its
// serving line.
func startServeProcess(t *testing.T, gh *githubtest.Server, args []string, env ...string) *serveProcess {
	t.Helper()
	appID, key := githubtest.AppKey(t)
	keyFile := filepath.Join(t.TempDir(), "app.pem")
	if err := os.WriteFile(keyFile, key, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], append([]string{"serve", "-v"}, args...)...) // -v: the journal's job lines too
	cmd.Env = append(append(os.Environ(), asCLI+"=1",
		// A binary built with -race sleeps a second at exit by default,
		// which would count against serve's shutdown.
		"GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0",
		fmt.Sprintf("DJINTEGRITY_APP_ID=%d", appID),
		"DJINTEGRITY_PRIVATE_KEY_FILE="+keyFile,
		"DJINTEGRITY_WEBHOOK_SECRET="+serveTestSecret,
		"DJINTEGRITY_GITHUB_URL="+gh.URL(),
		"DJINTEGRITY_ADDR=127.0.0.1:0", // the "serving" line says which port
		"DJINTEGRITY_DATA_DIR="+t.TempDir(),
		"DJINTEGRITY_WORKERS=2",
	), env...)
	logs := &serveLogs{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProcess{t: t, cmd: cmd, exited: make(chan error, 1), serving: &serving{logs: logs}}
	go func() { p.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		if !p.stopped {
			_ = cmd.Process.Kill()
			<-p.exited
		}
	})
	p.wait("the serving line", func() bool {
		for l := range strings.Lines(logs.String()) {
			var v struct{ Msg, Addr string }
			if json.Unmarshal([]byte(l), &v) == nil && v.Msg == "serving" {
				p.url = "http://" + v.Addr
				return true
			}
		}
		return false
	})
	return p
}

// wait polls cond until it holds, failing early if serve exits.
func (p *serveProcess) wait(what string, cond func() bool) {
	p.t.Helper()
	deadline := time.After(30 * time.Second)
	for !cond() {
		select {
		case err := <-p.exited:
			p.stopped = true
			p.t.Fatalf("serve exited (%v) while waiting for %s; log:\n%s", err, what, p.logs.String())
		case <-deadline:
			p.t.Fatalf("waited 30 s for %s; log:\n%s", what, p.logs.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// terminate sends SIGTERM and waits up to 30 s for serve to exit; took is
// how long it did take.
func (p *serveProcess) terminate() (took time.Duration, exitErr error) {
	p.t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	select {
	case err := <-p.exited:
		p.stopped = true
		return time.Since(start), err
	case <-time.After(30 * time.Second):
		p.t.Fatalf("serve still running 30 s after SIGTERM; log:\n%s", p.logs.String())
		return 0, nil
	}
}

// peakRSS is the most memory serve has held resident so far (VmHWM), in
// bytes; ok is false where /proc does not say.
func (p *serveProcess) peakRSS() (bytes int64, ok bool) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, found := strings.CutPrefix(sc.Text(), "VmHWM:"); found {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "kB")), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}

// TestServeMemoryBeforeAuthentication: 32 clients at once send serve a
// body of 25 MB (GitHub's largest) with a wrong signature. The bodies
// read before their signature is checked share a bounded room: the others
// are answered 503 unread, serve's resident memory stays under 300 MB (it
// reached a gigabyte when every body was read), and a genuine delivery
// afterwards is accepted.
func TestServeMemoryBeforeAuthentication(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 800 MB to serve")
	}
	gh := githubtest.NewServer(t)
	s := startServeProcess(t, gh, nil)
	body := bytes.Repeat([]byte("x"), webhook.MaxBodyBytes)
	codes := make(chan int, 32)
	var wg sync.WaitGroup
	for i := range 32 {
		wg.Go(func() {
			req, err := http.NewRequest(http.MethodPost, s.url+"/webhook", bytes.NewReader(body))
			if err != nil {
				t.Error(err)
				return
			}
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("X-GitHub-Event", "pull_request")
			req.Header.Set("X-GitHub-Delivery", fmt.Sprint("d-forged-", i))
			req.Header.Set("X-Hub-Signature-256", "sha256="+strings.Repeat("0", 64))
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				codes <- 0 // serve closed the connection on a body it would not read
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		})
	}
	wg.Wait()
	close(codes)
	seen := map[int]int{}
	for c := range codes {
		seen[c]++
	}
	peak, ok := s.peakRSS()
	if !ok {
		t.Skip("no /proc: the peak resident memory cannot be read")
	}
	t.Logf("32 forged bodies of 25 MB: answers %v; serve's peak resident memory %d MB", seen, peak>>20)
	if peak > 300<<20 {
		t.Errorf("serve's peak resident memory %d MB, want under 300 MB", peak>>20)
	}
	for code, n := range seen {
		if code != http.StatusUnauthorized && code != http.StatusServiceUnavailable && code != 0 {
			t.Errorf("%d answers %d, want only 401 and 503", n, code)
		}
	}
	if seen[http.StatusServiceUnavailable] == 0 {
		t.Errorf("no delivery was refused for want of room: answers %v", seen)
	}
	if code, resp := s.post(t, "ping", "d-ping", webhooktest.Example(t, "ping", func(webhooktest.Payload) bool { return true }).Bytes(t), serveTestSecret); code != http.StatusOK {
		t.Errorf("a genuine delivery after the attack: %d %q, want 200", code, resp)
	}
}

// TestServeGraceBehindSlowFile: SIGTERM while a review is indexing large
// files (seconds of work each) stops serve within its grace period and a
// little more: the analysis honours the job's context inside a file,
// rather than finishing the files it has begun.
func TestServeGraceBehindSlowFile(t *testing.T) {
	base, head := shopPR(t)
	var slow strings.Builder
	slow.WriteString("from shop.models import Product\n\ndef bulk(request):\n")
	for slow.Len() < 1_000_000 { // under 1 MiB, so that it is read: seconds of indexing
		slow.WriteString("    if not Product.objects.filter(sku=request.POST['sku']).exists():\n        Product.objects.create(sku=request.POST['sku'])\n")
	}
	for i := range 3 {
		head[fmt.Sprintf("shop/bulk_views%d.py", i)] = slow.String()
	}
	gh := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
	const grace = 2 * time.Second
	s := startServeProcess(t, gh, []string{"-grace", grace.String()})
	if code, body := s.post(t, "pull_request", "d-1", prDelivery(t, gh, "opened"), serveTestSecret); code != http.StatusAccepted {
		t.Fatalf("%d %q, want 202", code, body)
	}
	s.wait("the slow files' read", func() bool { return strings.Contains(s.logs.String(), `"path":"shop/bulk_views2.py"`) })
	time.Sleep(200 * time.Millisecond) // into their indexing
	took, err := s.terminate()
	t.Logf("serve exited %v after SIGTERM (grace %v): %v", took.Round(10*time.Millisecond), grace, err)
	if took > grace+time.Second {
		t.Errorf("serve took %v to exit after SIGTERM with a grace of %v", took, grace)
	}
	if s.logs.count("job done") != 0 {
		t.Fatalf("the review finished before serve stopped: the files were not slow enough to show anything; log:\n%s", s.logs.String())
	}
	runs := gh.CheckRuns()
	if len(runs) != 1 || runs[0].Status != "completed" {
		t.Errorf("check runs %+v, want the interrupted review's completed", runs)
	}
}
