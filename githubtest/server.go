// Package githubtest is a fake GitHub REST API for tests: an httptest
// server that checks every request against GitHub's own OpenAPI
// description (npm @octokit/openapi) and serves one repository with pull
// requests built from a base and a head tree (pushes move a head), their
// check runs, reviews and review comments, installation tokens, and the
// archive of a commit (the tarball endpoint's redirect, and the download
// it points to). It records every request and can answer chosen calls, or
// a random share of them (Chaos), with a 502 (before or after doing the
// work) or a secondary rate limit.
//
// A request that the description does not allow, or that GitHub would
// reject for a limit the description does not state (a review comment off
// the diff, more than 50 annotations in one call, a summary over 65,535
// characters), fails the test.
package githubtest

import (
	"archive/tar"
	"bytes"
	"cmp"
	"compress/gzip"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"maps"
	mrand "math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/golang-jwt/jwt/v4"
	"github.com/google/go-github/v60/github"
	"github.com/vektah/gqlparser/v2/ast"
)

// Limits GitHub enforces that its description does not state.
const (
	maxAnnotationsPerCall = 50
	maxOutputChars        = 65535
	// maxContentsBytes: the contents API gives the content of files of
	// "1 MB or smaller" in its JSON.
	maxContentsBytes = 1 << 20
)

// EnterprisePrefix is the path of GitHub Enterprise Server's REST API.
const EnterprisePrefix = "/api/v3"

// BotLogin is the author of the review comments the fake stores.
const BotLogin = "djintegrity[bot]"

// Server is the fake GitHub.
type Server struct {
	t      testing.TB
	srv    *httptest.Server
	desc   *description
	schema *ast.Schema // GitHub's GraphQL schema

	mu        sync.Mutex
	owner     string
	repo      string
	pr        *pull         // the first pull request, which PullRequest and Push are about
	pulls     map[int]*pull // every pull request, by number
	baseRef   string
	commits   map[string]Tree // by commit sha
	blobs     map[string]string
	files     map[string][]prFile // PR files by base and head sha
	omitPatch map[string]bool
	appID     int64
	appKey    *rsa.PublicKey
	tokens    map[string]bool
	nextID    int64
	checkRuns []*CheckRun
	requests  []Request
	faults    []*Fault
	chaos     *chaos
	hooks     []*hook
	// resolved marks the review threads resolved, by first comment id.
	resolved      map[int64]bool
	refuseResolve bool
}

// pull is one pull request of the repository.
type pull struct {
	number           int
	headRef          string
	baseSHA, headSHA string
	reviews          []*Review
	comments         []*github.PullRequestComment
}

// Request is one request the fake received.
type Request struct {
	Method string
	Path   string // as received, with any Enterprise prefix
	Route  string // the operation's path in GitHub's description, "" if none
	Query  url.Values
	Body   []byte
	Status int
}

// CheckRun is a check run as created and updated, annotations accumulated.
type CheckRun struct {
	ID          int64
	Name        string
	HeadSHA     string
	ExternalID  string
	Status      string
	Conclusion  string
	Title       string
	Summary     string
	Text        string
	Annotations []*github.CheckRunAnnotation
	Updates     int // PATCH calls
}

// Review is a review as posted.
type Review struct {
	ID       int64
	Number   int // the pull request's
	CommitID string
	Event    string
	Body     string
	Comments []*github.PullRequestComment
}

// PullRequest identifies the fake's pull request.
type PullRequest struct {
	Owner, Repo      string
	Number           int
	BaseSHA, HeadSHA string
}

// Fault answers matching requests with an error instead of handling them.
type Fault struct {
	Method string // "GET", "POST", ...
	Route  string // an operation's path in GitHub's description
	Status int    // 502, 403 or 429, or another 4xx GitHub answers with its JSON error
	// RetryAfter sets the Retry-After header; with Status 403 or 429 the
	// response is GitHub's secondary rate limit.
	RetryAfter time.Duration
	// Times is how many matching requests fail (default 1).
	Times int
	// AfterHandling performs the request before failing it, as a gateway
	// that times out after GitHub did the work.
	AfterHandling bool
}

type hook struct {
	method, route string
	fn            func()
	done          bool
}

// Option configures the fake.
type Option func(*Server)

// WithPullRequest sets the repository and pull request the fake serves
// (default: octo/shop #1 with empty trees). Commit ids are computed from
// the trees.
func WithPullRequest(owner, repo string, number int, base, head Tree) Option {
	return func(s *Server) {
		s.owner, s.repo = owner, repo
		if s.pr != nil {
			delete(s.pulls, s.pr.number)
		}
		s.pr = s.addPull(number, base, head)
	}
}

