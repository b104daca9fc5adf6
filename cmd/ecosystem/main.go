// Command ecosystem is the check of djintegrity against real Django
// projects (a development tool, not shipped). It reviews the recent history
// of the projects pinned in ecosystem/projects.yml from local git snapshots,
// rewrites ecosystem/findings.tsv (so a rule change shows as its diff),
// prints each rule's precision from ecosystem/ledger.tsv with the findings
// not judged yet, and regenerates the README's precision table.
//
//	go run ./cmd/ecosystem -repos DIR            # every project
//	go run ./cmd/ecosystem -repos DIR -only wger-project/wger
//	go run ./cmd/ecosystem -repos DIR -deep      # the deeper sample of migration history
//	go run ./cmd/ecosystem -repos DIR -history   # model changes across the years, impact rules only
//	go run ./cmd/ecosystem -stats                # no review: the table from the committed files
//	go run ./cmd/ecosystem -repos DIR -only pretalx/pretalx -context-check
//	go run ./cmd/ecosystem -repos DIR -coverage  # write sites by role, no review
//
// -context-check reviews each project's range a second time reading the
// whole head tree, and fails when the findings differ from the review that
// reads only the context the rules need.
//
// See CONTRIBUTING.md.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"syscall"
	"time"

	"github.com/djintegrity/djintegrity/internal/ecosystem"
	"github.com/djintegrity/djintegrity/rules/django"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "ecosystem:", err)
		}
		os.Exit(1)
	}
}

type flags struct {
	repos, projects, findings, deepFindings, historyFindings  string
	ledger, second, readme, only                              string
	workers                                                   int
	timeout                                                   time.Duration
	deep, history, statsOnly, verbose, contextCheck, coverage bool
	unjudged                                                  int
}

func parse(args []string, stderr io.Writer) (*flags, error) {
	var f flags
	fs := flag.NewFlagSet("ecosystem", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&f.repos, "repos", os.Getenv("DJINTEGRITY_ECOSYSTEM_REPOS"), "`directory` of the projects' git snapshots (default $DJINTEGRITY_ECOSYSTEM_REPOS)")
	fs.StringVar(&f.projects, "projects", "ecosystem/projects.yml", "pinned project list")
	fs.StringVar(&f.findings, "findings", "ecosystem/findings.tsv", "findings file, rewritten")
	fs.StringVar(&f.deepFindings, "deep-findings", "ecosystem/findings-deep.tsv", "the deep run's findings file, rewritten by -deep")
	fs.BoolVar(&f.deep, "deep", false, "review each project's `deep` earlier commits that change migrations or models, not the default window")
	fs.StringVar(&f.historyFindings, "history-findings", "ecosystem/findings-history.tsv", "the history run's findings file, rewritten by -history")
	fs.BoolVar(&f.history, "history", false, "review each project's `history` commits that can make a model stricter, spread over its whole history, with the impact rules only")
	fs.StringVar(&f.ledger, "ledger", "ecosystem/ledger.tsv", "ledger of judged findings")
	fs.StringVar(&f.second, "second", "ecosystem/ledger-second.tsv", "a blind second reading of a sample of the ledger (\"\": none)")
	fs.StringVar(&f.readme, "readme", "README.md", "README whose precision table is regenerated (\"\": none)")
	fs.StringVar(&f.only, "only", "", "review only these comma-separated `owner/name`s; the other projects' lines are kept")
	fs.IntVar(&f.workers, "j", runtime.GOMAXPROCS(0), "reviews run at once")
	fs.DurationVar(&f.timeout, "timeout", 3*time.Minute, "time limit of one review; one over it fails the check")
	fs.BoolVar(&f.statsOnly, "stats", false, "review nothing: print precision and regenerate the table from the committed files")
	fs.IntVar(&f.unjudged, "unjudged", 5, "list up to `N` findings per rule not judged yet")
	fs.BoolVar(&f.contextCheck, "context-check", false, "review each range also over the whole head tree; fail when its findings differ from the context review's")
	fs.BoolVar(&f.coverage, "coverage", false, "review nothing: count each project's write sites at its pinned commit, by role, and how many the old paths.views globs held")
	fs.BoolVar(&f.verbose, "v", false, "log each review")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if f.deep && f.history {
		return nil, errors.New("-deep and -history are separate runs: give one")
	}
	if !f.statsOnly && f.repos == "" {
		return nil, errors.New("-repos (or DJINTEGRITY_ECOSYSTEM_REPOS) names the directory of the snapshots")
	}
	return &f, nil
}

