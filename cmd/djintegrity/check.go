package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/djintegrity/djintegrity/review"
	"github.com/djintegrity/djintegrity/rules"
)

// checkFlags are the flags of `djintegrity check`.
type checkFlags struct {
	base, head       string
	baseDir, headDir string
	format           string
	failOn           string
	config           string
	verbose          bool
	githubReview     bool
	cacheDir         string
	staged           bool
	fix, diff        bool
	exitZero         bool
}

// cliCacheBytes bounds --cache-dir, on disk and in memory.
const cliCacheBytes = 256 << 20

const checkUsage = `usage: djintegrity check [flags] [REPO]

Reviews the change from --base to --head of the Django project in REPO (default .),
or from --base-dir to --head-dir, and prints the findings on changed lines.
Flags may come before or after REPO.

flags:
`

func parseCheckFlags(args []string, stdout io.Writer) (*checkFlags, string, error) {
	var f checkFlags
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.StringVar(&f.base, "base", "", "base `revision` (default: merge-base of HEAD with the default branch)")
	fs.StringVar(&f.head, "head", "", "head `revision` (default: the working tree, uncommitted changes included)")
	fs.BoolVar(&f.staged, "staged", false, "review the staged change, what `git commit` would commit: the index against --base (default HEAD)")
	fs.StringVar(&f.baseDir, "base-dir", "", "base `directory`: compare two plain trees instead of git revisions")
	fs.StringVar(&f.headDir, "head-dir", "", "head `directory` (with --base-dir)")
	fs.StringVar(&f.format, "format", "text", "output `format`: text, json, sarif, markdown or github (workflow annotations)")
	fs.StringVar(&f.failOn, "fail-on", "", "exit 1 when a finding reaches this `severity`: error, warning, notice or never (default: the config's fail_on, else error)")
	fs.BoolVar(&f.exitZero, "exit-zero", false, "exit 0 even when findings reach --fail-on (errors still exit 2)")
	fs.StringVar(&f.config, "config", "", "configuration `file`: YAML, or a pyproject.toml's [tool.djintegrity] (default: .github/djintegrity.yml of the head tree, or the nearest pyproject.toml with a [tool.djintegrity] table)")
	fs.BoolVar(&f.fix, "fix", false, "apply the suggestions to the working tree (or --head-dir), with the imports they need, then review again")
	fs.BoolVar(&f.diff, "diff", false, "print the suggestions as a unified diff instead of applying them; exit 1 when there is one")
	fs.BoolVar(&f.verbose, "v", false, "log skipped files and timings to stderr")
	fs.StringVar(&f.cacheDir, "cache-dir", "", "keep parsed files in this `directory` (at most 256 MB) so that later checks of the repository parse only what changed (default: no cache)")
	fs.BoolVar(&f.githubReview, "github-review", false, "in a GitHub Actions pull_request or merge_group job: post the review and check run with GITHUB_TOKEN (see README)")
	// The flag package would print the error and the whole usage on a bad
	// flag, and exitCode the error again: keep it quiet, say it once.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	// Flags may follow REPO, as in `djintegrity check . --format json`:
	// parse again after each positional argument.
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				fmt.Fprint(stdout, checkUsage)
				fs.SetOutput(stdout)
				fs.PrintDefaults()
				return nil, "", err
			}
			return nil, "", usagef("check: %v\nRun 'djintegrity check -h' for the flags.", err)
		}
		if fs.NArg() == 0 {
			break
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if len(positional) > 1 {
		return nil, "", usagef("check takes at most one repository, got %q", positional)
	}
	repo := "."
	if len(positional) == 1 {
		repo = positional[0]
	}
	if (f.baseDir == "") != (f.headDir == "") {
		return nil, "", usagef("--base-dir and --head-dir go together")
	}
	if f.baseDir != "" && (f.base != "" || f.head != "" || f.staged || len(positional) > 0) {
		return nil, "", usagef("--base-dir/--head-dir compare two trees; they take no --base, --head, --staged or REPO")
	}
	if f.staged && f.head != "" {
		return nil, "", usagef("--staged reviews the index; it takes no --head")
	}
	if (f.fix || f.diff) && (f.head != "" || f.staged || f.githubReview) {
		return nil, "", usagef("--fix and --diff change the working tree (or --head-dir): they take no --head, --staged or --github-review")
	}
	if f.fix && f.diff {
		return nil, "", usagef("give --fix or --diff, not both")
	}
	return &f, repo, nil
}

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, repo, err := parseCheckFlags(args, stdout)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	if f.githubReview {
		return runGitHubReview(ctx, os.Getenv, stderr, f.verbose)
	}

	src, root, err := source(ctx, f, repo)
	if err != nil {
		return err
	}
	start := root
	if f.baseDir == "" {
		start = repo
	}
	cfg, err := loadConfig(f.config, root, start)
	if err != nil {
		return usageError{err}
	}
	log := newLogger(stderr, f.verbose)
	cfg.Logger = log
	if f.cacheDir != "" {
		if cfg.Cache, err = review.OpenCache(f.cacheDir, cliCacheBytes); err != nil {
			return usageError{fmt.Errorf("--cache-dir: %w", err)}
		}
	}
	if f.failOn != "" {
		if cfg.FailOn, err = review.ParseFailOn(f.failOn); err != nil {
			return usageError{fmt.Errorf("--fail-on: %w", err)}
		}
	}
	pub, err := review.NewWriter(f.format, stdout)
	if err != nil {
		return usageError{err}
	}
	res, err := review.Analyze(ctx, src, cfg)
	if err != nil {
		return usageError{fmt.Errorf("review: %w", err)}
	}
	log.Debug("reviewed", "files", res.FilesAnalyzed, "findings", len(res.Findings), "duration_ms", res.Duration.Milliseconds())
	if cfg.Cache != nil {
		st := cfg.Cache.Stats()
		log.Debug("parse cache", "hits", st.Hits, "from_disk", st.DiskHits, "parsed", st.Misses)
	}
	if f.fix || f.diff {
		changed, err := fix(f, root, res.Findings, stdout, stderr)
		if err != nil {
			return err
		}
		if f.diff {
			if changed && !f.exitZero {
				return errFindings
			}
			return nil
		}
		// Report what is left, as a second check would.
		if src, _, err = source(ctx, f, repo); err != nil {
			return err
		}
		if res, err = review.Analyze(ctx, src, cfg); err != nil {
			return usageError{fmt.Errorf("review after the fixes: %w", err)}
		}
	}
	if err := pub.Publish(ctx, res); err != nil {
		return fmt.Errorf("write findings: %w", err)
	}
	if review.Exceeds(res.Findings, cfg.FailOn) && !f.exitZero {
		return errFindings
	}
	return nil
}