// WithMorePullRequest adds another pull request to the repository, after
// WithPullRequest: its branch is feature-NUMBER.
func WithMorePullRequest(number int, base, head Tree) Option {
	return func(s *Server) { s.addPull(number, base, head) }
}

// addPull stores a pull request; s.mu held or not yet shared.
func (s *Server) addPull(number int, base, head Tree) *pull {
	p := &pull{number: number, headRef: fmt.Sprintf("feature-%d", number)}
	if s.pr == nil || s.pr.number == number {
		p.headRef = "feature"
	}
	p.baseSHA = s.addCommit(base, "")
	p.headSHA = s.addCommit(head, p.baseSHA)
	s.pulls[number] = p
	return p
}

// WithCommitIDs gives the pull request's base and head commits these ids
// instead of computed ones, to match a webhook payload; it goes after
// WithPullRequest.
func WithCommitIDs(baseSHA, headSHA string) Option {
	return func(s *Server) {
		p := s.pr
		base, head := s.commits[p.baseSHA], s.commits[p.headSHA]
		delete(s.commits, p.baseSHA)
		delete(s.commits, p.headSHA)
		p.baseSHA, p.headSHA = baseSHA, headSHA
		s.commits[baseSHA], s.commits[headSHA] = base, head
	}
}

// WithoutPatch makes the files API give no patch for these paths, as
// GitHub does for diffs too large to show.
func WithoutPatch(paths ...string) Option {
	return func(s *Server) {
		for _, p := range paths {
			s.omitPatch[p] = true
		}
	}
}

// WithToken makes the fake accept token as a bearer token (GITHUB_TOKEN in
// Actions) besides the installation tokens it issues.
func WithToken(token string) Option {
	return func(s *Server) { s.tokens[token] = true }
}

// NewServer starts the fake; it stops when the test ends.
func NewServer(t *testing.T, opts ...Option) *Server {
	t.Helper()
	return newServer(t, opts...)
}

func newServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	appID, _, key := appKey(t)
	s := &Server{
		t:         t,
		desc:      loadDescription(t),
		schema:    loadSchema(t),
		resolved:  map[int64]bool{},
		owner:     "octo",
		repo:      "shop",
		pulls:     map[int]*pull{},
		baseRef:   "main",
		commits:   map[string]Tree{},
		blobs:     map[string]string{},
		files:     map[string][]prFile{},
		omitPatch: map[string]bool{},
		appID:     appID,
		appKey:    &key.PublicKey,
		tokens:    map[string]bool{},
		nextID:    1000,
	}
	for _, o := range opts {
		o(s)
	}
	if s.pr == nil {
		WithPullRequest(s.owner, s.repo, 1, Tree{}, Tree{})(s)
	}
	for _, p := range s.pulls {
		s.prFiles(p) // the diff is fixture work, not the reviewer's time
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	return s
}

// NewBenchServer is NewServer for benchmarks.
func NewBenchServer(b *testing.B, opts ...Option) *Server {
	b.Helper()
	return newServer(b, opts...)
}

var (
	keyOnce sync.Once
	keyPEM  []byte
	key     *rsa.PrivateKey
)

// testAppID is the GitHub App id the fake's installations belong to.
const testAppID = 4242

// AppKey returns the GitHub App id and private key (PEM) whose JWTs the
// fake accepts at the installation token endpoint. The key is made once
// per test binary.
func AppKey(t testing.TB) (appID int64, privateKeyPEM []byte) {
	id, p, _ := appKey(t)
	return id, p
}

func appKey(t testing.TB) (int64, []byte, *rsa.PrivateKey) {
	t.Helper()
	keyOnce.Do(func() {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			panic(fmt.Sprintf("generate RSA key: %v", err))
		}
		key = k
		keyPEM = pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	})
	return testAppID, keyPEM, key
}

// URL is the REST base URL, ending in "/".
func (s *Server) URL() string { return s.srv.URL + "/" }

// EnterpriseURL is the REST base URL as GitHub Enterprise Server has it,
// ending in "/api/v3/".
func (s *Server) EnterpriseURL() string { return s.srv.URL + EnterprisePrefix + "/" }

// Client is an HTTP client for the fake.
func (s *Server) Client() *http.Client { return s.srv.Client() }

// PullRequest returns the fake's (first) pull request as it stands.
func (s *Server) PullRequest() PullRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pullRequest(s.pr)
}

// PullRequestNumbered returns pull request number as it stands.
func (s *Server) PullRequestNumbered(number int) PullRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pullRequest(s.pulls[number])
}

func (s *Server) pullRequest(p *pull) PullRequest {
	return PullRequest{Owner: s.owner, Repo: s.repo, Number: p.number, BaseSHA: p.baseSHA, HeadSHA: p.headSHA}
}

// Push makes head the (first) pull request's new head commit (a
// synchronize) and returns its sha.
func (s *Server) Push(head Tree) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.push(s.pr, head)
}

