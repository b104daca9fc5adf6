package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/githubtest"
	"github.com/djintegrity/djintegrity/webhook"
	"github.com/djintegrity/djintegrity/webhook/webhooktest"
)

// serveProcess is `djintegrity serve` running as its own process against
// a fake GitHub, configured by the environment alone as an operator would.
type serveProcess struct {
	*serving
	logs *serveLogs
	t    testing.TB
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, once done
}

// startServeProcess starts serve with a journal of its own, waits for its
// serving line and checks /healthz. It is killed when the test ends if it
// still runs.
func startServeProcess(t testing.TB, gh *githubtest.Server) *serveProcess {
	t.Helper()
	return startServeProcessWith(t, gh, t.TempDir(), nil)
}

// startServeProcessIn is startServeProcess with the journal in dataDir, so
// that the next start finds what this one left.
func startServeProcessIn(t testing.TB, gh *githubtest.Server, dataDir string) *serveProcess {
	t.Helper()
	return startServeProcessWith(t, gh, dataDir, nil)
}

// startServeProcessWith is startServeProcessIn with serve's args (flags)
// and env (NAME=value) over the defaults.
func startServeProcessWith(t testing.TB, gh *githubtest.Server, dataDir string, args []string, env ...string) *serveProcess {
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
		"DJINTEGRITY_DATA_DIR="+dataDir,
		"DJINTEGRITY_WORKERS=2",
	), env...)
	logs := &serveLogs{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProcess{logs: logs, t: t, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.kill)

	var addr string
	p.wait("the serving line", func() bool {
		for l := range strings.Lines(logs.String()) {
			var v struct{ Msg, Addr string }
			if json.Unmarshal([]byte(l), &v) == nil && v.Msg == "serving" {
				addr = v.Addr
				return true
			}
		}
		return false
	})
	p.serving = &serving{url: "http://" + addr, logs: logs}
	if code, body := p.get(t, "/healthz"); code != http.StatusOK {
		t.Fatalf("/healthz: %d %q", code, body)
	}
	return p
}

