package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/djintegrity/djintegrity/review"
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
	staged           bool
}

func parseCheckFlags(args []string, stderr io.Writer) (*checkFlags, string, error) {
	var f checkFlags
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, "usage: djintegrity check [flags] [REPO]\n\nReviews the change from --base to --head of the Django project in REPO (default .),\nor from --base-dir to --head-dir, and prints the findings on changed lines.\n\nflags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&f.base, "base", "", "base `revision` (default: merge-base of HEAD with the default branch)")
	fs.StringVar(&f.head, "head", "", "head `revision` (default: the working tree, uncommitted changes included)")
	fs.BoolVar(&f.staged, "staged", false, "review the staged change, what `git commit` would commit: the index against --base (default HEAD)")
	fs.StringVar(&f.baseDir, "base-dir", "", "base `directory`: compare two plain trees instead of git revisions")
	fs.StringVar(&f.headDir, "head-dir", "", "head `directory` (with --base-dir)")
	fs.StringVar(&f.format, "format", "text", "output `format`: text, json, sarif or markdown")
	fs.StringVar(&f.failOn, "fail-on", "", "exit 1 when a finding reaches this `severity`: error, warning, notice or never (default: the config's fail_on, else error)")
	fs.StringVar(&f.config, "config", "", "configuration `file` (default: .github/djintegrity.yml of the head tree, if present)")
	fs.BoolVar(&f.verbose, "v", false, "log skipped files and timings to stderr")
	fs.BoolVar(&f.githubReview, "github-review", false, "in a GitHub Actions pull_request or merge_group job: post the review and check run with GITHUB_TOKEN (see README)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil, "", err
		}
		return nil, "", usageError{err}
	}
	if fs.NArg() > 1 {
		return nil, "", usagef("check takes at most one repository, got %q", fs.Args())
	}
	repo := "."
	if fs.NArg() == 1 {
		repo = fs.Arg(0)
	}
	if (f.baseDir == "") != (f.headDir == "") {
		return nil, "", usagef("--base-dir and --head-dir go together")
	}
	if f.baseDir != "" && (f.base != "" || f.head != "" || f.staged || fs.NArg() > 0) {
		return nil, "", usagef("--base-dir/--head-dir compare two trees; they take no --base, --head, --staged or REPO")
	}
	if f.staged && f.head != "" {
		return nil, "", usagef("--staged reviews the index; it takes no --head")
	}
	return &f, repo, nil
}

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	f, repo, err := parseCheckFlags(args, stderr)
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
	cfg, err := loadConfig(f.config, root)
	if err != nil {
		return usageError{err}
	}
	log := newLogger(stderr, f.verbose)
	cfg.Logger = log
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
	log.Debug("reviewed", "files", res.FilesAnalyzed, "findings", len(res.Findings), "duration", res.Duration)
	if err := pub.Publish(ctx, res); err != nil {
		return fmt.Errorf("write findings: %w", err)
	}
	if review.Exceeds(res.Findings, cfg.FailOn) {
		return errFindings
	}
	return nil
}

// source picks the change to review and the head tree's root on disk.
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
	base := f.base
	if f.staged {
		return review.NewIndexSource(repo, cmp.Or(base, "HEAD")), repo, nil
	}
	if base == "" {
		var err error
		if base, err = review.DefaultBase(ctx, repo); err != nil {
			return nil, "", usagef("no --base given and %v", err)
		}
	}
	return review.NewGitSource(repo, base, f.head), repo, nil
}

// loadConfig reads the named file, or the head tree's
// .github/djintegrity.yml when there is one, or returns the defaults.
func loadConfig(name, root string) (*review.Config, error) {
	if name != "" {
		return review.LoadConfig(name)
	}
	cfg, err := review.LoadConfig(filepath.Join(root, filepath.FromSlash(review.ConfigPath)))
	if errors.Is(err, fs.ErrNotExist) {
		return review.DefaultConfig(), nil
	}
	return cfg, err
}