// PushTo is Push to pull request number.
func (s *Server) PushTo(number int, head Tree) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.push(s.pulls[number], head)
}

func (s *Server) push(p *pull, head Tree) string {
	p.headSHA = s.addCommit(head, p.headSHA)
	s.prFiles(p)
	return p.headSHA
}

// Inject makes matching requests fail as f says.
func (s *Server) Inject(f Fault) {
	if f.Times == 0 {
		f.Times = 1
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &f)
}

// ClearFaults drops the faults not yet spent, and stops Chaos.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults, s.chaos = nil, nil
}

// chaos fails requests at random.
type chaos struct {
	rate float64
	rng  *mrand.Rand
}

// Chaos makes a share (rate, 0 to 1) of the requests that no Fault
// matches fail with a 502, as a flaky GitHub or network would; half of
// those fail after the request was handled (a write that landed). The
// choice is random from seed; ClearFaults stops it.
func (s *Server) Chaos(rate float64, seed uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.chaos = &chaos{rate: rate, rng: mrand.New(mrand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Before runs fn once, before the first request to method and route is
// handled.
func (s *Server) Before(method, route string, fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hooks = append(s.hooks, &hook{method: method, route: route, fn: fn})
}

// Requests returns the requests received so far.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// Reset forgets the requests received so far (state is kept).
func (s *Server) Reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests = nil
}

// CheckRuns returns the check runs created so far.
func (s *Server) CheckRuns() []CheckRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]CheckRun, len(s.checkRuns))
	for i, c := range s.checkRuns {
		out[i] = *c
		out[i].Annotations = slices.Clone(c.Annotations)
	}
	return out
}

// Reviews returns the reviews posted so far, on every pull request.
func (s *Server) Reviews() []Review {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Review
	for _, p := range s.pulls {
		for _, r := range p.reviews {
			out = append(out, *r)
		}
	}
	slices.SortFunc(out, func(a, b Review) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Comments returns every review comment, on every pull request.
func (s *Server) Comments() []*github.PullRequestComment {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*github.PullRequestComment
	for _, p := range s.pulls {
		out = append(out, p.comments...)
	}
	slices.SortFunc(out, func(a, b *github.PullRequestComment) int { return cmp.Compare(a.GetID(), b.GetID()) })
	return out
}

// addCommit stores a commit of tree; s.mu held or not yet shared.
func (s *Server) addCommit(tree Tree, parent string) string {
	tree = tree.Clone()
	sha := commitSHA(tree, parent)
	s.commits[sha] = tree
	for _, c := range tree {
		s.blobs[BlobSHA(blobOf(c))] = blobOf(c)
	}
	return sha
}

// prFiles returns a pull request's files at its head; s.mu held.
func (s *Server) prFiles(p *pull) []prFile { return s.diff(p.baseSHA, p.headSHA) }

// diff returns the files changed between two commits; s.mu held.
func (s *Server) diff(base, head string) []prFile {
	key := base + ".." + head
	if fs, ok := s.files[key]; ok {
		return fs
	}
	fs := diffTrees(s.t, s.commits[base], s.commits[head])
	for i := range fs {
		if s.omitPatch[fs[i].path] {
			fs[i].patch, fs[i].hasPatch = "", false
		}
	}
	s.files[key] = fs
	return fs
}

// resolve maps a commit sha or branch name to a commit sha; s.mu held.
func (s *Server) resolve(ref string) (string, bool) {
	ref = strings.TrimPrefix(ref, "refs/heads/")
	if ref == s.baseRef {
		return s.pr.baseSHA, true
	}
	for _, p := range s.pulls {
		if ref == p.headRef {
			return p.headSHA, true
		}
	}
	_, ok := s.commits[ref]
	return ref, ok
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	apiPath := strings.TrimPrefix(r.URL.Path, EnterprisePrefix)
	rec := Request{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Body: body}
	rw := &recorder{ResponseWriter: w, status: http.StatusOK}
	defer func() {
		rec.Status = rw.status
		s.mu.Lock()
		s.requests = append(s.requests, rec)
		s.mu.Unlock()
	}()
	if strings.HasPrefix(r.URL.Path, codeloadPrefix) {
		// Where the tarball endpoint redirects: no API, no credentials
		// (GitHub signs the URL it hands out instead).
		rec.Route = CodeloadRoute
		s.codeload(rw, r)
		return
	}

	if isGraphQL(r.URL.Path) {
		rec.Route = GraphQLRoute
		if !s.authorized(rw, r, GraphQLRoute) {
			return
		}
		if f := s.fault(r.Method, GraphQLRoute); f != nil {
			writeFault(rw, f)
			return
		}
		s.serveGraphQL(rw, r, body)
		return
	}
	route, params, err := s.desc.check(r.Context(), r, apiPath, body)
	if err != nil {
		s.t.Errorf("githubtest: request not allowed: %v\nbody: %s", err, truncate(body, 2000))
		writeError(rw, http.StatusBadRequest, err.Error())
		return
	}
	rec.Route = route.Path
	if !s.authorized(rw, r, route.Path) {
		return
	}
	s.runHooks(r.Method, route.Path)
	fault := s.fault(r.Method, route.Path)
	if fault != nil && !fault.AfterHandling {
		writeFault(rw, fault)
		return
	}
	if fault != nil {
		s.handle(httptest.NewRecorder(), r, route.Path, params, body)
		writeFault(rw, fault)
		return
	}
	s.handle(rw, r, route.Path, params, body)
}

type recorder struct {
	http.ResponseWriter
	status int
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (s *Server) runHooks(method, route string) {
	s.mu.Lock()
	var run []func()
	for _, h := range s.hooks {
		if !h.done && h.method == method && h.route == route {
			h.done = true
			run = append(run, h.fn)
		}
	}
	s.mu.Unlock()
	for _, fn := range run {
		fn()
	}
}

func (s *Server) fault(method, route string) *Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if f.Times > 0 && f.Method == method && f.Route == route {
			f.Times--
			return f
		}
	}
	if c := s.chaos; c != nil && c.rng.Float64() < c.rate {
		return &Fault{Method: method, Route: route, Status: http.StatusBadGateway, AfterHandling: c.rng.IntN(2) == 0}
	}
	return nil
}

func writeFault(w http.ResponseWriter, f *Fault) {
	if f.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((f.RetryAfter+time.Second-1)/time.Second)))
	}
	if f.Status == http.StatusForbidden || f.Status == http.StatusTooManyRequests {
		writeJSON(w, f.Status, map[string]string{
			"message":           "You have exceeded a secondary rate limit. Please wait a few minutes before you try again. If you reach out to GitHub Support for help, please include the request ID.",
			"documentation_url": "https://docs.github.com/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
		})
		return
	}
	if f.Status < 500 {
		// GitHub's own answer: a removed installation's token is 404.
		writeError(w, f.Status, http.StatusText(f.Status))
		return
	}
	w.Header().Set("Content-Type", "text/html")
	w.WriteHeader(f.Status)
	io.WriteString(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
}