// wait polls cond until it holds, failing early if serve exits.
func (p *serveProcess) wait(what string, cond func() bool) {
	p.t.Helper()
	deadline := time.After(30 * time.Second)
	for !cond() {
		select {
		case <-p.done:
			p.t.Fatalf("serve exited (%v) while waiting for %s; log:\n%s", p.err, what, p.logs.String())
		case <-deadline:
			p.t.Fatalf("waited 30 s for %s; log:\n%s", what, p.logs.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// within waits 30 s at most for ch to be closed or receive.
func (p *serveProcess) within(ch <-chan struct{}, what string) {
	p.t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		p.t.Fatalf("waited 30 s for %s; log:\n%s", what, p.logs.String())
	}
}

// stop sends SIGTERM and fails unless serve exits cleanly.
func (p *serveProcess) stop() {
	p.t.Helper()
	if _, err := p.terminate(); err != nil {
		p.t.Errorf("serve exited with %v after SIGTERM; log:\n%s", err, p.logs.String())
	}
}

// terminate sends SIGTERM and waits up to 30 s for serve to exit; took is
// how long it did take, exitErr its exit status.
func (p *serveProcess) terminate() (took time.Duration, exitErr error) {
	p.t.Helper()
	start := time.Now()
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		p.t.Fatal(err)
	}
	select {
	case <-p.done:
		return time.Since(start), p.err
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

// kill ends serve with SIGKILL, as a crash or the OOM killer would, and
// waits for it to be gone.
func (p *serveProcess) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// gatingTrees are a small shop (testdata/gating/base), the pull request's
// head, which adds the views of testdata/gating/head_views.py, and the head
// after a push that validates update_coupon's percent_off.
func gatingTrees(t *testing.T) (base, head, fixed githubtest.Tree) {
	base = githubtest.ReadTree(t, "testdata/gating/base")
	views, err := os.ReadFile("testdata/gating/head_views.py")
	if err != nil {
		t.Fatal(err)
	}
	head = base.Clone()
	head["shop/views.py"] = string(views)
	fixed = head.Clone()
	fixed["shop/views.py"] = strings.Replace(head["shop/views.py"], `    coupon.percent_off = data["percent_off"]
`, `    percent_off = int(data["percent_off"])
    if not 1 <= percent_off <= 100:
        return JsonResponse({"error": "percent_off must be between 1 and 100."}, status=400)
    coupon.percent_off = percent_off
`, 1)
	if fixed["shop/views.py"] == head["shop/views.py"] {
		t.Fatal("the fix no longer applies to head_views.py")
	}
	return base, head, fixed
}

// TestServeProcessGating drives `serve`, as its own process, through what
// a team relying on its check meets: a pull request whose one statement
// trips two rules (one comment) beside another hazard, with an ignore
// comment naming no rule (one notice); a push that fixes the other hazard
// (its thread resolved, the first left open); and the merge queue's group
// of the pull request, reviewed against its base and concluded on the
// group's head.
func TestServeProcessGating(t *testing.T) {
	base, head, fixed := gatingTrees(t)
	gh := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
	p := startServeProcess(t, gh)
	defer p.stop()
	jobs := 0
	deliver := func(event, delivery string, body []byte) {
		t.Helper()
		if code, resp := p.post(t, event, delivery, body, serveTestSecret); code != http.StatusAccepted {
			t.Fatalf("%s %s: %d %q, want 202", event, delivery, code, resp)
		}
		jobs++
		p.wait(delivery+"'s job", func() bool { return p.logs.count("job done") >= jobs })
	}

	deliver("pull_request", "d-opened", prDelivery(t, gh, "opened"))
	comments := gh.Comments()
	rulesOf := map[int][]string{} // by line
	for _, c := range comments {
		for _, m := range regexp.MustCompile("`([a-z-]+)`:").FindAllStringSubmatch(c.GetBody(), -1) {
			rulesOf[c.GetLine()] = append(rulesOf[c.GetLine()], m[1])
		}
	}
	if diff := cmp.Diff(map[int][]string{
		18: {"missing-required-field", "unvalidated-check-write"}, // one statement, one comment
		28: {"unvalidated-check-write"},
	}, rulesOf); diff != "" {
		t.Errorf("review comments by line (-want +got):\n%s", diff)
	}
	run := gh.CheckRuns()[0]
	var notices []string
	for _, a := range run.Annotations {
		if a.GetAnnotationLevel() == "notice" && a.GetTitle() == "djintegrity ignore comment" {
			notices = append(notices, fmt.Sprintf("%s:%d %s", a.GetPath(), a.GetStartLine(), a.GetMessage()))
		}
	}
	if len(notices) != 1 || !strings.Contains(notices[0], "shop/views.py:26 `# djintegrity: ignore[chek-then-insert]` names no rule") {
		t.Errorf("notices %q, want one on the misspelled rule", notices)
	}

	gh.Push(fixed)
	deliver("pull_request", "d-sync", prDelivery(t, gh, "synchronize"))
	resolved := map[int]bool{}
	for _, th := range gh.Threads() {
		resolved[th.Comment.GetLine()] = th.Resolved
	}
	// update_coupon's, and the one adding the import its suggestion needed.
	if diff := cmp.Diff(map[int]bool{7: true, 18: false, 28: true}, resolved); diff != "" {
		t.Errorf("threads resolved by line (-want +got):\n%s", diff)
	}
	if n := len(gh.Comments()); n != len(comments) {
		t.Errorf("%d comments after the push, want still %d", n, len(comments))
	}

	// The queue's group: the pull request merged on top of its base. The
	// fake's commits have ids of their own, which the payload names.
	pr := gh.PullRequest()
	groupSHA := gh.AddCommit(fixed, pr.BaseSHA)
	group := webhooktest.Example(t, "merge_group", webhooktest.Action("checks_requested")).
		ForPullRequest(serveInstallation, pr.Owner, pr.Repo, 0, "", "")
	group.Set(pr.BaseSHA, "merge_group", "base_sha")
	group.Set(groupSHA, "merge_group", "head_sha")
	deliver("merge_group", "d-queue", group.Bytes(t))
	var onGroup []githubtest.CheckRun
	for _, r := range gh.CheckRuns() {
		if r.HeadSHA == groupSHA {
			onGroup = append(onGroup, r)
		}
	}
	if len(onGroup) != 1 || onGroup[0].Name != webhook.DefaultCheckName || onGroup[0].Status != "completed" || onGroup[0].Conclusion != "failure" {
		t.Errorf("check runs on the group's head %s: %+v, want one completed %s with conclusion failure (the error left in the pull request)",
			groupSHA, onGroup, webhook.DefaultCheckName)
	}
}
