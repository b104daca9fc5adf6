// Package sqsqueue runs the webhook's jobs through Amazon SQS on AWS Lambda:
// Queue is the webhook.Queue the receiver sends each job to (a FIFO queue,
// one message group per pull request), and Worker is the handler of the
// SQS-triggered worker function, which runs the jobs with a webhook.Runner
// and reports the messages to retry as partial batch failures.
package sqsqueue

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/djintegrity/djintegrity/webhook"
)

// SendAPI is the part of the SQS client the queue uses; *sqs.Client
// implements it.
type SendAPI interface {
	SendMessage(ctx context.Context, in *sqs.SendMessageInput, optFns ...func(*sqs.Options)) (*sqs.SendMessageOutput, error)
}

// DefaultSendTimeout bounds one enqueue, the SDK's retries included. The
// receiver answers GitHub within its 10 seconds either way: 202 when SQS
// took the job, 503 when it did not.
const DefaultSendTimeout = 5 * time.Second

// Queue sends jobs to an SQS FIFO queue. It implements webhook.Queue.
type Queue struct {
	api     SendAPI
	url     string
	timeout time.Duration
}

// NewQueue returns a queue sending to the queue at url (its QueueUrl, as
// CloudFormation's Ref or Terraform's aws_sqs_queue.id give it).
func NewQueue(api SendAPI, url string) (*Queue, error) {
	if api == nil {
		return nil, errors.New("no SQS client")
	}
	if url == "" {
		return nil, errors.New("SQS queue URL is empty")
	}
	return &Queue{api: api, url: url, timeout: DefaultSendTimeout}, nil
}

// Enqueue sends job as one JSON message. It returns only after SQS has
// stored the message, which is when the receiver may answer 202. Reviews
// of one pull request share a message group, so SQS hands them to the
// worker one at a time and in order; the deduplication id makes SQS drop a
// redelivery of the same webhook (same delivery, same pull request) within
// its five-minute deduplication interval, and the review's fingerprints
// keep a later one from posting twice.
func (q *Queue) Enqueue(ctx context.Context, job webhook.Job) error {
	body, err := json.Marshal(job)
	if err != nil {
		return fmt.Errorf("encoding job: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, q.timeout)
	defer cancel()
	group, dedup := GroupID(job), DeduplicationID(job)
	_, err = q.api.SendMessage(ctx, &sqs.SendMessageInput{
		QueueUrl:               &q.url,
		MessageBody:            new(string(body)),
		MessageGroupId:         &group,
		MessageDeduplicationId: &dedup,
	})
	if err != nil {
		return fmt.Errorf("sending job to SQS: %w", err)
	}
	return nil
}

// GroupID is the job's MessageGroupId: its pull request, owner/repo#number.
// A name SQS would refuse (over 128 characters: GitHub allows 39 for an
// owner and 100 for a repository) becomes "sha256:" and the hex digest of
// it, which still gives each pull request its own group.
func GroupID(j webhook.Job) string { return sqsID(j.PRKey()) }

// DeduplicationID is the job's MessageDeduplicationId: what a redelivery of
// the webhook repeats. That is the delivery id and the pull request, as in
// the webhook's own duplicate check, because one check_suite delivery names
// several pull requests, each its own job. SQS allows no space, so the two
// are joined by ":"; a key SQS would refuse is hashed as in GroupID.
func DeduplicationID(j webhook.Job) string { return sqsID(j.DeliveryID + ":" + j.PRKey()) }

// sqsID returns s when SQS accepts it as a message group or deduplication
// id (1 to 128 characters, ASCII letters, digits and punctuation), else
// "sha256:" and its hex digest (71 characters).
func sqsID(s string) string {
	if len(s) >= 1 && len(s) <= 128 && validIDChars(s) {
		return s
	}
	sum := sha256.Sum256([]byte(s))
	return "sha256:" + hex.EncodeToString(sum[:])
}

func validIDChars(s string) bool {
	for i := 0; i < len(s); i++ {
		// Printable ASCII without the space: letters, digits and
		// !"#$%&'()*+,-./:;<=>?@[\]^_`{|}~.
		if c := s[i]; c <= ' ' || c > '~' {
			return false
		}
	}
	return true
}