// authorized checks the credentials: an app JWT for the token endpoint, an
// issued or configured token elsewhere.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request, route string) bool {
	auth := r.Header.Get("Authorization")
	scheme, cred, _ := strings.Cut(auth, " ")
	if route == "/app/installations/{installation_id}/access_tokens" {
		if !strings.EqualFold(scheme, "Bearer") {
			s.t.Errorf("githubtest: %s %s without an app JWT", r.Method, r.URL.Path)
			writeError(w, http.StatusUnauthorized, "A JSON web token could not be decoded")
			return false
		}
		tok, err := jwt.ParseWithClaims(cred, &jwt.RegisteredClaims{}, func(*jwt.Token) (any, error) { return s.appKey, nil },
			jwt.WithValidMethods([]string{"RS256"}))
		if err != nil || tok.Claims.(*jwt.RegisteredClaims).Issuer != strconv.FormatInt(s.appID, 10) {
			s.t.Errorf("githubtest: bad app JWT: %v", err)
			writeError(w, http.StatusUnauthorized, "A JSON web token could not be decoded")
			return false
		}
		return true
	}
	s.mu.Lock()
	ok := (strings.EqualFold(scheme, "token") || strings.EqualFold(scheme, "Bearer")) && s.tokens[cred]
	s.mu.Unlock()
	if !ok {
		s.t.Errorf("githubtest: %s %s with no valid token (scheme %q)", r.Method, r.URL.Path, scheme)
		writeError(w, http.StatusUnauthorized, "Bad credentials")
	}
	return ok
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request, route string, params map[string]string, body []byte) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if o, ok := params["owner"]; ok && (o != s.owner || params["repo"] != s.repo) {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	var p *pull
	if n, ok := params["pull_number"]; ok {
		num, _ := strconv.Atoi(n)
		if p = s.pulls[num]; p == nil {
			writeError(w, http.StatusNotFound, "Not Found")
			return
		}
	}
	switch r.Method + " " + route {
	case "POST /app/installations/{installation_id}/access_tokens":
		s.createToken(w, body)
	case "GET /repos/{owner}/{repo}/pulls/{pull_number}":
		writeJSON(w, http.StatusOK, s.pullJSON(p))
	case "GET /repos/{owner}/{repo}/pulls/{pull_number}/files":
		s.listFiles(w, r, p)
	case "GET /repos/{owner}/{repo}/pulls/{pull_number}/comments":
		items := make([]any, len(p.comments))
		for i, c := range p.comments {
			items[i] = c
		}
		paginate(w, r, items)
	case "POST /repos/{owner}/{repo}/pulls/{pull_number}/reviews":
		s.createReview(w, body, p)
	case "GET /repos/{owner}/{repo}/git/trees/{tree_sha}":
		s.getTree(w, r, params["tree_sha"])
	case "GET /repos/{owner}/{repo}/git/blobs/{file_sha}":
		s.getBlob(w, r, params["file_sha"])
	case "GET /repos/{owner}/{repo}/contents/{path}":
		s.getContents(w, r, params["path"])
	case "GET /repos/{owner}/{repo}/tarball/{ref}":
		s.tarballLink(w, params["ref"])
	case "POST /repos/{owner}/{repo}/check-runs":
		s.createCheckRun(w, body)
	case "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}":
		s.updateCheckRun(w, params["check_run_id"], body)
	case "GET /repos/{owner}/{repo}/check-runs/{check_run_id}":
		id, _ := strconv.ParseInt(params["check_run_id"], 10, 64)
		if c := s.checkRun(id); c != nil {
			writeJSON(w, http.StatusOK, s.checkRunJSON(c))
			return
		}
		writeError(w, http.StatusNotFound, "Not Found")
	case "GET /repos/{owner}/{repo}/commits/{ref}/check-runs":
		s.listCheckRuns(w, r, params["ref"])
	case "GET /repos/{owner}/{repo}/compare/{basehead}":
		s.compare(w, params["basehead"])
	case "PATCH /repos/{owner}/{repo}/pulls/comments/{comment_id}":
		s.editComment(w, params["comment_id"], body)
	default:
		s.t.Errorf("githubtest: %s %s is in the served paths but has no handler", r.Method, route)
		writeError(w, http.StatusNotImplemented, "not implemented by the fake")
	}
}

