package webhook

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"

	"github.com/google/go-github/v60/github"
)

// MaxBodyBytes is GitHub's cap on a webhook payload; a larger body is
// answered 413 without being read further.
const MaxBodyBytes = 25 << 20

// DefaultUnverifiedBytes bounds the bytes of the bodies being read before
// their signature is checked, all requests together: two of GitHub's
// largest deliveries. Anyone can send bodies; without the bound 32 bodies
// of 25 MB with a wrong signature took a gigabyte.
const DefaultUnverifiedBytes = 2 * MaxBodyBytes

// DefaultCheckName is the name of the check run the review creates.
const DefaultCheckName = "djintegrity"

// Options configure a Handler.
type Options struct {
	// Secret is the App's webhook secret. Required: a handler that cannot
	// verify signatures is not built.
	Secret []byte
	// AppID is this App's id. check_run and check_suite "rerequested"
	// deliveries of other apps are ignored.
	AppID int64
	// CheckName is the name of this App's check run (DefaultCheckName when
	// empty); a rerequested check run of another name is ignored.
	CheckName string
	// Queue receives the jobs. Required.
	Queue Queue
	// Logger is slog.Default() when nil.
	Logger *slog.Logger
	// MaxBodyBytes overrides MaxBodyBytes (tests).
	MaxBodyBytes int64
	// UnverifiedBytes overrides DefaultUnverifiedBytes; it is at least the
	// body limit, so that one delivery of the largest size is read.
	UnverifiedBytes int64
	// Now is time.Now when nil.
	Now func() time.Time
}

// Handler is the http.Handler for POST /webhook.
type Handler struct {
	secret    []byte
	appID     int64
	checkName string
	queue     Queue
	log       *slog.Logger
	maxBody   int64
	now       func() time.Time
	// unverified is the room left for bodies not yet authenticated.
	unverified *byteBudget
}

// MinSecretBytes is the least a webhook secret must hold, not counting
// white space: GitHub asks for "a random string with high entropy", and a
// short one can be guessed from a signed delivery.
const MinSecretBytes = 16

// CheckSecret refuses a webhook secret that is empty or too short to keep
// deliveries from being forged.
func CheckSecret(secret []byte) error {
	n := 0
	for _, b := range secret {
		if !unicode.IsSpace(rune(b)) {
			n++
		}
	}
	switch {
	case len(secret) == 0:
		return errors.New("webhook secret is empty: refusing to accept unsigned deliveries")
	case n < MinSecretBytes:
		return fmt.Errorf("webhook secret has %d bytes that are not white space, want at least %d: refusing a secret that can be guessed (GitHub suggests a random string with high entropy)", n, MinSecretBytes)
	}
	return nil
}

// NewHandler checks opts and builds the handler. It fails closed: without a
// secret there is no handler, so `serve` refuses to start.
func NewHandler(opts Options) (*Handler, error) {
	if err := CheckSecret(opts.Secret); err != nil {
		return nil, err
	}
	if opts.AppID <= 0 {
		return nil, fmt.Errorf("app id %d: must be the App's positive id", opts.AppID)
	}
	if opts.Queue == nil {
		return nil, errors.New("no queue for accepted jobs")
	}
	h := &Handler{
		secret:    bytes.Clone(opts.Secret),
		appID:     opts.AppID,
		checkName: opts.CheckName,
		queue:     opts.Queue,
		log:       opts.Logger,
		maxBody:   opts.MaxBodyBytes,
		now:       opts.Now,
	}
	if h.checkName == "" {
		h.checkName = DefaultCheckName
	}
	if h.log == nil {
		h.log = slog.Default()
	}
	if h.maxBody <= 0 {
		h.maxBody = MaxBodyBytes
	}
	h.unverified = &byteBudget{free: max(cmp.Or(opts.UnverifiedBytes, DefaultUnverifiedBytes), h.maxBody)}
	if h.now == nil {
		h.now = time.Now
	}
	return h, nil
}

