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

// job is one review of one pull request head.
type job struct {
	gh    *github.Client
	pr    PullRequest
	run   string // tells this run's check run from others on the same head
	log   *slog.Logger
	delay time.Duration

	checkRunID int64
	budget     time.Duration // the analysis' time budget; analysisBudget when zero
}

// configError is an invalid configuration file: the user's to fix, shown
// in the check run.
type configError struct{ err error }

func (e *configError) Error() string { return e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

func (j *job) review(ctx context.Context) (out Outcome, err error) {
	start := time.Now()
	ctx = withLogger(ctx, j.log)
	if !j.pr.commitsGiven() {
		pull, err := j.getPull(ctx)
		if err != nil {
			return out, err
		}
		j.pr.BaseSHA, j.pr.HeadSHA = pull.GetBase().GetSHA(), pull.GetHead().GetSHA()
		j.log = j.log.With("sha", j.pr.HeadSHA) // once the head is known
		ctx = withLogger(ctx, j.log)
	}

	cfg, err := j.loadConfig(ctx)
	if cfg != nil {
		cfg.Logger = j.log
	}
	if ce := (*configError)(nil); errors.As(err, &ce) {
		// The user's mistake, reported where they look; nothing failed.
		j.log.Warn("invalid configuration", "err", ce)
		if err := j.createCheckRun(ctx, invalidConfigRun(ce)); err != nil {
			return out, err
		}
		return Outcome{Failed: true}, nil
	}
	if err != nil {
		if !installationGone(err) { // no token: no check run either
			j.finishNeutral(ctx, err)
		}
		return out, err
	}
	if err := j.createCheckRun(ctx, github.CreateCheckRunOptions{Status: github.String("in_progress")}); err != nil {
		return out, err
	}
	defer func() {
		if err != nil {
			j.finishNeutral(ctx, err)
		}
	}()

	src := newPRSource(j.gh, j.pr, j.log)
	cfg.Deadline = j.analysisDeadline(ctx, start)
	res, err := review.Analyze(ctx, src, cfg)
	if err != nil {
		return out, fmt.Errorf("analyze: %w", err)
	}

	p := placement{}
	var candidates []rules.Finding
	for _, f := range res.Findings {
		if src.inDiff(f.Path, f.StartLine, f.EndLine) && inline(f) {
			candidates = append(candidates, f)
		} else {
			p.annotate = append(p.annotate, f)
		}
	}
	if len(candidates) > 0 {
		if err := j.placeInline(ctx, &p, candidates, cfg.MaxInlineComments); err != nil {
			return out, err
		}
	}
	if len(p.inline) > 0 {
		if err := j.postReview(ctx, p.inline); err != nil {
			return out, err
		}
	}
	out = Outcome{Findings: len(res.Findings), Inline: len(p.inline), Failed: review.Exceeds(res.Findings, cfg.FailOn),
		Incomplete: !res.Complete(cfg) || src.unlisted > 0}
	if err := j.completeCheckRun(ctx, res, p, verdict{conclusion: conclusion(out, cfg), incomplete: out.Incomplete, unlisted: src.unlisted}); err != nil {
		return out, err
	}
	j.log.Info("review done", "findings", len(res.Findings), "inline", len(p.inline), "already_posted", p.already,
		"annotations", len(p.annotate), "files_read", src.reads.Load(), "head_moved", p.movedTo != "",
		"failed", out.Failed, "incomplete", out.Incomplete, "unreviewed", len(res.Unreviewed(cfg)),
		"out_of_time", res.OutOfTime, "duration_ms", time.Since(start).Milliseconds())
	return out, nil
}

// verdict is how a review's check run concludes beyond its findings.
type verdict struct {
	conclusion string
	incomplete bool // the review did not read all of the change
	unlisted   int  // files of the pull request past those GitHub lists
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
// review started, and early enough before the review's own deadline to
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
	inline   []rules.Finding // new review comments
	annotate []rules.Finding // check-run annotations
	already  int             // on diff lines and commented by an earlier run
	movedTo  string          // the pull request's new head, when it moved
}

// placeInline splits the findings on diff lines: those an earlier run
// already commented are dropped, the most severe up to max become review
// comments, the rest annotations. It re-reads the pull request first: if
// its head moved, nothing is posted (the review of the new head will).
func (j *job) placeInline(ctx context.Context, p *placement, candidates []rules.Finding, maxInline int) error {
	pull, err := j.getPull(ctx)
	if err != nil {
		return err
	}
	if head := pull.GetHead().GetSHA(); head != j.pr.HeadSHA {
		j.log.Info("head moved during the review: posting no comments", "new_sha", head)
		p.movedTo = head
		p.annotate = append(p.annotate, candidates...)
		return nil
	}
	posted := map[string]bool{}
	if pull.GetReviewComments() > 0 { // nothing to list on a pull request without review comments
		if posted, err = j.postedFingerprints(ctx); err != nil {
			return err
		}
	}
	var fresh []rules.Finding
	for _, f := range candidates {
		if posted[f.Fingerprint] {
			p.already++
			continue
		}
		fresh = append(fresh, f)
	}
	slices.SortStableFunc(fresh, func(a, b rules.Finding) int { return cmp.Compare(b.Severity, a.Severity) })
	n := min(len(fresh), max(maxInline, 0))
	p.inline = fresh[:n]
	p.annotate = append(p.annotate, fresh[n:]...)
	rules.SortFindings(p.inline)
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

// loadConfig reads .github/djintegrity.yml at the base commit: a pull
// request cannot switch off its own checks. No file is the defaults.
func (j *job) loadConfig(ctx context.Context) (*review.Config, error) {
	text, err := readContents(ctx, j.gh, j.pr.Owner, j.pr.Repo, review.ConfigPath, j.pr.BaseSHA)
	var tooLarge *tooLargeError
	var skip *review.SkipError
	switch {
	case statusOf(err) == http.StatusNotFound:
		return review.DefaultConfig(), nil
	case errors.Is(err, review.ErrNotRegular):
		return nil, &configError{fmt.Errorf("%s is a directory", review.ConfigPath)}
	case errors.As(err, &skip):
		return nil, &configError{fmt.Errorf("%s is a %s", review.ConfigPath, skip.Reason)}
	case errors.As(err, &tooLarge):
		return nil, &configError{fmt.Errorf("%s: %d bytes is too large to read", review.ConfigPath, tooLarge.size)}
	case err != nil:
		return nil, fmt.Errorf("read %s at base: %w", review.ConfigPath, err)
	}
	cfg, err := review.ParseConfig(review.ConfigPath, text)
	if err != nil {
		return nil, &configError{err}
	}
	return cfg, nil
}

func invalidConfigRun(err error) github.CreateCheckRunOptions {
	return github.CreateCheckRunOptions{
		Status:      github.String("completed"),
		Conclusion:  github.String("failure"),
		CompletedAt: &github.Timestamp{Time: time.Now()},
		Output: &github.CheckRunOutput{
			Title: github.String("Invalid " + review.ConfigPath),
			Summary: github.String(truncateChars(fmt.Sprintf(
				"The configuration on the base branch is invalid, so no review ran. Fix it there:\n\n```\n%s\n```\n", err),
				maxCheckOutputChars)),
		},
	}
}

// createCheckRun creates this run's check run on the head. A create that
// may have landed despite an error is looked up by external_id before it
// is sent again, so that no orphan stays in progress.
func (j *job) createCheckRun(ctx context.Context, opts github.CreateCheckRunOptions) error {
	ext := checkRunExternalID(j.pr, j.run)
	opts.Name, opts.HeadSHA, opts.ExternalID = webhook.DefaultCheckName, j.pr.HeadSHA, github.String(ext)
	opts.StartedAt = &github.Timestamp{Time: time.Now()}
	for attempt := 1; ; attempt++ {
		run, _, err := call(ctx, func(ctx context.Context) (*github.CheckRun, *github.Response, error) {
			return j.gh.Checks.CreateCheckRun(ctx, j.pr.Owner, j.pr.Repo, opts)
		})
		if err == nil {
			j.checkRunID = run.GetID()
			return nil
		}
		if !retryable(ctx, err) || attempt == reconcileAttempts {
			return fmt.Errorf("create check run: %w", err)
		}
		if err := j.backoff(ctx, attempt); err != nil {
			return fmt.Errorf("create check run: %w", err)
		}
		if id := j.findCheckRun(ctx, ext); id != 0 {
			j.checkRunID = id
			return nil
		}
	}
}

// findCheckRun looks for this run's check run on the head; 0 if none.
func (j *job) findCheckRun(ctx context.Context, ext string) int64 {
	res, _, err := call(ctx, func(ctx context.Context) (*github.ListCheckRunsResults, *github.Response, error) {
		return j.gh.Checks.ListCheckRunsForRef(ctx, j.pr.Owner, j.pr.Repo, j.pr.HeadSHA, &github.ListCheckRunsOptions{
			CheckName: github.String(webhook.DefaultCheckName), ListOptions: github.ListOptions{PerPage: perPage}})
	})
	if err != nil {
		j.log.Debug("looking up the check run failed", "err", err)
		return 0
	}
	for _, r := range res.CheckRuns {
		if r.GetExternalID() == ext {
			return r.GetID()
		}
	}
	return 0
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
			if fp := review.FingerprintOf(c.GetBody()); fp != "" {
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
func (j *job) postReview(ctx context.Context, inline []rules.Finding) error {
	req := &github.PullRequestReviewRequest{
		CommitID: github.String(j.pr.HeadSHA),
		Event:    github.String("COMMENT"),
		Body:     github.String(reviewBody(inline)),
	}
	for _, f := range inline {
		c := &github.DraftReviewComment{
			Path: github.String(f.Path), Body: github.String(review.CommentBody(f)),
			Side: github.String("RIGHT"), Line: github.Int(f.EndLine),
		}
		if f.StartLine < f.EndLine {
			c.StartLine, c.StartSide = github.Int(f.StartLine), github.String("RIGHT")
		}
		req.Comments = append(req.Comments, c)
	}
	for attempt := 1; ; attempt++ {
		_, _, err := call(ctx, func(ctx context.Context) (*github.PullRequestReview, *github.Response, error) {
			return j.gh.PullRequests.CreateReview(ctx, j.pr.Owner, j.pr.Repo, j.pr.Number, req)
		})
		if err == nil {
			return nil
		}
		if !retryable(ctx, err) || attempt == reconcileAttempts {
			return fmt.Errorf("post review: %w", err)
		}
		if err := j.backoff(ctx, attempt); err != nil {
			return fmt.Errorf("post review: %w", err)
		}
		// A review is atomic: one of its comments there means all are.
		if posted, lerr := j.postedFingerprints(ctx); lerr == nil && posted[inline[0].Fingerprint] {
			j.log.Info("review had landed despite the error", "err", err)
			return nil
		}
	}
}

func reviewBody(inline []rules.Finding) string {
	return fmt.Sprintf("djintegrity found %s on the changed lines. The **%s** check run has the summary.",
		plural(len(inline), "database-integrity hazard"), webhook.DefaultCheckName)
}

// completeCheckRun completes the check run: conclusion, summary, and the
// annotations in batches of 50 (the first batches as updates in
// progress, the last with the conclusion).
func (j *job) completeCheckRun(ctx context.Context, res *review.Result, p placement, v verdict) error {
	title := github.String(checkTitle(res.Findings))
	if v.incomplete {
		title = github.String("Review incomplete: " + *title)
	}
	summary := github.String(checkSummary(res, p, v.unlisted))
	anns := annotations(p.annotate)
	for len(anns) > maxAnnotationsPerRequest {
		batch := anns[:maxAnnotationsPerRequest]
		anns = anns[maxAnnotationsPerRequest:]
		if err := j.updateCheckRun(ctx, github.UpdateCheckRunOptions{
			Output: &github.CheckRunOutput{Title: title, Summary: summary, Annotations: batch},
		}); err != nil {
			return err
		}
	}
	return j.updateCheckRun(ctx, github.UpdateCheckRunOptions{
		Status: github.String("completed"), Conclusion: github.String(v.conclusion),
		CompletedAt: &github.Timestamp{Time: time.Now()},
		Output:      &github.CheckRunOutput{Title: title, Summary: summary, Annotations: anns},
	})
}

func (j *job) updateCheckRun(ctx context.Context, opts github.UpdateCheckRunOptions) error {
	opts.Name = webhook.DefaultCheckName
	_, _, err := call(ctx, func(ctx context.Context) (*github.CheckRun, *github.Response, error) {
		return j.gh.Checks.UpdateCheckRun(ctx, j.pr.Owner, j.pr.Repo, j.checkRunID, opts)
	})
	if err != nil {
		return fmt.Errorf("update check run: %w", err)
	}
	return nil
}

// finishNeutral completes (or creates completed) the check run as
// "neutral" with the reason the review failed, even after the review's
// own context ended. Its failure is logged: the review's error is what is
// returned.
func (j *job) finishNeutral(ctx context.Context, cause error) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), finishTimeout)
	defer cancel()
	out := &github.CheckRunOutput{
		Title: github.String("Review could not finish"),
		Summary: github.String(truncateChars(fmt.Sprintf(
			"djintegrity could not complete the review of this commit:\n\n```\n%v\n```\n\nRe-run the check to try again.", cause),
			maxCheckOutputChars)),
	}
	var err error
	if j.checkRunID == 0 {
		err = j.createCheckRun(ctx, github.CreateCheckRunOptions{Status: github.String("completed"),
			Conclusion: github.String("neutral"), CompletedAt: &github.Timestamp{Time: time.Now()}, Output: out})
	} else {
		err = j.updateCheckRun(ctx, github.UpdateCheckRunOptions{Status: github.String("completed"),
			Conclusion: github.String("neutral"), CompletedAt: &github.Timestamp{Time: time.Now()}, Output: out})
	}
	if err != nil {
		j.log.Error("could not complete the check run as neutral", "err", err)
	}
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

func checkSummary(res *review.Result, p placement, unlisted int) string {
	findings := res.Findings
	var b strings.Builder
	b.WriteString(review.SummaryTable(findings))
	b.WriteString(review.SkippedList(res.Skipped))
	if len(findings) > 0 {
		fmt.Fprintf(&b, "\n%s: %d new review comments, %d already commented by an earlier run, %d annotations.\n",
			plural(len(findings), "finding"), len(p.inline), p.already, len(p.annotate))
	}
	if p.movedTo != "" {
		fmt.Fprintf(&b, "\nThe pull request's head moved to %s during this review: its review will comment.\n", shortSHA(p.movedTo))
	}
	if unlisted > 0 {
		rest := fmt.Sprintf("the %d files after them were", unlisted)
		if unlisted == 1 {
			rest = "the file after them was"
		}
		fmt.Fprintf(&b, "\n**Not reviewed:** GitHub's API lists the first %d files of a pull request "+
			"([list pull requests files](%s)); %s not read.\n", maxPullRequestFiles, listFilesDocs, rest)
	}
	if res.OutOfTime {
		b.WriteString("\n**Not reviewed:** the review ran out of its time budget before it was done: ")
		if len(res.RulesNotRun) > 0 {
			fmt.Fprintf(&b, "these rules did not run: `%s`.\n", strings.Join(res.RulesNotRun, "`, `"))
		} else {
			b.WriteString("it was still reading the project, so no rule ran.\n")
		}
	}
	return truncateChars(b.String(), maxCheckOutputChars)
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
