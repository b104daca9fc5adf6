package main

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/djintegrity/djintegrity/githubtest"
	"github.com/djintegrity/djintegrity/webhook"
	"github.com/djintegrity/djintegrity/webhook/webhooktest"
)

// Routes of GitHub's description the serve tests name.
const (
	routeTree = "/repos/{owner}/{repo}/git/trees/{tree_sha}"
)

// ourRuns are the check runs of the review on head.
func ourRuns(gh *githubtest.Server, head string) []githubtest.CheckRun {
	var out []githubtest.CheckRun
	for _, r := range gh.CheckRuns() {
		if r.HeadSHA == head && r.Name == webhook.DefaultCheckName {
			out = append(out, r)
		}
	}
	return out
}

// pushDelivery is GitHub's pull_request synchronize example for pull
// request number at the fake's head, with updated_at set to updated:
// GitHub gives it one-second resolution, and the tests choose the second.
func pushDelivery(t testing.TB, gh *githubtest.Server, number int, updated time.Time) []byte {
	pr := gh.PullRequestNumbered(number)
	p := webhooktest.Example(t, "pull_request", webhooktest.Action("synchronize")).
		ForPullRequest(serveInstallation, pr.Owner, pr.Repo, pr.Number, pr.BaseSHA, pr.HeadSHA)
	p.Set(updated.UTC().Format(time.RFC3339), "pull_request", "updated_at")
	return p.Bytes(t)
}

// openPR delivers the fake's pull request opened to serve, then closes
// accepted: a hook that kills serve waits for it, so that the delivery is
// answered first.
func openPR(t testing.TB, p *serveProcess, gh *githubtest.Server, accepted chan struct{}) {
	t.Helper()
	code, body := p.post(t, "pull_request", "d-1", prDelivery(t, gh, "opened"), serveTestSecret)
	close(accepted)
	if code != http.StatusAccepted {
		t.Fatalf("%d %q", code, body)
	}
}

// TestServeSameSecondPushes is issue 14's third defect: two pushes in one
// second share updated_at, and GitHub delivers the newer first. The
// journal keeps the later arrival, the older head; the review must still
// end on the newest head, with one completed check run there.
func TestServeSameSecondPushes(t *testing.T) {
	base, head := shopPR(t)
	gh := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head),
		githubtest.WithMorePullRequest(8, base, base))
	appID, _ := githubtest.AppKey(t)
	cfg := testServeConfig(t, appID, gh.URL())
	cfg.Workers = 1
	// Pull request 8's job holds the one worker until both pushes of 7 are
	// in the journal.
	release := make(chan struct{})
	s := startServe(t, cfg, func(logs *serveLogs) webhook.Runner {
		r := reviewerFor(t, gh)(logs)
		return webhook.RunnerFunc(func(ctx context.Context, job webhook.Job) error {
			if job.Number == 8 {
				<-release
				return nil
			}
			return r.Run(ctx, job)
		})
	})
	second := time.Now().Truncate(time.Second)
	if code, body := s.post(t, "pull_request", "d-8", pushDelivery(t, gh, 8, second), serveTestSecret); code != http.StatusAccepted {
		t.Fatalf("%d %q", code, body)
	}
	next := head.Clone()
	next["notes/same-second.md"] = "a\n"
	older := gh.Push(next)
	olderPush := pushDelivery(t, gh, 7, second)
	next = next.Clone()
	next["notes/same-second.md"] = "b\n"
	newest := gh.Push(next)
	newestPush := pushDelivery(t, gh, 7, second)
	for i, body := range [][]byte{newestPush, olderPush} { // out of order
		if code, resp := s.post(t, "pull_request", fmt.Sprint("d-7-", i), body, serveTestSecret); code != http.StatusAccepted {
			t.Fatalf("%d %q", code, resp)
		}
	}
	close(release)
	s.logs.waitLog(t, "job done", 2)
	if err := s.stop(); err != nil {
		t.Fatal(err)
	}
	runs := ourRuns(gh, newest)
	if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Conclusion != "failure" {
		t.Errorf("check runs on the newest head: %+v, want one completed/failure", runs)
	}
	if runs := ourRuns(gh, older); len(runs) != 0 {
		t.Errorf("check runs on the older head: %+v, want none (the pull request had left it)", runs)
	}
}

