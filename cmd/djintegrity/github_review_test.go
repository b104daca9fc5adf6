package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/djintegrity/djintegrity/githubtest"
	"github.com/djintegrity/djintegrity/webhook"
)

// webhookExample returns a real payload of event and action from npm
// @octokit/webhooks-examples.
func webhookExample(t *testing.T, event, action string) map[string]any {
	t.Helper()
	dir := githubtest.NPMPackage(t, githubtest.WebhooksExamplesPackage)
	b, err := os.ReadFile(filepath.Join(dir, "api.github.com", "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var events []struct {
		Name     string           `json:"name"`
		Examples []map[string]any `json:"examples"`
	}
	if err := json.Unmarshal(b, &events); err != nil {
		t.Fatal(err)
	}
	for _, e := range events {
		for _, ex := range e.Examples {
			if e.Name == event && (action == "" || ex["action"] == action) {
				return ex
			}
		}
	}
	t.Fatalf("no %s.%s example in %s", event, action, githubtest.WebhooksExamplesPackage)
	return nil
}

// writeEvent writes a payload where GITHUB_EVENT_PATH points.
func writeEvent(t *testing.T, payload map[string]any) string {
	t.Helper()
	b, err := json.Marshal(payload)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "event.json")
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestCheckGitHubReview(t *testing.T) {
	payload := webhookExample(t, "pull_request", "opened")
	pull := payload["pull_request"].(map[string]any)
	repo := payload["repository"].(map[string]any)
	owner, name, _ := strings.Cut(repo["full_name"].(string), "/")
	baseSHA := pull["base"].(map[string]any)["sha"].(string)
	headSHA := pull["head"].(map[string]any)["sha"].(string)
	number := int(pull["number"].(float64))

	s := githubtest.NewServer(t,
		githubtest.WithPullRequest(owner, name, number,
			githubtest.ReadTree(t, "../../examples/shop/base"), githubtest.ReadTree(t, "../../examples/shop/head")),
		githubtest.WithCommitIDs(baseSHA, headSHA),
		githubtest.WithToken("ghs_actions"))
	t.Setenv("GITHUB_EVENT_PATH", writeEvent(t, payload))
	t.Setenv("GITHUB_EVENT_NAME", "pull_request")
	t.Setenv("GITHUB_TOKEN", "ghs_actions")
	t.Setenv("GITHUB_REPOSITORY", owner+"/"+name)
	t.Setenv("GITHUB_API_URL", strings.TrimSuffix(s.URL(), "/"))
	t.Setenv("GITHUB_RUN_ID", "4242")

	_, stderr, code := runCLI(t, "check", "--github-review")
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	if strings.Contains(stderr, "ghs_actions") {
		t.Errorf("the token was logged:\n%s", stderr)
	}
	reviews := s.Reviews()
	if len(reviews) != 1 || len(reviews[0].Comments) == 0 || reviews[0].CommitID != headSHA {
		t.Fatalf("want one review with comments on %s, got %+v", headSHA, reviews)
	}
	runs := s.CheckRuns()
	if len(runs) != 1 || runs[0].HeadSHA != headSHA || runs[0].Conclusion != "failure" || runs[0].Name != webhook.DefaultCheckName {
		t.Errorf("want one failing %s check run on %s, got %+v", webhook.DefaultCheckName, headSHA, runs)
	}

	// The workflow re-run posts nothing new.
	if _, stderr, code := runCLI(t, "check", "--github-review"); code != exitOK {
		t.Fatalf("second run: exit %d; stderr:\n%s", code, stderr)
	}
	if len(s.Reviews()) != 1 {
		t.Errorf("the re-run posted another review")
	}
}

func TestCheckGitHubReviewUsage(t *testing.T) {
	push := writeEvent(t, webhookExample(t, "push", ""))
	pr := writeEvent(t, webhookExample(t, "pull_request", "opened"))
	for name, c := range map[string]struct {
		env  map[string]string
		want string
	}{
		"not in actions": {map[string]string{}, "GITHUB_EVENT_PATH is not set"},
		"no token":       {map[string]string{"GITHUB_EVENT_PATH": pr, "GITHUB_REPOSITORY": "o/r"}, "GITHUB_TOKEN is not set"},
		"bad repository": {map[string]string{"GITHUB_EVENT_PATH": pr, "GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "o"}, "not owner/name"},
		"push event":     {map[string]string{"GITHUB_EVENT_PATH": push, "GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "o/r", "GITHUB_EVENT_NAME": "push"}, "push is not a pull request"},
	} {
		t.Run(name, func(t *testing.T) {
			for _, k := range []string{"GITHUB_EVENT_PATH", "GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_EVENT_NAME", "GITHUB_API_URL"} {
				t.Setenv(k, c.env[k])
			}
			_, stderr, code := runCLI(t, "check", "--github-review")
			if code != exitUsage || !strings.Contains(stderr, c.want) {
				t.Errorf("exit %d, stderr %q; want %d mentioning %q", code, stderr, exitUsage, c.want)
			}
		})
	}
}

// TestCheckGitHubReviewMergeGroup runs the Action's step on GitHub's
// merge_group example (on: merge_group): the group's head is reviewed
// against its base and the check run lands on the head, with no review.
func TestCheckGitHubReviewMergeGroup(t *testing.T) {
	payload := webhookExample(t, "merge_group", "checks_requested")
	repo := payload["repository"].(map[string]any)
	owner, name, _ := strings.Cut(repo["full_name"].(string), "/")
	base := githubtest.ReadTree(t, "../../examples/shop/base")
	s := githubtest.NewServer(t, githubtest.WithPullRequest(owner, name, 1, base, base), githubtest.WithToken("ghs_actions"))
	baseSHA := s.PullRequest().BaseSHA
	headSHA := s.AddCommit(githubtest.ReadTree(t, "../../examples/shop/head"), baseSHA)
	// The fake's commits have ids of their own: the payload names them.
	group := payload["merge_group"].(map[string]any)
	group["base_sha"], group["head_sha"] = baseSHA, headSHA

	t.Setenv("GITHUB_EVENT_PATH", writeEvent(t, payload))
	t.Setenv("GITHUB_EVENT_NAME", "merge_group")
	t.Setenv("GITHUB_TOKEN", "ghs_actions")
	t.Setenv("GITHUB_REPOSITORY", owner+"/"+name)
	t.Setenv("GITHUB_API_URL", strings.TrimSuffix(s.URL(), "/"))
	if _, stderr, code := runCLI(t, "check", "--github-review"); code != exitOK {
		t.Fatalf("exit %d, want 0; stderr:\n%s", code, stderr)
	}
	if n := len(s.Reviews()); n != 0 {
		t.Errorf("%d reviews on a merge group, want none", n)
	}
	runs := s.CheckRuns()
	if len(runs) != 1 || runs[0].HeadSHA != headSHA || runs[0].Conclusion != "failure" || runs[0].Name != webhook.DefaultCheckName {
		t.Errorf("want one failing %s check run on the group's head %s, got %+v", webhook.DefaultCheckName, headSHA, runs)
	}
}
