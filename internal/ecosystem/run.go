package ecosystem

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os/exec"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/djintegrity/djintegrity/review"
	"github.com/djintegrity/djintegrity/rules"
)

// Target is one review of the check: a project's change from Base to Head.
type Target struct {
	Project Project
	Dir     string // the snapshot's git directory
	Base    string // full commit ids
	Head    string
	// Label names the change in the findings file: the head's short id for
	// one commit, "base..head" short ids for a range.
	Label string
	Range bool // the range of the project's last first-parent commits
}

// Repro is the command that reviews the target alone.
func (t Target) Repro() string {
	return fmt.Sprintf("djintegrity check --base %s --head %s %s", t.Base, t.Head, t.Dir)
}

const shortID = 12

// Plan lists the targets of one project: each of its last Commits non-merge
// commits that change Python files against its first parent (a root commit
// is passed over), and the range of its last Range first-parent commits.
func Plan(ctx context.Context, dir string, p Project) ([]Target, error) {
	ids, err := recent(ctx, dir, p)
	if err != nil {
		return nil, err
	}
	out := commitTargets(ctx, dir, p, ids)
	if p.Range > 0 {
		ids, err := gitLines(ctx, dir, "rev-list", "--first-parent", fmt.Sprintf("--max-count=%d", p.Range+1), p.Commit)
		if err != nil {
			return nil, fmt.Errorf("%s: list range: %w", p.Repo, err)
		}
		if len(ids) == p.Range+1 {
			base, head := ids[len(ids)-1], ids[0]
			out = append(out, Target{Project: p, Dir: dir, Base: base, Head: head, Label: base[:shortID] + ".." + head[:shortID], Range: true})
		}
	}
	return out, nil
}

// deepPaths are the files whose changes the migration rules and
// missing-migration review (git pathspecs, where * also matches /).
var deepPaths = []string{"*migrations/*.py", "*models.py", "*models/*.py"}

// PlanDeep lists the targets of the deep run: each of the last Deep
// non-merge commits that change a migration or a models module and are not
// among the Commits that Plan reviews.
func PlanDeep(ctx context.Context, dir string, p Project) ([]Target, error) {
	if p.Deep == 0 {
		return nil, nil
	}
	_, deep, err := windows(ctx, dir, p)
	if err != nil {
		return nil, err
	}
	return commitTargets(ctx, dir, p, deep), nil
}

// windows lists the commits of the default run's window (recent) and of
// the deep run's, in that order of history.
func windows(ctx context.Context, dir string, p Project) (window, deep []string, err error) {
	window, err = recent(ctx, dir, p)
	if err != nil || p.Deep == 0 {
		return window, nil, err
	}
	args := append([]string{"rev-list", "--no-merges", fmt.Sprintf("--max-count=%d", p.Deep+len(window)), p.Commit, "--"}, deepPaths...)
	ids, err := gitLines(ctx, dir, args...)
	if err != nil {
		return nil, nil, fmt.Errorf("%s: list deep commits: %w", p.Repo, err)
	}
	ids = without(ids, window)
	return window, ids[:min(len(ids), p.Deep)], nil
}

// modelPaths are the models modules (git pathspecs).
var modelPaths = []string{"*models.py", "*models/*.py"}

// ImpactRules are the rules the history run reviews with: those that read
// the unchanged code a model change breaks.
var ImpactRules = []string{"required-field-breaks-inserts", "constraint-breaks-writes"}

// PlanHistory lists the targets of the history run: History non-merge
// commits whose change to a models module can make a model stricter
// (stricterCommits), evenly spaced over those of the project's history
// before the Commits and Deep windows.
func PlanHistory(ctx context.Context, dir string, p Project) ([]Target, error) {
	if p.History == 0 {
		return nil, nil
	}
	window, deep, err := windows(ctx, dir, p)
	if err != nil {
		return nil, err
	}
	window = append(window, deep...)
	ids, err := stricterCommits(ctx, dir, p)
	if err != nil {
		return nil, err
	}
	ids = without(ids, window)
	return commitTargets(ctx, dir, p, spread(ids, p.History)), nil
}

// without returns ids less those in drop, in order.
func without(ids, drop []string) []string {
	skip := make(map[string]bool, len(drop))
	for _, id := range drop {
		skip[id] = true
	}
	return slices.DeleteFunc(ids, func(id string) bool { return skip[id] })
}

// spread picks n of ids at even steps, the first included.
func spread(ids []string, n int) []string {
	if n >= len(ids) {
		return ids
	}
	out := make([]string, 0, n)
	for i := range n {
		out = append(out, ids[i*len(ids)/n])
	}
	return out
}

