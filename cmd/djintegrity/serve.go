package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/djintegrity/djintegrity/githubreview"
	"github.com/djintegrity/djintegrity/review"
	"github.com/djintegrity/djintegrity/webhook"
	"github.com/djintegrity/djintegrity/webhook/reviewrunner"
)

// serveConfig is the configuration of `djintegrity serve`.
type serveConfig struct {
	AppID         int64
	PrivateKey    []byte // PEM
	WebhookSecret []byte
	GitHubURL     string
	Addr          string
	DataDir       string
	Workers       int
	Grace         time.Duration // running reviews may finish within it on SIGTERM
	Verbose       bool
	// Warnings are what the configuration allows but an operator should
	// fix, logged once serve's log exists.
	Warnings []string
}

// journalFile is the journal's file in the data directory.
const journalFile = "journal.db"

// HTTP limits of the server. GitHub gives a delivery 10 s; a body is at
// most 25 MB.
const (
	readHeaderTimeout = 10 * time.Second
	readTimeout       = 30 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 64 << 10
	// httpShutdownTimeout bounds waiting for deliveries being received.
	httpShutdownTimeout = 10 * time.Second
)

const serveUsage = `usage: djintegrity serve [flags]

Runs the GitHub App: receives webhooks on POST /webhook, answers GET /healthz,
and reviews pull requests with a pool of workers over a journal in the data
directory. Configured by the environment; a flag overrides its variable.

  DJINTEGRITY_APP_ID             the App's id (required)
  DJINTEGRITY_PRIVATE_KEY_FILE   the App's private key, a PEM file, or
  DJINTEGRITY_PRIVATE_KEY        the PEM text itself (required, one of the two)
  DJINTEGRITY_WEBHOOK_SECRET     the App's webhook secret (required)
  DJINTEGRITY_GITHUB_URL         REST base URL (default https://api.github.com/;
                                 Enterprise Server: https://HOST/api/v3/)
  DJINTEGRITY_ADDR               listen address (default :8080)
  DJINTEGRITY_DATA_DIR           journal directory (default djintegrity-data)
  DJINTEGRITY_WORKERS            reviews run at once (default 4)

The private key text and the webhook secret have no flags: a command line is
visible to every user of the machine.

flags:
`