// ServeHTTP verifies, parses and routes one delivery. Status codes:
// 200 ping; 202 queued or ignored; 400 malformed; 401 bad or missing
// signature; 405 not POST; 413 body too large; 503 the queue failed, or
// the bodies awaiting their signature check fill the room for them
// (GitHub then shows the delivery as failed and it can be redelivered).
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	start := h.now()
	delivery := github.DeliveryID(r)
	event := github.WebHookType(r)
	log := h.log.With(slog.String("delivery", delivery), slog.String("event", event))

	payload, ok := h.authenticate(w, r, log)
	if !ok {
		return
	}
	if event == "" {
		http.Error(w, "missing X-GitHub-Event", http.StatusBadRequest)
		return
	}
	if !json.Valid(payload) {
		log.Warn("webhook rejected: malformed JSON")
		http.Error(w, "malformed JSON payload", http.StatusBadRequest)
		return
	}
	jobs, reason, answered := h.route(w, event, payload, log)
	if answered {
		return
	}
	if len(jobs) == 0 {
		log.Debug("webhook ignored", slog.String("reason", reason))
		w.WriteHeader(http.StatusAccepted)
		fmt.Fprintf(w, "ignored: %s\n", reason)
		return
	}
	if delivery == "" {
		log.Warn("webhook rejected: no delivery id")
		http.Error(w, "missing X-GitHub-Delivery", http.StatusBadRequest)
		return
	}
	for i := range jobs {
		jobs[i].DeliveryID = delivery
		jobs[i].Event = event
		jobs[i].Received = start
	}
	h.enqueue(w, r, jobs, start, log)
}

// authenticate reads the body of a signed JSON delivery and checks its
// signature. When it returns false it has answered the request.
func (h *Handler) authenticate(w http.ResponseWriter, r *http.Request, log *slog.Logger) ([]byte, bool) {
	// Only the SHA-256 signature counts (the SHA-1 header is never read),
	// and it must carry a sha256 digest.
	sig := r.Header.Get(github.SHA256SignatureHeader)
	if !strings.HasPrefix(sig, "sha256=") {
		log.Warn("webhook rejected: no X-Hub-Signature-256")
		http.Error(w, "missing X-Hub-Signature-256", http.StatusUnauthorized)
		return nil, false
	}
	if ct, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || ct != "application/json" {
		log.Warn("webhook rejected: content type", slog.String("content_type", r.Header.Get("Content-Type")))
		http.Error(w, "content type must be application/json", http.StatusBadRequest)
		return nil, false
	}
	// Read the capped body first, so that too large (413) is told apart from
	// a signature that does not match (401). A declared length over the cap
	// is refused without reading; a chunked body is cut off at the cap.
	if r.ContentLength > h.maxBody {
		log.Warn("webhook rejected: body too large", slog.Int64("content_length", r.ContentLength))
		http.Error(w, fmt.Sprintf("body larger than %d bytes", h.maxBody), http.StatusRequestEntityTooLarge)
		return nil, false
	}
	payload, held, err := h.readBody(w, r)
	defer h.unverified.give(held) // once the signature is checked
	if err != nil {
		var tooBig *http.MaxBytesError
		switch {
		case errors.As(err, &tooBig):
			log.Warn("webhook rejected: body too large", slog.Int64("limit", tooBig.Limit))
			http.Error(w, fmt.Sprintf("body larger than %d bytes", tooBig.Limit), http.StatusRequestEntityTooLarge)
		case errors.Is(err, errNoRoom):
			log.Warn("webhook rejected: too many bodies awaiting their signature check", slog.Int64("content_length", r.ContentLength))
			w.Header().Set("Retry-After", "1")
			http.Error(w, "too many deliveries being read; redeliver later", http.StatusServiceUnavailable)
		default:
			log.Warn("webhook rejected: reading body", slog.Any("error", err))
			http.Error(w, "cannot read body", http.StatusBadRequest)
		}
		return nil, false
	}
	// The body is read and its content type checked: the signature is all
	// that ValidatePayload would add.
	if err := github.ValidateSignature(sig, payload, h.secret); err != nil {
		log.Warn("webhook rejected: signature", slog.Any("error", err))
		http.Error(w, "signature does not match", http.StatusUnauthorized)
		return nil, false
	}
	return payload, true
}

// errNoRoom: the bodies being read before their signature is checked
// already take all the room they are given.
var errNoRoom = errors.New("no room for another unverified body")

// byteBudget is room for bytes, taken without waiting: a request that
// finds none is refused at once rather than queued behind an attacker's.
type byteBudget struct {
	mu   sync.Mutex
	free int64
}

func (b *byteBudget) take(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n > b.free {
		return false
	}
	b.free -= n
	return true
}

func (b *byteBudget) give(n int64) {
	b.mu.Lock()
	b.free += n
	b.mu.Unlock()
}

// readChunk is how much room an unverified body of unknown length takes at
// a time.
const readChunk = 1 << 20

