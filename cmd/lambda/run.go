package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdaurl"
	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/djintegrity/djintegrity/githubreview"
	"github.com/djintegrity/djintegrity/internal/awssecrets"
	"github.com/djintegrity/djintegrity/review"
	"github.com/djintegrity/djintegrity/webhook"
	"github.com/djintegrity/djintegrity/webhook/reviewrunner"
	"github.com/djintegrity/djintegrity/webhook/sqsqueue"
)

// secretsTimeout bounds reading the secrets at init; Lambda's init phase
// has 10 seconds.
const secretsTimeout = 5 * time.Second

// platform is what run reaches outside the process through; tests replace
// it.
type platform struct {
	getenv    func(string) string
	awsConfig func(context.Context) (aws.Config, error)
	start     starter
}

// starter hands a role's handler to the Lambda runtime loop.
type starter interface {
	receiver(h http.Handler)
	worker(w *sqsqueue.Worker)
}

// lambdaStarter starts the real runtime loop, which does not return.
type lambdaStarter struct{}

func (lambdaStarter) receiver(h http.Handler)   { lambdaurl.Start(h) }
func (lambdaStarter) worker(w *sqsqueue.Worker) { lambda.Start(w.Handle) }

// defaultPlatform is Lambda's: the process environment, the SDK's default
// configuration (the function's role credentials and region; the
// AWS_ENDPOINT_URL_* variables move an endpoint, for local runs) and the
// runtime loop.
func defaultPlatform(getenv func(string) string) platform {
	return platform{
		getenv:    getenv,
		awsConfig: func(ctx context.Context) (aws.Config, error) { return awsconfig.LoadDefaultConfig(ctx) },
		start:     lambdaStarter{},
	}
}

// runOn initialises the role the environment names and starts it. Whatever
// can be done once per execution environment is done here, during Lambda's
// init phase: the secrets are read and cached, the clients built.
func runOn(ctx context.Context, p platform, log *slog.Logger) error {
	cfg, err := parseConfig(p.getenv)
	if err != nil {
		return err
	}
	awsCfg, err := p.awsConfig(ctx)
	if err != nil {
		return fmt.Errorf("aws configuration: %w", err)
	}
	secrets := awssecrets.New(secretsmanager.NewFromConfig(awsCfg))
	switch cfg.Role {
	case roleReceiver:
		h, err := newReceiver(ctx, cfg, secrets, sqs.NewFromConfig(awsCfg), log)
		if err != nil {
			return err
		}
		ready(log, cfg)
		p.start.receiver(h)
	case roleWorker:
		w, err := newWorker(ctx, cfg, secrets, nil, log)
		if err != nil {
			return err
		}
		ready(log, cfg)
		p.start.worker(w)
	}
	return nil
}

func ready(log *slog.Logger, cfg *config) {
	took := time.Since(started)
	log.Info("lambda: ready", slog.String("role", cfg.Role), slog.Int64("app_id", cfg.AppID),
		slog.Float64("init_ms", float64(took.Microseconds())/1000))
}

// newReceiver is the webhook handler, verifying with the secret from
// Secrets Manager and queueing to SQS.
func newReceiver(ctx context.Context, cfg *config, secrets *awssecrets.Cache, api sqsqueue.SendAPI, log *slog.Logger) (http.Handler, error) {
	sctx, cancel := context.WithTimeout(ctx, secretsTimeout)
	defer cancel()
	secret, err := secrets.Get(sctx, cfg.WebhookSecretARN)
	if err != nil {
		return nil, fmt.Errorf("webhook secret: %w", err)
	}
	// A secret stored from a file often ends in a newline that the one
	// typed into GitHub's settings does not have.
	secret = []byte(strings.TrimRight(string(secret), "\r\n"))
	q, err := sqsqueue.NewQueue(api, cfg.QueueURL)
	if err != nil {
		return nil, err
	}
	return webhook.NewHandler(webhook.Options{
		Secret: secret,
		AppID:  cfg.AppID,
		Queue:  q,
		Logger: log,
	})
}

// newWorker is the SQS handler, reviewing as the App with the private key
// from Secrets Manager.
func newWorker(ctx context.Context, cfg *config, secrets *awssecrets.Cache, client *http.Client, log *slog.Logger) (*sqsqueue.Worker, error) {
	sctx, cancel := context.WithTimeout(ctx, secretsTimeout)
	defer cancel()
	key, err := secrets.Get(sctx, cfg.PrivateKeySecretARN)
	if err != nil {
		return nil, fmt.Errorf("private key: %w", err)
	}
	cache, err := review.OpenCache(cfg.CacheDir, cfg.CacheBytes)
	if err != nil {
		return nil, err
	}
	r, err := githubreview.New(githubreview.Options{
		BaseURL:    cfg.GitHubURL,
		AppID:      cfg.AppID,
		PrivateKey: key,
		HTTPClient: client,
		Logger:     log,
		Cache:      cache,
	})
	if err != nil {
		return nil, err
	}
	return sqsqueue.NewWorker(sqsqueue.WorkerOptions{Runner: reviewrunner.New(r), MaxReceives: cfg.MaxReceives, Logger: log})
}

// newLogger writes JSON lines to w, which Lambda sends to CloudWatch Logs;
// level is the function's application log level (AWS_LAMBDA_LOG_LEVEL,
// set from the function's logging configuration), INFO by default.
func newLogger(w io.Writer, level string) *slog.Logger {
	l := slog.LevelInfo
	switch strings.ToUpper(level) {
	case "TRACE", "DEBUG":
		l = slog.LevelDebug
	case "WARN":
		l = slog.LevelWarn
	case "ERROR", "FATAL":
		l = slog.LevelError
	}
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}