// parseServeConfig reads the environment, then the flags over it.
func parseServeConfig(args []string, getenv func(string) string, stderr io.Writer) (*serveConfig, error) {
	cfg := &serveConfig{
		GitHubURL: cmp.Or(getenv("DJINTEGRITY_GITHUB_URL"), githubreview.DefaultBaseURL),
		Addr:      cmp.Or(getenv("DJINTEGRITY_ADDR"), ":8080"),
		DataDir:   cmp.Or(getenv("DJINTEGRITY_DATA_DIR"), "djintegrity-data"),
		Workers:   4,
	}
	appID := getenv("DJINTEGRITY_APP_ID")
	workers := getenv("DJINTEGRITY_WORKERS")
	keyFile := getenv("DJINTEGRITY_PRIVATE_KEY_FILE")
	keyText := getenv("DJINTEGRITY_PRIVATE_KEY")

	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // a bad flag is said once, by exitCode
	fs.Usage = func() {}
	fs.StringVar(&appID, "app-id", appID, "the App's `id` (DJINTEGRITY_APP_ID)")
	fs.StringVar(&keyFile, "private-key-file", keyFile, "the App's private key PEM `file` (DJINTEGRITY_PRIVATE_KEY_FILE)")
	fs.StringVar(&cfg.GitHubURL, "github-url", cfg.GitHubURL, "REST base `URL` (DJINTEGRITY_GITHUB_URL)")
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "listen `address` (DJINTEGRITY_ADDR)")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "journal `directory` (DJINTEGRITY_DATA_DIR)")
	fs.StringVar(&workers, "workers", workers, "reviews run at `once` (DJINTEGRITY_WORKERS, default 4)")
	fs.DurationVar(&cfg.Grace, "grace", 20*time.Second, "on SIGTERM, how long running reviews may take to finish")
	fs.BoolVar(&cfg.Verbose, "v", false, "debug logs (ignored deliveries)")
	keyFlagSet := false
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stderr, serveUsage)
			fs.SetOutput(stderr)
			fs.PrintDefaults()
			return nil, err
		}
		return nil, usagef("serve: %v\nRun 'djintegrity serve -h' for the settings and flags.", err)
	}
	fs.Visit(func(f *flag.Flag) { keyFlagSet = keyFlagSet || f.Name == "private-key-file" })
	if fs.NArg() > 0 {
		return nil, usagef("serve takes no arguments, got %q", fs.Args())
	}

	// Every bad or missing setting at once: a deploy should not take one
	// restart per variable.
	var problems []string
	bad := func(format string, a ...any) { problems = append(problems, fmt.Sprintf(format, a...)) }
	var err error
	if cfg.AppID, err = strconv.ParseInt(strings.TrimSpace(appID), 10, 64); err != nil || cfg.AppID <= 0 {
		bad("DJINTEGRITY_APP_ID %q: want the App's numeric id", appID)
	}
	if workers != "" {
		if cfg.Workers, err = strconv.Atoi(strings.TrimSpace(workers)); err != nil || cfg.Workers <= 0 || cfg.Workers > 256 {
			bad("DJINTEGRITY_WORKERS %q: want 1 to 256", workers)
		}
	}
	if cfg.Grace <= 0 {
		bad("-grace %v: want a positive duration", cfg.Grace)
	}
	switch {
	case keyFile != "" && keyText != "" && !keyFlagSet:
		bad("both DJINTEGRITY_PRIVATE_KEY_FILE and DJINTEGRITY_PRIVATE_KEY are set: give one")
	case keyFile != "":
		if cfg.PrivateKey, err = os.ReadFile(keyFile); err != nil {
			bad("private key: %v", err)
		}
		if fi, err := os.Stat(keyFile); err == nil && fi.Mode().Perm()&0o077 != 0 {
			cfg.Warnings = append(cfg.Warnings, fmt.Sprintf(
				"the private key file %s is readable by other users (mode %v): whoever reads it can act as the App; chmod 600 it",
				keyFile, fi.Mode().Perm()))
		}
	case keyText != "":
		cfg.PrivateKey = []byte(keyText)
	default:
		bad("no private key: set DJINTEGRITY_PRIVATE_KEY_FILE or DJINTEGRITY_PRIVATE_KEY")
	}
	// Fail closed: without a secret anyone could ask for reviews, and with
	// a short one anyone who guesses it.
	cfg.WebhookSecret = []byte(getenv("DJINTEGRITY_WEBHOOK_SECRET"))
	if len(cfg.WebhookSecret) == 0 {
		bad("DJINTEGRITY_WEBHOOK_SECRET is empty: refusing to accept unsigned webhooks")
	} else if err := webhook.CheckSecret(cfg.WebhookSecret); err != nil {
		bad("DJINTEGRITY_WEBHOOK_SECRET: %v", err)
	}
	if _, ok := githubreview.ParseBaseURL(cfg.GitHubURL); !ok {
		bad("DJINTEGRITY_GITHUB_URL %q: want https://HOST/ (Enterprise Server: https://HOST/api/v3/)", githubreview.RedactURL(cfg.GitHubURL))
	}
	if cfg.DataDir == "" {
		bad("DJINTEGRITY_DATA_DIR is empty")
	}
	switch len(problems) {
	case 0:
	case 1:
		return nil, usagef("%s", problems[0])
	default:
		return nil, usagef("%d settings to fix:\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	return cfg, nil
}

func runServe(ctx context.Context, args []string, stderr io.Writer) error {
	cfg, err := parseServeConfig(args, os.Getenv, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return err
	}
	log := newJSONLogger(stderr, cfg.Verbose)
	for _, w := range cfg.Warnings {
		log.Warn(w)
	}
	runner, err := newReviewRunner(cfg, nil, log)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	return serveOn(ctx, cfg, ln, runner, log)
}

// newJSONLogger is serve's structured log on stderr.
func newJSONLogger(w io.Writer, verbose bool) *slog.Logger {
	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// serveCacheBytes bounds the parsed files serve keeps between reviews, in
// memory and in cacheDir of its data directory: Saleor's 4,300 Python
// files take about 120 MB by the cache's estimate.
const serveCacheBytes = 256 << 20

// cacheDir is where, in the data directory, serve keeps parsed files.
const cacheDir = "parse-cache"

// newReviewRunner builds the reviewer from the App's credentials; client is
// nil outside tests.
func newReviewRunner(cfg *serveConfig, client *http.Client, log *slog.Logger) (webhook.Runner, error) {
	cache := review.NewCache(serveCacheBytes)
	if cfg.DataDir != "" { // tests leave it out
		var err error
		if cache, err = review.OpenCache(filepath.Join(cfg.DataDir, cacheDir), serveCacheBytes); err != nil {
			return nil, err
		}
	}
	r, err := githubreview.New(githubreview.Options{
		BaseURL:    cfg.GitHubURL,
		AppID:      cfg.AppID,
		PrivateKey: cfg.PrivateKey,
		HTTPClient: client,
		Logger:     log,
		Cache:      cache,
	})
	if err != nil {
		return nil, usagef("%w", err)
	}
	return reviewrunner.New(r), nil
}

// serveOn runs the App on ln until ctx is cancelled (SIGTERM): then it
// stops taking deliveries, gives running reviews cfg.Grace to finish and
// leaves the other jobs in the journal for the next start.
func serveOn(ctx context.Context, cfg *serveConfig, ln net.Listener, runner webhook.Runner, log *slog.Logger) error {
	journal, err := openServeJournal(cfg, log)
	if err != nil {
		ln.Close()
		return err
	}
	defer journal.Close()
	hook, err := webhook.NewHandler(webhook.Options{
		Secret: cfg.WebhookSecret,
		AppID:  cfg.AppID,
		Queue:  journal,
		Logger: log,
	})
	if err != nil {
		ln.Close()
		return usagef("%w", err)
	}

	var ready atomic.Bool
	mux := http.NewServeMux()
	mux.Handle("/webhook", hook)
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		if !ready.Load() {
			http.Error(w, "not ready", http.StatusServiceUnavailable)
			return
		}
		io.WriteString(w, "ok\n")
	})
	srv := &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}

	// The workers' context is cancelled when shutdown begins, whatever ends
	// serving: from then on no review starts, running ones get the grace
	// period, and deliveries still arriving are journaled for the next start.
	workCtx, stopWork := context.WithCancel(context.WithoutCancel(ctx))
	defer stopWork()
	workDone := make(chan error, 1)
	go func() { workDone <- journal.Run(workCtx, runner) }()
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	ready.Store(true)
	log.Info("serving",
		slog.String("addr", ln.Addr().String()),
		slog.String("github_url", githubreview.RedactURL(cfg.GitHubURL)),
		slog.Int64("app_id", cfg.AppID),
		slog.Int("workers", cfg.Workers),
		slog.String("data_dir", cfg.DataDir),
		slog.Int("jobs_waiting", journal.Len()))

	var serveErr error
	select {
	case <-ctx.Done():
	case serveErr = <-served:
		serveErr = fmt.Errorf("http server: %w", serveErr)
	}
	ready.Store(false)
	stopWork() // before the log line, which says no review starts any more
	log.Info("shutting down: no new deliveries; running reviews may finish", slog.Int64("grace_ms", cfg.Grace.Milliseconds()))
	shutdownCtx, cancel := context.WithTimeout(context.Background(), httpShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		log.Warn("http shutdown", slog.Any("error", err))
	}
	if err := <-workDone; err != nil {
		serveErr = errors.Join(serveErr, err)
	}
	log.Info("stopped", slog.Int("jobs_left", journal.Len()))
	return serveErr
}

func openServeJournal(cfg *serveConfig, log *slog.Logger) (*webhook.Journal, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data directory: %w", err)
	}
	return webhook.OpenJournal(filepath.Join(cfg.DataDir, journalFile), webhook.JournalOptions{
		Workers: cfg.Workers,
		Grace:   cfg.Grace,
		Logger:  log,
	})
}
