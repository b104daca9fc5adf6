package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/djintegrity/djintegrity/githubreview"
)

// runGitHubReview is `djintegrity check --github-review`: in a GitHub
// Actions job triggered by a pull request, it posts the review and check
// run that the App would, with the job's GITHUB_TOKEN. It reads the
// pull request from GITHUB_EVENT_PATH and the repository from
// GITHUB_REPOSITORY; GITHUB_API_URL is the REST base (Enterprise Server
// sets it). Nothing is checked out: files are read through the API.
func runGitHubReview(ctx context.Context, getenv func(string) string, stderr io.Writer, verbose bool) error {
	need := func(name, why string) (string, error) {
		v := getenv(name)
		if v == "" {
			return "", usagef("--github-review runs in a GitHub Actions job: %s is not set (%s)", name, why)
		}
		return v, nil
	}
	eventPath, err := need("GITHUB_EVENT_PATH", "the event that started the workflow")
	if err != nil {
		return err
	}
	token, err := need("GITHUB_TOKEN", "pass it with env: GITHUB_TOKEN: ${{ github.token }}, with permissions checks: write and pull-requests: write")
	if err != nil {
		return err
	}
	repository, err := need("GITHUB_REPOSITORY", "owner/name")
	if err != nil {
		return err
	}
	owner, repo, ok := strings.Cut(repository, "/")
	if !ok || owner == "" || repo == "" || strings.Contains(repo, "/") {
		return usagef("GITHUB_REPOSITORY %q is not owner/name", repository)
	}
	api := getenv("GITHUB_API_URL")
	if api == "" {
		api = githubreview.DefaultBaseURL
	}

	b, err := os.ReadFile(eventPath)
	if err != nil {
		return usagef("read the workflow's event: %v", err)
	}
	pr, err := eventPullRequest(b, getenv("GITHUB_EVENT_NAME"))
	if err != nil {
		return usagef("the workflow's event %s: %v", eventPath, err)
	}
	pr.DeliveryID, pr.Owner, pr.Repo = getenv("GITHUB_RUN_ID"), owner, repo
	// Re-running the workflow asks for the review again, even of a head
	// reviewed before.
	pr.Rerun = cmp.Or(getenv("GITHUB_RUN_ATTEMPT"), "1") != "1"

	level := slog.LevelInfo
	if verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	r, err := githubreview.New(githubreview.Options{
		BaseURL: strings.TrimSuffix(api, "/") + "/",
		Token:   token,
		Logger:  log,
	})
	if err != nil {
		return usageError{err}
	}
	if _, err := r.Review(ctx, pr); err != nil {
		return fmt.Errorf("github review: %w", err)
	}
	return nil
}

// eventPullRequest reads what to review from the workflow's event: a pull
// request, or a merge queue's group (on: merge_group), whose check run the
// queue waits for.
func eventPullRequest(b []byte, name string) (githubreview.PullRequest, error) {
	if name == "merge_group" {
		var ev github.MergeGroupEvent
		if err := json.Unmarshal(b, &ev); err != nil {
			return githubreview.PullRequest{}, fmt.Errorf("parse: %w", err)
		}
		g := ev.GetMergeGroup()
		if g.GetHeadRef() == "" || g.GetHeadSHA() == "" || g.GetBaseSHA() == "" {
			return githubreview.PullRequest{}, errors.New("merge_group without a head ref, head sha and base sha")
		}
		return githubreview.PullRequest{MergeGroup: g.GetHeadRef(), BaseSHA: g.GetBaseSHA(), HeadSHA: g.GetHeadSHA()}, nil
	}
	var ev github.PullRequestEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		return githubreview.PullRequest{}, fmt.Errorf("parse: %w", err)
	}
	pull := ev.GetPullRequest()
	if pull == nil || pull.GetNumber() == 0 || pull.GetHead().GetSHA() == "" || pull.GetBase().GetSHA() == "" {
		return githubreview.PullRequest{}, fmt.Errorf("%s is not a pull request: run --github-review on pull_request or merge_group", cmp.Or(name, "unknown"))
	}
	return githubreview.PullRequest{Number: pull.GetNumber(), BaseSHA: pull.GetBase().GetSHA(), HeadSHA: pull.GetHead().GetSHA()}, nil
}
