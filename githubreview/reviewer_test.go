package githubreview

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-github/v60/github"

	"github.com/djintegrity/djintegrity/githubtest"
	"github.com/djintegrity/djintegrity/internal/testtree"
	"github.com/djintegrity/djintegrity/review"
	"github.com/djintegrity/djintegrity/rules"
	"github.com/djintegrity/djintegrity/webhook"
)

// Routes of GitHub's description the tests name.
const (
	routePull         = "/repos/{owner}/{repo}/pulls/{pull_number}"
	routeFiles        = "/repos/{owner}/{repo}/pulls/{pull_number}/files"
	routeComments     = "/repos/{owner}/{repo}/pulls/{pull_number}/comments"
	routeReviews      = "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"
	routeTree         = "/repos/{owner}/{repo}/git/trees/{tree_sha}"
	routeBlob         = "/repos/{owner}/{repo}/git/blobs/{file_sha}"
	routeContents     = "/repos/{owner}/{repo}/contents/{path}"
	routeTarball      = "/repos/{owner}/{repo}/tarball/{ref}"
	routeCheckRuns    = "/repos/{owner}/{repo}/check-runs"
	routeCheckRun     = "/repos/{owner}/{repo}/check-runs/{check_run_id}"
	routeRefCheckRuns = "/repos/{owner}/{repo}/commits/{ref}/check-runs"
	routeToken        = "/app/installations/{installation_id}/access_tokens"
	testInstallation  = 77
)

// syncBuffer collects log output written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func shopTrees(t testing.TB) (base, head githubtest.Tree) {
	return githubtest.ReadTree(t, "../examples/shop/base"), githubtest.ReadTree(t, "../examples/shop/head")
}

func shopServer(t *testing.T, opts ...githubtest.Option) *githubtest.Server {
	t.Helper()
	base, head := shopTrees(t)
	return githubtest.NewServer(t, append([]githubtest.Option{githubtest.WithPullRequest("octo", "shop", 7, base, head)}, opts...)...)
}

// appReviewer is a GitHub App reviewer against the fake at baseURL; its
// logs go to logs when given.
func appReviewer(t testing.TB, s *githubtest.Server, baseURL string, logs *syncBuffer) *Reviewer {
	t.Helper()
	appID, key := githubtest.AppKey(t)
	var w interface{ Write([]byte) (int, error) } = &syncBuffer{}
	if logs != nil {
		w = logs
	}
	r, err := New(Options{
		BaseURL: baseURL, AppID: appID, PrivateKey: key, HTTPClient: s.Client(),
		Logger:         slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug})),
		retryBaseDelay: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func prOf(s *githubtest.Server, delivery string) PullRequest {
	p := s.PullRequest()
	return PullRequest{DeliveryID: delivery, InstallationID: testInstallation, Owner: p.Owner, Repo: p.Repo,
		Number: p.Number, BaseSHA: p.BaseSHA, HeadSHA: p.HeadSHA}
}

// localFindings is what the analysis core finds in two trees: what the
// review on GitHub must say.
func localFindings(t *testing.T, base, head githubtest.Tree) []rules.Finding {
	t.Helper()
	b, h := t.TempDir(), t.TempDir()
	testtree.Write(t, b, base)
	testtree.Write(t, h, head)
	res, err := review.Analyze(t.Context(), review.NewDirSource(b, h), nil)
	if err != nil {
		t.Fatal(err)
	}
	return res.Findings
}

func countRoute(reqs []githubtest.Request, method, route string) int {
	n := 0
	for _, r := range reqs {
		if r.Method == method && r.Route == route {
			n++
		}
	}
	return n
}

// requestBudget is issue 5's bound on the requests of one review:
// 3 + ceil(files/100) + the files read + 2 check-run calls + 1 per 50
// annotations beyond the first 50, and issue 14's 2 more: the pull request
// read when the review starts (its head, which may be newer than the
// job's) and the head's check runs listed (to resume one left in progress,
// or find the head reviewed). The configuration, the old content of the
// edited files the rules compare with their past, and the head's archive
// when a change makes a model stricter (issue 16: its link and its
// download, see readRequests) are among the files read; the installation
// token (one per installation and hour, cached across reviews) is not
// counted.
func requestBudget(changedFiles, filesRead, annotations int) int {
	extra := 0
	if annotations > maxAnnotationsPerRequest {
		extra = (annotations - 1) / maxAnnotationsPerRequest
	}
	return 3 + 2 + (changedFiles+perPage-1)/perPage + filesRead + 2 + extra
}

// readRequests counts the requests that read the repository: blobs,
// contents, and the head's archive (the API's redirect, then the
// download).
func readRequests(reqs []githubtest.Request) int {
	return countRoute(reqs, http.MethodGet, routeBlob) + countRoute(reqs, http.MethodGet, routeContents) +
		countRoute(reqs, http.MethodGet, routeTarball) + countRoute(reqs, http.MethodGet, githubtest.CodeloadRoute)
}

// reviewRequests are the requests of a review without the installation
// token's.
func reviewRequests(s *githubtest.Server) []githubtest.Request {
	return slices.DeleteFunc(s.Requests(), func(r githubtest.Request) bool { return r.Route == routeToken })
}

// placed is where one finding ended up.
type placed struct {
	Rule, Path            string
	StartLine, EndLine    int
	Inline, HasSuggestion bool
}