func (s *Server) createToken(w http.ResponseWriter, body []byte) {
	var opts github.InstallationTokenOptions
	if len(bytes.TrimSpace(body)) > 0 {
		if err := json.Unmarshal(body, &opts); err != nil {
			writeError(w, http.StatusBadRequest, "Problems parsing JSON")
			return
		}
	}
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	tok := "ghs_" + hex.EncodeToString(b)
	s.tokens[tok] = true
	perms := opts.Permissions
	if perms == nil {
		perms = &github.InstallationPermissions{Checks: github.String("write"), PullRequests: github.String("write"),
			Contents: github.String("read"), Metadata: github.String("read")}
	}
	writeJSON(w, http.StatusCreated, &github.InstallationToken{
		Token:       github.String(tok),
		ExpiresAt:   &github.Timestamp{Time: time.Now().Add(time.Hour).UTC().Truncate(time.Second)},
		Permissions: perms,
	})
}

func (s *Server) repoJSON() *github.Repository {
	return &github.Repository{
		ID: github.Int64(1296269), Name: github.String(s.repo), FullName: github.String(s.owner + "/" + s.repo),
		Owner: &github.User{Login: github.String(s.owner), Type: github.String("Organization")},
	}
}

func (s *Server) pullJSON(p *pull) *github.PullRequest {
	repo := s.repoJSON()
	return &github.PullRequest{
		ID: github.Int64(int64(p.number) + 500000), Number: github.Int(p.number), State: github.String("open"),
		Title:          github.String("Change"),
		Head:           &github.PullRequestBranch{Ref: github.String(p.headRef), SHA: github.String(p.headSHA), Repo: repo},
		Base:           &github.PullRequestBranch{Ref: github.String(s.baseRef), SHA: github.String(p.baseSHA), Repo: repo},
		ReviewComments: github.Int(len(p.comments)),
		ChangedFiles:   github.Int(len(s.prFiles(p))),
	}
}

func (s *Server) listFiles(w http.ResponseWriter, r *http.Request, p *pull) {
	files := s.commitFiles(s.prFiles(p), p.headSHA)
	items := make([]any, len(files))
	for i, f := range files {
		items[i] = f
	}
	// GitHub lists at most 3,000 files of a pull request.
	if len(items) > 3000 {
		items = items[:3000]
	}
	paginate(w, r, items)
}