// readBody reads the capped body within the room for unverified bodies: a
// declared length is taken whole before any byte is read, a chunked body a
// megabyte at a time. The caller gives back what is held once it has
// checked the body's signature, failed or not.
func (h *Handler) readBody(w http.ResponseWriter, r *http.Request) (_ []byte, held int64, _ error) {
	want := int64(readChunk)
	if r.ContentLength >= 0 {
		want = r.ContentLength
	}
	if !h.unverified.take(want) {
		return nil, 0, errNoRoom
	}
	held = want
	body := http.MaxBytesReader(w, r.Body, h.maxBody)
	buf := make([]byte, 0, min(want, h.maxBody)+1) // +1: the read that finds the end
	for {
		if len(buf) == cap(buf) {
			more := int64(readChunk)
			if !h.unverified.take(more) {
				return nil, held, errNoRoom
			}
			held += more
			buf = slices.Grow(buf, int(more))
		}
		n, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if err == io.EOF {
			return buf, held, nil
		}
		if err != nil {
			return nil, held, err
		}
	}
}

// route turns an authenticated event into the jobs it asks for, or the
// reason it asks for none. answered is set when it has answered the
// request itself (a ping, a malformed payload).
func (h *Handler) route(w http.ResponseWriter, event string, payload []byte, log *slog.Logger) (jobs []Job, reason string, answered bool) {
	switch event {
	case "ping", "pull_request", "check_run", "check_suite", "merge_group", "installation", "installation_repositories":
	default:
		return nil, "event not handled", false
	}
	parsed, err := github.ParseWebHook(event, payload)
	if err != nil {
		log.Warn("webhook rejected: payload", slog.Any("error", err))
		http.Error(w, "malformed payload", http.StatusBadRequest)
		return nil, "", true
	}
	switch e := parsed.(type) {
	case *github.PingEvent:
		log.Info("webhook ping", slog.Int64("hook_id", e.GetHookID()), slog.String("zen", e.GetZen()))
		w.WriteHeader(http.StatusOK)
		io.WriteString(w, "pong\n")
		return nil, "", true
	case *github.InstallationEvent:
		h.logInstallation(log, e)
		reason = "installation event logged"
	case *github.InstallationRepositoriesEvent:
		h.logInstallationRepositories(log, e)
		reason = "installation event logged"
	case *github.PullRequestEvent:
		jobs, reason = h.pullRequestJobs(e)
	case *github.CheckRunEvent:
		jobs, reason = h.checkRunJobs(e)
	case *github.CheckSuiteEvent:
		jobs, reason = h.checkSuiteJobs(e)
	case *github.MergeGroupEvent:
		jobs, reason = mergeGroupJobs(e)
	}
	return jobs, reason, false
}

// enqueue queues the jobs of one delivery and answers 202, or 503 when the
// queue refuses one, so that GitHub's redelivery can try again.
func (h *Handler) enqueue(w http.ResponseWriter, r *http.Request, jobs []Job, start time.Time, log *slog.Logger) {
	queued, dup := 0, 0
	for _, job := range jobs {
		err := h.queue.Enqueue(r.Context(), job)
		switch {
		case errors.Is(err, ErrDuplicate):
			dup++
		case err != nil:
			h.log.Error("webhook: queueing job failed", append(job.LogAttrs(), slog.Any("error", err))...)
			http.Error(w, "could not queue the review; redeliver later", http.StatusServiceUnavailable)
			return
		default:
			queued++
			h.log.Info("webhook job queued", append(job.LogAttrs(), slog.Int64("took_ms", h.now().Sub(start).Milliseconds()))...)
		}
	}
	w.WriteHeader(http.StatusAccepted)
	if dup > 0 {
		log.Info("webhook redelivery ignored", slog.Int("jobs", dup))
	}
	fmt.Fprintf(w, "queued %d, duplicate %d\n", queued, dup)
}

// pullRequestJobs: opened, synchronize, reopened and ready_for_review of an
// open, non-draft pull request, and edited when the base branch changed
// (the diff is another; a new title or body changes nothing reviewed).
// Drafts are skipped (the review comments would land while the author is
// still working); ready_for_review reviews them when they leave draft.
func (h *Handler) pullRequestJobs(e *github.PullRequestEvent) ([]Job, string) {
	switch e.GetAction() {
	case "opened", "synchronize", "reopened", "ready_for_review":
	case "edited":
		if e.GetChanges().GetBase() == nil {
			return nil, "pull_request edited without a change of base"
		}
	default:
		return nil, "pull_request action " + e.GetAction() + " not handled"
	}
	pr := e.GetPullRequest()
	switch {
	case e.GetInstallation().GetID() == 0:
		return nil, "no installation in payload"
	case pr.GetDraft():
		return nil, "draft pull request"
	case pr.GetState() != "open":
		return nil, "pull request is " + pr.GetState()
	}
	job := Job{
		Action:         e.GetAction(),
		InstallationID: e.GetInstallation().GetID(),
		Owner:          e.GetRepo().GetOwner().GetLogin(),
		Repo:           e.GetRepo().GetName(),
		Number:         e.GetNumber(),
		BaseSHA:        pr.GetBase().GetSHA(),
		HeadSHA:        pr.GetHead().GetSHA(),
		Updated:        pr.GetUpdatedAt().Time,
	}
	if job.Number == 0 {
		job.Number = pr.GetNumber()
	}
	if reason := incomplete(job); reason != "" {
		return nil, reason
	}
	return []Job{job}, ""
}

