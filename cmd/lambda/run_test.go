package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/githubtest"
	"github.com/djintegrity/djintegrity/internal/awstest"
	"github.com/djintegrity/djintegrity/webhook/sqsqueue"
)

func TestParseConfig(t *testing.T) {
	receiver := map[string]string{
		"DJINTEGRITY_LAMBDA_ROLE":        "receiver",
		"DJINTEGRITY_APP_ID":             "12345",
		"DJINTEGRITY_QUEUE_URL":          "https://sqs.eu-west-1.amazonaws.com/123456789012/djintegrity-jobs.fifo",
		"DJINTEGRITY_WEBHOOK_SECRET_ARN": webhookSecretARN,
	}
	worker := map[string]string{
		"DJINTEGRITY_LAMBDA_ROLE":            "worker",
		"DJINTEGRITY_APP_ID":                 "12345",
		"DJINTEGRITY_PRIVATE_KEY_SECRET_ARN": privateKeyARN,
	}
	with := func(base map[string]string, k, v string) map[string]string {
		m := map[string]string{}
		for bk, bv := range base {
			m[bk] = bv
		}
		if v == "" {
			delete(m, k)
		} else {
			m[k] = v
		}
		return m
	}
	for name, tc := range map[string]struct {
		env     map[string]string
		want    *config
		wantErr string
	}{
		"receiver": {env: receiver, want: &config{Role: "receiver", AppID: 12345,
			QueueURL: receiver["DJINTEGRITY_QUEUE_URL"], WebhookSecretARN: webhookSecretARN}},
		"worker": {env: worker, want: &config{Role: "worker", AppID: 12345,
			PrivateKeySecretARN: privateKeyARN, GitHubURL: "https://api.github.com/", CacheBytes: 128 << 20, CacheDir: "/tmp/" + workerCacheDir}},
		"worker's cache takes a quarter of its memory": {env: with(worker, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "1024"), want: &config{Role: "worker", AppID: 12345,
			PrivateKeySecretARN: privateKeyARN, GitHubURL: "https://api.github.com/", CacheBytes: 256 << 20, CacheDir: "/tmp/" + workerCacheDir}},
		"worker knows the queue's maxReceiveCount": {
			env: with(worker, "DJINTEGRITY_MAX_RECEIVE_COUNT", "5"),
			want: &config{Role: "worker", AppID: 12345, PrivateKeySecretARN: privateKeyARN,
				GitHubURL: "https://api.github.com/", MaxReceives: 5, CacheBytes: 128 << 20, CacheDir: "/tmp/" + workerCacheDir}},
		"worker bad maxReceiveCount": {env: with(worker, "DJINTEGRITY_MAX_RECEIVE_COUNT", "0"), wantErr: `DJINTEGRITY_MAX_RECEIVE_COUNT "0"`},
		"worker on Enterprise Server": {
			env: with(worker, "DJINTEGRITY_GITHUB_URL", "https://ghe.example.com/api/v3/"),
			want: &config{Role: "worker", AppID: 12345, PrivateKeySecretARN: privateKeyARN,
				GitHubURL: "https://ghe.example.com/api/v3/", CacheBytes: 128 << 20, CacheDir: "/tmp/" + workerCacheDir}},
		"no role":           {env: with(worker, "DJINTEGRITY_LAMBDA_ROLE", ""), wantErr: `DJINTEGRITY_LAMBDA_ROLE "": want "receiver" or "worker"`},
		"unknown role":      {env: with(worker, "DJINTEGRITY_LAMBDA_ROLE", "serve"), wantErr: `DJINTEGRITY_LAMBDA_ROLE "serve"`},
		"no app id":         {env: with(worker, "DJINTEGRITY_APP_ID", ""), wantErr: `DJINTEGRITY_APP_ID "": want the App's numeric id`},
		"bad app id":        {env: with(worker, "DJINTEGRITY_APP_ID", "djintegrity"), wantErr: `DJINTEGRITY_APP_ID "djintegrity"`},
		"receiver no queue": {env: with(receiver, "DJINTEGRITY_QUEUE_URL", ""), wantErr: "DJINTEGRITY_QUEUE_URL is empty"},
		"receiver standard queue": {
			env:     with(receiver, "DJINTEGRITY_QUEUE_URL", "https://sqs.eu-west-1.amazonaws.com/123456789012/djintegrity-jobs"),
			wantErr: "want a FIFO queue"},
		"receiver no secret":  {env: with(receiver, "DJINTEGRITY_WEBHOOK_SECRET_ARN", ""), wantErr: "DJINTEGRITY_WEBHOOK_SECRET_ARN is empty: refusing to accept unsigned webhooks"},
		"worker no key":       {env: with(worker, "DJINTEGRITY_PRIVATE_KEY_SECRET_ARN", ""), wantErr: "DJINTEGRITY_PRIVATE_KEY_SECRET_ARN is empty"},
		"worker bad url":      {env: with(worker, "DJINTEGRITY_GITHUB_URL", "api.github.com"), wantErr: `DJINTEGRITY_GITHUB_URL "api.github.com"`},
		"worker url password": {env: with(worker, "DJINTEGRITY_GITHUB_URL", "ftp://bot:hunter2@ghe.example.com/"), wantErr: `DJINTEGRITY_GITHUB_URL "ftp://REDACTED@ghe.example.com/"`},
		"secret in the clear": {
			env:     with(receiver, "DJINTEGRITY_WEBHOOK_SECRET", testWebhookSecret),
			wantErr: "DJINTEGRITY_WEBHOOK_SECRET is set: on Lambda the App's secrets come from Secrets Manager"},
		"key in the clear": {
			env:     with(worker, "DJINTEGRITY_PRIVATE_KEY", "-----BEGIN RSA PRIVATE KEY-----"),
			wantErr: "DJINTEGRITY_PRIVATE_KEY is set"},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := parseConfig(env(tc.env))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
				if v := tc.env["DJINTEGRITY_WEBHOOK_SECRET"] + tc.env["DJINTEGRITY_PRIVATE_KEY"]; v != "" && strings.Contains(err.Error(), v) {
					t.Errorf("the error repeats the secret: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

// fakeStarter records the handler a role started instead of entering the
// runtime loop.
type fakeStarter struct {
	url http.Handler
	sqs *sqsqueue.Worker
}

func (s *fakeStarter) receiver(h http.Handler)   { s.url = h }
func (s *fakeStarter) worker(w *sqsqueue.Worker) { s.sqs = w }

// TestRunOn: each role reads its secret during init, through the SDK's
// clients built from the function's AWS configuration, and starts the
// matching handler; nothing starts when a secret cannot be read.
func TestRunOn(t *testing.T) {
	_, key := githubtest.AppKey(t)
	queueURL := awstest.StartSQS(t).CreateFIFOQueue(t, "run")
	for name, tc := range map[string]struct {
		env          map[string]string
		secrets      map[string]string
		wantReceiver bool
		wantWorker   bool
		wantErr      string
	}{
		"receiver": {
			env: map[string]string{"DJINTEGRITY_LAMBDA_ROLE": "receiver", "DJINTEGRITY_APP_ID": "29310",
				"DJINTEGRITY_QUEUE_URL": queueURL, "DJINTEGRITY_WEBHOOK_SECRET_ARN": webhookSecretARN},
			secrets:      map[string]string{webhookSecretARN: testWebhookSecret},
			wantReceiver: true,
		},
		"worker": {
			env: map[string]string{"DJINTEGRITY_LAMBDA_ROLE": "worker", "DJINTEGRITY_APP_ID": "4242",
				"DJINTEGRITY_PRIVATE_KEY_SECRET_ARN": privateKeyARN},
			secrets:    map[string]string{privateKeyARN: string(key)},
			wantWorker: true,
		},
		"worker with a key that is not one": {
			env: map[string]string{"DJINTEGRITY_LAMBDA_ROLE": "worker", "DJINTEGRITY_APP_ID": "4242",
				"DJINTEGRITY_PRIVATE_KEY_SECRET_ARN": privateKeyARN},
			secrets: map[string]string{privateKeyARN: "not a PEM key"},
			wantErr: "github app 4242",
		},
		"worker without its secret": {
			env: map[string]string{"DJINTEGRITY_LAMBDA_ROLE": "worker", "DJINTEGRITY_APP_ID": "4242",
				"DJINTEGRITY_PRIVATE_KEY_SECRET_ARN": privateKeyARN},
			secrets: map[string]string{webhookSecretARN: testWebhookSecret},
			wantErr: "private key: reading secret " + privateKeyARN,
		},
	} {
		t.Run(name, func(t *testing.T) {
			fake := newFakeAWS(t, tc.secrets)
			s := &fakeStarter{}
			var logs bytes.Buffer
			tc.env["TMPDIR"] = t.TempDir() // the worker's parse cache
			err := runOn(t.Context(), platform{getenv: env(tc.env), awsConfig: fake.config, start: s}, newLogger(&logs, "INFO"))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if (s.url != nil) != tc.wantReceiver || (s.sqs != nil) != tc.wantWorker {
				t.Errorf("started receiver %t, worker %t; want %t, %t", s.url != nil, s.sqs != nil, tc.wantReceiver, tc.wantWorker)
			}
			if tc.wantErr == "" {
				var ready struct {
					Msg  string  `json:"msg"`
					Role string  `json:"role"`
					Init float64 `json:"init_ms"`
				}
				if err := json.Unmarshal(logs.Bytes(), &ready); err != nil || ready.Msg != "lambda: ready" || ready.Role != tc.env["DJINTEGRITY_LAMBDA_ROLE"] || ready.Init <= 0 {
					t.Errorf("init log %q: want one lambda: ready line naming the role and the init time", logs.String())
				}
			}
		})
	}
}

func TestNewLogger(t *testing.T) {
	for name, tc := range map[string]struct {
		level     string
		wantDebug bool
		wantInfo  bool
	}{
		"default": {level: "", wantInfo: true},
		"DEBUG":   {level: "DEBUG", wantDebug: true, wantInfo: true},
		"WARN":    {level: "WARN"},
	} {
		t.Run(name, func(t *testing.T) {
			var buf bytes.Buffer
			log := newLogger(&buf, tc.level)
			ctx := context.Background()
			if got := log.Enabled(ctx, -4); got != tc.wantDebug {
				t.Errorf("debug enabled %t, want %t", got, tc.wantDebug)
			}
			if got := log.Enabled(ctx, 0); got != tc.wantInfo {
				t.Errorf("info enabled %t, want %t", got, tc.wantInfo)
			}
		})
	}
}

func TestMemoryLimit(t *testing.T) {
	for name, tc := range map[string]struct {
		env    map[string]string
		want   int64
		wantOK bool
	}{
		"128 MB function": {env: map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128"}, want: 128 << 20 * 4 / 5, wantOK: true},
		"512 MB function": {env: map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512"}, want: 512 << 20 * 4 / 5, wantOK: true},
		"GOMEMLIMIT set":  {env: map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512", "GOMEMLIMIT": "300MiB"}},
		"not on Lambda":   {env: map[string]string{}},
		"garbage":         {env: map[string]string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "lots"}},
	} {
		t.Run(name, func(t *testing.T) {
			got, ok := memoryLimit(env(tc.env))
			if got != tc.want || ok != tc.wantOK {
				t.Errorf("memoryLimit = %d, %t; want %d, %t", got, ok, tc.want, tc.wantOK)
			}
		})
	}
}