// paginate answers a list request with the page it asks for and GitHub's
// Link header.
func paginate(w http.ResponseWriter, r *http.Request, items []any) {
	q := r.URL.Query()
	per, _ := strconv.Atoi(q.Get("per_page"))
	if per <= 0 {
		per = 30
	}
	per = min(per, 100)
	page, _ := strconv.Atoi(q.Get("page"))
	page = max(page, 1)
	last := max((len(items)+per-1)/per, 1)
	lo := min((page-1)*per, len(items))
	hi := min(lo+per, len(items))
	link := func(p int, rel string) string {
		u := url.URL{Scheme: "http", Host: r.Host, Path: r.URL.Path}
		q := r.URL.Query()
		q.Set("page", strconv.Itoa(p))
		u.RawQuery = q.Encode()
		return fmt.Sprintf("<%s>; rel=%q", u.String(), rel)
	}
	var links []string
	if page < last {
		links = append(links, link(page+1, "next"), link(last, "last"))
	}
	if page > 1 {
		links = append(links, link(1, "first"), link(page-1, "prev"))
	}
	if len(links) > 0 {
		w.Header().Set("Link", strings.Join(links, ", "))
	}
	out := items[lo:hi]
	if out == nil {
		out = []any{}
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) createReview(w http.ResponseWriter, body []byte, p *pull) {
	var req github.PullRequestReviewRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	commit := req.GetCommitID()
	if _, ok := s.commits[commit]; !ok {
		commit = p.headSHA
	}
	// The comments' lines are those of the diff at commit_id, which need
	// not be the head any more.
	files := map[string]prFile{}
	for _, f := range s.diff(p.baseSHA, commit) {
		files[f.path] = f
	}
	s.nextID++
	rev := &Review{ID: s.nextID, Number: p.number, CommitID: commit, Event: req.GetEvent(), Body: req.GetBody()}
	for _, c := range req.Comments {
		if msg := commentOffDiff(files, c); msg != "" {
			s.t.Errorf("githubtest: review comment on %s rejected (GitHub answers 422 for the whole review): %s", c.GetPath(), msg)
			writeJSON(w, http.StatusUnprocessableEntity, map[string]any{
				"message": "Unprocessable Entity", "errors": []string{msg},
				"documentation_url": "https://docs.github.com/rest/pulls/reviews#create-a-review-for-a-pull-request",
			})
			return
		}
	}
	for _, c := range req.Comments {
		s.nextID++
		pc := &github.PullRequestComment{
			ID: github.Int64(s.nextID), PullRequestReviewID: github.Int64(rev.ID), Body: c.Body, Path: c.Path,
			Line: c.Line, StartLine: c.StartLine, Side: c.Side, StartSide: c.StartSide,
			OriginalLine: c.Line, OriginalStartLine: c.StartLine,
			CommitID: github.String(commit), OriginalCommitID: github.String(commit),
			User: &github.User{Login: github.String(BotLogin), Type: github.String("Bot")},
		}
		rev.Comments = append(rev.Comments, pc)
		p.comments = append(p.comments, pc)
	}
	p.reviews = append(p.reviews, rev)
	writeJSON(w, http.StatusOK, &github.PullRequestReview{
		ID: github.Int64(rev.ID), Body: github.String(rev.Body), CommitID: github.String(commit),
		State: github.String("COMMENTED"), User: &github.User{Login: github.String(BotLogin)},
	})
}

// commentOffDiff says why GitHub would refuse a review comment, or "".
func commentOffDiff(files map[string]prFile, c *github.DraftReviewComment) string {
	f, ok := files[c.GetPath()]
	if !ok {
		return "Path could not be resolved"
	}
	if c.Position != nil {
		return "position is deprecated here: use line and side"
	}
	if c.GetSide() != "RIGHT" || (c.StartLine != nil && c.GetStartSide() != "RIGHT") {
		return "comments go on the RIGHT side (the head)"
	}
	end := c.GetLine()
	start := end
	if c.StartLine != nil {
		start = c.GetStartLine()
		if start >= end {
			return "start_line must precede line"
		}
	}
	for _, h := range f.rightLines {
		if start >= h.start && end <= h.end {
			return ""
		}
	}
	return fmt.Sprintf("pull_request_review_thread.line %d..%d must be part of the diff", start, end)
}

func (s *Server) getTree(w http.ResponseWriter, r *http.Request, ref string) {
	sha, ok := s.resolve(ref)
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	tree := s.commits[sha]
	_, recursive := r.URL.Query()["recursive"]
	var entries []*github.TreeEntry
	for _, d := range dirsOf(tree) {
		if recursive || !strings.Contains(d, "/") {
			entries = append(entries, &github.TreeEntry{Path: github.String(d), Mode: github.String("040000"),
				Type: github.String("tree"), SHA: github.String(treeSHA(sha, d))})
		}
	}
	for p, c := range tree {
		if recursive || !strings.Contains(p, "/") {
			entries = append(entries, &github.TreeEntry{Path: github.String(p), Mode: github.String(modeOf(c)),
				Type: github.String("blob"), SHA: github.String(BlobSHA(blobOf(c))), Size: github.Int(len(blobOf(c)))})
		}
	}
	slices.SortFunc(entries, func(a, b *github.TreeEntry) int { return strings.Compare(a.GetPath(), b.GetPath()) })
	writeJSON(w, http.StatusOK, &github.Tree{SHA: github.String(treeSHA(sha, "")), Entries: entries, Truncated: github.Bool(false)})
}

// codeloadPrefix is the path of the fake's archive downloads, as GitHub's
// codeload.github.com serves them.
const codeloadPrefix = "/_codeload/"

// CodeloadRoute is the Route of the requests that download an archive
// (not an operation of the API).
const CodeloadRoute = "codeload"

// tarballLink answers as GitHub does: a redirect to the archive of the
// commit ref names.
func (s *Server) tarballLink(w http.ResponseWriter, ref string) {
	sha, ok := s.resolve(ref)
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	w.Header().Set("Location", s.srv.URL+codeloadPrefix+s.owner+"/"+s.repo+"/legacy.tar.gz/"+sha)
	w.WriteHeader(http.StatusFound)
}

// codeload serves a commit's tree as a gzipped tar whose entries sit under
// one directory, "owner-repo-sha/", as GitHub's archives do.
func (s *Server) codeload(w http.ResponseWriter, r *http.Request) {
	sha := path.Base(r.URL.Path)
	s.mu.Lock()
	tree, ok := s.commits[sha]
	s.mu.Unlock()
	if !ok || r.Method != http.MethodGet {
		http.Error(w, "Not Found", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "application/x-gzip")
	zw := gzip.NewWriter(w)
	tw := tar.NewWriter(zw)
	top := s.owner + "-" + s.repo + "-" + sha[:min(7, len(sha))] + "/"
	_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeXGlobalHeader, Name: "pax_global_header", PAXRecords: map[string]string{"comment": sha}})
	_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: top, Mode: 0o775})
	for _, p := range slices.Sorted(maps.Keys(tree)) {
		c := tree[p]
		if target, ok := linkTarget(c); ok {
			_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeSymlink, Name: top + p, Linkname: target, Mode: 0o777})
			continue
		}
		_ = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: top + p, Mode: 0o664, Size: int64(len(c))})
		_, _ = io.WriteString(tw, c)
	}
	_ = tw.Close()
	_ = zw.Close()
}