// TestServeKilledDuringReviewResumes is issue 14's fifth defect: serve is
// killed (kill -9) while a review runs, its check run in progress; the
// next start resumes the job on that check run and completes it.
func TestServeKilledDuringReviewResumes(t *testing.T) {
	base, head := shopPR(t)
	gh := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
	dir := t.TempDir()
	p := startServeProcessIn(t, gh, dir)
	killed, accepted := make(chan struct{}), make(chan struct{})
	gh.Before(http.MethodGet, routeTree, func() {
		<-accepted // the delivery's answer first
		p.kill()
		close(killed)
	})
	openPR(t, p, gh, accepted)
	p.within(killed, "the review to list the tree")
	if runs := gh.CheckRuns(); len(runs) != 1 || runs[0].Status != "in_progress" {
		t.Fatalf("check runs when serve died: %+v, want one in progress", runs)
	}

	p = startServeProcessIn(t, gh, dir)
	p.wait("the resumed job", func() bool { return p.logs.count("job done") > 0 })
	runs := gh.CheckRuns()
	if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Conclusion != "failure" {
		t.Errorf("check runs after the restart: %+v, want the one resumed and completed/failure", runs)
	}
	if n := len(gh.Reviews()); n != 1 {
		t.Errorf("%d reviews, want 1", n)
	}
}

// TestServeGivesUpAJobThatKillsIt is issue 14's sixth defect (attempts): a
// review that takes the process down each time it runs is run
// MaxAttempts times (5, counted in the journal before each run), then
// given up at the next start, its check run completed neutral with the
// reason instead of left in progress.
func TestServeGivesUpAJobThatKillsIt(t *testing.T) {
	base, head := shopPR(t)
	gh := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
	dir := t.TempDir()
	const maxAttempts = 5 // the journal's default
	var mu sync.Mutex
	var p *serveProcess
	kills := 0
	died, accepted := make(chan struct{}, maxAttempts), make(chan struct{})
	var arm func()
	arm = func() {
		gh.Before(http.MethodGet, routeTree, func() {
			<-accepted // the delivery's answer first
			mu.Lock()
			defer mu.Unlock()
			p.kill()
			kills++
			if kills < maxAttempts {
				arm()
			}
			died <- struct{}{}
		})
	}
	arm()
	for i := range maxAttempts {
		mu.Lock()
		p = startServeProcessIn(t, gh, dir)
		mu.Unlock()
		if i == 0 {
			openPR(t, p, gh, accepted)
		}
		p.within(died, fmt.Sprintf("start %d to run the review", i+1))
	}
	p = startServeProcessIn(t, gh, dir)
	p.wait("the job given up", func() bool {
		return p.logs.count("journal: job failed for good, giving up: it was running each time the process stopped") > 0
	})
	p.wait("the check run completed", func() bool {
		runs := gh.CheckRuns()
		return len(runs) == 1 && runs[0].Status == "completed"
	})
	run := gh.CheckRuns()[0]
	if run.Conclusion != "neutral" || !strings.Contains(run.Summary, "running each of the 5 times the server stopped") {
		t.Errorf("check run %s with summary\n%s\nwant neutral saying why", run.Conclusion, run.Summary)
	}
	// The fake records a request when its handler returns, after the hook
	// that killed serve: counted now, every killed run's listing is in.
	tree := 0
	for _, r := range gh.Requests() {
		if r.Route == routeTree {
			tree++
		}
	}
	if tree != maxAttempts {
		t.Errorf("the tree was listed %d times, want %d: the review ran after it was given up", tree, maxAttempts)
	}
}

// TestServeStartsOnACorruptedJournal is issue 14's tenth defect: a
// journal whose pages are corrupted (here every page after the two meta
// pages, which makes bbolt panic) is moved aside with a loud line, and
// serve starts with an empty one instead of crashing at every start.
func TestServeStartsOnACorruptedJournal(t *testing.T) {
	gh := githubtest.NewServer(t)
	dir := t.TempDir()
	path := filepath.Join(dir, journalFile)
	j, err := webhook.OpenJournal(path, webhook.JournalOptions{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	pr := gh.PullRequest()
	if err := j.Enqueue(t.Context(), webhook.Job{DeliveryID: "d-1", InstallationID: serveInstallation,
		Owner: pr.Owner, Repo: pr.Repo, Number: pr.Number, BaseSHA: pr.BaseSHA, HeadSHA: pr.HeadSHA}); err != nil {
		t.Fatal(err)
	}
	if err := j.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(2, 14))
	for i := 2 * 4096; i < len(b); i++ {
		b[i] = byte(rng.Uint32())
	}
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}

	p := startServeProcessIn(t, gh, dir)
	if !strings.Contains(p.logs.String(), "JOURNAL CORRUPTED") {
		t.Errorf("no loud line about the corrupted journal; log:\n%s", p.logs.String())
	}
	if aside, _ := filepath.Glob(path + ".corrupt-*"); len(aside) != 1 {
		t.Errorf("files moved aside: %v, want the corrupted journal", aside)
	}
	// The new journal takes deliveries.
	if code, body := p.post(t, "pull_request", "d-2", prDelivery(t, gh, "opened"), serveTestSecret); code != http.StatusAccepted {
		t.Errorf("%d %q, want 202", code, body)
	}
}
