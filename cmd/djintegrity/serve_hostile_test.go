package main

import (
	"bytes"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/djintegrity/djintegrity/githubtest"
	"github.com/djintegrity/djintegrity/webhook"
	"github.com/djintegrity/djintegrity/webhook/webhooktest"
)

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
	s := startServeProcess(t, gh)
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
	s := startServeProcessWith(t, gh, t.TempDir(), []string{"-grace", grace.String()})
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
	// The job stays in the journal: its run waits, in progress, for the
	// next start to resume it (TestServeKilledDuringReviewResumes).
	runs := gh.CheckRuns()
	if len(runs) != 1 || runs[0].Status != "in_progress" || !strings.Contains(runs[0].Title, "will be tried again") {
		t.Errorf("check runs %+v, want the interrupted review's in progress, saying it will be tried again", runs)
	}
}