func wantsRaw(r *http.Request) bool { return strings.Contains(r.Header.Get("Accept"), ".raw") }

func (s *Server) getBlob(w http.ResponseWriter, r *http.Request, sha string) {
	c, ok := s.blobs[sha]
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	if wantsRaw(r) {
		w.Header().Set("Content-Type", "application/vnd.github.raw")
		io.WriteString(w, c)
		return
	}
	writeJSON(w, http.StatusOK, &github.Blob{SHA: github.String(sha), Size: github.Int(len(c)),
		Content: github.String(base64.StdEncoding.EncodeToString([]byte(c))), Encoding: github.String("base64")})
}

func (s *Server) getContents(w http.ResponseWriter, r *http.Request, p string) {
	ref := r.URL.Query().Get("ref")
	if ref == "" {
		ref = s.baseRef
	}
	sha, ok := s.resolve(ref)
	if !ok {
		writeError(w, http.StatusNotFound, "No commit found for the ref "+ref)
		return
	}
	p = strings.Trim(p, "/")
	tree := s.commits[sha]
	c, ok := tree[p]
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	// "If the content is a symlink and the symlink's target is a normal
	// file in the repository, then the API responds with the content of
	// the file. Otherwise, the API responds with an object describing the
	// symlink itself."
	if target, ok := linkTarget(c); ok {
		resolved := path.Join(path.Dir(p), target)
		if tc, ok := tree[resolved]; ok && modeOf(tc) == "100644" && !strings.HasPrefix(target, "/") {
			c = tc
		} else {
			writeJSON(w, http.StatusOK, &github.RepositoryContent{
				Type: github.String("symlink"), Target: github.String(target), Size: github.Int(len(target)),
				Name: github.String(path.Base(p)), Path: github.String(p), SHA: github.String(BlobSHA(target)),
			})
			return
		}
	}
	if wantsRaw(r) {
		w.Header().Set("Content-Type", "application/vnd.github.raw")
		io.WriteString(w, c)
		return
	}
	content := &github.RepositoryContent{
		Type: github.String("file"), Encoding: github.String("base64"), Size: github.Int(len(c)),
		Name: github.String(path.Base(p)), Path: github.String(p), SHA: github.String(BlobSHA(c)),
		Content: github.String(base64.StdEncoding.EncodeToString([]byte(c))),
	}
	// "Between 1-100 MB: Only the raw or object custom media types are
	// supported. [...] the content field will be an empty string and the
	// encoding field will be "none"."
	if len(c) > maxContentsBytes {
		content.Encoding, content.Content = github.String("none"), github.String("")
	}
	writeJSON(w, http.StatusOK, content)
}

func (s *Server) checkRun(id int64) *CheckRun {
	for _, c := range s.checkRuns {
		if c.ID == id {
			return c
		}
	}
	return nil
}

