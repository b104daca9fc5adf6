package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-lambda-go/lambdaurl"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/internal/awssecrets"
	"github.com/djintegrity/djintegrity/internal/awstest"
	"github.com/djintegrity/djintegrity/webhook"
	"github.com/djintegrity/djintegrity/webhook/sqsqueue"
	"github.com/djintegrity/djintegrity/webhook/webhooktest"
)

// checkSuiteApp is the App id of @octokit/webhooks-examples' check_suite
// deliveries: the receiver acts on re-runs of its own App only.
const checkSuiteApp = 29310

// receiverFor builds the receiver as the function does at init, reading
// the webhook secret from the fake Secrets Manager and sending to the
// queue at queueURL.
func receiverFor(t testing.TB, aws *fakeAWS, queueURL string, logs *bytes.Buffer) http.Handler {
	t.Helper()
	cfg, err := parseConfig(env(map[string]string{
		"DJINTEGRITY_LAMBDA_ROLE":        roleReceiver,
		"DJINTEGRITY_APP_ID":             "29310",
		"DJINTEGRITY_QUEUE_URL":          queueURL,
		"DJINTEGRITY_WEBHOOK_SECRET_ARN": webhookSecretARN,
	}))
	if err != nil {
		t.Fatal(err)
	}
	awsCfg, _ := aws.config(context.Background())
	h, err := newReceiver(context.Background(), cfg, awssecrets.New(secretsClient(awsCfg)), sqs.NewFromConfig(awsCfg),
		slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return h
}

// TestReceiver sends GitHub's real deliveries, signed, through the Function
// URL's event format and lambdaurl to the receiver, which queues them on a
// local SQS FIFO queue.
func TestReceiver(t *testing.T) {
	// The secret as stored from a file, with a newline GitHub's copy lacks.
	fake := newFakeAWS(t, map[string]string{webhookSecretARN: testWebhookSecret + "\n"})
	sqsSrv := awstest.StartSQS(t)
	queueURL := sqsSrv.CreateFIFOQueue(t, "receiver")
	var logs bytes.Buffer
	h := receiverFor(t, fake, queueURL, &logs)

	opened := webhooktest.Example(t, "pull_request", webhooktest.Action("opened")).
		ForPullRequest(testInstallation, "octo", "shop", 7, "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", "ec26c3e57ca3a959ca5aad62de7213c562f8c821").Bytes(t)
	// GitHub's example re-run names one pull request; a re-run of a commit
	// that heads two pull requests names both, one job each.
	suite := webhooktest.Example(t, "check_suite", webhooktest.Action("rerequested"))
	prs := suite.Get("check_suite", "pull_requests").([]any)
	second := map[string]any{}
	for k, v := range prs[0].(map[string]any) {
		second[k] = v
	}
	second["number"] = float64(3)
	suite.Set(append(prs, second), "check_suite", "pull_requests")
	suiteBody := suite.Bytes(t)
	ping := webhooktest.Payloads(t, "ping")[0]
	push := webhooktest.Payloads(t, "push")[0]

	type queued struct{ Group, Dedup, Repo string }
	for _, tc := range []struct {
		name       string
		d          delivery
		wantStatus int
		wantBody   string
		wantQueued []queued // new messages on the queue
	}{{
		name:       "pull_request opened",
		d:          delivery{event: "pull_request", id: "d-opened", body: opened, secret: testWebhookSecret},
		wantStatus: http.StatusAccepted,
		wantBody:   "queued 1, duplicate 0",
		wantQueued: []queued{{"octo/shop#7", "d-opened:octo/shop#7", "octo/shop"}},
	}, {
		// SQS drops the copy: same deduplication id within five minutes.
		name:       "the same delivery again",
		d:          delivery{event: "pull_request", id: "d-opened", body: opened, secret: testWebhookSecret},
		wantStatus: http.StatusAccepted,
		wantBody:   "queued 1, duplicate 0",
	}, {
		name:       "body base64-encoded by the Function URL",
		d:          delivery{event: "pull_request", id: "d-b64", body: opened, secret: testWebhookSecret, base64: true},
		wantStatus: http.StatusAccepted,
		wantBody:   "queued 1, duplicate 0",
		wantQueued: []queued{{"octo/shop#7", "d-b64:octo/shop#7", "octo/shop"}},
	}, {
		name:       "check_suite rerequested for two pull requests",
		d:          delivery{event: "check_suite", id: "d-suite", body: suiteBody, secret: testWebhookSecret},
		wantStatus: http.StatusAccepted,
		wantBody:   "queued 2, duplicate 0",
		wantQueued: []queued{
			{"Codertocat/Hello-World#2", "d-suite:Codertocat/Hello-World#2", "Codertocat/Hello-World"},
			{"Codertocat/Hello-World#3", "d-suite:Codertocat/Hello-World#3", "Codertocat/Hello-World"},
		},
	}, {
		name:       "bad signature",
		d:          delivery{event: "pull_request", id: "d-forged", body: opened, secret: "guess"},
		wantStatus: http.StatusUnauthorized,
		wantBody:   "signature does not match",
	}, {
		name:       "ping",
		d:          delivery{event: "ping", id: "d-ping", body: ping, secret: testWebhookSecret},
		wantStatus: http.StatusOK,
		wantBody:   "pong",
	}, {
		name:       "event not handled",
		d:          delivery{event: "push", id: "d-push", body: push, secret: testWebhookSecret},
		wantStatus: http.StatusAccepted,
		wantBody:   "ignored: event not handled",
	}} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(sqsSrv.Messages(t, queueURL))
			resp := invokeURL(t, h, urlEvent(t, tc.d))
			if resp.Status != tc.wantStatus || resp.Body != tc.wantBody {
				t.Errorf("response %d %q, want %d %q\nlogs:\n%s", resp.Status, resp.Body, tc.wantStatus, tc.wantBody, logs.String())
			}
			var got []queued
			for _, m := range sqsSrv.Messages(t, queueURL)[before:] {
				var job webhook.Job
				if err := json.Unmarshal([]byte(m.Body), &job); err != nil {
					t.Fatalf("message body %q: %v", m.Body, err)
				}
				if job.DeliveryID != tc.d.id || job.Event != tc.d.event {
					t.Errorf("queued job of delivery %s/%s, want %s/%s", job.DeliveryID, job.Event, tc.d.id, tc.d.event)
				}
				got = append(got, queued{m.GroupID, m.DeduplicationID, job.Owner + "/" + job.Repo})
			}
			if diff := cmp.Diff(tc.wantQueued, got); diff != "" {
				t.Errorf("queued (-want +got):\n%s", diff)
			}
		})
	}
	if n := fake.secretReads(webhookSecretARN); n != 1 {
		t.Errorf("the webhook secret was read %d times, want once per execution environment", n)
	}
	if strings.Contains(logs.String(), testWebhookSecret) {
		t.Error("the webhook secret is in the logs")
	}
}