func TestGitHubReviewShop(t *testing.T) {
	logs := &syncBuffer{}
	s := shopServer(t)
	r := appReviewer(t, s, s.URL(), logs)
	base, head := shopTrees(t)
	want := localFindings(t, base, head)
	if len(want) < 5 {
		t.Fatalf("the shop example should trip most rules, got %d findings", len(want))
	}

	out, err := r.Review(t.Context(), prOf(s, "delivery-1"))
	if err != nil {
		t.Fatal(err)
	}

	reviews := s.Reviews()
	if len(reviews) != 1 {
		t.Fatalf("got %d reviews, want 1", len(reviews))
	}
	rev := reviews[0]
	if diff := cmp.Diff(Outcome{Findings: len(want), Inline: len(rev.Comments), Failed: true}, out); diff != "" {
		t.Errorf("outcome (-want +got):\n%s", diff)
	}
	if rev.Event != "COMMENT" || rev.CommitID != s.PullRequest().HeadSHA {
		t.Errorf("review event %q on %s, want COMMENT on the head %s", rev.Event, rev.CommitID, s.PullRequest().HeadSHA)
	}
	byFP := map[string]rules.Finding{}
	for _, f := range want {
		byFP[f.Fingerprint] = f
	}
	inline := map[string]bool{}
	for _, c := range rev.Comments {
		fp := review.FingerprintOf(c.GetBody())
		f, ok := byFP[fp]
		if !ok {
			t.Errorf("comment on %s:%d has fingerprint %q of no finding", c.GetPath(), c.GetLine(), fp)
			continue
		}
		inline[fp] = true
		if c.GetPath() != f.Path || c.GetLine() != f.EndLine || c.GetSide() != "RIGHT" {
			t.Errorf("%s: comment at %s:%d (%s), want %s:%d RIGHT", f.Rule, c.GetPath(), c.GetLine(), c.GetSide(), f.Path, f.EndLine)
		}
		wantStart := 0
		if f.StartLine < f.EndLine {
			wantStart = f.StartLine
		}
		if c.GetStartLine() != wantStart {
			t.Errorf("%s: start_line %d, want %d", f.Rule, c.GetStartLine(), wantStart)
		}
		if diff := cmp.Diff(review.CommentBody(f), c.GetBody()); diff != "" {
			t.Errorf("%s: comment body (-want +got):\n%s", f.Rule, diff)
		}
	}

	runs := s.CheckRuns()
	if len(runs) != 1 {
		t.Fatalf("got %d check runs, want 1", len(runs))
	}
	run := runs[0]
	if run.Status != "completed" || run.Conclusion != "failure" || run.HeadSHA != s.PullRequest().HeadSHA || run.Name != webhook.DefaultCheckName {
		t.Errorf("check run %s %s/%s on %s, want %s completed/failure on the head", run.Name, run.Status, run.Conclusion, run.HeadSHA, webhook.DefaultCheckName)
	}
	if n, ok := pullRequestOfExternalID(run.ExternalID); !ok || n != 7 {
		t.Errorf("external_id %q does not name pull request 7", run.ExternalID)
	}
	if diff := cmp.Diff(countByRule(want), summaryCounts(run.Summary)); diff != "" {
		t.Errorf("summary's findings by rule (-want +got):\n%s", diff)
	}
	annotated := map[string]bool{}
	for _, a := range run.Annotations {
		for _, f := range want {
			if f.Path == a.GetPath() && f.StartLine == a.GetStartLine() && f.Rule == a.GetTitle() {
				annotated[f.Fingerprint] = true
			}
		}
	}
	// Every finding is said exactly once: inline or as an annotation.
	var got []placed
	for _, f := range want {
		if inline[f.Fingerprint] == annotated[f.Fingerprint] {
			t.Errorf("%s at %s:%d: inline %v, annotated %v; want exactly one", f.Rule, f.Path, f.StartLine, inline[f.Fingerprint], annotated[f.Fingerprint])
		}
		got = append(got, placed{f.Rule, f.Path, f.StartLine, f.EndLine, inline[f.Fingerprint], f.Suggestion != nil})
	}
	// A finding whose lines were all added lies inside a hunk of the
	// diff, so it must be commented inline (the fake refuses any comment
	// off the diff), unless its rule is demoted to the check run; and
	// every suggestion rides along.
	changed := localChanged(t, base, head)
	suggestions, wantSuggestions := 0, 0
	for _, p := range got {
		demoted := rules.Lookup(p.Rule).Demoted != ""
		switch {
		case demoted && p.Inline:
			t.Errorf("%s at %s:%d-%d was commented inline, but the rule is demoted to the check run", p.Rule, p.Path, p.StartLine, p.EndLine)
		case !demoted && allAdded(changed[p.Path], p.StartLine, p.EndLine) && !p.Inline:
			t.Errorf("%s at %s:%d-%d is on added lines but was not commented inline", p.Rule, p.Path, p.StartLine, p.EndLine)
		}
		if p.Inline && p.HasSuggestion {
			wantSuggestions++
		}
		t.Logf("%-36s %s:%d-%d inline=%v suggestion=%v", p.Rule, p.Path, p.StartLine, p.EndLine, p.Inline, p.HasSuggestion)
	}
	for _, c := range rev.Comments {
		if strings.Contains(c.GetBody(), "```suggestion\n") {
			suggestions++
		}
	}
	if suggestions != wantSuggestions || suggestions == 0 {
		t.Errorf("%d comments carry a suggestion block, want %d (and some)", suggestions, wantSuggestions)
	}

	reqs := reviewRequests(s)
	files := len(mustFiles(t, base, head))
	blobs := countRoute(reqs, http.MethodGet, routeBlob)
	contents := countRoute(reqs, http.MethodGet, routeContents)
	budget := requestBudget(files, readRequests(reqs), len(run.Annotations))
	t.Logf("requests: %d (budget %d: %d changed files, %d blobs + %d contents reads (config, old versions) + %d for the archive, %d annotations); token requests: %d",
		len(reqs), budget, files, blobs, contents, readRequests(reqs)-blobs-contents, len(run.Annotations), countRoute(s.Requests(), http.MethodPost, routeToken))
	if len(reqs) > budget {
		t.Errorf("%d requests, over the budget of %d:\n%s", len(reqs), budget, requestList(reqs))
	}
	if n := countRoute(s.Requests(), http.MethodPost, routeToken); n != 1 {
		t.Errorf("%d installation token requests, want 1", n)
	}
	for _, r := range reqs {
		if base := s.PullRequest().BaseSHA; r.Method == http.MethodGet && r.Route == routeContents && r.Query.Get("ref") != base {
			t.Errorf("%s read at ref %q, want the base %s", r.Path, r.Query.Get("ref"), base)
		}
	}
	if strings.Contains(logs.String(), "ghs_") {
		t.Errorf("a token was logged:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "delivery=delivery-1") || !strings.Contains(logs.String(), "installation=77") {
		t.Errorf("logs lack the job's delivery and installation:\n%s", logs.String())
	}

	// A redelivery, or another push's job that finds this head, leaves the
	// reviewed head alone: no new check run, nothing posted.
	s.Reset()
	out, err = r.Review(t.Context(), prOf(s, "delivery-2"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Outcome{AlreadyReviewed: true}, out); diff != "" {
		t.Errorf("outcome on a reviewed head (-want +got):\n%s", diff)
	}
	if len(s.CheckRuns()) != 1 || len(s.Reviews()) != 1 {
		t.Errorf("%d check runs and %d reviews after a redelivery, want still 1 and 1", len(s.CheckRuns()), len(s.Reviews()))
	}
	if reqs := reviewRequests(s); len(reqs) != 2 {
		t.Errorf("a reviewed head cost %d requests, want 2 (the pull request, its check runs):\n%s", len(reqs), requestList(reqs))
	}

	// A re-run request reviews it again, and repeats no comment.
	s.Reset()
	pr := prOf(s, "delivery-3")
	pr.Rerun = true
	out, err = r.Review(t.Context(), pr)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Outcome{Findings: len(want), Inline: 0, Failed: true}, out); diff != "" {
		t.Errorf("re-run outcome (-want +got):\n%s", diff)
	}
	if n := len(s.Reviews()); n != 1 {
		t.Errorf("the re-run posted a review: %d reviews", n)
	}
	if n := len(s.Comments()); n != len(rev.Comments) {
		t.Errorf("%d comments after the re-run, want %d", n, len(rev.Comments))
	}
	runs = s.CheckRuns()
	if last := runs[len(runs)-1]; len(runs) != 2 || last.Status != "completed" || last.Conclusion != "failure" {
		t.Errorf("%d check runs, the last %s/%s; want a second one, completed/failure", len(runs), last.Status, last.Conclusion)
	}
	reqs = reviewRequests(s)
	if budget := requestBudget(files, readRequests(reqs), 0); len(reqs) > budget {
		t.Errorf("re-run: %d requests, over the budget of %d:\n%s", len(reqs), budget, requestList(reqs))
	}
}

// localChanged is the change between two trees as the analysis core
// reads it locally.
func localChanged(t *testing.T, base, head githubtest.Tree) map[string]review.ChangedFile {
	t.Helper()
	b, h := t.TempDir(), t.TempDir()
	testtree.Write(t, b, base)
	testtree.Write(t, h, head)
	cs, err := review.NewDirSource(b, h).Changed(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]review.ChangedFile{}
	for _, c := range cs {
		out[c.Path] = c
	}
	return out
}

func allAdded(c review.ChangedFile, start, end int) bool {
	if c.Status == review.Added {
		return true
	}
	for l := start; l <= end; l++ {
		if !c.Lines[l] {
			return false
		}
	}
	return true
}

func mustFiles(t *testing.T, base, head githubtest.Tree) []string {
	t.Helper()
	var out []string
	for p, c := range head {
		if b, ok := base[p]; !ok || b != c {
			out = append(out, p)
		}
	}
	for p := range base {
		if _, ok := head[p]; !ok {
			out = append(out, p)
		}
	}
	return out
}

func requestList(reqs []githubtest.Request) string {
	var b strings.Builder
	for _, r := range reqs {
		fmt.Fprintf(&b, "  %s %s?%s -> %d\n", r.Method, r.Path, r.Query.Encode(), r.Status)
	}
	return b.String()
}

// TestGitHubReviewJobLogger: a review given the job's logger logs under
// it, the analysis' debug lines included, and adds none of the job's
// attributes again.
func TestGitHubReviewJobLogger(t *testing.T) {
	base, head := shopTrees(t)
	head["shop/binary.py"] = "x = 1\x00\n"
	s := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
	reviewerLogs, jobLogs := &syncBuffer{}, &syncBuffer{}
	r := appReviewer(t, s, s.URL(), reviewerLogs)
	pr := prOf(s, "delivery-1")
	pr.Logger = slog.New(slog.NewTextHandler(jobLogs, &slog.HandlerOptions{Level: slog.LevelDebug})).With("job", "j1")
	if _, err := r.Review(t.Context(), pr); err != nil {
		t.Fatal(err)
	}
	if reviewerLogs.String() != "" {
		t.Errorf("the reviewer's own logger got lines:\n%s", reviewerLogs.String())
	}
	for _, want := range []string{`msg="skipping binary file" job=j1 path=shop/binary.py`, `msg="review done" job=j1 findings=`} {
		if !strings.Contains(jobLogs.String(), want) {
			t.Errorf("the job's log lacks %s:\n%s", want, jobLogs.String())
		}
	}
	for _, key := range []string{"delivery=", "installation=", "repo=", " pr=", "sha="} {
		if strings.Contains(jobLogs.String(), key) {
			t.Errorf("the review added %s to the job's logger:\n%s", key, jobLogs.String())
		}
	}
}

// TestGitHubReviewDeletionOnly reviews pull requests that only delete
// lines: a model field, a model's constraints at the end of the file, a
// keyword argument of a call, a guard above a write. Each finding lands as
// an inline comment on the lines around the deletion, which GitHub shows
// as the hunk's context.
func TestGitHubReviewDeletionOnly(t *testing.T) {
	tests := map[string]struct {
		example         string
		rule            string
		path            string
		startLine, line int
	}{
		"field removed": {
			example: "missing-migration/fail-field-removed", rule: "missing-migration",
			path: "shop/models.py", startLine: 5, line: 6,
		},
		"constraints removed at the end of the file": {
			example: "missing-migration/fail-constraint-removed", rule: "missing-migration",
			path: "shop/models.py", startLine: 5, line: 6,
		},
		"keyword argument removed": {
			example: "missing-required-field/fail-keyword-line-deleted", rule: "missing-required-field",
			path: "shop/views.py", startLine: 13, line: 15,
		},
		"guard removed above a write": {
			example: "unvalidated-check-write/fail-guard-deleted", rule: "unvalidated-check-write",
			path: "shop/views.py", line: 12,
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("..", "rules", "testdata", filepath.FromSlash(tt.example))
			base, head := githubtest.ReadTree(t, filepath.Join(dir, "base")), githubtest.ReadTree(t, filepath.Join(dir, "head"))
			for p, c := range localChanged(t, base, head) {
				if len(c.Lines) > 0 {
					t.Fatalf("%s adds line(s) %v to %s: not a deletion-only change", tt.example, c.Lines, p)
				}
			}
			s := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
			if _, err := appReviewer(t, s, s.URL(), nil).Review(t.Context(), prOf(s, "delivery-1")); err != nil {
				t.Fatal(err)
			}
			reviews := s.Reviews()
			if len(reviews) != 1 || len(reviews[0].Comments) != 1 {
				t.Fatalf("got %d reviews (%v), want 1 with one comment", len(reviews), reviews)
			}
			c := reviews[0].Comments[0]
			if c.GetPath() != tt.path || c.GetStartLine() != tt.startLine || c.GetLine() != tt.line {
				t.Errorf("comment on %s lines %d..%d, want %s %d..%d", c.GetPath(), c.GetStartLine(), c.GetLine(), tt.path, tt.startLine, tt.line)
			}
			if !strings.Contains(c.GetBody(), tt.rule) {
				t.Errorf("comment is not from %s:\n%s", tt.rule, c.GetBody())
			}
		})
	}
}

