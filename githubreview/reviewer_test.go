package githubreview

import (
	"bytes"
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
	routePull        = "/repos/{owner}/{repo}/pulls/{pull_number}"
	routeFiles       = "/repos/{owner}/{repo}/pulls/{pull_number}/files"
	routeComments    = "/repos/{owner}/{repo}/pulls/{pull_number}/comments"
	routeReviews     = "/repos/{owner}/{repo}/pulls/{pull_number}/reviews"
	routeTree        = "/repos/{owner}/{repo}/git/trees/{tree_sha}"
	routeBlob        = "/repos/{owner}/{repo}/git/blobs/{file_sha}"
	routeContents    = "/repos/{owner}/{repo}/contents/{path}"
	routeCheckRuns   = "/repos/{owner}/{repo}/check-runs"
	routeCheckRun    = "/repos/{owner}/{repo}/check-runs/{check_run_id}"
	routeToken       = "/app/installations/{installation_id}/access_tokens"
	testInstallation = 77
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
// annotations beyond the first 50. The configuration, and the old content
// of the edited files the rules compare with their past, are among the
// files read; the installation token (one per installation and hour, cached
// across reviews) is not counted.
func requestBudget(changedFiles, filesRead, annotations int) int {
	extra := 0
	if annotations > maxAnnotationsPerRequest {
		extra = (annotations - 1) / maxAnnotationsPerRequest
	}
	return 3 + (changedFiles+perPage-1)/perPage + filesRead + 2 + extra
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
	if !strings.Contains(run.Summary, review.SummaryTable(want)) {
		t.Errorf("summary lacks the findings table:\n%s", run.Summary)
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
	pr := s.PullRequest()
	files := len(mustFiles(t, base, head))
	blobs := countRoute(reqs, http.MethodGet, routeBlob)
	contents := countRoute(reqs, http.MethodGet, routeContents)
	budget := requestBudget(files, blobs+contents, len(run.Annotations))
	t.Logf("requests: %d (budget %d: %d changed files, %d blobs + %d contents reads (config, old versions), %d annotations); token requests: %d",
		len(reqs), budget, files, blobs, contents, len(run.Annotations), countRoute(s.Requests(), http.MethodPost, routeToken))
	if len(reqs) > budget {
		t.Errorf("%d requests, over the budget of %d:\n%s", len(reqs), budget, requestList(reqs))
	}
	if n := countRoute(s.Requests(), http.MethodPost, routeToken); n != 1 {
		t.Errorf("%d installation token requests, want 1", n)
	}
	for _, r := range reqs {
		if r.Method == http.MethodGet && r.Route == routeContents && r.Query.Get("ref") != pr.BaseSHA {
			t.Errorf("%s read at ref %q, want the base %s", r.Path, r.Query.Get("ref"), pr.BaseSHA)
		}
	}
	if strings.Contains(logs.String(), "ghs_") {
		t.Errorf("a token was logged:\n%s", logs.String())
	}
	if !strings.Contains(logs.String(), "delivery=delivery-1") || !strings.Contains(logs.String(), "installation=77") {
		t.Errorf("logs lack the job's delivery and installation:\n%s", logs.String())
	}

	// A redelivery, or a re-run on the same head, posts nothing new.
	s.Reset()
	out, err = r.Review(t.Context(), prOf(s, "delivery-2"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Outcome{Findings: len(want), Inline: 0, Failed: true}, out); diff != "" {
		t.Errorf("second outcome (-want +got):\n%s", diff)
	}
	if n := len(s.Reviews()); n != 1 {
		t.Errorf("the second run posted a review: %d reviews", n)
	}
	if n := len(s.Comments()); n != len(rev.Comments) {
		t.Errorf("%d comments after the second run, want %d", n, len(rev.Comments))
	}
	runs = s.CheckRuns()
	if last := runs[len(runs)-1]; last.Status != "completed" || last.Conclusion != "failure" {
		t.Errorf("second check run %s/%s, want completed/failure", last.Status, last.Conclusion)
	}
	reqs = reviewRequests(s)
	if budget := requestBudget(files, countRoute(reqs, http.MethodGet, routeBlob)+countRoute(reqs, http.MethodGet, routeContents), 0); len(reqs) > budget {
		t.Errorf("second run: %d requests, over the budget of %d:\n%s", len(reqs), budget, requestList(reqs))
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
	if !strings.Contains(last.Summary, review.SummaryTable(after)) {
		t.Errorf("new check run's summary does not match the remaining findings:\n%s", last.Summary)
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
		if !strings.HasPrefix(req.Path, githubtest.EnterprisePrefix+"/") {
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
	if want := len(localFindings(t, base, head)) - 2; len(run.Annotations) != want {
		t.Errorf("%d annotations, want %d (the findings beyond the inline cap)", len(run.Annotations), want)
	}
}

// TestGitHubReviewHeadMoved: when a push lands during the review, nothing
// is posted; the check run of the old head still completes.
func TestGitHubReviewHeadMoved(t *testing.T) {
	s := shopServer(t)
	_, head := shopTrees(t)
	next := head.Clone()
	next["README.md"] = "moved\n"
	s.Before(http.MethodGet, routePull, func() { s.Push(next) })
	r := appReviewer(t, s, s.URL(), nil)
	pr := prOf(s, "d1")
	if _, err := r.Review(t.Context(), pr); err != nil {
		t.Fatal(err)
	}
	if n := len(s.Reviews()); n != 0 {
		t.Errorf("%d reviews posted on a moved head, want 0", n)
	}
	runs := s.CheckRuns()
	if len(runs) != 1 || runs[0].HeadSHA != pr.HeadSHA || runs[0].Status != "completed" {
		t.Errorf("check runs %+v, want the old head's completed", runs)
	}
}

// TestGitHubReviewFailsNeutral: a review that fails for good leaves its
// check run completed "neutral" with the reason, never in progress.
func TestGitHubReviewFailsNeutral(t *testing.T) {
	s := shopServer(t)
	s.Inject(githubtest.Fault{Method: http.MethodGet, Route: routeTree, Status: http.StatusBadGateway, Times: 100})
	r := appReviewer(t, s, s.URL(), nil)
	_, err := r.Review(t.Context(), prOf(s, "d1"))
	if err == nil || !strings.Contains(err.Error(), "list head tree") {
		t.Fatalf("Review: %v, want the tree listing's failure", err)
	}
	runs := s.CheckRuns()
	if len(runs) != 1 || runs[0].Status != "completed" || runs[0].Conclusion != "neutral" || !strings.Contains(runs[0].Summary, "list head tree") {
		t.Errorf("check runs %+v, want one completed/neutral naming the failure", runs)
	}
	if got := countRoute(s.Requests(), http.MethodGet, routeTree); got != retryAttempts {
		t.Errorf("tree listed %d times, want %d tries", got, retryAttempts)
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
	read := countRoute(reqs, http.MethodGet, routeBlob) + countRoute(reqs, http.MethodGet, routeContents)
	if budget := requestBudget(len(mustFiles(t, base, head)), read, len(run.Annotations)); len(reqs) > budget {
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
		review.SummaryTable(localFindings(t, base, head)),
	} {
		if !strings.Contains(run.Summary, want) {
			t.Errorf("summary lacks %q:\n%s", want, run.Summary)
		}
	}
}

// TestCompleteCheckRunBatches: annotations go 50 a request, the last batch
// with the conclusion.
func TestCompleteCheckRunBatches(t *testing.T) {
	s := githubtest.NewServer(t, githubtest.WithToken("tok"))
	pr := prOf(s, "")
	r, err := New(Options{BaseURL: s.URL(), Token: "tok", HTTPClient: s.Client()})
	if err != nil {
		t.Fatal(err)
	}
	gh, err := r.client(0)
	if err != nil {
		t.Fatal(err)
	}
	j := &job{gh: gh, pr: pr, run: "x", log: slog.New(slog.NewTextHandler(&syncBuffer{}, nil)), delay: time.Millisecond}
	if err := j.createCheckRun(t.Context(), github.CreateCheckRunOptions{Status: github.String("in_progress")}); err != nil {
		t.Fatal(err)
	}
	var fs []rules.Finding
	for i := range 120 {
		fs = append(fs, rules.Finding{Rule: "check-then-insert", Severity: rules.Warning, Path: "a/views.py", StartLine: i + 1, EndLine: i + 1, Message: "m"})
	}
	if err := j.completeCheckRun(t.Context(), &review.Result{Findings: fs}, placement{annotate: fs}, verdict{conclusion: "success"}); err != nil {
		t.Fatal(err)
	}
	run := s.CheckRuns()[0]
	if run.Updates != 3 || len(run.Annotations) != 120 || run.Conclusion != "success" {
		t.Errorf("%d updates, %d annotations, conclusion %q; want 3, 120, success", run.Updates, len(run.Annotations), run.Conclusion)
	}
	if got, want := len(s.Requests()), requestBudget(0, 0, 120)-3; got != want {
		t.Errorf("%d check-run requests, want %d", got, want)
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
	id := checkRunExternalID(PullRequest{Owner: "o", Repo: "r", Number: 42}, "abc")
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
