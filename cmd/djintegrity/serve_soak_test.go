package main

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/djintegrity/djintegrity/githubtest"
	"github.com/djintegrity/djintegrity/review"
	"github.com/djintegrity/djintegrity/webhook/webhooktest"
)

// soakDelivery is one webhook delivery of the soak test.
type soakDelivery struct {
	id   string
	body []byte
}

// TestServeSoak is issue 14's soak test, bounded to two minutes on
// loopback: serve, as its own process, takes a few hundred deliveries for a
// dozen pull requests (redeliveries, pushes delivered out of order and late,
// pairs of pushes in one second) while the fake GitHub fails a share of its
// requests with 502s (half of them after the write landed) and serve is
// killed with SIGKILL and restarted, deliveries failing while it is down.
// Then, on the fake: every pull request's final head has exactly one check
// run, completed with the verdict its code deserves; no check run is in
// progress on any head; no comment was posted twice, and no head got two
// reviews.
func TestServeSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("soak test (about a minute)")
	}
	start := time.Now()
	pulls, rounds, killEvery := 14, 10, 60 // killEvery: deliveries between kills
	if raceDetector {
		pulls, rounds, killEvery = 10, 7, 30 // about 150 deliveries, within the two minutes
	}
	const (
		kills      = 4
		chaosRate  = 0.05 // GitHub requests answered 502
		redeliver  = 0.5  // share of pushes whose delivery GitHub sends twice
		lateShare  = 0.15 // share of a round's deliveries sent after the next round's
		sameSecond = 0.25 // share of pushes followed by another in the same second
	)
	seed := uint64(2026)
	if v, err := strconv.ParseUint(os.Getenv("DJINTEGRITY_SOAK_SEED"), 10, 64); err == nil {
		seed = v // to try other orders and faults
	}
	rng := rand.New(rand.NewPCG(14, seed))
	base, shopHead := shopPR(t)
	// Even pull requests carry the shop's hazards (failure), odd ones only
	// change notes (success).
	heads := map[int]githubtest.Tree{}
	want := map[int]string{}
	var opts []githubtest.Option
	for i := range pulls {
		n := 100 + i
		h, conclusion := shopHead.Clone(), "failure"
		if n%2 == 1 {
			h, conclusion = base.Clone(), "success"
		}
		h[fmt.Sprintf("notes/pr-%d.md", n)] = "opened\n"
		heads[n], want[n] = h, conclusion
		if i == 0 {
			opts = append(opts, githubtest.WithPullRequest("octo", "shop", n, base, h))
		} else {
			opts = append(opts, githubtest.WithMorePullRequest(n, base, h))
		}
	}
	gh := githubtest.NewServer(t, opts...)
	gh.Chaos(chaosRate, seed)
	dir := t.TempDir()
	var procs []*serveProcess
	startServe := func() *serveProcess {
		p := startServeProcessIn(t, gh, dir)
		procs = append(procs, p)
		return p
	}
	p := startServe()

	client := &http.Client{Timeout: 10 * time.Second} // GitHub's delivery timeout
	var sent []soakDelivery                           // accepted once, for redeliveries
	stats := map[string]int{}
	down := 0 // deliveries left to send while serve is down
	send := func(d soakDelivery) {
		for {
			if stats["sent"] > 0 && stats["sent"]%killEvery == 0 && stats["kills"] < kills && down == 0 && p != nil {
				p.kill()
				p = nil
				stats["kills"]++
				down = 3
			}
			stats["sent"]++
			if p == nil && down == 0 {
				p = startServe()
			}
			if p == nil {
				// serve is down: GitHub's delivery fails, and is redelivered.
				down--
				stats["failed while down"]++
				continue
			}
			resp, err := client.Do(webhooktest.Request(t, p.url+"/webhook", serveTestSecret, "pull_request", d.id, d.body))
			if err != nil {
				t.Fatalf("delivery %s: %v", d.id, err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusAccepted {
				t.Fatalf("delivery %s: %s", d.id, resp.Status)
			}
			sent = append(sent, d)
			return
		}
	}

	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	var late []soakDelivery
	for round := range rounds {
		batch := late
		late = nil
		for n := 100; n < 100+pulls; n++ {
			updated := t0.Add(time.Duration(round) * time.Second)
			for k := 0; k == 0 || (k == 1 && rng.Float64() < sameSecond); k++ {
				heads[n] = heads[n].Clone()
				heads[n][fmt.Sprintf("notes/pr-%d.md", n)] = fmt.Sprintf("round %d push %d\n", round, k)
				gh.PushTo(n, heads[n])
				d := soakDelivery{webhooktest.DeliveryID(), pushDelivery(t, gh, n, updated)}
				stats["pushes"]++
				batch = append(batch, d)
				if k == 1 {
					stats["same-second pushes"]++
				}
				if rng.Float64() < redeliver {
					batch = append(batch, d)
				}
			}
		}
		rng.Shuffle(len(batch), func(i, j int) { batch[i], batch[j] = batch[j], batch[i] })
		for _, d := range batch {
			if round < rounds-1 && rng.Float64() < lateShare {
				late = append(late, d)
				continue
			}
			send(d)
			if rng.Float64() < 0.1 { // GitHub redelivers an old delivery
				send(sent[rng.IntN(len(sent))])
				stats["old redeliveries"]++
			}
		}
		time.Sleep(time.Duration(100+rng.IntN(200)) * time.Millisecond) // reviews run while pushes come
	}
	for _, d := range late {
		send(d)
	}
	if p == nil {
		p = startServe()
	}
	stats["deliveries"] = len(sent)

	// Every final head converges to one verdict, nothing in progress.
	settled := func() (problems []string) {
		runs := gh.CheckRuns()
		for n := 100; n < 100+pulls; n++ {
			head := gh.PullRequestNumbered(n).HeadSHA
			var got []string
			for _, r := range runs {
				if r.HeadSHA == head {
					got = append(got, r.Status+"/"+r.Conclusion)
				}
			}
			if len(got) != 1 || got[0] != "completed/"+want[n] {
				problems = append(problems, fmt.Sprintf("#%d final head %.7s: check runs %v, want [completed/%s]", n, head, got, want[n]))
			}
		}
		for _, r := range runs {
			if r.Status != "completed" {
				problems = append(problems, fmt.Sprintf("check run %d on %.7s is %s", r.ID, r.HeadSHA, r.Status))
			}
		}
		return problems
	}
	deadline := start.Add(110 * time.Second)
	for problems := settled(); len(problems) > 0; problems = settled() {
		if time.Now().After(deadline) {
			var logs strings.Builder
			for i, p := range procs {
				fmt.Fprintf(&logs, "--- serve %d\n%s", i+1, p.logs.String())
			}
			t.Fatalf("not settled %v after the start:\n%s\nlogs:\n%s",
				time.Since(start).Round(time.Second), strings.Join(problems, "\n"), logs.String())
		}
		time.Sleep(100 * time.Millisecond)
	}

	seen := map[string]bool{}
	reviewsOn := map[string]int{}
	for _, r := range gh.Reviews() {
		reviewsOn[fmt.Sprintf("#%d@%.7s", r.Number, r.CommitID)]++
		for _, c := range r.Comments {
			key := fmt.Sprintf("#%d %s", r.Number, review.FingerprintOf(c.GetBody()))
			if seen[key] {
				t.Errorf("comment %s posted twice", key)
			}
			seen[key] = true
		}
	}
	for head, n := range reviewsOn {
		if n > 1 {
			t.Errorf("%d reviews on %s", n, head)
		}
	}
	for _, r := range gh.Requests() {
		if r.Status == http.StatusBadGateway {
			stats["GitHub 502s"]++
		}
	}
	stats["reviews"], stats["check runs"], stats["comments"] = len(gh.Reviews()), len(gh.CheckRuns()), len(gh.Comments())
	keys := make([]string, 0, len(stats))
	for k := range stats {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var line []string
	for _, k := range keys {
		line = append(line, fmt.Sprintf("%s %d", k, stats[k]))
	}
	t.Logf("soak (seed %d) settled in %v: %s", seed, time.Since(start).Round(time.Second), strings.Join(line, ", "))
}
