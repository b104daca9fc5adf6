package main

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-lambda-go/lambda"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sqs"
	"github.com/aws/aws-sdk-go-v2/service/sqs/types"

	"github.com/djintegrity/djintegrity/githubtest"
	"github.com/djintegrity/djintegrity/internal/awssecrets"
	"github.com/djintegrity/djintegrity/internal/awstest"
	"github.com/djintegrity/djintegrity/webhook"
	"github.com/djintegrity/djintegrity/webhook/sqsqueue"
)

// workerFor builds the worker as the function does at init: the App's key
// from the fake Secrets Manager, reviews on the fake GitHub.
func workerFor(t testing.TB, fake *fakeAWS, gh *githubtest.Server, logs *bytes.Buffer) *sqsqueue.Worker {
	t.Helper()
	appID, _ := githubtest.AppKey(t)
	cfg, err := parseConfig(env(map[string]string{
		"DJINTEGRITY_LAMBDA_ROLE":            roleWorker,
		"DJINTEGRITY_APP_ID":                 itoa64(appID),
		"DJINTEGRITY_PRIVATE_KEY_SECRET_ARN": privateKeyARN,
		"DJINTEGRITY_GITHUB_URL":             gh.URL(),
	}))
	if err != nil {
		t.Fatal(err)
	}
	cfg.CacheDir = t.TempDir()
	awsCfg, _ := fake.config(context.Background())
	w, err := newWorker(context.Background(), cfg, awssecrets.New(secretsClient(awsCfg)), gh.Client(),
		slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// receive takes the queue's waiting messages as Lambda's event source
// mapping does and returns the event it would send the worker.
func receive(t testing.TB, sqsSrv *awstest.Server, queueURL string) []byte {
	t.Helper()
	stored := map[string]awstest.Message{}
	for _, m := range sqsSrv.Messages(t, queueURL) {
		stored[m.ID] = m
	}
	out, err := sqsSrv.Client().ReceiveMessage(context.Background(), &sqs.ReceiveMessageInput{
		QueueUrl:                    &queueURL,
		MaxNumberOfMessages:         10,
		MessageSystemAttributeNames: []types.MessageSystemAttributeName{types.MessageSystemAttributeNameAll},
	})
	if err != nil {
		t.Fatal(err)
	}
	var msgs []awstest.SQSMessage
	for _, m := range out.Messages {
		s := stored[aws.ToString(m.MessageId)]
		msgs = append(msgs, awstest.SQSMessage{ID: aws.ToString(m.MessageId), Body: aws.ToString(m.Body), GroupID: s.GroupID, DeduplicationID: s.DeduplicationID})
	}
	if len(msgs) == 0 {
		t.Fatal("no message on the queue")
	}
	return awstest.SQSEvent(t, awstest.ARN(queueURL), msgs...)
}

func invokeWorker(t testing.TB, w *sqsqueue.Worker, event []byte) events.SQSEventResponse {
	t.Helper()
	out, err := lambda.NewHandler(w.Handle).Invoke(context.Background(), event)
	if err != nil {
		t.Fatalf("invoking the worker: %v", err)
	}
	var resp events.SQSEventResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("worker response %s: %v", out, err)
	}
	return resp
}

// TestEndToEnd: a signed pull_request.opened through the Function URL
// receiver, the SQS FIFO queue and the worker is reviewed on GitHub (the
// OpenAPI-validating fake): one review with inline comments and a
// completed, failing check run; the same message delivered again makes no
// request to GitHub; no secret reaches the logs.
func TestEndToEnd(t *testing.T) {
	base, head := shopPR(t)
	gh := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
	_, key := githubtest.AppKey(t)
	fake := newFakeAWS(t, map[string]string{webhookSecretARN: testWebhookSecret, privateKeyARN: string(key)})
	sqsSrv := awstest.StartSQS(t)
	queueURL := sqsSrv.CreateFIFOQueue(t, "e2e")
	var logs bytes.Buffer
	receiver := receiverFor(t, fake, queueURL, &logs)
	worker := workerFor(t, fake, gh, &logs)
	headSHA := gh.PullRequest().HeadSHA

	resp := invokeURL(t, receiver, urlEvent(t, delivery{event: "pull_request", id: "d-1", body: prDelivery(t, gh, "opened"), secret: testWebhookSecret}))
	if resp.Status != http.StatusAccepted {
		t.Fatalf("receiver: %d %q", resp.Status, resp.Body)
	}
	event := receive(t, sqsSrv, queueURL)
	if r := invokeWorker(t, worker, event); len(r.BatchItemFailures) != 0 {
		t.Fatalf("worker reported failures %+v\nlogs:\n%s", r.BatchItemFailures, logs.String())
	}
	reviews := gh.Reviews()
	if len(reviews) != 1 || reviews[0].Event != "COMMENT" || reviews[0].CommitID != headSHA || len(reviews[0].Comments) == 0 {
		t.Fatalf("reviews %+v: want one COMMENT review with comments on %s", reviews, headSHA)
	}
	runs := gh.CheckRuns()
	if len(runs) != 1 || runs[0].Name != webhook.DefaultCheckName || runs[0].Status != "completed" || runs[0].Conclusion != "failure" {
		t.Fatalf("check runs %+v: want one completed failure", runs)
	}

	// The message again, as SQS delivers it when the deletion was lost.
	gh.Reset()
	if r := invokeWorker(t, worker, event); len(r.BatchItemFailures) != 0 {
		t.Fatalf("redelivery: failures %+v", r.BatchItemFailures)
	}
	if reqs := gh.Requests(); len(reqs) != 0 {
		t.Errorf("a duplicate delivery made %d requests to GitHub, want 0", len(reqs))
	}

	if n := fake.secretReads(privateKeyARN); n != 1 {
		t.Errorf("private key read %d times, want once", n)
	}
	keyLines := strings.Split(strings.TrimSpace(string(key)), "\n")
	for _, secret := range []string{testWebhookSecret, "PRIVATE KEY", keyLines[1], "ghs_", "eyJ"} {
		if strings.Contains(logs.String(), secret) {
			t.Errorf("the log holds a secret or token (%.12s...)", secret)
		}
	}
	for _, want := range []string{`"msg":"sqs: job done"`, `"delivery":"d-1"`, `"repo":"octo/shop"`, `"pr":7`, `"head_sha":"` + headSHA + `"`, `"duration_ms":`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the worker's log lacks %s", want)
		}
	}
}