// TestGitHubReviewSynchronize: a push that fixes one finding (by its own
// suggestion) posts no duplicate of the comments already there.
func TestGitHubReviewSynchronize(t *testing.T) {
	s := shopServer(t)
	r := appReviewer(t, s, s.URL(), nil)
	if _, err := r.Review(t.Context(), prOf(s, "d1")); err != nil {
		t.Fatal(err)
	}
	base, head := shopTrees(t)
	before := localFindings(t, base, head)
	var fix rules.Finding
	for _, f := range before {
		if f.Rule == "check-then-insert" {
			fix = f
		}
	}
	if fix.Suggestion == nil {
		t.Fatal("the shop example has no check-then-insert finding with a suggestion")
	}
	fixed, err := review.ApplySuggestion([]byte(head[fix.Path]), fix)
	if err != nil {
		t.Fatal(err)
	}
	next := head.Clone()
	next[fix.Path] = string(fixed)
	after := localFindings(t, base, next)
	if len(after) != len(before)-1 {
		t.Fatalf("the fix left %d findings, want %d", len(after), len(before)-1)
	}
	s.Push(next)
	if _, err := r.Review(t.Context(), prOf(s, "d2")); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Reviews()); n != 1 {
		t.Errorf("%d reviews after the synchronize, want still 1", n)
	}
	seen := map[string]int{}
	for _, c := range s.Comments() {
		seen[review.FingerprintOf(c.GetBody())]++
	}
	for fp, n := range seen {
		if n > 1 {
			t.Errorf("fingerprint %s commented %d times", fp, n)
		}
	}
	runs := s.CheckRuns()
	last := runs[len(runs)-1]
	if last.HeadSHA != s.PullRequest().HeadSHA || last.Conclusion != "failure" {
		t.Errorf("check run on %s concluded %q, want failure on the new head", last.HeadSHA, last.Conclusion)
	}
	if diff := cmp.Diff(countByRule(after), summaryCounts(last.Summary)); diff != "" {
		t.Errorf("new check run's summary does not match the remaining findings (-want +got):\n%s", diff)
	}
}

