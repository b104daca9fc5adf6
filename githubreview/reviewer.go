// Package githubreview reviews pull requests on GitHub: a REST client that
// retries within GitHub's limits, a review.Source that reads a pull request
// through the API, and the job that runs review.Analyze on it and
// publishes the findings as one review with inline comments and a check
// run with the rest as annotations. Package review, the analysis pipeline,
// knows nothing of GitHub's API.
package githubreview

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/bradleyfalzon/ghinstallation/v2"
	"github.com/google/go-github/v60/github"

	"github.com/djintegrity/djintegrity/review"
)

// Limits of GitHub's REST API that the review works within.
const (
	// maxAnnotationsPerRequest: "The Checks API limits the number of
	// annotations to a maximum of 50 per API request."
	maxAnnotationsPerRequest = 50
	// maxCheckOutputChars: a check run's output.summary and output.text
	// take at most 65,535 characters.
	maxCheckOutputChars = 65535
	// maxAnnotationBytes: an annotation's message and raw_details take at
	// most 64 KB each.
	maxAnnotationBytes = 64 << 10
	// maxAnnotationTitle: an annotation's title takes at most 255
	// characters.
	maxAnnotationTitle = 255
	// perPage is the largest page the list endpoints give.
	perPage = 100
	// maxPullRequestFiles: GitHub's list pull requests files endpoint
	// says "Responses include a maximum of 3000 files" (listFilesDocs).
	// A pull request with more is reviewed in part and never passes.
	maxPullRequestFiles = 3000
	listFilesDocs       = "https://docs.github.com/rest/pulls/pulls#list-pull-requests-files"
)

// Timeouts of a review on GitHub.
const (
	// callTimeout bounds one API call, its retries included.
	callTimeout = 2 * time.Minute
	// reviewTimeout bounds a whole review when the caller set no deadline.
	reviewTimeout = 10 * time.Minute
	// finishTimeout bounds completing the check run after the review's own
	// context ended, so that it is never left in progress.
	finishTimeout = 30 * time.Second
	// analysisBudget is the analysis' time budget: past it the review
	// concludes with what it has, as incomplete (review.Config.Deadline).
	analysisBudget = 5 * time.Minute
	// publishReserve is kept back from the review's deadline to post the
	// review and complete the check run after the analysis.
	publishReserve = time.Minute
)

// DefaultBaseURL is github.com's REST base URL.
const DefaultBaseURL = "https://api.github.com/"

// PullRequest is one review request on GitHub.
type PullRequest struct {
	DeliveryID     string // X-GitHub-Delivery, for logs and dedup
	InstallationID int64
	Owner, Repo    string
	Number         int
	// BaseSHA and HeadSHA are the commits the host was asked to compare
	// (a push's). The review reads the pull request's own when it starts,
	// and reviews those: they differ when pushes came in meanwhile.
	BaseSHA string
	HeadSHA string
	// MergeGroup is the head ref of a merge queue's group, for a review of
	// a merge group rather than of a pull request (Number is then 0, and
	// both commits must be given): the diff is the comparison of the two
	// commits, and the findings go only to the check run on HeadSHA, the
	// check the queue waits for.
	MergeGroup string
	// Rerun asks for a new review of a head whose check run already
	// completed with a verdict (a re-run was requested); otherwise such a
	// head is not reviewed again.
	Rerun bool
	// Resumable tells that the host runs the review again if it fails, and
	// calls Abandon when it gives it up (webhook.Resumable): a review that
	// fails then leaves its check run in progress, saying why, for the
	// next attempt to resume, instead of concluding it neutral.
	Resumable bool
	// Logger receives the review's lines, the analysis' debug lines
	// included. A host that runs jobs gives the job's logger, which
	// already names the delivery, repository, pull request and head
	// (webhook.Job.LogAttrs); the review adds only the head it reviews
	// when that is another. Nil is the Reviewer's logger with all of them
	// added.
	Logger *slog.Logger
}