// TestReceiverQueueDown: when SQS does not take the job the receiver
// answers 503, so that GitHub's delivery shows it failed and can be
// redelivered; it never answers 202 for a job it did not queue.
func TestReceiverQueueDown(t *testing.T) {
	fake := newFakeAWS(t, map[string]string{webhookSecretARN: testWebhookSecret})
	missing := awstest.StartSQS(t).URL() + "/" + awstest.Account + "/deleted.fifo"
	var logs bytes.Buffer
	h := receiverFor(t, fake, missing, &logs)
	opened := webhooktest.Example(t, "pull_request", webhooktest.Action("opened")).
		ForPullRequest(testInstallation, "octo", "shop", 7, "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", "ec26c3e57ca3a959ca5aad62de7213c562f8c821").Bytes(t)
	resp := invokeURL(t, h, urlEvent(t, delivery{event: "pull_request", id: "d-1", body: opened, secret: testWebhookSecret}))
	if resp.Status != http.StatusServiceUnavailable {
		t.Errorf("response %d %q, want 503", resp.Status, resp.Body)
	}
	if !strings.Contains(logs.String(), `"msg":"webhook: queueing job failed"`) {
		t.Errorf("the failure is not logged:\n%s", logs.String())
	}
}

// TestReceiverSecretMissing: a receiver whose secret cannot be read does
// not start (the init phase fails), rather than accept unsigned webhooks.
func TestReceiverSecretMissing(t *testing.T) {
	fake := newFakeAWS(t, map[string]string{})
	awsCfg, _ := fake.config(context.Background())
	cfg := &config{Role: roleReceiver, AppID: 1, QueueURL: "https://sqs.eu-west-1.amazonaws.com/123456789012/djintegrity-jobs.fifo", WebhookSecretARN: webhookSecretARN}
	_, err := newReceiver(t.Context(), cfg, awssecrets.New(secretsClient(awsCfg)), sqs.NewFromConfig(awsCfg), slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "ResourceNotFoundException") {
		t.Errorf("newReceiver with a missing secret: %v, want the Secrets Manager error", err)
	}
}