// TestGitHubReviewSurvivesFaults: 502s (one after GitHub did the work) and
// secondary rate limits on chosen calls are retried, and the review still
// posts each comment once.
func TestGitHubReviewSurvivesFaults(t *testing.T) {
	s := shopServer(t)
	s.Inject(githubtest.Fault{Method: http.MethodGet, Route: routeFiles, Status: http.StatusBadGateway})
	s.Inject(githubtest.Fault{Method: http.MethodGet, Route: routeTree, Status: http.StatusForbidden, RetryAfter: time.Second})
	s.Inject(githubtest.Fault{Method: http.MethodGet, Route: routeBlob, Status: http.StatusTooManyRequests, RetryAfter: time.Second})
	s.Inject(githubtest.Fault{Method: http.MethodPost, Route: routeCheckRuns, Status: http.StatusBadGateway})
	s.Inject(githubtest.Fault{Method: http.MethodPost, Route: routeReviews, Status: http.StatusBadGateway, AfterHandling: true})
	s.Inject(githubtest.Fault{Method: http.MethodPatch, Route: routeCheckRun, Status: http.StatusServiceUnavailable})
	s.Inject(githubtest.Fault{Method: http.MethodPost, Route: routeToken, Status: http.StatusBadGateway})
	r := appReviewer(t, s, s.URL(), nil)
	start := time.Now()
	if _, err := r.Review(t.Context(), prOf(s, "d1")); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("review took %v: Retry-After (1s) was not honoured", d)
	}
	if n := len(s.Reviews()); n != 1 {
		t.Errorf("%d reviews, want 1 (the 502 came after the review landed)", n)
	}
	runs := s.CheckRuns()
	if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Conclusion != "failure" {
		t.Errorf("check runs %+v, want one completed/failure", runs)
	}
	reqs := s.Requests()
	for _, c := range []struct {
		method, route string
		status        int
	}{
		{http.MethodGet, routeFiles, http.StatusBadGateway},
		{http.MethodGet, routeTree, http.StatusForbidden},
		{http.MethodGet, routeBlob, http.StatusTooManyRequests},
		{http.MethodPost, routeCheckRuns, http.StatusBadGateway},
		{http.MethodPost, routeReviews, http.StatusBadGateway},
		{http.MethodPatch, routeCheckRun, http.StatusServiceUnavailable},
		{http.MethodPost, routeToken, http.StatusBadGateway},
	} {
		if !slices.ContainsFunc(reqs, func(r githubtest.Request) bool {
			return r.Method == c.method && r.Route == c.route && r.Status == c.status
		}) {
			t.Errorf("the fault on %s %s was never hit", c.method, c.route)
		}
	}
}

func TestGitHubReviewEnterprise(t *testing.T) {
	s := shopServer(t)
	r := appReviewer(t, s, s.EnterpriseURL(), nil)
	if _, err := r.Review(t.Context(), prOf(s, "d1")); err != nil {
		t.Fatal(err)
	}
	if len(s.Reviews()) != 1 {
		t.Errorf("no review posted through the Enterprise base URL")
	}
	for _, req := range s.Requests() {
		// The archive is downloaded from where the API redirects,
		// /_codeload/ on Enterprise Server as on github.com.
		if req.Route != githubtest.CodeloadRoute && !strings.HasPrefix(req.Path, githubtest.EnterprisePrefix+"/") {
			t.Errorf("%s %s: not under %s", req.Method, req.Path, githubtest.EnterprisePrefix)
		}
	}
}

func TestGitHubReviewActionsToken(t *testing.T) {
	s := shopServer(t, githubtest.WithToken("ghs_actions_token"))
	r, err := New(Options{BaseURL: s.URL(), Token: "ghs_actions_token", HTTPClient: s.Client(),
		Logger: slog.New(slog.NewTextHandler(&syncBuffer{}, nil))})
	if err != nil {
		t.Fatal(err)
	}
	pr := prOf(s, "")
	pr.InstallationID = 0
	if _, err := r.Review(t.Context(), pr); err != nil {
		t.Fatal(err)
	}
	if len(s.Reviews()) != 1 || countRoute(s.Requests(), http.MethodPost, routeToken) != 0 {
		t.Errorf("reviews %d, token requests %d; want 1 review and no installation token", len(s.Reviews()),
			countRoute(s.Requests(), http.MethodPost, routeToken))
	}
}

func TestGitHubReviewInvalidConfig(t *testing.T) {
	base, head := shopTrees(t)
	config := "fail_on: error\nmax_inline_coments: 3\n"
	base[review.ConfigPath] = config
	head[review.ConfigPath] = config
	_, wantErr := review.ParseConfig(review.ConfigPath, []byte(config))
	if wantErr == nil || !strings.Contains(wantErr.Error(), review.ConfigPath+":2:") {
		t.Fatalf("ParseConfig error %v does not name line 2", wantErr)
	}
	s := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
	r := appReviewer(t, s, s.URL(), nil)
	if _, err := r.Review(t.Context(), prOf(s, "d1")); err != nil {
		t.Fatal(err)
	}
	runs := s.CheckRuns()
	if len(runs) != 1 {
		t.Fatalf("got %d check runs, want 1", len(runs))
	}
	if runs[0].Status != "completed" || runs[0].Conclusion != "failure" || !strings.Contains(runs[0].Summary, wantErr.Error()) {
		t.Errorf("check run %s/%s with summary\n%s\nwant completed/failure quoting %q", runs[0].Status, runs[0].Conclusion, runs[0].Summary, wantErr)
	}
	if len(s.Reviews()) != 0 {
		t.Errorf("a review was posted despite the invalid configuration")
	}
}