// Options configure a Reviewer. Give either AppID and PrivateKey (a GitHub
// App: each review uses its installation's token) or Token (GitHub
// Actions' GITHUB_TOKEN).
type Options struct {
	// BaseURL is the REST base URL: DefaultBaseURL, or GitHub Enterprise
	// Server's "https://HOST/api/v3/".
	BaseURL    string
	AppID      int64
	PrivateKey []byte // PEM
	// HTTPClient's transport carries the requests (optional).
	HTTPClient *http.Client
	Token      string
	// Logger receives the lines of reviews whose PullRequest has no Logger
	// of its own, and of requests made outside a review; nil discards them.
	Logger *slog.Logger
	// Cache keeps parsed files from one review to the next (optional): a
	// long-lived host's later reviews of a repository parse only what
	// changed.
	Cache *review.Cache

	// retryBaseDelay overrides retryBaseDelay (tests).
	retryBaseDelay time.Duration
	// analysisBudget overrides analysisBudget (tests).
	analysisBudget time.Duration
}

// Reviewer reviews pull requests on GitHub (DESIGN data flow steps
// 1-10): it reads the configuration from the base ref, opens a check run
// on the head, analyzes the change reading only the files the rules need,
// posts the findings on diff lines as one review that repeats nothing an
// earlier run said, and completes the check run with the rest as
// annotations. The check run is named webhook.DefaultCheckName, whose
// re-run requests the webhook handler queues. It is safe for concurrent
// use.
type Reviewer struct {
	base   *url.URL
	token  string
	apps   *ghinstallation.AppsTransport
	tr     http.RoundTripper // retrying transport
	delay  time.Duration     // first backoff of a reconciled POST
	budget time.Duration     // the analysis' time budget; analysisBudget when zero
	log    *slog.Logger
	cache  *review.Cache // nil for none

	mu      sync.Mutex
	clients map[int64]*github.Client // by installation
}

// ParseBaseURL parses a REST base URL (DefaultBaseURL, or an Enterprise
// Server's https://HOST/api/v3/); ok is false unless it is http(s) with a
// host.
func ParseBaseURL(raw string) (u *url.URL, ok bool) {
	u, err := url.Parse(raw)
	return u, err == nil && (u.Scheme == "https" || u.Scheme == "http") && u.Host != ""
}

// RedactURL is raw as it may be logged or put in an error: any user
// information (a name, a password, a token) is replaced by "REDACTED",
// even in text that does not parse as a URL.
func RedactURL(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Opaque == "" { // "user:pass@host" parses as scheme "user"
		if u.User != nil {
			u.User = url.User("REDACTED")
		}
		return u.String()
	}
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		scheme, rest = "", raw
	}
	authority, path, _ := strings.Cut(rest, "/")
	if at := strings.LastIndex(authority, "@"); at >= 0 {
		authority = "REDACTED" + authority[at:]
	}
	out := authority
	if ok {
		out = scheme + "://" + out
	}
	if strings.Contains(rest, "/") {
		out += "/" + path
	}
	return out
}

