package githubreview

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/go-github/v60/github"

	"github.com/djintegrity/djintegrity/review"
	"github.com/djintegrity/djintegrity/rules"
	"github.com/djintegrity/djintegrity/webhook"
)

// reconcileAttempts bounds the tries of a POST that is reconciled (looked
// up) before it is sent again.
const reconcileAttempts = 4

// maxHeadMoves bounds the heads one review follows when the pull request
// moves while it runs: the reviews of later pushes follow the rest.
const maxHeadMoves = 3

// job is one review of one pull request head.
type job struct {
	gh *github.Client
	// download fetches the head's archive (its URL carries its own
	// credentials); nil searches nothing.
	download *http.Client
	pr       PullRequest
	log      *slog.Logger
	delay    time.Duration
	cache    *review.Cache // parsed files shared by the host's reviews, nil for none

	// baseLog is log without the head; the head is added (sha) when it is
	// not the one the host named (asked), or when the host named none in
	// its logger (namesSHA).
	baseLog  *slog.Logger
	asked    string
	namesSHA bool

	// checkRunID is this review's check run on the head: created, or
	// resumed from an earlier attempt that left it in progress.
	checkRunID int64
	// known are the ids of the check runs of the pull request on the head
	// before this review created one: a run that is not among them after
	// a create that failed is the one that landed.
	known map[int64]bool
	// budget is the analysis' time budget; analysisBudget when zero.
	budget time.Duration
	// changedFiles is the pull request's count of changed files, as read
	// with its head (moveTo); 0 when not read.
	changedFiles int
	// incomplete is the configuration's conclusion for a change not all
	// read (review.Config.Incomplete), once it is known: a review given up
	// read none of it.
	incomplete string
}

// configError is an invalid configuration file: the user's to fix, shown
// in the check run.
type configError struct{ err error }