// TestGitHubReviewConfigFromBase: the head's configuration cannot switch
// the checks off; the base's applies.
func TestGitHubReviewConfigFromBase(t *testing.T) {
	base, head := shopTrees(t)
	base[review.ConfigPath] = "max_inline_comments: 2\n"
	head[review.ConfigPath] = "fail_on: never\nmax_inline_comments: 0\n"
	s := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
	r := appReviewer(t, s, s.URL(), nil)
	if _, err := r.Review(t.Context(), prOf(s, "d1")); err != nil {
		t.Fatal(err)
	}
	reviews := s.Reviews()
	if len(reviews) != 1 || len(reviews[0].Comments) != 2 {
		t.Fatalf("want one review with max_inline_comments=2 comments, got %d reviews", len(reviews))
	}
	for _, c := range reviews[0].Comments {
		if !strings.HasPrefix(c.GetBody(), "**Error**") {
			t.Errorf("inline comment is not of the most severe findings: %.40q", c.GetBody())
		}
	}
	run := s.CheckRuns()[0]
	if run.Conclusion != "failure" {
		t.Errorf("conclusion %q, want failure (the head's fail_on: never must not apply)", run.Conclusion)
	}
	local := localFindings(t, base, head)
	want := len(local) - 2
	for _, f := range local {
		want += len(f.Related)
	}
	if len(run.Annotations) != want {
		t.Errorf("%d annotations, want %d (the findings beyond the inline cap, and the places the findings relate to)", len(run.Annotations), want)
	}
}

// TestGitHubReviewHeadMoved: the review follows the pull request's head.
// A push that lands during the review: the old head's check run completes
// with the findings as annotations and nothing is commented there, then
// the new head is reviewed. A job for a head the pull request has already
// left (pushes delivered out of order, or two in one second that
// updated_at cannot order) reviews the new head instead.
func TestGitHubReviewHeadMoved(t *testing.T) {
	_, head := shopTrees(t)
	next := head.Clone()
	next["README.md"] = "moved\n"
	tests := map[string]struct {
		pushOn   string // the route before whose first request the push lands
		wantRuns int    // check runs: the old head's, if it got one, and the new head's
	}{
		"during the review":      {pushOn: routeBlob, wantRuns: 2},
		"before the job started": {pushOn: routePull, wantRuns: 1},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := shopServer(t)
			pr := prOf(s, "d1")
			var newHead string
			s.Before(http.MethodGet, tc.pushOn, func() { newHead = s.Push(next) })
			r := appReviewer(t, s, s.URL(), nil)
			if _, err := r.Review(t.Context(), pr); err != nil {
				t.Fatal(err)
			}
			runs := s.CheckRuns()
			if len(runs) != tc.wantRuns {
				t.Fatalf("%d check runs, want %d: %+v", len(runs), tc.wantRuns, runs)
			}
			for _, run := range runs {
				if run.Status != "completed" || !realConclusion(run.Conclusion) {
					t.Errorf("check run on %.7s: %s/%s, want completed with a verdict", run.HeadSHA, run.Status, run.Conclusion)
				}
			}
			if last := runs[len(runs)-1]; last.HeadSHA != newHead {
				t.Errorf("the last check run is on %.7s, want the new head %.7s", last.HeadSHA, newHead)
			}
			if len(runs) == 2 && (runs[0].HeadSHA != pr.HeadSHA || !strings.Contains(runs[0].Summary, "head moved to "+newHead[:12])) {
				t.Errorf("the old head's check run does not say the head moved:\n%s", runs[0].Summary)
			}
			for _, rev := range s.Reviews() {
				if rev.CommitID != newHead {
					t.Errorf("a review was posted on %.7s, a head the pull request had left", rev.CommitID)
				}
			}
			if len(s.Reviews()) != 1 {
				t.Errorf("%d reviews, want the new head's", len(s.Reviews()))
			}
		})
	}
}

// TestGitHubReviewFailsUnread: a review that fails for good leaves its
// check run completed with the reason, never in progress: neutral, or
// failure when the configuration concludes unread code so; and so does a
// job its host gave up.
func TestGitHubReviewFailsUnread(t *testing.T) {
	for _, tc := range []struct{ config, want string }{{"", "neutral"}, {"incomplete: failure\n", "failure"}} {
		t.Run(tc.want, func(t *testing.T) {
			base, head := shopTrees(t)
			if tc.config != "" {
				base[review.ConfigPath], head[review.ConfigPath] = tc.config, tc.config
			}
			s := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
			s.Inject(githubtest.Fault{Method: http.MethodGet, Route: routeTree, Status: http.StatusBadGateway, Times: 100})
			r := appReviewer(t, s, s.URL(), nil)
			_, err := r.Review(t.Context(), prOf(s, "d1"))
			if err == nil || !strings.Contains(err.Error(), "list head tree") {
				t.Fatalf("Review: %v, want the tree listing's failure", err)
			}
			runs := s.CheckRuns()
			if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Conclusion != tc.want || !strings.Contains(runs[0].Summary, "list head tree") {
				t.Errorf("check runs %+v, want one completed/%s naming the failure", runs, tc.want)
			}
			if got := countRoute(s.Requests(), http.MethodGet, routeTree); got != retryAttempts {
				t.Errorf("tree listed %d times, want %d tries", got, retryAttempts)
			}

			// Given up by its host after an attempt that left its run in
			// progress: the run is completed the same way.
			s = githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
			s.Inject(githubtest.Fault{Method: http.MethodGet, Route: routeTree, Status: http.StatusBadGateway, Times: retryAttempts})
			r = appReviewer(t, s, s.URL(), nil)
			pr := prOf(s, "d1")
			pr.Resumable = true
			if _, err := r.Review(t.Context(), pr); err == nil {
				t.Fatal("the first attempt did not fail")
			}
			if err := r.Abandon(t.Context(), pr, errors.New("given up")); err != nil {
				t.Fatal(err)
			}
			runs = s.CheckRuns()
			if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Conclusion != tc.want || !strings.Contains(runs[0].Summary, "given up") {
				t.Errorf("after Abandon: check runs %+v, want one completed/%s naming the cause", runs, tc.want)
			}
		})
	}
}

