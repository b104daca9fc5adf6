package main

import (
	"cmp"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/djintegrity/djintegrity/githubreview"
)

// Roles of the binary.
const (
	roleReceiver = "receiver"
	roleWorker   = "worker"
)

// config is the function's configuration, from its environment:
//
//	DJINTEGRITY_LAMBDA_ROLE              receiver or worker (required)
//	DJINTEGRITY_APP_ID                   the GitHub App's id (required)
//	DJINTEGRITY_QUEUE_URL                receiver: the SQS FIFO queue's URL
//	DJINTEGRITY_WEBHOOK_SECRET_ARN       receiver: the Secrets Manager secret
//	                                     holding the App's webhook secret
//	DJINTEGRITY_PRIVATE_KEY_SECRET_ARN   worker: the secret holding the App's
//	                                     private key (PEM)
//	DJINTEGRITY_GITHUB_URL               worker: REST base URL (default
//	                                     https://api.github.com/; Enterprise
//	                                     Server: https://HOST/api/v3/)
//	DJINTEGRITY_MAX_RECEIVE_COUNT        worker: the jobs queue's
//	                                     maxReceiveCount (optional; see
//	                                     sqsqueue.WorkerOptions.MaxReceives)
//
// The secrets themselves never sit in the environment: the variables of
// `djintegrity serve` that would hold them are refused.
type config struct {
	Role                string
	AppID               int64
	QueueURL            string
	WebhookSecretARN    string
	PrivateKeySecretARN string
	GitHubURL           string
	MaxReceives         int
	// CacheBytes bounds the parsed files the worker keeps between
	// reviews (see cacheBytes), in memory and in CacheDir, under /tmp,
	// which lives as long as the execution environment, through warm
	// invocations and a restart of the process in it.
	CacheBytes int64
	CacheDir   string
}

// plainSecretVars are serve's variables that carry a secret in the clear.
var plainSecretVars = []string{"DJINTEGRITY_WEBHOOK_SECRET", "DJINTEGRITY_PRIVATE_KEY", "DJINTEGRITY_PRIVATE_KEY_FILE"}

func parseConfig(getenv func(string) string) (*config, error) {
	cfg := &config{
		Role:                strings.TrimSpace(getenv("DJINTEGRITY_LAMBDA_ROLE")),
		QueueURL:            strings.TrimSpace(getenv("DJINTEGRITY_QUEUE_URL")),
		WebhookSecretARN:    strings.TrimSpace(getenv("DJINTEGRITY_WEBHOOK_SECRET_ARN")),
		PrivateKeySecretARN: strings.TrimSpace(getenv("DJINTEGRITY_PRIVATE_KEY_SECRET_ARN")),
		GitHubURL:           strings.TrimSpace(getenv("DJINTEGRITY_GITHUB_URL")),
	}
	for _, v := range plainSecretVars {
		if getenv(v) != "" {
			return nil, fmt.Errorf("%s is set: on Lambda the App's secrets come from Secrets Manager (DJINTEGRITY_WEBHOOK_SECRET_ARN, DJINTEGRITY_PRIVATE_KEY_SECRET_ARN); remove it", v)
		}
	}
	appID := getenv("DJINTEGRITY_APP_ID")
	id, err := strconv.ParseInt(strings.TrimSpace(appID), 10, 64)
	if err != nil || id <= 0 {
		return nil, fmt.Errorf("DJINTEGRITY_APP_ID %q: want the App's numeric id", appID)
	}
	cfg.AppID = id
	switch cfg.Role {
	case roleReceiver:
		if cfg.QueueURL == "" {
			return nil, fmt.Errorf("DJINTEGRITY_QUEUE_URL is empty: the receiver needs the SQS queue's URL")
		}
		if !strings.HasSuffix(cfg.QueueURL, ".fifo") {
			return nil, fmt.Errorf("DJINTEGRITY_QUEUE_URL %q: want a FIFO queue (its name ends in .fifo), so reviews of a pull request run in order", githubreview.RedactURL(cfg.QueueURL))
		}
		if cfg.WebhookSecretARN == "" {
			return nil, fmt.Errorf("DJINTEGRITY_WEBHOOK_SECRET_ARN is empty: refusing to accept unsigned webhooks")
		}
	case roleWorker:
		if cfg.PrivateKeySecretARN == "" {
			return nil, fmt.Errorf("DJINTEGRITY_PRIVATE_KEY_SECRET_ARN is empty: the worker needs the App's private key")
		}
		if cfg.GitHubURL == "" {
			cfg.GitHubURL = githubreview.DefaultBaseURL
		}
		if _, ok := githubreview.ParseBaseURL(cfg.GitHubURL); !ok {
			return nil, fmt.Errorf("DJINTEGRITY_GITHUB_URL %q: want https://HOST/ (Enterprise Server: https://HOST/api/v3/)", githubreview.RedactURL(cfg.GitHubURL))
		}
		if v := strings.TrimSpace(getenv("DJINTEGRITY_MAX_RECEIVE_COUNT")); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return nil, fmt.Errorf("DJINTEGRITY_MAX_RECEIVE_COUNT %q: want the jobs queue's maxReceiveCount, 1 or more", v)
			}
			cfg.MaxReceives = n
		}
		cfg.CacheBytes = cacheBytes(getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"))
		cfg.CacheDir = filepath.Join(cmp.Or(getenv("TMPDIR"), "/tmp"), workerCacheDir)
	default:
		return nil, fmt.Errorf("DJINTEGRITY_LAMBDA_ROLE %q: want %q or %q", cfg.Role, roleReceiver, roleWorker)
	}
	return cfg, nil
}

// workerCacheDir is where, in the temporary directory (Lambda's only
// writable one, /tmp), the worker keeps parsed files.
const workerCacheDir = "djintegrity-parse-cache"

// cacheBytes bounds the parsed files a warm worker keeps between
// reviews: a quarter of the function's memory (memoryMB, as Lambda sets
// AWS_LAMBDA_FUNCTION_MEMORY_SIZE; the template's default, 512, when
// unset or unreadable), leaving the rest to the review in progress.
func cacheBytes(memoryMB string) int64 {
	mb, err := strconv.ParseInt(memoryMB, 10, 64)
	if err != nil || mb <= 0 {
		mb = 512
	}
	return mb << 20 / 4
}