func run(ctx context.Context, args []string, _ io.Reader, stdout, stderr io.Writer) error {
	f, err := parse(args, stderr)
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if f.verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	if f.coverage {
		return coverage(ctx, f, stdout, log)
	}

	// The default, deep and history runs each rewrite their own file; the
	// precision table counts the findings of all three.
	path, others, _ := f.mode()
	old, err := readFindings(path)
	if err != nil {
		return err
	}
	var kept []ecosystem.Finding
	for _, o := range others {
		fs, err := readFindings(o)
		if err != nil {
			return err
		}
		kept = append(kept, fs...)
	}
	findings := old
	var failures []ecosystem.Failure
	if !f.statsOnly {
		findings, failures, err = review(ctx, f, old, log)
		if err != nil {
			return err
		}
		var buf bytes.Buffer
		if err := ecosystem.WriteFindings(&buf, findings); err != nil {
			return err
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			return fmt.Errorf("write findings: %w", err)
		}
		fmt.Fprintf(stdout, "findings: %d before, %d now (%s)\n", len(old), len(findings), path)
	}
	if err := report(f, append(findings, kept...), stdout); err != nil {
		return err
	}
	if len(failures) > 0 {
		for _, fl := range failures {
			fmt.Fprintln(stderr, fl)
		}
		return fmt.Errorf("%d reviews failed", len(failures))
	}
	return nil
}

// mode returns what the run given by the flags reviews: the findings file
// it rewrites, the other runs' files the precision table counts too, and
// the plan of each project's targets.
func (f *flags) mode() (path string, others []string, plan func(context.Context, string, ecosystem.Project) ([]ecosystem.Target, error)) {
	switch {
	case f.deep:
		return f.deepFindings, []string{f.findings, f.historyFindings}, ecosystem.PlanDeep
	case f.history:
		return f.historyFindings, []string{f.findings, f.deepFindings}, ecosystem.PlanHistory
	}
	return f.findings, []string{f.deepFindings, f.historyFindings}, ecosystem.Plan
}

// review runs the check over the selected projects. The lines of projects
// not reviewed (not selected, or whose snapshot is missing) are kept.
func review(ctx context.Context, f *flags, old []ecosystem.Finding, log *slog.Logger) ([]ecosystem.Finding, []ecosystem.Failure, error) {
	projects, err := ecosystem.LoadProjects(f.projects)
	if err != nil {
		return nil, nil, err
	}
	selected, err := ecosystem.Select(projects, f.only)
	if err != nil {
		return nil, nil, fmt.Errorf("-only: %w", err)
	}
	reviewed := map[string]bool{}
	var targets []ecosystem.Target
	for _, p := range selected {
		dir := ecosystem.FindSnapshot(f.repos, p)
		if dir == "" {
			log.Warn("snapshot missing: project skipped, its earlier findings kept", "project", p.Repo, "repos", f.repos)
			continue
		}
		_, _, plan := f.mode()
		ts, err := plan(ctx, dir, p)
		if err != nil {
			return nil, nil, err
		}
		reviewed[p.Repo] = true
		targets = append(targets, ts...)
	}
	start := time.Now()
	// The commits of a project share most files: parsed once, not once a
	// review.
	opt := ecosystem.Options{Workers: f.workers, Timeout: f.timeout, Logger: log, ContextCheck: f.contextCheck, Repos: f.repos,
		CacheBytes: 512 << 20}
	if f.history {
		opt.Only = ecosystem.ImpactRules
	}
	res := ecosystem.Run(ctx, targets, opt)
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("interrupted: %w", err)
	}
	log.Info("ecosystem reviewed", "projects", len(reviewed), "reviews", res.Reviews,
		"files", res.Files, "findings", len(res.Findings), "failures", len(res.Failures),
		"duration_ms", time.Since(start).Milliseconds())
	out := res.Findings
	for _, fd := range old {
		if !reviewed[fd.Project] {
			out = append(out, fd)
		}
	}
	ecosystem.SortFindings(out)
	return out, res.Failures, nil
}

// report prints the precision table and the findings not judged yet, and
// regenerates the README's table.
func report(f *flags, findings []ecosystem.Finding, stdout io.Writer) error {
	lf, err := os.Open(f.ledger)
	if err != nil {
		return fmt.Errorf("open ledger: %w", err)
	}
	defer lf.Close()
	ledger, err := ecosystem.ReadLedger(lf)
	if err != nil {
		return err
	}
	if err := secondReading(f.second, ledger, stdout); err != nil {
		return err
	}
	stats := ecosystem.Stats(findings, ledger)
	table := ecosystem.PrecisionTable(stats)
	fmt.Fprint(stdout, "\n", table)
	for _, s := range stats {
		if len(s.Unjudged) == 0 || f.unjudged <= 0 {
			continue
		}
		fmt.Fprintf(stdout, "\n%s: %d not judged yet\n", s.Rule, len(s.Unjudged))
		for _, u := range s.Unjudged[:min(len(s.Unjudged), f.unjudged)] {
			fmt.Fprintf(stdout, "  %s %s %s:%d %s\n", u.Project, u.Change, u.Path, u.Line, u.Fingerprint)
		}
	}
	if f.readme == "" {
		return nil
	}
	b, err := os.ReadFile(f.readme)
	if err != nil {
		return fmt.Errorf("read README: %w", err)
	}
	updated, err := ecosystem.ReplaceTable(string(b), table)
	if err != nil {
		return err
	}
	if updated != string(b) {
		if err := os.WriteFile(f.readme, []byte(updated), 0o644); err != nil {
			return fmt.Errorf("write README: %w", err)
		}
	}
	return nil
}

