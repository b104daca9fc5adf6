package githubreview

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/githubtest"
	"github.com/djintegrity/djintegrity/webhook"
)

const routeCompare = "/repos/{owner}/{repo}/compare/{basehead}"

// TestGitHubReviewMergeGroup reviews a merge queue's group: the diff of its
// head against its base (one compare request), with no pull request to
// comment on, so every finding is an annotation of the check run on the
// group's head, the check the queue waits for.
func TestGitHubReviewMergeGroup(t *testing.T) {
	base, head := shopTrees(t)
	s := githubtest.NewServer(t, githubtest.WithPullRequest("octo", "shop", 7, base, base))
	baseSHA := s.PullRequest().BaseSHA
	groupSHA := s.AddCommit(head, baseSHA)
	r := appReviewer(t, s, s.URL(), nil)
	want := localFindings(t, base, head)

	group := PullRequest{DeliveryID: "d-mg", InstallationID: testInstallation, Owner: "octo", Repo: "shop",
		MergeGroup: "refs/heads/gh-readonly-queue/main/pr-7-" + baseSHA, BaseSHA: baseSHA, HeadSHA: groupSHA}
	out, err := r.Review(t.Context(), group)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Outcome{Findings: len(want), Failed: true}, out); diff != "" {
		t.Errorf("outcome (-want +got):\n%s", diff)
	}
	if n := len(s.Reviews()); n != 0 {
		t.Errorf("%d reviews posted on a merge group, want none", n)
	}
	runs := s.CheckRuns()
	if len(runs) != 1 {
		t.Fatalf("%d check runs, want 1", len(runs))
	}
	run := runs[0]
	if run.Name != webhook.DefaultCheckName || run.HeadSHA != groupSHA || run.Status != "completed" || run.Conclusion != "failure" {
		t.Errorf("check run %s on %s %s/%s, want %s on the group's head %s completed/failure",
			run.Name, run.HeadSHA, run.Status, run.Conclusion, webhook.DefaultCheckName, groupSHA)
	}
	wantAnns := len(want)
	for _, f := range want {
		wantAnns += len(f.Related)
	}
	if len(run.Annotations) != wantAnns {
		t.Errorf("%d annotations, want one per finding and per place a finding relates to (%d)", len(run.Annotations), wantAnns)
	}
	reqs := reviewRequests(s)
	if n := countRoute(reqs, "GET", routeCompare); n != 1 {
		t.Errorf("%d compare requests, want 1", n)
	}
	if slices.ContainsFunc(reqs, func(r githubtest.Request) bool { return r.Route == routePull || r.Route == routeFiles }) {
		t.Errorf("a merge group's review asked for a pull request: %+v", reqs)
	}
}