// recent lists the last Commits non-merge commits that change Python files.
func recent(ctx context.Context, dir string, p Project) ([]string, error) {
	if p.Commits == 0 {
		return nil, nil
	}
	ids, err := gitLines(ctx, dir, "rev-list", "--no-merges", fmt.Sprintf("--max-count=%d", p.Commits), p.Commit, "--", "*.py")
	if err != nil {
		return nil, fmt.Errorf("%s: list commits: %w", p.Repo, err)
	}
	return ids, nil
}

// commitTargets reviews each commit against its first parent; a root
// commit has nothing to compare with and is passed over.
func commitTargets(ctx context.Context, dir string, p Project, ids []string) []Target {
	var out []Target
	for _, id := range ids {
		parent, err := gitLines(ctx, dir, "rev-parse", "--verify", "--quiet", id+"^1")
		if err != nil || len(parent) != 1 {
			continue
		}
		out = append(out, Target{Project: p, Dir: dir, Base: parent[0], Head: id, Label: id[:shortID]})
	}
	return out
}

// gitLines runs git in dir and returns its non-empty output lines.
func gitLines(ctx context.Context, dir string, args ...string) ([]string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("git %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return strings.Fields(stdout.String()), nil
}

// Options configure a run.
type Options struct {
	// Workers is how many reviews run at once.
	Workers int
	// Timeout bounds each review; one that takes longer fails the check.
	Timeout time.Duration
	Logger  *slog.Logger
	// ContextCheck reviews each range target a second time reading the
	// whole head tree (review.AnalyzeWholeTree): a finding that one review
	// has and the other has not fails the check, as the context review,
	// which reads only what the rules need, must lose nothing.
	ContextCheck bool
	// Repos is the snapshots' directory, for the command that repeats a
	// context check.
	Repos string
	// Only, when set, are the only rules the reviews run (ImpactRules for
	// the history run).
	Only []string
	// CacheBytes, when set, bounds a cache of parsed files kept from one
	// review to the next: the commits of a project share most of their
	// files. The findings are those of reviews without it.
	CacheBytes int64

	cache *review.Cache // made by Run from CacheBytes
}

// Failure is a review that crashed, failed or timed out, or whose context
// review differs from the whole-tree review.
type Failure struct {
	Target Target
	Err    error
	// Check is the command that repeats the comparison, for a context
	// difference; Target.Repro repeats the context review alone.
	Check string
}

func (f Failure) String() string {
	s := fmt.Sprintf("%s %s: %v\n  reproduce: %s", f.Target.Project.Repo, f.Target.Label, f.Err, f.Target.Repro())
	if f.Check != "" {
		s += "\n  compare with the whole tree: " + f.Check
	}
	return s
}

// Result is what a run found.
type Result struct {
	Findings []Finding
	Failures []Failure
	Reviews  int
	Files    int // Python files analyzed, summed over the reviews
}

// Run reviews every target, Workers at a time, and returns the findings in
// the findings file's order. A failed review does not stop the others.
func Run(ctx context.Context, targets []Target, opt Options) *Result {
	log := opt.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opt.CacheBytes > 0 {
		opt.cache = review.NewCache(opt.CacheBytes)
	}
	work := make(chan Target)
	var (
		mu  sync.Mutex
		res = &Result{}
		wg  sync.WaitGroup
	)
	for range max(opt.Workers, 1) {
		wg.Go(func() {
			for t := range work {
				start := time.Now()
				found, files, err := reviewTarget(ctx, t, opt)
				log.Debug("reviewed", "project", t.Project.Repo, "change", t.Label,
					"findings", len(found), "files", files, "duration_ms", time.Since(start).Milliseconds())
				mu.Lock()
				res.Reviews++
				res.Files += files
				if err != nil {
					fl := Failure{Target: t, Err: err}
					if errors.As(err, new(*contextDiff)) {
						fl.Check = fmt.Sprintf("go run ./cmd/ecosystem -repos %s -only %s -context-check", cmp.Or(opt.Repos, "DIR"), t.Project.Repo)
					}
					res.Failures = append(res.Failures, fl)
				}
				res.Findings = append(res.Findings, found...)
				mu.Unlock()
			}
		})
	}
	for _, t := range targets {
		select {
		case work <- t:
		case <-ctx.Done():
		}
		if ctx.Err() != nil {
			break
		}
	}
	close(work)
	wg.Wait()
	SortFindings(res.Findings)
	slices.SortFunc(res.Failures, func(a, b Failure) int {
		return cmp.Or(cmp.Compare(a.Target.Project.Repo, b.Target.Project.Repo), cmp.Compare(a.Target.Label, b.Target.Label))
	})
	return res
}

// reviewTarget reviews one change with the default configuration, as a
// repository without its own would be reviewed, and with opt.ContextCheck
// a range a second time over the whole head tree: a difference is a
// *contextDiff error, returned with the findings. A panic is a failure of
// the check, not of the process.
func reviewTarget(ctx context.Context, t Target, opt Options) (found []Finding, files int, err error) {
	defer func() {
		if r := recover(); r != nil {
			found, err = nil, fmt.Errorf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	res, err := analyzeTarget(ctx, t, opt, review.Analyze)
	if err != nil {
		return nil, 0, err
	}
	for _, f := range res.Findings {
		found = append(found, Finding{
			Rule:        f.Rule,
			Severity:    f.Severity.String(),
			Project:     t.Project.Repo,
			Change:      t.Label,
			Path:        f.Path,
			Line:        f.StartLine,
			Fingerprint: f.Fingerprint[:min(len(f.Fingerprint), fingerprintLen)],
			Message:     firstLine(f.Message),
		})
	}
	if opt.ContextCheck && t.Range {
		whole, err := analyzeTarget(ctx, t, opt, review.AnalyzeWholeTree)
		if err != nil {
			return found, res.FilesAnalyzed, fmt.Errorf("whole-tree review: %w", err)
		}
		if d := diffFindings(res.Findings, whole.Findings); d != nil {
			return found, res.FilesAnalyzed, d
		}
	}
	return found, res.FilesAnalyzed, nil
}

// analyzeTarget runs one review of t (review.Analyze or AnalyzeWholeTree)
// within opt.Timeout, with opt.Only's rules when it names any, through
// opt's cache.
func analyzeTarget(ctx context.Context, t Target, opt Options,
	analyze func(context.Context, review.Source, *review.Config) (*review.Result, error)) (*review.Result, error) {
	if opt.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opt.Timeout)
		defer cancel()
	}
	cfg := review.DefaultConfig()
	cfg.Cache = opt.cache
	if len(opt.Only) > 0 {
		for _, r := range rules.Catalog() {
			cfg.Off[r.Slug] = !slices.Contains(opt.Only, r.Slug)
		}
	}
	res, err := analyze(ctx, review.NewGitSource(t.Dir, t.Base, t.Head), cfg)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("timed out after %s", opt.Timeout)
		}
		return nil, err
	}
	return res, nil
}