// fix applies the findings' suggestions to the files under root, or with
// --diff prints them; it tells on stderr what it did and what it left. It
// reports whether any file changes.
func fix(f *checkFlags, root string, findings []rules.Finding, stdout, stderr io.Writer) (bool, error) {
	fixes, unfixed, err := review.Fixes(findings, func(p string) ([]byte, error) {
		return os.ReadFile(filepath.Join(root, filepath.FromSlash(p)))
	})
	if err != nil {
		return false, err
	}
	n := 0
	for _, ff := range fixes {
		n += len(ff.Fixed)
		if f.diff {
			if err := review.UnifiedDiff(stdout, ff.Path, ff.Old, ff.New); err != nil {
				return false, fmt.Errorf("write diff: %w", err)
			}
			continue
		}
		if err := os.WriteFile(filepath.Join(root, filepath.FromSlash(ff.Path)), ff.New, 0o644); err != nil {
			return false, fmt.Errorf("fix: %w", err)
		}
	}
	for _, u := range unfixed {
		fmt.Fprintf(stderr, "%s:%d: not fixed [%s]: %s\n", u.Finding.Path, u.Finding.StartLine, u.Finding.Rule, u.Reason)
	}
	verb := "fixed"
	if f.diff {
		verb = "would fix"
	}
	fmt.Fprintf(stderr, "%s %d of %d suggestions in %d files\n", verb, n, n+len(unfixed), len(fixes))
	return len(fixes) > 0, nil
}

// source picks the change to review and the head tree's root on disk:
// the directory the findings' paths are relative to.
func source(ctx context.Context, f *checkFlags, repo string) (review.Source, string, error) {
	if f.baseDir != "" {
		for _, d := range []string{f.baseDir, f.headDir} {
			if st, err := os.Stat(d); err != nil || !st.IsDir() {
				return nil, "", usagef("%s is not a directory", d)
			}
		}
		return review.NewDirSource(f.baseDir, f.headDir), f.headDir, nil
	}
	if st, err := os.Stat(repo); err != nil || !st.IsDir() {
		return nil, "", usagef("%s is not a directory", repo)
	}
	root := repo
	if top, err := gitToplevel(ctx, repo); err == nil {
		root = top
	} else if f.head == "" {
		// A named --head may be a bare mirror's; the working tree needs one.
		return nil, "", usagef("%s is not in a git repository: to review two directories, give --base-dir BASE --head-dir HEAD", repo)
	}
	base := f.base
	if f.staged {
		return review.NewIndexSource(repo, cmp.Or(base, "HEAD")), root, nil
	}
	if base == "" {
		var err error
		if base, err = review.DefaultBase(ctx, repo); err != nil {
			return nil, "", usagef("no --base given and %v", err)
		}
	}
	return review.NewGitSource(repo, base, f.head), root, nil
}

// gitToplevel is the top of repo's working tree.
func gitToplevel(ctx context.Context, repo string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", "rev-parse", "--show-toplevel")
	cmd.Dir = repo
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git rev-parse --show-toplevel in %s: %w", repo, err)
	}
	return strings.TrimRight(string(out), "\r\n"), nil
}

// loadConfig reads the named file, else finds the head tree's
// configuration (review.FindConfig: root's .github/djintegrity.yml, or the
// nearest pyproject.toml with [tool.djintegrity] from start up to root),
// else returns the defaults.
func loadConfig(name, root, start string) (*review.Config, error) {
	if name != "" {
		return review.LoadConfigFile(name)
	}
	abs, err := filepath.Abs(start)
	if err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	if root, err = filepath.Abs(root); err != nil {
		return nil, fmt.Errorf("configuration: %w", err)
	}
	if rel, err := filepath.Rel(root, abs); err != nil || strings.HasPrefix(rel, "..") {
		abs = root
	}
	cfg, _, err := review.FindConfig(root, abs)
	return cfg, err
}