// New checks the options and prepares the clients.
func New(opts Options) (*Reviewer, error) {
	raw := opts.BaseURL
	if raw == "" {
		raw = DefaultBaseURL
	}
	base, ok := ParseBaseURL(raw)
	if !ok {
		return nil, fmt.Errorf("github base URL %q: want http(s)://host/[path/]", RedactURL(raw))
	}
	if !strings.HasSuffix(base.Path, "/") {
		base.Path += "/"
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if base.User != nil {
		// Every request carries the App's or the token's Authorization,
		// so credentials in the URL were never sent; kept, they would be
		// in every error that quotes a request's URL.
		log.Warn("the GitHub URL's user information is ignored: requests authenticate as the App", "github_url", RedactURL(raw))
		base.User = nil
	}
	inner := http.DefaultTransport
	if opts.HTTPClient != nil && opts.HTTPClient.Transport != nil {
		inner = opts.HTTPClient.Transport
	}
	delay := retryBaseDelay
	if opts.retryBaseDelay > 0 {
		delay = opts.retryBaseDelay
	}
	r := &Reviewer{
		base:    base,
		token:   opts.Token,
		tr:      &retryTransport{base: inner, baseDelay: delay, log: log},
		delay:   delay,
		budget:  opts.analysisBudget,
		log:     log,
		cache:   opts.Cache,
		clients: map[int64]*github.Client{},
	}
	switch {
	case opts.Token != "" && (opts.AppID != 0 || len(opts.PrivateKey) > 0):
		return nil, errors.New("github: give a token or App credentials, not both")
	case opts.Token != "":
	case opts.AppID == 0 || len(opts.PrivateKey) == 0:
		return nil, errors.New("github: an App ID and private key, or a token, are required")
	default:
		apps, err := ghinstallation.NewAppsTransport(r.tr, opts.AppID, opts.PrivateKey)
		if err != nil {
			return nil, fmt.Errorf("github app %d: %w", opts.AppID, err)
		}
		apps.BaseURL = strings.TrimSuffix(base.String(), "/")
		r.apps = apps
	}
	return r, nil
}

// client returns the API client of an installation (App mode) or of the
// token (Actions mode).
func (r *Reviewer) client(installation int64) (*github.Client, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	key := installation
	if r.apps == nil {
		key = 0
	}
	if c, ok := r.clients[key]; ok {
		return c, nil
	}
	var c *github.Client
	if r.apps == nil {
		c = github.NewClient(&http.Client{Transport: r.tr}).WithAuthToken(r.token)
	} else {
		if installation == 0 {
			return nil, errors.New("no installation id: a GitHub App reviews only for an installation")
		}
		itr := ghinstallation.NewFromAppsTransport(r.apps, installation)
		itr.BaseURL = r.apps.BaseURL
		// Least privilege, and a body GitHub's description allows
		// (ghinstallation sends "null" without options).
		itr.InstallationTokenOptions = &github.InstallationTokenOptions{Permissions: &github.InstallationPermissions{
			Checks: github.String("write"), PullRequests: github.String("write"),
			Contents: github.String("read"), Metadata: github.String("read"),
		}}
		c = github.NewClient(&http.Client{Transport: itr})
	}
	// The base URL is used as given: github.com's, or Enterprise Server's
	// /api/v3/ (what WithEnterpriseURLs would make of it).
	b := *r.base
	c.BaseURL, c.UploadURL = &b, &b
	r.clients[key] = c
	return c, nil
}

// checkRunExternalID is the external_id of the check runs of a review: the
// pull request (or merge group), then the base it was reviewed against
// (the head is the run's head_sha). It is the same for every attempt, so
// that a later one finds what an earlier one left (checkRunPrefix).
func checkRunExternalID(pr PullRequest) string { return checkRunPrefix(pr) + pr.BaseSHA }

// checkRunPrefix starts the external_id of every check run of the pull
// request's (or merge group's) reviews.
func checkRunPrefix(pr PullRequest) string { return pr.String() + "/" }

// String names the pull request, owner/repo#number, or the merge group,
// owner/repo@ref.
func (pr PullRequest) String() string {
	if pr.MergeGroup != "" {
		return fmt.Sprintf("%s/%s@%s", pr.Owner, pr.Repo, pr.MergeGroup)
	}
	return fmt.Sprintf("%s/%s#%d", pr.Owner, pr.Repo, pr.Number)
}

// ErrInstallationGone is the error of a review for an installation GitHub
// no longer has (404 on its token: the App was uninstalled): retrying
// cannot help, and no check run can be written.
var ErrInstallationGone = errors.New("the App's installation is gone")

// installationGone reports whether err is GitHub's 404 on the
// installation's token.
func installationGone(err error) bool {
	var he *ghinstallation.HTTPError
	return errors.As(err, &he) && he.Response != nil && he.Response.StatusCode == http.StatusNotFound
}

// Outcome is what one review found and posted; hosts log it with the job.
type Outcome struct {
	Findings int  // on the change, after configuration and suppression
	Inline   int  // review comments this run posted
	Failed   bool // the findings fail the check run
	// Incomplete is set when the review could not read all of the change
	// (files skipped or not listed, out of time): unless Failed, the check
	// run concludes the configuration's incomplete, never success.
	Incomplete bool
	// AlreadyReviewed: the head's check run had completed with a verdict
	// and no re-run was asked, so nothing was done.
	AlreadyReviewed bool
}

// Review reviews one pull request at its head as it stands (which may be
// newer than pr.HeadSHA). Failures are returned wrapped, not logged: the
// caller logs them once. A review that fails after its check run was
// created completes the check run "neutral" with the reason, unless
// pr.Resumable.
func (r *Reviewer) Review(ctx context.Context, pr PullRequest) (Outcome, error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, reviewTimeout)
		defer cancel()
	}
	if pr.MergeGroup != "" && (pr.BaseSHA == "" || pr.HeadSHA == "") {
		return Outcome{}, fmt.Errorf("review %s: a merge group's base and head commits are required", pr)
	}
	j, err := r.job(pr)
	if err != nil {
		return Outcome{}, err
	}
	out, err := j.review(ctx)
	if installationGone(err) {
		err = fmt.Errorf("%w (installation %d): %w", ErrInstallationGone, pr.InstallationID, err)
	}
	if err != nil {
		return Outcome{}, fmt.Errorf("review %s at %s: %w", pr, shortSHA(j.pr.HeadSHA), err)
	}
	return out, nil
}