// checkRunJobs: a re-run of this App's own check run.
func (h *Handler) checkRunJobs(e *github.CheckRunEvent) ([]Job, string) {
	if e.GetAction() != "rerequested" {
		return nil, "check_run action " + e.GetAction() + " not handled"
	}
	cr := e.GetCheckRun()
	if id := cr.GetApp().GetID(); id != h.appID {
		return nil, fmt.Sprintf("check run of app %d, not this app", id)
	}
	if cr.GetName() != h.checkName {
		return nil, fmt.Sprintf("check run %q is not %q", cr.GetName(), h.checkName)
	}
	return h.checkJobs(e.GetAction(), e.GetInstallation(), e.GetRepo(), cr.GetHeadSHA(), cr.PullRequests)
}

// checkSuiteJobs: a re-run of this App's check suite.
func (h *Handler) checkSuiteJobs(e *github.CheckSuiteEvent) ([]Job, string) {
	if e.GetAction() != "rerequested" {
		return nil, "check_suite action " + e.GetAction() + " not handled"
	}
	cs := e.GetCheckSuite()
	if id := cs.GetApp().GetID(); id != h.appID {
		return nil, fmt.Sprintf("check suite of app %d, not this app", id)
	}
	return h.checkJobs(e.GetAction(), e.GetInstallation(), e.GetRepo(), cs.GetHeadSHA(), cs.PullRequests)
}

// checkJobs makes one job per pull request a check run or suite belongs to.
// GitHub lists only pull requests whose head is in the same repository, so
// a re-run on a fork's pull request has none and is ignored (push again or
// reopen to review it).
func (h *Handler) checkJobs(action string, inst *github.Installation, repo *github.Repository, headSHA string, prs []*github.PullRequest) ([]Job, string) {
	if inst.GetID() == 0 {
		return nil, "no installation in payload"
	}
	if len(prs) == 0 {
		return nil, "no pull request for the check"
	}
	var jobs []Job
	reason := ""
	for _, pr := range prs {
		job := Job{
			Action:         action,
			InstallationID: inst.GetID(),
			Owner:          repo.GetOwner().GetLogin(),
			Repo:           repo.GetName(),
			Number:         pr.GetNumber(),
			BaseSHA:        pr.GetBase().GetSHA(),
			HeadSHA:        headSHA,
		}
		if job.HeadSHA == "" {
			job.HeadSHA = pr.GetHead().GetSHA()
		}
		if reason = incomplete(job); reason == "" {
			jobs = append(jobs, job)
		}
	}
	return jobs, reason
}

// incomplete says what a job lacks to be run, or "".
func incomplete(j Job) string {
	switch {
	case j.Owner == "" || j.Repo == "":
		return "no repository in payload"
	case j.Number <= 0 && j.MergeGroup == "":
		return "no pull request number in payload"
	case j.HeadSHA == "" || j.BaseSHA == "":
		return "no head or base sha in payload"
	}
	return ""
}

func (h *Handler) logInstallation(log *slog.Logger, e *github.InstallationEvent) {
	names := make([]string, 0, len(e.Repositories))
	for _, r := range e.Repositories {
		names = append(names, r.GetFullName())
	}
	log.Info("installation",
		slog.String("action", e.GetAction()),
		slog.Int64("installation", e.GetInstallation().GetID()),
		slog.String("account", e.GetInstallation().GetAccount().GetLogin()),
		slog.String("selection", e.GetInstallation().GetRepositorySelection()),
		slog.Any("repositories", names))
}

func (h *Handler) logInstallationRepositories(log *slog.Logger, e *github.InstallationRepositoriesEvent) {
	names := func(rs []*github.Repository) []string {
		out := make([]string, 0, len(rs))
		for _, r := range rs {
			out = append(out, r.GetFullName())
		}
		return out
	}
	log.Info("installation repositories",
		slog.String("action", e.GetAction()),
		slog.Int64("installation", e.GetInstallation().GetID()),
		slog.String("account", e.GetInstallation().GetAccount().GetLogin()),
		slog.Any("added", names(e.RepositoriesAdded)),
		slog.Any("removed", names(e.RepositoriesRemoved)))
}
