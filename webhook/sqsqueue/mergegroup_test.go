package sqsqueue

import (
	"log/slog"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/internal/awstest"
	"github.com/djintegrity/djintegrity/webhook"
)

// TestHandleMergeGroup: a merge group's job, which names no pull request,
// runs; its destroyed job in the same batch supersedes it (the same FIFO
// group), and a pull request's job of the same repository is not touched.
func TestHandleMergeGroup(t *testing.T) {
	group := func(delivery, action string) webhook.Job {
		j := job(delivery, 0, "6666666aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
		// As the handler makes it: no pull request, no updated_at.
		j.Event, j.Action, j.Updated = "merge_group", action, time.Time{}
		j.MergeGroup = "refs/heads/gh-readonly-queue/main/pr-7-" + j.BaseSHA
		return j
	}
	requested, destroyed := group(delivery1, "checks_requested"), group(delivery2, "destroyed")
	pr := job(delivery1, 7, "7777777aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")
	if GroupID(requested) != GroupID(destroyed) || GroupID(requested) == GroupID(pr) {
		t.Errorf("FIFO groups: requested %s, destroyed %s, pull request %s; want the group's two alike, the pull request's apart",
			GroupID(requested), GroupID(destroyed), GroupID(pr))
	}
	for name, tc := range map[string]struct {
		msgs    []awstest.SQSMessage
		wantRan []string
	}{
		"checks requested":        {msgs: []awstest.SQSMessage{msg(t, requested)}, wantRan: []string{delivery1 + " #0 6666666"}},
		"destroyed before it ran": {msgs: []awstest.SQSMessage{msg(t, requested), msg(t, pr), msg(t, destroyed)}, wantRan: []string{delivery1 + " #7 7777777", delivery2 + " #0 6666666"}},
	} {
		t.Run(name, func(t *testing.T) {
			r := &recordingRunner{}
			w, err := NewWorker(WorkerOptions{Runner: r, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			resp := invoke(t, w, awstest.SQSEvent(t, fifoARN, tc.msgs...))
			if diff := cmp.Diff(tc.wantRan, r.ran); diff != "" {
				t.Errorf("jobs run (-want +got):\n%s", diff)
			}
			if len(resp.BatchItemFailures) > 0 {
				t.Errorf("batch item failures %v", failed(resp))
			}
		})
	}
}
