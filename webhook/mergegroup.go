package webhook

import "github.com/google/go-github/v60/github"

// mergeGroupJobs: a merge queue asks for the checks of a group
// (checks_requested), or drops a group (destroyed: merged, dequeued or
// invalidated). A required check that never reports on the group's head
// stalls the queue, so checks_requested reviews the group's head against
// its base: the diff GitHub will merge, where two pull requests that are
// each safe can combine into a hazard. destroyed is queued under the same
// key so that it supersedes the group's review if that has not started.
func mergeGroupJobs(e *github.MergeGroupEvent) ([]Job, string) {
	switch e.GetAction() {
	case "checks_requested", "destroyed":
	default:
		return nil, "merge_group action " + e.GetAction() + " not handled"
	}
	if e.GetInstallation().GetID() == 0 {
		return nil, "no installation in payload"
	}
	g := e.GetMergeGroup()
	job := Job{
		Action:         e.GetAction(),
		InstallationID: e.GetInstallation().GetID(),
		Owner:          e.GetRepo().GetOwner().GetLogin(),
		Repo:           e.GetRepo().GetName(),
		MergeGroup:     g.GetHeadRef(),
		BaseSHA:        g.GetBaseSHA(),
		HeadSHA:        g.GetHeadSHA(),
	}
	if job.MergeGroup == "" {
		return nil, "no merge group head ref in payload"
	}
	if reason := incomplete(job); reason != "" {
		return nil, reason
	}
	return []Job{job}, ""
}