// TestGitHubReviewPaginationAndMissingPatch: 201 changed files are listed
// 100 a page; a Python file GitHub gives no patch for is still reviewed,
// as wholly changed, its findings as annotations (no diff to comment on).
func TestGitHubReviewPaginationAndMissingPatch(t *testing.T) {
	base, head := shopTrees(t)
	for i := range 192 { // 9 + 192 files: three pages
		head[fmt.Sprintf("static/img/icon%03d.svg", i)] = fmt.Sprintf("<svg id=%q/>\n", fmt.Sprint(i))
	}
	s := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head),
		githubtest.WithoutPatch("shop/views.py", "static/img/icon000.svg"))
	r := appReviewer(t, s, s.URL(), nil)
	if _, err := r.Review(t.Context(), prOf(s, "d1")); err != nil {
		t.Fatal(err)
	}
	reqs := reviewRequests(s)
	var pages []string
	for _, q := range reqs {
		if q.Route == routeFiles {
			pages = append(pages, q.Query.Encode())
		}
	}
	if diff := cmp.Diff([]string{"per_page=100", "page=2&per_page=100", "page=3&per_page=100"}, pages); diff != "" {
		t.Errorf("file pages (-want +got):\n%s", diff)
	}
	want := localFindings(t, base, head)
	run := s.CheckRuns()[0]
	views := 0
	for _, a := range run.Annotations {
		if a.GetPath() == "shop/views.py" {
			views++
		}
	}
	wantViews := 0
	for _, f := range want {
		if f.Path == "shop/views.py" {
			wantViews++
		}
	}
	if views != wantViews || wantViews == 0 {
		t.Errorf("%d annotations on shop/views.py, want its %d findings", views, wantViews)
	}
	for _, c := range s.Comments() {
		if c.GetPath() == "shop/views.py" {
			t.Errorf("comment on shop/views.py, which has no diff on GitHub")
		}
	}
	if budget := requestBudget(len(mustFiles(t, base, head)), readRequests(reqs), len(run.Annotations)); len(reqs) > budget {
		t.Errorf("%d requests, over the budget of %d", len(reqs), budget)
	}
}

// TestGitHubReviewReportsSkippedFiles: a changed Python file the review
// cannot read is named in the check run's summary with why; the rest of
// the pull request is reviewed as before.
func TestGitHubReviewReportsSkippedFiles(t *testing.T) {
	base, head := shopTrees(t)
	head["shop/legacy.py"] = "NAME = '\xe9'\n"
	head["shop/generated.py"] = "x = 1\n" + strings.Repeat("#", review.MaxFileSize)
	s := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
	r := appReviewer(t, s, s.URL(), nil)
	if _, err := r.Review(t.Context(), prOf(s, "d1")); err != nil {
		t.Fatal(err)
	}
	run := s.CheckRuns()[0]
	for _, want := range []string{
		"- `shop/generated.py`: not reviewed: over 1 MiB\n",
		"- `shop/legacy.py`: not reviewed: not UTF-8\n",
	} {
		if !strings.Contains(run.Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, run.Summary)
		}
	}
	if diff := cmp.Diff(countByRule(localFindings(t, base, head)), summaryCounts(run.Summary)); diff != "" {
		t.Errorf("summary's findings by rule (-want +got):\n%s", diff)
	}
}

// tokenJob is a job on the fake's pull request with the token "tok".
func tokenJob(t *testing.T, s *githubtest.Server) *job {
	t.Helper()
	r, err := New(Options{BaseURL: s.URL(), Token: "tok", HTTPClient: s.Client()})
	if err != nil {
		t.Fatal(err)
	}
	gh, err := r.client(0)
	if err != nil {
		t.Fatal(err)
	}
	return &job{gh: gh, pr: prOf(s, ""), log: slog.New(slog.NewTextHandler(&syncBuffer{}, nil)), delay: time.Millisecond}
}

// TestCompleteCheckRunBatches: annotations go 50 a request. A run in
// progress gets the last batch with the conclusion; a run not created yet
// (the review of a head the pull request moved to) is created completed
// with the first batch, the others added after.
func TestCompleteCheckRunBatches(t *testing.T) {
	for name, tc := range map[string]struct {
		inProgress            bool
		wantUpdates, wantReqs int
	}{
		"run in progress": {inProgress: true, wantUpdates: 3, wantReqs: 4},
		"no run yet":      {inProgress: false, wantUpdates: 2, wantReqs: 3},
	} {
		t.Run(name, func(t *testing.T) {
			s := githubtest.NewServer(t, githubtest.WithToken("tok"))
			j := tokenJob(t, s)
			if tc.inProgress {
				if err := j.createCheckRun(t.Context(), github.CreateCheckRunOptions{Status: github.String("in_progress")}); err != nil {
					t.Fatal(err)
				}
			}
			var fs []rules.Finding
			for i := range 120 {
				fs = append(fs, rules.Finding{Rule: "check-then-insert", Severity: rules.Warning, Path: "a/views.py", StartLine: i + 1, EndLine: i + 1, Message: "m"})
			}
			if err := j.completeCheckRun(t.Context(), &review.Result{Findings: fs}, placement{annotate: fs}, verdict{conclusion: "success"}); err != nil {
				t.Fatal(err)
			}
			runs := s.CheckRuns()
			if len(runs) != 1 {
				t.Fatalf("%d check runs, want 1", len(runs))
			}
			run := runs[0]
			if run.Updates != tc.wantUpdates || len(run.Annotations) != 120 || run.Status != "completed" || run.Conclusion != "success" {
				t.Errorf("%d updates, %d annotations, %s/%s; want %d, 120, completed/success", run.Updates, len(run.Annotations),
					run.Status, run.Conclusion, tc.wantUpdates)
			}
			if got := len(s.Requests()); got != tc.wantReqs {
				t.Errorf("%d check-run requests, want %d", got, tc.wantReqs)
			}
		})
	}
}

// pullRequestOfExternalID reads the pull request number from a check run's
// external_id written by checkRunExternalID: the tests' check that the
// external_id names the pull request.
func pullRequestOfExternalID(id string) (int, bool) {
	_, rest, ok := strings.Cut(id, "#")
	if !ok {
		return 0, false
	}
	num, _, _ := strings.Cut(rest, "/")
	n, err := strconv.Atoi(num)
	return n, err == nil && n > 0
}