func (e *configError) Error() string { return e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

// review reviews the pull request at its head as it stands: a job names
// the head of its push, but pushes are not delivered in order and two in
// one second cannot be told apart, so the head is read from the pull
// request first, and again before publishing (review the new head if it
// moved).
func (j *job) review(ctx context.Context) (Outcome, error) {
	ctx = withLogger(ctx, j.log)
	if j.pr.MergeGroup != "" {
		// A merge group's head is the commit the queue tests: it does not
		// move.
		out, _, err := j.reviewHead(ctx)
		return out, err
	}
	pull, err := j.getPull(ctx)
	if err != nil {
		return Outcome{}, err
	}
	if asked := j.pr.HeadSHA; asked != "" && asked != pull.GetHead().GetSHA() {
		j.log.Info("the pull request's head moved since the job was queued: reviewing its head",
			"asked_sha", asked, "head_sha", pull.GetHead().GetSHA())
		if err := j.closeStale(ctx, asked, pull.GetHead().GetSHA()); err != nil {
			return Outcome{}, err
		}
	}
	for moves := 0; ; moves++ {
		j.moveTo(pull)
		out, next, err := j.reviewHead(ctx)
		if err != nil || next == nil || moves == maxHeadMoves {
			return out, err
		}
		j.log.Info("reviewing the head the pull request moved to", "head_sha", next.GetHead().GetSHA())
		pull = next
	}
}

// moveTo makes the job's head the pull request's.
func (j *job) moveTo(pull *github.PullRequest) {
	j.pr.BaseSHA, j.pr.HeadSHA = pull.GetBase().GetSHA(), pull.GetHead().GetSHA()
	j.changedFiles = pull.GetChangedFiles()
	j.checkRunID, j.known = 0, nil
	j.log = j.baseLog
	if j.namesSHA || j.pr.HeadSHA != j.asked {
		j.log = j.log.With("sha", j.pr.HeadSHA)
	}
}

// reviewHead reviews the head j.pr names and completes its check run.
// When the pull request moved during the review, nothing is commented
// (the findings go to the check run) and moved is the pull request as it
// now stands.
func (j *job) reviewHead(ctx context.Context) (out Outcome, moved *github.PullRequest, err error) {
	start := time.Now()
	ctx = withLogger(ctx, j.log)
	reviewed, err := j.findRuns(ctx)
	if err != nil {
		return out, nil, err
	}
	if reviewed && !j.pr.Rerun && j.checkRunID == 0 {
		j.log.Info("head already reviewed: its check run is complete")
		return Outcome{AlreadyReviewed: true}, nil, nil
	}

	cfg, err := j.loadConfig(ctx)
	if cfg != nil {
		cfg.Logger, cfg.Cache = j.log, j.cache
		j.incomplete = cfg.Incomplete
	}
	if ce := (*configError)(nil); errors.As(err, &ce) {
		// The user's mistake, reported where they look; nothing failed.
		j.log.Warn("invalid configuration", "err", ce)
		if err := j.createCheckRun(ctx, invalidConfigRun(ce)); err != nil {
			return out, nil, err
		}
		return Outcome{Failed: true}, nil, nil
	}
	defer func() {
		if err != nil {
			j.fail(ctx, err)
		}
	}()
	if err != nil {
		return out, nil, err
	}
	// Only the job of this head leaves a run in progress on it: that job
	// is never dropped by its host until it completes the run or is given
	// up (Abandon). Reviewing a head it moved to, a job creates the run
	// completed, at the end: were it to die first, nothing would be left
	// in progress with no job to finish it.
	if j.pr.HeadSHA == j.asked {
		if err := j.createCheckRun(ctx, github.CreateCheckRunOptions{Status: github.String("in_progress")}); err != nil {
			return out, nil, err
		}
	}

	src := newPRSource(j.gh, j.download, j.pr, j.log)
	src.pullFiles = j.changedFiles
	cfg.Deadline = j.analysisDeadline(ctx, time.Now())
	res, err := review.Analyze(ctx, src, cfg)
	if err != nil {
		return out, nil, fmt.Errorf("analyze: %w", err)
	}

	p := placement{}
	var candidates []rules.Finding
	for _, f := range res.Findings {
		// A merge group has no pull request to comment on: its findings
		// go to the check run the queue waits for.
		if j.pr.MergeGroup == "" && src.inDiff(f.Path, f.StartLine, f.EndLine) && inline(f) {
			candidates = append(candidates, f)
		} else {
			p.annotate = append(p.annotate, f)
		}
	}
	if j.pr.MergeGroup == "" {
		// Before publishing: the pull request as it stands now.
		if p.pull, err = j.getPull(ctx); err != nil {
			return out, nil, err
		}
		if head := p.pull.GetHead().GetSHA(); head != j.pr.HeadSHA {
			j.log.Info("head moved during the review: posting no comments", "new_sha", head)
			p.movedTo, moved = head, p.pull
			p.annotate = append(p.annotate, candidates...)
			rules.SortFindings(p.annotate)
		} else if len(candidates) > 0 {
			if err := j.placeInline(ctx, &p, candidates, res.Sources, src.inDiff, cfg.MaxInlineComments); err != nil {
				return out, nil, err
			}
		}
	}
	if len(p.inline) > 0 {
		if err := j.postReview(ctx, p.inline); err != nil {
			return out, nil, err
		}
	}
	if j.pr.MergeGroup == "" {
		if err := j.closeFixed(ctx, &p, res, src); err != nil {
			return out, nil, err
		}
	}
	out = Outcome{Findings: len(res.Findings), Inline: len(p.inline), Failed: review.Exceeds(res.Findings, cfg.FailOn)}
	if l := src.notListed(); l != "" {
		res.Limits = append(res.Limits, l)
	}
	out.Incomplete = !res.Complete() || src.partial
	if err := j.completeCheckRun(ctx, res, p, verdict{conclusion: conclusion(out, cfg), incomplete: out.Incomplete}); err != nil {
		return out, nil, err
	}
	j.log.Info("review done", "findings", len(res.Findings), "inline", len(p.inline), "already_posted", len(p.already), "resolved", p.resolved,
		"annotations", len(p.annotate), "files_read", src.reads.Load(), "head_moved", p.movedTo != "",
		"failed", out.Failed, "incomplete", out.Incomplete, "unreviewed", len(res.Unreviewed), "skipped", len(res.Skipped),
		"out_of_time", res.OutOfTime, "duration_ms", time.Since(start).Milliseconds())
	return out, moved, nil
}

// fail handles a review that failed after it may have created its check
// run. When the host runs the review again (or abandons it), the run stays
// in progress for the next attempt to resume, its summary saying why: a
// conclusion now would let the pull request merge unreviewed. Otherwise it
// concludes as an unread change does (finishUnread). An installation that is gone has no
// token to write a check run with: nothing is written.
func (j *job) fail(ctx context.Context, cause error) {
	if installationGone(cause) {
		return
	}
	if !j.pr.Resumable {
		j.finishUnread(ctx, cause)
		return
	}
	if j.checkRunID == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	err := j.updateCheckRun(ctx, github.UpdateCheckRunOptions{Status: github.String("in_progress"),
		Output: &github.CheckRunOutput{
			Title: github.String("Review interrupted: it will be tried again"),
			Summary: github.String(truncateChars(fmt.Sprintf(
				"djintegrity could not complete the review of this commit yet:\n\n```\n%v\n```\n\nIt will try again; this check completes when it does.", cause),
				maxCheckOutputChars)),
		}})
	if err != nil {
		j.log.Debug("could not note the failure on the check run", "err", err)
	}
}

// verdict is how a review's check run concludes beyond its findings.
type verdict struct {
	conclusion string
	incomplete bool // the review did not read all of the change
}

// conclusion is the check run's: failure when the findings reach
// fail_on; else, when the review could not read all of the change, the
// configuration's incomplete (neutral unless set to failure), since a
// required check passes on neutral as on success; else success.
func conclusion(out Outcome, cfg *review.Config) string {
	switch {
	case out.Failed:
		return "failure"
	case out.Incomplete:
		return cmp.Or(cfg.Incomplete, "neutral")
	}
	return "success"
}

// analysisDeadline ends the analysis' time budget: analysisBudget after the
// analysis starts (start; what the review asked GitHub before, the pull
// request, its runs, its configuration, is not the analysis), and early enough before the review's own deadline to
// publish what it found (publishReserve, or a quarter of the time left
// when that is shorter: a Lambda worker has two minutes in all).
func (j *job) analysisDeadline(ctx context.Context, start time.Time) time.Time {
	d := start.Add(cmp.Or(j.budget, analysisBudget))
	if end, ok := ctx.Deadline(); ok {
		reserve := min(publishReserve, end.Sub(start)/4)
		if end.Add(-reserve).Before(d) {
			d = end.Add(-reserve)
		}
	}
	return d
}

// inline reports whether a finding may be a review comment: a demoted
// rule (rules.Rule.Demoted) is too often wrong on real code to comment,
// and speaks only in the check run.
func inline(f rules.Finding) bool {
	r := rules.Lookup(f.Rule)
	return r == nil || r.Demoted == ""
}

// placement says where each finding goes.
type placement struct {
	inline   []review.Comment    // new review comments, each on one statement
	annotate []rules.Finding     // check-run annotations
	already  []rules.Finding     // on diff lines and commented by an earlier run
	movedTo  string              // the pull request's new head, when it moved
	pull     *github.PullRequest // as read before posting; nil if not read
	threads  []thread            // djintegrity's review threads; nil if not listed
	resolved int                 // earlier comments' threads closed as fixed
}

// placeInline splits the findings on diff lines: those an earlier run
// already commented are dropped, the others are merged into one comment
// per statement (review.Comments), the most severe up to max comments are
// posted (with, per file, a comment adding the imports their suggestions
// need) and the rest become annotations. p.pull is the pull request as it
// stands, at the review's head.
func (j *job) placeInline(ctx context.Context, p *placement, candidates []rules.Finding, srcs map[string][]byte,
	inDiff func(path string, start, end int) bool, maxInline int) error {
	posted := map[string]bool{}
	if p.pull.GetReviewComments() > 0 { // nothing to list on a pull request without review comments
		var err error
		if p.threads, err = j.reviewThreads(ctx); err != nil {
			return err
		}
		for _, t := range p.threads {
			for _, fp := range t.fingerprints {
				posted[fp] = true
			}
		}
	}
	var fresh []rules.Finding
	for _, f := range candidates {
		if posted[f.Fingerprint] {
			p.already = append(p.already, f)
			continue
		}
		fresh = append(fresh, f)
	}
	comments := review.Comments(fresh, srcs)
	order := slices.Clone(comments)
	// The first finding of a comment is its most severe.
	slices.SortStableFunc(order, func(a, b review.Comment) int { return cmp.Compare(b.Findings[0].Severity, a.Findings[0].Severity) })
	n := min(len(order), max(maxInline, 0))
	kept := map[string]bool{}
	for _, c := range order[:n] {
		kept[c.Findings[0].Fingerprint] = true
	}
	for _, c := range comments {
		if kept[c.Findings[0].Fingerprint] {
			p.inline = append(p.inline, c)
		} else {
			p.annotate = append(p.annotate, c.Findings...)
		}
	}
	// The imports a suggestion needs, as a suggestion of their own where
	// the file's imports are in the diff: committing only the fix would
	// leave a NameError.
	p.inline = append(p.inline, review.ImportComments(p.inline, srcs, inDiff)...)
	rules.SortFindings(p.annotate)
	return nil
}

func (j *job) getPull(ctx context.Context) (*github.PullRequest, error) {
	pull, _, err := call(ctx, func(ctx context.Context) (*github.PullRequest, *github.Response, error) {
		return j.gh.PullRequests.Get(ctx, j.pr.Owner, j.pr.Repo, j.pr.Number)
	})
	if err != nil {
		return nil, fmt.Errorf("read pull request: %w", err)
	}
	return pull, nil
}

// loadConfig reads the configuration at the base commit, from
// .github/djintegrity.yml or the root pyproject.toml's [tool.djintegrity]
// (review.ResolveConfig: both is an error): a pull request cannot switch
// off its own checks. No configuration is the defaults.
func (j *job) loadConfig(ctx context.Context) (*review.Config, error) {
	yml, err := j.readConfigFile(ctx, review.ConfigPath)
	if err != nil {
		return nil, err
	}
	py, err := j.readConfigFile(ctx, review.PyprojectPath)
	if err != nil {
		return nil, err
	}
	cfg, err := review.ResolveConfig(review.ConfigPath, yml, review.PyprojectPath, py)
	if err != nil {
		return nil, &configError{err}
	}
	return cfg, nil
}

// readConfigFile reads a configuration file at base; nil when there is
// none.
func (j *job) readConfigFile(ctx context.Context, name string) ([]byte, error) {
	text, err := readContents(ctx, j.gh, j.pr.Owner, j.pr.Repo, name, j.pr.BaseSHA)
	var tooLarge *tooLargeError
	switch {
	case statusOf(err) == http.StatusNotFound:
		return nil, nil
	case errors.Is(err, review.ErrNotRegular):
		return nil, &configError{fmt.Errorf("%s is a directory", name)}
	case errors.As(err, &tooLarge):
		return nil, &configError{fmt.Errorf("%s: %d bytes is too large to read", name, tooLarge.size)}
	case err != nil:
		return nil, fmt.Errorf("read %s at base: %w", name, err)
	}
	if text == nil {
		text = []byte{} // present but empty: the defaults, yet present
	}
	return text, nil
}

func invalidConfigRun(err error) github.CreateCheckRunOptions {
	return github.CreateCheckRunOptions{
		Status:      github.String("completed"),
		Conclusion:  github.String("failure"),
		CompletedAt: &github.Timestamp{Time: time.Now()},
		Output: &github.CheckRunOutput{
			Title: github.String("Invalid djintegrity configuration"),
			Summary: github.String(truncateChars(fmt.Sprintf(
				"The configuration on the base branch is invalid, so no review ran. Fix it there:\n\n```\n%s\n```\n", err),
				maxCheckOutputChars)),
		},
	}
}

// realConclusion reports whether a completed check run gave a verdict on
// the code: what a new push or a redelivery need not review again.
func realConclusion(c string) bool { return c == "success" || c == "failure" }

// incompleteTitle starts the title of a check run whose review could not
// read all of the change (verdict.incomplete).
const incompleteTitle = "Review incomplete: "

// verdictRun reports whether a completed check run gave a verdict: a real
// conclusion, or the neutral one of a review that completed without
// reading all of the change (it says what it did not read; reviewing the
// same head again reads no more), unlike the neutral run of a review that
// failed.
func verdictRun(r *github.CheckRun) bool {
	return realConclusion(r.GetConclusion()) ||
		r.GetConclusion() == "neutral" && strings.HasPrefix(r.GetOutput().GetTitle(), incompleteTitle)
}

// findRuns looks at the pull request's check runs on the head. A run left
// in progress by an earlier attempt (a crash, a failure the host retries,
// a create that landed despite an error) is resumed: it becomes this
// review's, and any other in progress is closed. reviewed is set when a
// run completed a review of this base and head with a verdict.
func (j *job) findRuns(ctx context.Context) (reviewed bool, err error) {
	runs, err := j.listRuns(ctx, j.pr.HeadSHA)
	if err != nil {
		return false, fmt.Errorf("list check runs: %w", err)
	}
	ext := checkRunExternalID(j.pr)
	j.known = map[int64]bool{}
	var open []*github.CheckRun
	for _, r := range runs {
		j.known[r.GetID()] = true
		switch {
		case r.GetStatus() != "completed":
			open = append(open, r)
		case r.GetExternalID() == ext && verdictRun(r):
			reviewed = true
		}
	}
	if len(open) == 0 {
		return reviewed, nil
	}
	slices.SortFunc(open, func(a, b *github.CheckRun) int { return cmp.Compare(b.GetID(), a.GetID()) })
	j.checkRunID = open[0].GetID()
	j.log.Info("resuming the check run an earlier attempt left in progress", "check_run", j.checkRunID)
	for _, r := range open[1:] {
		if err := j.closeRun(ctx, r.GetID(), "cancelled", "Replaced by a newer check run",
			fmt.Sprintf("Check run %d carries on this review.", j.checkRunID)); err != nil {
			return false, err
		}
	}
	return reviewed, nil
}

// listRuns lists the check runs of the review's name that this pull
// request's reviews created on head, all of them (GitHub's default lists
// only the latest).
func (j *job) listRuns(ctx context.Context, head string) ([]*github.CheckRun, error) {
	res, _, err := call(ctx, func(ctx context.Context) (*github.ListCheckRunsResults, *github.Response, error) {
		return j.gh.Checks.ListCheckRunsForRef(ctx, j.pr.Owner, j.pr.Repo, head, &github.ListCheckRunsOptions{
			CheckName: github.String(webhook.DefaultCheckName), Filter: github.String("all"),
			ListOptions: github.ListOptions{PerPage: perPage}})
	})
	if err != nil {
		return nil, err
	}
	prefix := checkRunPrefix(j.pr)
	return slices.DeleteFunc(res.CheckRuns, func(r *github.CheckRun) bool {
		return !strings.HasPrefix(r.GetExternalID(), prefix)
	}), nil
}

// closeStale completes the runs an earlier attempt left in progress on a
// head the pull request has moved from: the review of head replaces them.
func (j *job) closeStale(ctx context.Context, stale, head string) error {
	runs, err := j.listRuns(ctx, stale)
	if err != nil {
		return fmt.Errorf("list check runs on the old head: %w", err)
	}
	for _, r := range runs {
		if r.GetStatus() != "completed" {
			if err := j.closeRun(ctx, r.GetID(), "cancelled", "Superseded by a newer push",
				fmt.Sprintf("The pull request moved to %s before this review finished: that commit is reviewed instead.", shortSHA(head))); err != nil {
				return err
			}
		}
	}
	return nil
}

// closeRun completes a check run that no review carries on.
func (j *job) closeRun(ctx context.Context, id int64, conclusion, title, summary string) error {
	_, _, err := call(ctx, func(ctx context.Context) (*github.CheckRun, *github.Response, error) {
		return j.gh.Checks.UpdateCheckRun(ctx, j.pr.Owner, j.pr.Repo, id, github.UpdateCheckRunOptions{
			Name: webhook.DefaultCheckName, Status: github.String("completed"), Conclusion: github.String(conclusion),
			CompletedAt: &github.Timestamp{Time: time.Now()},
			Output:      &github.CheckRunOutput{Title: github.String(title), Summary: github.String(summary)},
		})
	})
	if err != nil {
		return fmt.Errorf("complete check run %d left in progress: %w", id, err)
	}
	j.log.Info("completed a check run left in progress", "check_run", id, "conclusion", conclusion)
	return nil
}

// createCheckRun creates this review's check run on the head, or updates
// the one it resumed. A create that fails may have landed: it is sent
// again only after a lookup found no new run.
func (j *job) createCheckRun(ctx context.Context, opts github.CreateCheckRunOptions) error {
	ext := checkRunExternalID(j.pr)
	if j.checkRunID != 0 {
		if opts.GetStatus() != "completed" {
			return nil // in progress already
		}
		return j.updateCheckRun(ctx, github.UpdateCheckRunOptions{Status: opts.Status, Conclusion: opts.Conclusion,
			CompletedAt: opts.CompletedAt, Output: opts.Output})
	}
	opts.Name, opts.HeadSHA, opts.ExternalID = webhook.DefaultCheckName, j.pr.HeadSHA, github.String(ext)
	opts.StartedAt = &github.Timestamp{Time: time.Now()}
	return j.reconcile(ctx, "create check run",
		func(ctx context.Context) error {
			run, _, err := call(ctx, func(ctx context.Context) (*github.CheckRun, *github.Response, error) {
				return j.gh.Checks.CreateCheckRun(ctx, j.pr.Owner, j.pr.Repo, opts)
			})
			if err == nil {
				j.checkRunID = run.GetID()
			}
			return err
		},
		func(ctx context.Context) (bool, error) {
			runs, err := j.listRuns(ctx, j.pr.HeadSHA)
			if err != nil {
				return false, err
			}
			for _, r := range runs {
				if r.GetExternalID() == ext && !j.known[r.GetID()] {
					j.checkRunID = r.GetID()
					return true, nil
				}
			}
			return false, nil
		})
}

// reconcile sends a write that GitHub may perform despite an error (a 502
// after the work was done). After a failure it looks whether the write
// landed, and sends it again only once a lookup has answered that it did
// not: a lookup that fails too is tried again, never taken for "no". It
// gives up after reconcileAttempts tries; the write is then in doubt, and
// the next attempt of the job finds it (findRuns, postedFingerprints).
func (j *job) reconcile(ctx context.Context, what string, send func(context.Context) error, landed func(context.Context) (bool, error)) error {
	err := send(ctx)
	for attempt := 1; err != nil; attempt++ {
		if !retryable(ctx, err) || attempt == reconcileAttempts {
			return fmt.Errorf("%s: %w", what, err)
		}
		if berr := j.backoff(ctx, attempt); berr != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		ok, lerr := landed(ctx)
		switch {
		case lerr != nil:
			j.log.Warn(what+": failed, and looking whether it landed failed too; looking again", "err", err, "lookup_err", lerr)
		case ok:
			j.log.Info(what+": it had landed despite the error", "err", err)
			return nil
		default:
			err = send(ctx)
		}
	}
	return nil
}

func (j *job) backoff(ctx context.Context, attempt int) error {
	t := time.NewTimer(min(j.delay<<attempt, retryMaxDelay))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// postedFingerprints returns the fingerprints of the review comments on
// the pull request.
func (j *job) postedFingerprints(ctx context.Context) (map[string]bool, error) {
	seen := map[string]bool{}
	opts := &github.PullRequestListCommentsOptions{ListOptions: github.ListOptions{PerPage: perPage}}
	for {
		page, resp, err := call(ctx, func(ctx context.Context) ([]*github.PullRequestComment, *github.Response, error) {
			return j.gh.PullRequests.ListComments(ctx, j.pr.Owner, j.pr.Repo, j.pr.Number, opts)
		})
		if err != nil {
			return nil, fmt.Errorf("list review comments: %w", err)
		}
		for _, c := range page {
			for _, fp := range review.FingerprintsOf(c.GetBody()) {
				seen[fp] = true
			}
		}
		if resp.NextPage == 0 {
			return seen, nil
		}
		opts.Page = resp.NextPage
	}
}

// postReview posts one review (event COMMENT) with a comment per finding.
// A post that may have landed despite an error is looked for among the
// review comments before it is sent again: a comment is never posted
// twice.
func (j *job) postReview(ctx context.Context, inline []review.Comment) error {
	req := &github.PullRequestReviewRequest{
		CommitID: github.String(j.pr.HeadSHA),
		Event:    github.String("COMMENT"),
		Body:     github.String(reviewBody(inline)),
	}
	for _, f := range inline {
		c := &github.DraftReviewComment{
			Path: github.String(f.Path), Body: github.String(f.Body()),
			Side: github.String("RIGHT"), Line: github.Int(f.EndLine),
		}
		if f.StartLine < f.EndLine {
			c.StartLine, c.StartSide = github.Int(f.StartLine), github.String("RIGHT")
		}
		req.Comments = append(req.Comments, c)
	}
	return j.reconcile(ctx, "post review",
		func(ctx context.Context) error {
			_, _, err := call(ctx, func(ctx context.Context) (*github.PullRequestReview, *github.Response, error) {
				return j.gh.PullRequests.CreateReview(ctx, j.pr.Owner, j.pr.Repo, j.pr.Number, req)
			})
			return err
		},
		func(ctx context.Context) (bool, error) {
			// A review is atomic: one of its comments there means all are.
			// Its fingerprint was not there before (placeInline).
			posted, err := j.postedFingerprints(ctx)
			return posted[inline[0].Findings[0].Fingerprint], err
		})
}

func reviewBody(inline []review.Comment) string {
	n := 0
	for _, c := range inline {
		n += len(c.Findings)
	}
	return fmt.Sprintf("djintegrity found %s on the changed lines. The **%s** check run has the summary.",
		plural(n, "database-integrity hazard"), webhook.DefaultCheckName)
}

// completeCheckRun completes the check run: conclusion, summary, and the
// annotations in batches of 50 (the first batches as updates in
// progress, the last with the conclusion).
func (j *job) completeCheckRun(ctx context.Context, res *review.Result, p placement, v verdict) error {
	title := github.String(checkTitle(res.Findings))
	if v.incomplete {
		title = github.String(incompleteTitle + *title)
	}
	summary := github.String(checkSummary(res, p, j.pr.MergeGroup != ""))
	anns := append(annotations(p.annotate), noticeAnnotations(res.Notices)...)
	anns = append(anns, relatedAnnotations(res.Findings)...)
	// GitHub takes 50 annotations a request: the rest go in updates.
	next := func() []*github.CheckRunAnnotation {
		batch := anns[:min(len(anns), maxAnnotationsPerRequest)]
		anns = anns[len(batch):]
		return batch
	}
	addRest := func(limit int) error {
		for len(anns) > limit {
			if err := j.updateCheckRun(ctx, github.UpdateCheckRunOptions{
				Output: &github.CheckRunOutput{Title: title, Summary: summary, Annotations: next()},
			}); err != nil {
				return err
			}
		}
		return nil
	}
	if j.checkRunID == 0 {
		// No run yet (the review of a head the pull request moved to): it
		// is created completed, the other annotations added after.
		if err := j.createCheckRun(ctx, github.CreateCheckRunOptions{
			Status: github.String("completed"), Conclusion: github.String(v.conclusion),
			CompletedAt: &github.Timestamp{Time: time.Now()},
			Output:      &github.CheckRunOutput{Title: title, Summary: summary, Annotations: next()},
		}); err != nil {
			return err
		}
		return addRest(0)
	}
	if err := addRest(maxAnnotationsPerRequest); err != nil {
		return err
	}
	return j.updateCheckRun(ctx, github.UpdateCheckRunOptions{
		Status: github.String("completed"), Conclusion: github.String(v.conclusion),
		CompletedAt: &github.Timestamp{Time: time.Now()},
		Output:      &github.CheckRunOutput{Title: title, Summary: summary, Annotations: anns},
	})
}

func (j *job) updateCheckRun(ctx context.Context, opts github.UpdateCheckRunOptions) error {
	// A resumed run may come from a review of another base: it now says
	// which review completes it.
	opts.Name, opts.ExternalID = webhook.DefaultCheckName, github.String(checkRunExternalID(j.pr))
	_, _, err := call(ctx, func(ctx context.Context) (*github.CheckRun, *github.Response, error) {
		return j.gh.Checks.UpdateCheckRun(ctx, j.pr.Owner, j.pr.Repo, j.checkRunID, opts)
	})
	if err != nil {
		return fmt.Errorf("update check run: %w", err)
	}
	return nil
}

// finishUnread completes (or creates completed) the check run of a review
// that failed, with the reason, even after the review's own context ended.
// Its conclusion is the configuration's for a change not all read
// (incomplete: neutral, the default, or failure), since none of it was.
// Its failure is logged and returned (the review returns its own error).
func (j *job) finishUnread(ctx context.Context, cause error) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	out := &github.CheckRunOutput{
		Title: github.String("Review could not finish"),
		Summary: github.String(truncateChars(fmt.Sprintf(
			"djintegrity could not complete the review of this commit:\n\n```\n%v\n```\n\nRe-run the check to try again.", cause),
			maxCheckOutputChars)),
	}
	conclusion := cmp.Or(j.incomplete, "neutral")
	err := j.createCheckRun(ctx, github.CreateCheckRunOptions{Status: github.String("completed"),
		Conclusion: github.String(conclusion), CompletedAt: &github.Timestamp{Time: time.Now()}, Output: out})
	if err != nil {
		j.log.Error("could not complete the check run", "conclusion", conclusion, "err", err)
	}
	return err
}

func checkTitle(findings []rules.Finding) string {
	if len(findings) == 0 {
		return "No database-integrity hazards"
	}
	count := map[rules.Severity]int{}
	for _, f := range findings {
		count[f.Severity]++
	}
	var parts []string
	for _, s := range []rules.Severity{rules.Error, rules.Warning, rules.Notice} {
		if count[s] > 0 {
			parts = append(parts, plural(count[s], s.String()))
		}
	}
	return strings.Join(parts, ", ")
}

var annotationLevel = map[rules.Severity]string{rules.Error: "failure", rules.Warning: "warning", rules.Notice: "notice"}

func annotations(findings []rules.Finding) []*github.CheckRunAnnotation {
	out := make([]*github.CheckRunAnnotation, 0, len(findings))
	for _, f := range findings {
		a := &github.CheckRunAnnotation{
			Path: github.String(f.Path), StartLine: github.Int(f.StartLine), EndLine: github.Int(f.EndLine),
			AnnotationLevel: github.String(cmp.Or(annotationLevel[f.Severity], "notice")),
			Title:           github.String(truncateChars(f.Rule, maxAnnotationTitle)),
			Message:         github.String(truncateBytes(f.Message, maxAnnotationBytes)),
		}
		if f.Suggestion != nil {
			a.RawDetails = github.String(truncateBytes("Suggested replacement:\n"+*f.Suggestion, maxAnnotationBytes))
		}
		out = append(out, a)
	}
	return out
}

// relatedAnnotations makes an annotation of every related location of
// the findings (the unchanged write sites a model change breaks), at its
// own line, whether or not the finding itself became a review comment.
func relatedAnnotations(findings []rules.Finding) []*github.CheckRunAnnotation {
	var out []*github.CheckRunAnnotation
	for _, f := range findings {
		for _, l := range f.Related {
			out = append(out, &github.CheckRunAnnotation{
				Path: github.String(l.Path), StartLine: github.Int(l.StartLine), EndLine: github.Int(max(l.EndLine, l.StartLine)),
				AnnotationLevel: github.String(cmp.Or(annotationLevel[f.Severity], "notice")),
				Title:           github.String(truncateChars(f.Rule, maxAnnotationTitle)),
				Message:         github.String(truncateBytes(l.Message, maxAnnotationBytes)),
			})
		}
	}
	return out
}

const ellipsis = "…"

// truncateChars cuts s to at most n characters (runes), marking the cut.
func truncateChars(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + ellipsis
}

// truncateBytes cuts s to at most n bytes on a rune boundary, marking the
// cut.
func truncateBytes(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n - len(ellipsis)
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ellipsis
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