// secondReading prints how far a blind second reading agrees with the
// ledger, and each verdict it does not share.
func secondReading(path string, ledger ecosystem.Ledger, stdout io.Writer) error {
	if path == "" {
		return nil
	}
	sf, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open second reading: %w", err)
	}
	defer sf.Close()
	second, err := ecosystem.ReadLedger(sf)
	if err != nil {
		return fmt.Errorf("second reading: %w", err)
	}
	read, agree, differ, err := ecosystem.Agreement(ledger, second)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nsecond reading: %d of %d verdicts agree with the ledger\n", agree, read)
	for _, d := range differ {
		fmt.Fprintf(stdout, "  %s %s %s: ledger %s, second reading %s (%s)\n", d.Rule, d.Project, d.Fingerprint, ledger[d.LedgerKey].Verdict, d.Verdict, d.Reason)
	}
	return nil
}

func readFindings(path string) ([]ecosystem.Finding, error) {
	fh, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("open findings: %w", err)
	}
	defer fh.Close()
	return ecosystem.ReadFindings(fh)
}

// coverage prints, for the selected projects at their pinned commits, the
// write sites by role and the share the old paths.views globs covered.
func coverage(ctx context.Context, f *flags, stdout io.Writer, log *slog.Logger) error {
	projects, err := ecosystem.LoadProjects(f.projects)
	if err != nil {
		return err
	}
	selected, err := ecosystem.Select(projects, f.only)
	if err != nil {
		return fmt.Errorf("-only: %w", err)
	}
	total := &ecosystem.Coverage{Writes: map[django.Role]int{}, Resolved: map[django.Role]int{}, Methods: map[string][3]int{}}
	for _, p := range selected {
		dir := ecosystem.FindSnapshot(f.repos, p)
		if dir == "" {
			log.Warn("snapshot missing: project skipped", "project", p.Repo)
			continue
		}
		c, err := ecosystem.MeasureCoverage(ctx, dir, p, p.Commit)
		if err != nil {
			return err
		}
		for r, n := range c.Writes {
			total.Writes[r] += n
		}
		for r, n := range c.Resolved {
			total.Resolved[r] += n
		}
		total.OldScope += c.OldScope
		total.Races += c.Races
		total.OldRaces += c.OldRaces
		total.Own += c.Own
		for m, n := range c.Methods {
			t := total.Methods[m]
			for i := range n {
				t[i] += n[i]
			}
			total.Methods[m] = t
		}
		total.Validated[0] += c.Validated[0]
		total.Validated[1] += c.Validated[1]
	}
	fmt.Fprintln(stdout, "| role | write sites | model resolved |\n| --- | ---: | ---: |")
	all, resolved, concurrent := 0, 0, 0
	for _, r := range django.Roles() {
		fmt.Fprintf(stdout, "| %s | %d | %d |\n", r, total.Writes[r], total.Resolved[r])
		all += total.Writes[r]
		resolved += total.Resolved[r]
		if r.Concurrent() {
			concurrent += total.Writes[r]
		}
	}
	fmt.Fprintf(stdout, "| **all but tests** | %d | %d |\n\n", all, resolved)
	fmt.Fprintf(stdout, "write sites the old paths.views globs held: %d of %d (%.0f%%); reviewed by role now: %d (100%%), %d of them in code that runs concurrently\n",
		total.OldScope, all, 100*float64(total.OldScope)/float64(max(all, 1)), all, concurrent)
	fmt.Fprintf(stdout, "write sites the race rules review by role: %d (the old globs held %d of them)\n", total.Races, total.OldRaces)
	fmt.Fprintf(stdout, "write sites through self or cls that resolve to their model (new receivers): %d\n", total.Own)
	for _, m := range slices.Sorted(maps.Keys(total.Methods)) {
		n := total.Methods[m]
		fmt.Fprintf(stdout, "write sites through %s(): %d, %d of them resolved by the rules, %d with the fields known\n", m, n[0], n[1], n[2])
	}
	fmt.Fprintf(stdout, "write sites that write a serializer's validated data: %d, %d of them by a known key\n", total.Validated[0], total.Validated[1])
	return nil
}