func TestPullRequestOfExternalID(t *testing.T) {
	id := checkRunExternalID(PullRequest{Owner: "o", Repo: "r", Number: 42, BaseSHA: "abc"})
	if n, ok := pullRequestOfExternalID(id); !ok || n != 42 {
		t.Errorf("pullRequestOfExternalID(%q) = %d, %v", id, n, ok)
	}
	for _, bad := range []string{"", "o/r", "o/r#x/1", "o/r#0/1"} {
		if n, ok := pullRequestOfExternalID(bad); ok {
			t.Errorf("pullRequestOfExternalID(%q) = %d, want not ok", bad, n)
		}
	}
}

func TestTruncate(t *testing.T) {
	s := strings.Repeat("é", 10)
	if got := truncateChars(s, 4); got != "ééé…" {
		t.Errorf("truncateChars = %q", got)
	}
	if got := truncateBytes(s, 8); got != "éé…" || len(got) > 8 {
		t.Errorf("truncateBytes = %q (%d bytes)", got, len(got))
	}
	if got := truncateChars("short", 10); got != "short" {
		t.Errorf("truncateChars changed a short string: %q", got)
	}
}

func TestNewOptions(t *testing.T) {
	appID, key := githubtest.AppKey(t)
	for name, c := range map[string]struct {
		opts Options
		ok   bool
	}{
		"token":          {Options{Token: "t"}, true},
		"app":            {Options{AppID: appID, PrivateKey: key}, true},
		"both":           {Options{Token: "t", AppID: appID, PrivateKey: key}, false},
		"none":           {Options{}, false},
		"bad key":        {Options{AppID: 1, PrivateKey: []byte("not a key")}, false},
		"bad URL":        {Options{Token: "t", BaseURL: "ftp://x/"}, false},
		"enterprise URL": {Options{Token: "t", BaseURL: "https://ghe.example.com/api/v3"}, true},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := New(c.opts)
			if (err == nil) != c.ok {
				t.Errorf("New: %v, want ok=%v", err, c.ok)
			}
		})
	}
}

// BenchmarkGitHubReview reviews a 10-file pull request (the shop change
// and a README) against the fake, on a fresh pull request each time, and
// reports the median.
func BenchmarkGitHubReview(b *testing.B) {
	base := githubtest.ReadTree(b, "../examples/shop/base")
	head := githubtest.ReadTree(b, "../examples/shop/head")
	head["README.md"] = "shop\n"
	var times []time.Duration
	for b.Loop() {
		b.StopTimer()
		s := githubtest.NewBenchServer(b, githubtest.WithPullRequest("octo", "shop", 7, base, head))
		r := appReviewer(b, s, s.URL(), nil)
		pr := prOf(s, "bench")
		b.StartTimer()
		start := time.Now()
		if _, err := r.Review(b.Context(), pr); err != nil {
			b.Fatal(err)
		}
		times = append(times, time.Since(start))
	}
	sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
	b.ReportMetric(float64(times[len(times)/2].Microseconds())/1000, "p50-ms")
}

// TestGitHubReviewEditedMigrations: on GitHub too, an edited migration is
// compared with its old content, read once from the contents API at the
// base commit, so the operations it already had are not reviewed again.
func TestGitHubReviewEditedMigrations(t *testing.T) {
	tests := map[string]struct {
		example  string
		findings int
	}{
		"reformatted old migration":       {example: "not-null-without-default/pass-reformatted-old-migration"},
		"initial migration gains its own": {example: "not-null-without-default/pass-initial-migration-adds-its-own-fk"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("..", "rules", "testdata", filepath.FromSlash(tt.example))
			base, head := githubtest.ReadTree(t, filepath.Join(dir, "base")), githubtest.ReadTree(t, filepath.Join(dir, "head"))
			s := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
			out, err := appReviewer(t, s, s.URL(), nil).Review(t.Context(), prOf(s, "delivery-1"))
			if err != nil {
				t.Fatal(err)
			}
			if out.Findings != tt.findings {
				t.Errorf("%d findings, want %d", out.Findings, tt.findings)
			}
			read := 0
			for _, r := range s.Requests() {
				if r.Route == "/repos/{owner}/{repo}/contents/{path}" && strings.Contains(r.Path, "/migrations/") {
					read++
				}
			}
			if read != 1 {
				t.Errorf("%d reads of an edited migration at base, want 1", read)
			}
		})
	}
}

// TestGitHubReviewWriteLandedLookupFailed is issue 14's fourth defect: the
// POST of a check run or a review lands but answers 502, and the lookup
// that follows fails too. The write must not be sent again on the
// strength of a failed lookup: one check run and one review, however many
// lookups fail.
func TestGitHubReviewWriteLandedLookupFailed(t *testing.T) {
	tests := map[string]struct {
		post, lookup string // routes: the write that lands, the lookup after it
		lookups      int    // lookups that fail (each tried retryAttempts times)
		wantErr      bool   // the review fails, the write in doubt
	}{
		"check run, one lookup fails":   {post: routeCheckRuns, lookup: routeRefCheckRuns, lookups: 1},
		"check run, every lookup fails": {post: routeCheckRuns, lookup: routeRefCheckRuns, lookups: 99, wantErr: true},
		"review, one lookup fails":      {post: routeReviews, lookup: routeComments, lookups: 1},
		"review, every lookup fails":    {post: routeReviews, lookup: routeComments, lookups: 99, wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := shopServer(t)
			s.Inject(githubtest.Fault{Method: http.MethodPost, Route: tc.post, Status: http.StatusBadGateway, AfterHandling: true})
			s.Before(http.MethodPost, tc.post, func() {
				s.Inject(githubtest.Fault{Method: http.MethodGet, Route: tc.lookup, Status: http.StatusBadGateway, Times: tc.lookups * retryAttempts})
			})
			r := appReviewer(t, s, s.URL(), nil)
			pr := prOf(s, "d1")
			pr.Resumable = true
			_, err := r.Review(t.Context(), pr)
			if (err != nil) != tc.wantErr {
				t.Fatalf("Review: %v, want an error %v", err, tc.wantErr)
			}
			if got := countRoute(s.Requests(), http.MethodPost, tc.post); got != 1 {
				t.Errorf("%d POSTs to %s, want 1", got, tc.post)
			}
			if tc.wantErr {
				// The host runs the job again once GitHub answers: it finds
				// what landed and carries on.
				s.ClearFaults()
				if _, err := r.Review(t.Context(), pr); err != nil {
					t.Fatalf("second attempt: %v", err)
				}
			}
			runs := s.CheckRuns()
			if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Conclusion != "failure" {
				t.Errorf("check runs %+v, want one completed/failure", runs)
			}
			if len(s.Reviews()) != 1 {
				t.Errorf("%d reviews, want 1", len(s.Reviews()))
			}
		})
	}
}

