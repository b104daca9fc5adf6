package webhook

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/webhook/webhooktest"
)

// mergeGroupExample is GitHub's merge_group example with action. The
// published examples are all checks_requested; destroyed is that payload
// with its action changed and the reason GitHub adds to it: the two
// differ in nothing else.
func mergeGroupExample(t *testing.T, action string) webhooktest.Payload {
	t.Helper()
	p := webhooktest.Example(t, "merge_group", webhooktest.Action("checks_requested"))
	if action != "checks_requested" {
		p.Set(action, "action")
		p.Set("dequeued", "reason")
	}
	return p
}

func wantMergeGroupJob(p webhooktest.Payload, delivery string) Job {
	return Job{
		DeliveryID: delivery, Event: "merge_group", Action: p.Str("action"),
		InstallationID: p.Num("installation", "id"),
		Owner:          p.Str("repository", "owner", "login"), Repo: p.Str("repository", "name"),
		MergeGroup: p.Str("merge_group", "head_ref"),
		BaseSHA:    p.Str("merge_group", "base_sha"), HeadSHA: p.Str("merge_group", "head_sha"),
		Received: received,
	}
}

func TestHandlerMergeGroup(t *testing.T) {
	tests := map[string]struct {
		action string
		change func(p webhooktest.Payload)
		queued bool
	}{
		"checks_requested": {action: "checks_requested", queued: true},
		"destroyed":        {action: "destroyed", queued: true},
		"another action":   {action: "checks_requested", change: func(p webhooktest.Payload) { p.Set("enqueued", "action") }},
		// A repository webhook, not an App installation, sent this one.
		"no installation": {action: "checks_requested", change: func(p webhooktest.Payload) { delete(p, "installation") }},
		"no head ref":     {action: "checks_requested", change: func(p webhooktest.Payload) { delete(p.Get("merge_group").(map[string]any), "head_ref") }},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := mergeGroupExample(t, tc.action)
			if tc.change != nil {
				tc.change(p)
			}
			got := queuedBy(t, "merge_group", "d-mg", p)
			want := map[bool][]Job{true: {wantMergeGroupJob(p, "d-mg")}}[tc.queued]
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("queued (-want +got):\n%s", diff)
			}
			for _, j := range got {
				if j.InstallationID == 0 || j.HeadSHA == "" || j.BaseSHA == "" || j.MergeGroup == "" {
					t.Fatalf("example lacks fields: %+v", j)
				}
				if j.Cancels() != (tc.action == "destroyed") {
					t.Errorf("Cancels() = %v for action %s", j.Cancels(), j.Action)
				}
			}
		})
	}
}

// TestJournalMergeGroupDestroyed: a group that GitHub destroys before its
// review started is not reviewed; the destroyed job that replaced it runs
// (and the runner does nothing for it). A pull request's job and the
// group's never coalesce.
func TestJournalMergeGroupDestroyed(t *testing.T) {
	j := openJournal(t, t.TempDir(), JournalOptions{})
	h := newTestHandler(t, j, nil)
	requested, destroyed := mergeGroupExample(t, "checks_requested"), mergeGroupExample(t, "destroyed")
	pr := webhooktest.Example(t, "pull_request", webhooktest.Action("opened"))
	for _, d := range []struct {
		event, id string
		p         webhooktest.Payload
	}{{"merge_group", "d-1", requested}, {"pull_request", "d-2", pr}, {"merge_group", "d-3", destroyed}} {
		if w := serve(h, delivery(d.event, d.id, d.p.Bytes(t))); w.Code != http.StatusAccepted {
			t.Fatalf("%s: %d %q", d.id, w.Code, w.Body.String())
		}
	}
	r := newRecorder(nil)
	run(t, j, r)
	wait(t, r.ran, 2)
	waitEmpty(t, j)
	got := map[string]string{}
	for _, job := range r.done() {
		got[job.DeliveryID] = job.Event + " " + job.Action
	}
	if diff := cmp.Diff(map[string]string{"d-2": "pull_request opened", "d-3": "merge_group destroyed"}, got); diff != "" {
		t.Errorf("jobs run (-want +got):\n%s", diff)
	}
}

// queuedBy delivers payload p of event to a new handler and returns the
// jobs it queued; the delivery must be answered 202.
func queuedBy(t *testing.T, event, id string, p webhooktest.Payload) []Job {
	t.Helper()
	q := &memQueue{}
	w := serve(newTestHandler(t, q, nil), delivery(event, id, p.Bytes(t)))
	if w.Code != http.StatusAccepted {
		t.Fatalf("status %d %q, want 202", w.Code, w.Body.String())
	}
	return q.queued()
}
