package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/djintegrity/djintegrity/githubtest"
)

// serveProcess is `djintegrity serve` running as its own process against
// the fake GitHub, configured by the environment alone as an operator
// would.
type serveProcess struct {
	*serving
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	err  error         // its exit status, once done
}

// startServeProcess starts serve on a free port of 127.0.0.1 with the
// journal in dataDir, and waits until it serves. The test kills it at the
// end if it still runs.
func startServeProcess(t testing.TB, gh *githubtest.Server, dataDir string) *serveProcess {
	t.Helper()
	appID, key := githubtest.AppKey(t)
	keyFile := filepath.Join(dataDir, "app.pem")
	if err := os.WriteFile(keyFile, key, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0], "serve", "-v") // -v: the journal's job lines too
	cmd.Env = append(os.Environ(), asCLI+"=1",
		fmt.Sprintf("DJINTEGRITY_APP_ID=%d", appID),
		"DJINTEGRITY_PRIVATE_KEY_FILE="+keyFile,
		"DJINTEGRITY_WEBHOOK_SECRET="+serveTestSecret,
		"DJINTEGRITY_GITHUB_URL="+gh.URL(),
		"DJINTEGRITY_ADDR=127.0.0.1:0", // the "serving" line says which port
		"DJINTEGRITY_DATA_DIR="+dataDir,
		"DJINTEGRITY_WORKERS=2",
	)
	logs := &serveLogs{}
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProcess{serving: &serving{logs: logs}, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.kill)
	var addr string
	p.wait(t, "the serving line", func() bool {
		for l := range strings.Lines(logs.String()) {
			var v struct{ Msg, Addr string }
			if json.Unmarshal([]byte(l), &v) == nil && v.Msg == "serving" {
				addr = v.Addr
				return true
			}
		}
		return false
	})
	p.url = "http://" + addr
	return p
}

// wait polls cond until it holds, failing early if serve exits.
func (p *serveProcess) wait(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(30 * time.Second)
	for !cond() {
		select {
		case <-p.done:
			t.Fatalf("serve exited (%v) while waiting for %s; log:\n%s", p.err, what, p.logs.String())
		case <-deadline:
			t.Fatalf("waited 30 s for %s; log:\n%s", what, p.logs.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// within waits 30 s at most for ch to be closed or receive.
func (p *serveProcess) within(t testing.TB, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(30 * time.Second):
		t.Fatalf("waited 30 s for %s; log:\n%s", what, p.logs.String())
	}
}

// kill ends serve with SIGKILL, as a crash or the OOM killer would, and
// waits for it to be gone.
func (p *serveProcess) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}