// TestWorkerPermanentFailure: a job for a repository the installation
// cannot see (GitHub answers 404) is dropped, not retried into the
// dead-letter queue.
func TestWorkerPermanentFailure(t *testing.T) {
	base, head := shopPR(t)
	gh := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, head))
	_, key := githubtest.AppKey(t)
	fake := newFakeAWS(t, map[string]string{privateKeyARN: string(key)})
	var logs bytes.Buffer
	w := workerFor(t, fake, gh, &logs)
	pr := gh.PullRequest()
	body := `{"delivery_id":"d-gone","event":"pull_request","action":"opened","installation_id":77,"owner":"octo","repo":"gone","number":7,"base_sha":"` + pr.BaseSHA + `","head_sha":"` + pr.HeadSHA + `"}`
	r := invokeWorker(t, w, awstest.SQSEvent(t, "arn:aws:sqs:us-east-1:000000000000:jobs.fifo",
		awstest.SQSMessage{Body: body, GroupID: "octo/gone#7", DeduplicationID: "d-gone:octo/gone#7"}))
	if len(r.BatchItemFailures) != 0 {
		t.Errorf("failures %+v, want none: the job is dropped", r.BatchItemFailures)
	}
	if !strings.Contains(logs.String(), "job failed for good") {
		t.Errorf("the drop is not logged:\n%s", logs.String())
	}
}

func itoa64(n int64) string { b, _ := json.Marshal(n); return string(b) }
