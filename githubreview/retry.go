package githubreview

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-github/v60/github"
)

// Retry policy for GitHub calls.
const (
	// retryAttempts bounds the tries of one request.
	retryAttempts = 6
	// retryBaseDelay is the first backoff after a 5xx or network error;
	// it doubles each try, with jitter, up to retryMaxDelay.
	retryBaseDelay = 500 * time.Millisecond
	retryMaxDelay  = 30 * time.Second
	// secondaryLimitWait is GitHub's advice when a secondary rate limit
	// names no time: "wait for at least one minute".
	secondaryLimitWait = time.Minute
	// maxRateLimitWait is the longest wait honoured; a longer one fails
	// the call, and the review with it.
	maxRateLimitWait = 5 * time.Minute
)

// retryTransport retries GitHub requests: with exponential backoff and
// jitter after a 5xx or a network error (only requests that are safe to
// repeat), and after GitHub's wait on a 403 or 429 rate limit (any
// request: GitHub refused it unperformed). It never waits past the
// request's context deadline. It logs each retry to the logger of the
// review the request is for (withLogger), else to log.
type retryTransport struct {
	base      http.RoundTripper
	baseDelay time.Duration
	log       *slog.Logger
}

type loggerKey struct{}

// withLogger returns ctx carrying a review's logger, for the transport
// that all reviews share.
func withLogger(ctx context.Context, log *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, log)
}

var _ http.RoundTripper = (*retryTransport)(nil)

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	for attempt := 1; ; attempt++ {
		r := req
		if attempt > 1 && req.Body != nil {
			if req.GetBody == nil {
				return nil, fmt.Errorf("retry %s %s: body cannot be replayed", req.Method, req.URL.Path)
			}
			body, err := req.GetBody()
			if err != nil {
				return nil, fmt.Errorf("retry %s %s: %w", req.Method, req.URL.Path, err)
			}
			r = req.Clone(ctx)
			r.Body = body
		}
		resp, err := t.base.RoundTrip(r)
		wait, why := t.retryAfter(req, resp, err, attempt)
		if why == "" || attempt == retryAttempts {
			return resp, err
		}
		if d, ok := ctx.Deadline(); ok && time.Until(d) < wait {
			return resp, err // the caller's deadline comes first
		}
		if resp != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
			resp.Body.Close()
		}
		log, ok := ctx.Value(loggerKey{}).(*slog.Logger)
		if !ok {
			log = t.log
		}
		log.Warn("retrying GitHub request", "method", req.Method, "path", req.URL.Path,
			"reason", why, "attempt", attempt, "wait_ms", wait.Milliseconds())
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return nil, ctx.Err()
		case <-timer.C:
		}
	}
}

// retryAfter says whether and how long to wait before trying req again;
// why is "" when it must not be retried.
func (t *retryTransport) retryAfter(req *http.Request, resp *http.Response, err error, attempt int) (wait time.Duration, why string) {
	if err != nil {
		if req.Context().Err() != nil || !repeatable(req) {
			return 0, ""
		}
		return t.backoff(attempt), "network error: " + err.Error()
	}
	switch code := resp.StatusCode; {
	case code == http.StatusForbidden || code == http.StatusTooManyRequests:
		wait, ok := rateLimitWait(resp, attempt)
		if !ok || wait > maxRateLimitWait {
			return 0, ""
		}
		return wait, fmt.Sprintf("rate limited (%d)", code)
	case code == http.StatusInternalServerError || code == http.StatusBadGateway ||
		code == http.StatusServiceUnavailable || code == http.StatusGatewayTimeout:
		if !repeatable(req) {
			return 0, ""
		}
		return t.backoff(attempt), fmt.Sprintf("server error (%d)", code)
	}
	return 0, ""
}

// backoff is the exponential delay of a try, with full jitter over its
// upper half so that clients do not retry in step.
func (t *retryTransport) backoff(attempt int) time.Duration {
	d := min(t.baseDelay<<(attempt-1), retryMaxDelay)
	return d/2 + rand.N(d/2+1)
}

// repeatable reports whether req may be sent again after a failure whose
// effect is unknown: idempotent methods, and installation token requests
// (an extra token is harmless). Creating a check run or a review is
// reconciled by the caller instead, which looks before it posts again.
func repeatable(req *http.Request) bool {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions:
		return true
	}
	return strings.HasSuffix(req.URL.Path, "/access_tokens")
}

// rateLimitWait reads how long GitHub asks a client to wait after a 403 or
// 429: Retry-After, else the primary limit's reset time, else (for a
// secondary limit named only in the body) a minute, doubled per try. A 403
// that is not a rate limit is a permission error: ok is false.
func rateLimitWait(resp *http.Response, attempt int) (time.Duration, bool) {
	if s := resp.Header.Get("Retry-After"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n >= 0 {
			return time.Duration(n) * time.Second, true
		}
		if at, err := http.ParseTime(s); err == nil {
			return max(time.Until(at), 0), true
		}
	}
	if resp.Header.Get("X-Ratelimit-Remaining") == "0" {
		if n, err := strconv.ParseInt(resp.Header.Get("X-Ratelimit-Reset"), 10, 64); err == nil {
			return max(time.Until(time.Unix(n, 0)), 0) + time.Second, true
		}
	}
	// The body says whether this is a secondary limit; keep it readable
	// for the caller.
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<16))
	resp.Body = struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(b), resp.Body), resp.Body}
	if bytes.Contains(bytes.ToLower(b), []byte("secondary rate limit")) || resp.StatusCode == http.StatusTooManyRequests {
		return secondaryLimitWait << (attempt - 1), true
	}
	return 0, false
}

// retryable reports whether err is worth another try by a caller that
// reconciles first: a server error, a network error or the timeout of one
// call, not a refusal, and not the end of the whole review.
func retryable(ctx context.Context, err error) bool {
	if err == nil || ctx.Err() != nil {
		return false
	}
	code := statusOf(err)
	return code == 0 || code >= 500
}

// statusOf is the HTTP status of a GitHub API error, or 0 when GitHub did
// not answer.
func statusOf(err error) int {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		return er.Response.StatusCode
	}
	var ab *github.AbuseRateLimitError
	if errors.As(err, &ab) && ab.Response != nil {
		return ab.Response.StatusCode
	}
	var rl *github.RateLimitError
	if errors.As(err, &rl) && rl.Response != nil {
		return rl.Response.StatusCode
	}
	return 0
}