// TestGitHubReviewResumes is issue 14's fifth defect: a review whose host
// runs it again (Resumable) and that fails, or dies with its process,
// leaves its check run in progress; the next attempt resumes that run,
// completes the old head's if the pull request moved meanwhile, and the
// host's Abandon completes it when the job is given up.
func TestGitHubReviewResumes(t *testing.T) {
	_, head := shopTrees(t)
	next := head.Clone()
	next["README.md"] = "moved\n"
	tests := map[string]struct {
		push    bool // the pull request moves before the next attempt
		abandon bool // the host gives the job up instead of running it again
		want    []string
	}{
		"next attempt resumes the run":  {want: []string{"head completed/failure"}},
		"pull request moved meanwhile":  {push: true, want: []string{"old completed/cancelled", "head completed/failure"}},
		"job given up":                  {abandon: true, want: []string{"head completed/neutral"}},
		"job given up after a new push": {push: true, abandon: true, want: []string{"old completed/neutral"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := shopServer(t)
			s.Inject(githubtest.Fault{Method: http.MethodGet, Route: routeTree, Status: http.StatusBadGateway, Times: retryAttempts})
			r := appReviewer(t, s, s.URL(), nil)
			pr := prOf(s, "d1")
			pr.Resumable = true
			if _, err := r.Review(t.Context(), pr); err == nil {
				t.Fatal("the first attempt did not fail")
			}
			runs := s.CheckRuns()
			if len(runs) != 1 || runs[0].Status != "in_progress" || !strings.Contains(runs[0].Summary, "try again") {
				t.Fatalf("after a failed attempt: %+v, want one check run in progress saying it will try again", runs)
			}
			old := pr.HeadSHA
			if tc.push {
				s.Push(next)
			}
			if tc.abandon {
				err := r.Abandon(t.Context(), pr, errors.New("given up"))
				if err != nil {
					t.Fatal(err)
				}
			} else if _, err := r.Review(t.Context(), pr); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, run := range s.CheckRuns() {
				which := "head"
				if run.HeadSHA == old && tc.push {
					which = "old"
				}
				got = append(got, which+" "+run.Status+"/"+run.Conclusion)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("check runs (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGitHubReviewImpactSearch: a change that makes a field required
// calls for a search of the whole repository, which the review makes with
// one archive of the head: the unchanged inserts elsewhere are found and
// annotated at their lines, and besides the archive only the files that
// name the model are read. When the archive cannot be had within the
// limits, the check run says that the search was not made, rather than
// pass in silence.
func TestGitHubReviewImpactSearch(t *testing.T) {
	dir := "../rules/testdata/required-field-breaks-inserts/fail-new-field-one-off-default"
	base, head := githubtest.ReadTree(t, dir+"/base"), githubtest.ReadTree(t, dir+"/head")
	base["catalog/unrelated.py"] = "def nothing():\n    return 1\n"
	head["catalog/unrelated.py"] = base["catalog/unrelated.py"]
	s := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "catalog", 3, base, head))
	r := appReviewer(t, s, s.URL(), nil)
	if _, err := r.Review(t.Context(), prOf(s, "d1")); err != nil {
		t.Fatal(err)
	}
	want := localFindings(t, base, head)
	if len(want) != 1 || len(want[0].Related) != 2 {
		t.Fatalf("the example should give one finding with two related places, got %+v", want)
	}
	var got []string
	for _, a := range s.CheckRuns()[0].Annotations {
		got = append(got, fmt.Sprintf("%s:%d", a.GetPath(), a.GetStartLine()))
	}
	if diff := cmp.Diff([]string{"catalog/views.py:9", "reviews/services.py:5"}, got); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
	if want := "And 2 annotations at the places elsewhere in the repository that findings name"; !strings.Contains(s.CheckRuns()[0].Summary, want) {
		t.Errorf("summary lacks %q:\n%s", want, s.CheckRuns()[0].Summary)
	}
	reqs := reviewRequests(s)
	if n := countRoute(reqs, http.MethodGet, routeTarball) + countRoute(reqs, http.MethodGet, githubtest.CodeloadRoute); n != 2 {
		t.Errorf("%d requests for the archive, want 2 (the link, the download)", n)
	}
	for _, q := range reqs {
		if q.Route == routeBlob && strings.Contains(q.Path, githubtest.BlobSHA(head["catalog/unrelated.py"])) {
			t.Errorf("catalog/unrelated.py, which does not name Author, was read")
		}
	}

	s = githubtest.NewServer(t, githubtest.WithPullRequest("octo", "catalog", 3, base, head))
	s.Inject(githubtest.Fault{Method: http.MethodGet, Route: routeTarball, Status: http.StatusBadGateway, Times: 10})
	r = appReviewer(t, s, s.URL(), nil)
	if _, err := r.Review(t.Context(), prOf(s, "d2")); err != nil {
		t.Fatal(err)
	}
	run := s.CheckRuns()[0]
	if want := "**Not done:**\n\n- impact search not done (cannot search the head tree: archive link of "; !strings.Contains(run.Summary, want) {
		t.Errorf("summary lacks %q:\n%s", want, run.Summary)
	}
}

// TestRelatedLocationsAnnotated: each related location of a finding is an
// annotation at its own line, also when the finding itself went inline.
func TestRelatedLocationsAnnotated(t *testing.T) {
	s := githubtest.NewServer(t, githubtest.WithToken("tok"))
	j := tokenJob(t, s)
	if err := j.createCheckRun(t.Context(), github.CreateCheckRunOptions{Status: github.String("in_progress")}); err != nil {
		t.Fatal(err)
	}
	f := rules.Finding{Rule: "required-field-breaks-inserts", Severity: rules.Error, Path: "catalog/models.py", StartLine: 7, EndLine: 7, Message: "m",
		Related: []rules.Location{
			{Path: "catalog/views.py", StartLine: 9, EndLine: 9, Message: "site one"},
			{Path: "reviews/services.py", StartLine: 5, EndLine: 6, Message: "site two"},
		}}
	if err := j.completeCheckRun(t.Context(), &review.Result{Findings: []rules.Finding{f}}, placement{inline: []review.Comment{{Path: f.Path, StartLine: f.StartLine, EndLine: f.EndLine, Findings: []rules.Finding{f}, Offered: -1}}}, verdict{conclusion: "failure"}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range s.CheckRuns()[0].Annotations {
		got = append(got, fmt.Sprintf("%s:%d-%d %s %s: %s", a.GetPath(), a.GetStartLine(), a.GetEndLine(), a.GetAnnotationLevel(), a.GetTitle(), a.GetMessage()))
	}
	want := []string{
		"catalog/views.py:9-9 failure required-field-breaks-inserts: site one",
		"reviews/services.py:5-6 failure required-field-breaks-inserts: site two",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
}
