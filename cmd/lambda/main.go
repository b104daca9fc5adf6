// Command lambda is djintegrity on AWS Lambda (provided.al2023, arm64). One
// binary, named bootstrap in the deployment zip, serves both functions; the
// environment variable DJINTEGRITY_LAMBDA_ROLE chooses the role:
//
//	receiver  behind the Function URL (RESPONSE_STREAM): verifies a webhook
//	          delivery and sends its jobs to the SQS FIFO queue, answering
//	          202 once SQS has them
//	worker    triggered by the queue: runs each job as a review on GitHub and
//	          reports the messages to retry (ReportBatchItemFailures)
//
// Build it with scripts/build-lambda.sh; deploy it with template.yaml (SAM)
// or infra/terraform. The other variables are listed in config.go.
package main

import (
	"context"
	"log/slog"
	"os"
	"runtime/debug"
	"strconv"
	"time"
)

// started is when the process began, for the init time it logs.
var started = time.Now()

func main() {
	log := newLogger(os.Stdout, os.Getenv("AWS_LAMBDA_LOG_LEVEL"))
	slog.SetDefault(log)
	if limit, ok := memoryLimit(os.Getenv); ok {
		debug.SetMemoryLimit(limit)
	}
	if err := runOn(context.Background(), defaultPlatform(os.Getenv), log); err != nil {
		// Exiting fails the init phase; Lambda reports it and tries a fresh
		// environment on the next event.
		log.Error("lambda: cannot start", slog.Any("error", err))
		os.Exit(1)
	}
}

// memoryLimit is the Go heap's soft limit for a function of
// AWS_LAMBDA_FUNCTION_MEMORY_SIZE megabytes: Lambda ends a function that
// outgrows its memory size, so the garbage collector works harder before
// that. A fifth is left to what Go does not count: tree-sitter's C
// allocations, the stacks, the binary. GOMEMLIMIT, when set, wins.
func memoryLimit(getenv func(string) string) (int64, bool) {
	if getenv("GOMEMLIMIT") != "" {
		return 0, false
	}
	mb, err := strconv.ParseInt(getenv("AWS_LAMBDA_FUNCTION_MEMORY_SIZE"), 10, 64)
	if err != nil || mb <= 0 {
		return 0, false
	}
	return mb << 20 * 4 / 5, true
}