// TestReceiverSecretTooShort: a receiver whose secret is short enough to
// guess does not start either.
func TestReceiverSecretTooShort(t *testing.T) {
	fake := newFakeAWS(t, map[string]string{webhookSecretARN: "hunter2\n"})
	awsCfg, _ := fake.config(context.Background())
	cfg := &config{Role: roleReceiver, AppID: 1, QueueURL: "https://sqs.eu-west-1.amazonaws.com/123456789012/djintegrity-jobs.fifo", WebhookSecretARN: webhookSecretARN}
	_, err := newReceiver(t.Context(), cfg, awssecrets.New(secretsClient(awsCfg)), sqs.NewFromConfig(awsCfg), slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "want at least 16") || strings.Contains(err.Error(), "hunter2") {
		t.Errorf("newReceiver with a 7-byte secret: %v, want a refusal that does not quote it", err)
	}
}

// acceptAll is an SQS that takes every message at once: the receiver's
// own time, SQS excluded.
type acceptAll struct{}

func (acceptAll) SendMessage(context.Context, *sqs.SendMessageInput, ...func(*sqs.Options)) (*sqs.SendMessageOutput, error) {
	return &sqs.SendMessageOutput{MessageId: aws.String("5fea7756-0ea4-451a-a703-a558b933e274")}, nil
}

// BenchmarkReceiver is the receiver's time per delivery as Lambda invokes
// it: the Function URL event JSON decoded, lambdaurl's request, signature
// check, parse, filter, the job encoded for SQS, and the streamed response
// read back. "no SQS" takes SQS's time out; "local SQS" sends to goaws on
// 127.0.0.1 through the SDK.
//
//	go test ./cmd/lambda -run '^$' -bench Receiver -benchmem
func BenchmarkReceiver(b *testing.B) {
	fake := newFakeAWS(b, map[string]string{webhookSecretARN: testWebhookSecret})
	awsCfg, _ := fake.config(context.Background())
	queueURL := awstest.StartSQS(b).CreateFIFOQueue(b, "bench")
	body := webhooktest.Example(b, "pull_request", webhooktest.Action("opened")).
		ForPullRequest(testInstallation, "octo", "shop", 7, "f95f852bd8fca8fcc58a9a2d6c842781e32a215e", "ec26c3e57ca3a959ca5aad62de7213c562f8c821").Bytes(b)
	for _, bc := range []struct {
		name string
		api  sqsqueue.SendAPI
	}{{"no SQS", acceptAll{}}, {"local SQS", sqs.NewFromConfig(awsCfg)}} {
		b.Run(bc.name, func(b *testing.B) {
			cfg := &config{Role: roleReceiver, AppID: checkSuiteApp, QueueURL: queueURL, WebhookSecretARN: webhookSecretARN}
			h, err := newReceiver(context.Background(), cfg, awssecrets.New(secretsClient(awsCfg)), bc.api, slog.New(slog.DiscardHandler))
			if err != nil {
				b.Fatal(err)
			}
			handler := lambda.NewHandler(lambdaurl.Wrap(h))
			var evs [][]byte
			for i := range 64 {
				evs = append(evs, urlEvent(b, delivery{event: "pull_request", id: fmt.Sprintf("d-bench-%d", i), body: body, secret: testWebhookSecret}))
			}
			b.SetBytes(int64(len(body)))
			i := 0
			for b.Loop() {
				out, err := handler.Invoke(context.Background(), evs[i%len(evs)])
				if err != nil {
					b.Fatal(err)
				}
				if r := parseStreamed(b, out); r.Status != http.StatusAccepted {
					b.Fatalf("%d %q", r.Status, r.Body)
				}
				i++
			}
		})
	}
}