// checkOutput enforces GitHub's limits on a check run's output.
func (s *Server) checkOutput(o *github.CheckRunOutput) string {
	if o == nil {
		return ""
	}
	if n := len(o.Annotations); n > maxAnnotationsPerCall {
		return fmt.Sprintf("%d annotations in one request; GitHub takes at most %d", n, maxAnnotationsPerCall)
	}
	for _, f := range []struct{ name, v string }{{"summary", o.GetSummary()}, {"text", o.GetText()}} {
		if n := utf8.RuneCountInString(f.v); n > maxOutputChars {
			return fmt.Sprintf("output.%s has %d characters; GitHub takes at most %d", f.name, n, maxOutputChars)
		}
	}
	return ""
}

func (s *Server) applyOutput(c *CheckRun, o *github.CheckRunOutput) {
	if o == nil {
		return
	}
	c.Title, c.Summary, c.Text = o.GetTitle(), o.GetSummary(), o.GetText()
	c.Annotations = append(c.Annotations, o.Annotations...)
}

func (s *Server) createCheckRun(w http.ResponseWriter, body []byte) {
	var opts github.CreateCheckRunOptions
	if err := json.Unmarshal(body, &opts); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	if msg := s.checkOutput(opts.Output); msg != "" {
		s.t.Errorf("githubtest: create check run: %s", msg)
		writeError(w, http.StatusUnprocessableEntity, msg)
		return
	}
	if _, ok := s.commits[opts.HeadSHA]; !ok {
		writeError(w, http.StatusUnprocessableEntity, "No commit found for SHA: "+opts.HeadSHA)
		return
	}
	s.nextID++
	c := &CheckRun{ID: s.nextID, Name: opts.Name, HeadSHA: opts.HeadSHA, ExternalID: opts.GetExternalID(),
		Status: cmp.Or(opts.GetStatus(), "queued"), Conclusion: opts.GetConclusion()}
	s.applyOutput(c, opts.Output)
	s.checkRuns = append(s.checkRuns, c)
	writeJSON(w, http.StatusCreated, s.checkRunJSON(c))
}

func (s *Server) updateCheckRun(w http.ResponseWriter, idText string, body []byte) {
	id, _ := strconv.ParseInt(idText, 10, 64)
	c := s.checkRun(id)
	if c == nil {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	var opts github.UpdateCheckRunOptions
	if err := json.Unmarshal(body, &opts); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	if msg := s.checkOutput(opts.Output); msg != "" {
		s.t.Errorf("githubtest: update check run: %s", msg)
		writeError(w, http.StatusUnprocessableEntity, msg)
		return
	}
	c.Updates++
	if opts.Name != "" {
		c.Name = opts.Name
	}
	if opts.Status != nil {
		c.Status = opts.GetStatus()
	}
	if opts.Conclusion != nil {
		c.Conclusion, c.Status = opts.GetConclusion(), "completed"
	}
	s.applyOutput(c, opts.Output)
	writeJSON(w, http.StatusOK, s.checkRunJSON(c))
}

func (s *Server) listCheckRuns(w http.ResponseWriter, r *http.Request, ref string) {
	sha, ok := s.resolve(ref)
	if !ok {
		writeError(w, http.StatusNotFound, "Not Found")
		return
	}
	name := r.URL.Query().Get("check_name")
	// filter=latest, the default, lists only the most recent run of each
	// name; filter=all lists every one.
	latest := r.URL.Query().Get("filter") != "all"
	var runs []*github.CheckRun
	seen := map[string]bool{}
	for _, c := range slices.Backward(s.checkRuns) {
		if c.HeadSHA == sha && (name == "" || c.Name == name) && !(latest && seen[c.Name]) {
			seen[c.Name] = true
			runs = append(runs, s.checkRunJSON(c))
		}
	}
	slices.Reverse(runs)
	writeJSON(w, http.StatusOK, &github.ListCheckRunsResults{Total: github.Int(len(runs)), CheckRuns: runs})
}

func (s *Server) checkRunJSON(c *CheckRun) *github.CheckRun {
	out := &github.CheckRun{
		ID: github.Int64(c.ID), Name: github.String(c.Name), HeadSHA: github.String(c.HeadSHA),
		ExternalID: github.String(c.ExternalID), Status: github.String(c.Status),
		Output: &github.CheckRunOutput{Title: github.String(c.Title), Summary: github.String(c.Summary),
			AnnotationsCount: github.Int(len(c.Annotations))},
	}
	if c.Conclusion != "" {
		out.Conclusion = github.String(c.Conclusion)
	}
	return out
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"message": msg, "documentation_url": "https://docs.github.com/rest"})
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return append(b[:n:n], "…"...)
	}
	return b
}