// contextDiff lists the findings that only one of the two reviews of a
// change has: the one reading the context, and the one reading the whole
// head tree. A finding whose message or suggestion differs is on both
// lists.
type contextDiff struct {
	onlyContext, onlyWhole []string
}

func (d *contextDiff) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "the context review differs from the whole-tree review: %d findings only with the context, %d only with the whole tree",
		len(d.onlyContext), len(d.onlyWhole))
	for _, f := range d.onlyContext {
		b.WriteString("\n    context only: " + f)
	}
	for _, f := range d.onlyWhole {
		b.WriteString("\n    whole tree only: " + f)
	}
	return b.String()
}

// diffFindings compares the findings of the context review with those of
// the whole-tree review, everything a reviewer sees included (message,
// suggestion), and returns nil when they are the same.
func diffFindings(context, whole []rules.Finding) *contextDiff {
	key := func(f rules.Finding) string {
		sugg := "<none>"
		if f.Suggestion != nil {
			sugg = *f.Suggestion
		}
		return fmt.Sprintf("%s\x00%s\x00%s:%d-%d\x00%s\x00%s\x00%s", f.Rule, f.Severity, f.Path, f.StartLine, f.EndLine, f.Fingerprint, f.Message, sugg)
	}
	count := map[string]int{}
	show := map[string]string{}
	for _, f := range context {
		count[key(f)]++
		show[key(f)] = fmt.Sprintf("%s %s:%d %s", f.Rule, f.Path, f.StartLine, firstLine(f.Message))
	}
	for _, f := range whole {
		count[key(f)]--
		show[key(f)] = fmt.Sprintf("%s %s:%d %s", f.Rule, f.Path, f.StartLine, firstLine(f.Message))
	}
	d := &contextDiff{}
	for _, k := range slices.Sorted(maps.Keys(count)) {
		for n := count[k]; n > 0; n-- {
			d.onlyContext = append(d.onlyContext, show[k])
		}
		for n := count[k]; n < 0; n++ {
			d.onlyWhole = append(d.onlyWhole, show[k])
		}
	}
	if len(d.onlyContext) == 0 && len(d.onlyWhole) == 0 {
		return nil
	}
	return d
}