// job prepares the review of pr.
func (r *Reviewer) job(pr PullRequest) (*job, error) {
	c, err := r.client(pr.InstallationID)
	if err != nil {
		return nil, fmt.Errorf("review %s: %w", pr, err)
	}
	j := &job{gh: c, download: &http.Client{Transport: r.tr}, pr: pr, delay: r.delay, budget: r.budget, baseLog: pr.Logger, asked: pr.HeadSHA, cache: r.cache}
	if j.baseLog == nil {
		// The job is named here, once: its lines, the analysis' and the
		// GitHub requests' all carry it.
		j.baseLog = r.log.With("delivery", pr.DeliveryID, "installation", pr.InstallationID,
			"repo", pr.Owner+"/"+pr.Repo, "pr", pr.Number)
		if pr.MergeGroup != "" {
			j.baseLog = j.baseLog.With("merge_group", pr.MergeGroup)
		}
		j.namesSHA = true
	}
	j.log = j.baseLog
	if j.namesSHA && pr.HeadSHA != "" {
		j.log = j.log.With("sha", pr.HeadSHA)
	}
	return j, nil
}

// Abandon finishes what a review of pr that its host gave up left behind
// (webhook.Abandoner): a check run it left in progress on pr.HeadSHA is
// completed with cause, as the configuration concludes a change not all
// read (neutral unless incomplete: failure); when that head is still the
// pull request's and has no check run with a verdict, a completed one
// says why it has none. A check run on a newer head is left to that head's review.
//
// A review given up because the installation is gone (ErrInstallationGone)
// leaves nothing: there is no token to write a check run with.
func (r *Reviewer) Abandon(ctx context.Context, pr PullRequest, cause error) error {
	if errors.Is(cause, ErrInstallationGone) {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, finishTimeout)
	defer cancel()
	j, err := r.job(pr)
	if err != nil {
		return err
	}
	ctx = withLogger(ctx, j.log)
	current := true
	if pr.MergeGroup == "" {
		if pull, err := j.getPull(ctx); err == nil {
			current = pull.GetHead().GetSHA() == pr.HeadSHA
		}
	}
	reviewed, err := j.findRuns(ctx)
	if err != nil {
		return fmt.Errorf("abandon the review of %s: %w", pr, err)
	}
	if j.checkRunID == 0 && (reviewed || !current) {
		return nil
	}
	// The conclusion is the configuration's for unread code; neutral when
	// the configuration cannot be read either.
	if cfg, err := j.loadConfig(ctx); err == nil {
		j.incomplete = cfg.Incomplete
	}
	if err := j.finishUnread(ctx, cause); err != nil {
		return fmt.Errorf("abandon the review of %s: %w", pr, err)
	}
	return nil
}

func shortSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// call runs one API call under its own deadline.
func call[T any](ctx context.Context, fn func(ctx context.Context) (T, *github.Response, error)) (T, *github.Response, error) {
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	return fn(ctx)
}
