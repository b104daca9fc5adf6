package githubreview

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/google/go-github/v60/github"

	"github.com/djintegrity/djintegrity/review"
)

// graphqlURL is the GraphQL endpoint beside a REST base URL:
// https://api.github.com/graphql for github.com, https://HOST/api/graphql
// for Enterprise Server's https://HOST/api/v3/.
func graphqlURL(rest string) string {
	rest = strings.TrimSuffix(rest, "/")
	if base, ok := strings.CutSuffix(rest, "/api/v3"); ok {
		return base + "/api/graphql"
	}
	return rest + "/graphql"
}

// graphqlError is an error GitHub's GraphQL API reported in "errors".
type graphqlError struct {
	Type    string `json:"type"`
	Message string `json:"message"`
}

type graphqlErrors []graphqlError

func (e graphqlErrors) Error() string {
	msgs := make([]string, len(e))
	for i, g := range e {
		msgs[i] = g.Message
		if g.Type != "" {
			msgs[i] = g.Type + ": " + g.Message
		}
	}
	return "graphql: " + strings.Join(msgs, "; ")
}

// graphql runs one GraphQL operation with the review's client (its token
// and retries) and decodes its data into out.
func (j *job) graphql(ctx context.Context, query string, vars map[string]any, out any) error {
	req, err := j.gh.NewRequest(http.MethodPost, graphqlURL(j.gh.BaseURL.String()), map[string]any{"query": query, "variables": vars})
	if err != nil {
		return fmt.Errorf("graphql request: %w", err)
	}
	var resp struct {
		Data   json.RawMessage `json:"data"`
		Errors graphqlErrors   `json:"errors"`
	}
	if _, _, err := call(ctx, func(ctx context.Context) (any, *github.Response, error) {
		r, err := j.gh.Do(ctx, req, &resp)
		return nil, r, err
	}); err != nil {
		return fmt.Errorf("graphql: %w", err)
	}
	if len(resp.Errors) > 0 {
		return resp.Errors
	}
	if err := json.Unmarshal(resp.Data, out); err != nil {
		return fmt.Errorf("graphql: decode data: %w", err)
	}
	return nil
}

// threadsQuery lists the pull request's review threads with each one's
// first comment: one request a hundred threads.
const threadsQuery = `query($owner: String!, $repo: String!, $number: Int!, $cursor: String) {
  repository(owner: $owner, name: $repo) {
    pullRequest(number: $number) {
      reviewThreads(first: 100, after: $cursor) {
        pageInfo { hasNextPage endCursor }
        nodes {
          id
          isResolved
          path
          comments(first: 1) { nodes { databaseId viewerDidAuthor body } }
        }
      }
    }
  }
}`

const resolveMutation = `mutation($thread: ID!) {
  resolveReviewThread(input: {threadId: $thread}) { thread { id isResolved } }
}`

// thread is a review thread whose first comment carries fingerprints.
type thread struct {
	id, path     string
	resolved     bool
	mine         bool // this App (or the Actions token) wrote it
	commentID    int64
	body         string
	fingerprints []string
}

// reviewThreads lists the pull request's threads that a djintegrity
// comment started, in one request a hundred threads: their fingerprints
// say what was commented before, and the unresolved ones of this App are
// those it may resolve. Other people's threads are never touched.
func (j *job) reviewThreads(ctx context.Context) ([]thread, error) {
	var out []thread
	var cursor *string
	for {
		var data struct {
			Repository struct {
				PullRequest struct {
					ReviewThreads struct {
						PageInfo struct {
							HasNextPage bool   `json:"hasNextPage"`
							EndCursor   string `json:"endCursor"`
						} `json:"pageInfo"`
						Nodes []struct {
							ID         string `json:"id"`
							IsResolved bool   `json:"isResolved"`
							Path       string `json:"path"`
							Comments   struct {
								Nodes []struct {
									DatabaseID      int64  `json:"databaseId"`
									ViewerDidAuthor bool   `json:"viewerDidAuthor"`
									Body            string `json:"body"`
								} `json:"nodes"`
							} `json:"comments"`
						} `json:"nodes"`
					} `json:"reviewThreads"`
				} `json:"pullRequest"`
			} `json:"repository"`
		}
		vars := map[string]any{"owner": j.pr.Owner, "repo": j.pr.Repo, "number": j.pr.Number, "cursor": cursor}
		if err := j.graphql(ctx, threadsQuery, vars, &data); err != nil {
			return nil, fmt.Errorf("list review threads: %w", err)
		}
		threads := data.Repository.PullRequest.ReviewThreads
		for _, n := range threads.Nodes {
			if len(n.Comments.Nodes) == 0 {
				continue
			}
			c := n.Comments.Nodes[0]
			if fps := review.FingerprintsOf(c.Body); len(fps) > 0 {
				out = append(out, thread{id: n.ID, path: n.Path, resolved: n.IsResolved, mine: c.ViewerDidAuthor,
					commentID: c.DatabaseID, body: c.Body, fingerprints: fps})
			}
		}
		if !threads.PageInfo.HasNextPage {
			return out, nil
		}
		cursor = &threads.PageInfo.EndCursor
	}
}

// fixedNote is what an edited comment says when its thread could not be
// resolved.
const fixedNote = "\n\n**Fixed** in "

// resolveFixed resolves this App's threads whose findings the review no
// longer has: a later push fixed them. A thread on a file the review could
// not read (skipped, or beyond the files GitHub lists) or does not review
// (tests, paths.exclude), or any thread when the review ran out of time
// before all its rules ran, is left as it is, since the review says
// nothing of it. Where GitHub refuses to resolve,
// the comment is edited to say it was fixed in the head commit. It returns
// how many threads it closed; its failures are logged, not returned: the
// review stands without them.
func (j *job) resolveFixed(ctx context.Context, threads []thread, res *review.Result, unread func(path string) bool) int {
	current := map[string]bool{}
	for _, f := range res.Findings {
		current[f.Fingerprint] = true
		if len(f.Imports) > 0 {
			current[review.ImportsKey(f.Fingerprint)] = true
		}
	}
	closed := 0
	for _, t := range threads {
		if !t.mine || t.resolved || unread(t.path) || anyOf(t.fingerprints, current) {
			continue
		}
		err := j.graphql(ctx, resolveMutation, map[string]any{"thread": t.id}, &struct{}{})
		if err == nil {
			closed++
			continue
		}
		var gqlErr graphqlErrors
		if !errors.As(err, &gqlErr) {
			j.log.Warn("resolving a fixed thread failed", "thread", t.id, "err", err)
			continue
		}
		// GitHub refused (a token without the right): say it instead.
		if strings.Contains(t.body, fixedNote) {
			continue
		}
		body := t.body + fixedNote + "`" + shortSHA(j.pr.HeadSHA) + "`."
		_, _, err = call(ctx, func(ctx context.Context) (*github.PullRequestComment, *github.Response, error) {
			return j.gh.PullRequests.EditComment(ctx, j.pr.Owner, j.pr.Repo, t.commentID, &github.PullRequestComment{Body: github.String(body)})
		})
		if err != nil {
			j.log.Warn("marking a fixed comment failed", "comment", t.commentID, "err", err)
			continue
		}
		closed++
	}
	return closed
}

func anyOf(fps []string, set map[string]bool) bool {
	for _, fp := range fps {
		if set[fp] {
			return true
		}
	}
	return false
}

// closeFixed resolves the threads of earlier comments whose findings this
// review no longer has, unless the head moved (the newer review will) or
// the pull request has no review comment (nothing to list: no request).
func (j *job) closeFixed(ctx context.Context, p *placement, res *review.Result, src *prSource) error {
	if p.pull == nil {
		pull, err := j.getPull(ctx)
		if err != nil {
			return err
		}
		p.pull = pull
		if head := pull.GetHead().GetSHA(); head != j.pr.HeadSHA {
			p.movedTo = head
		}
	}
	if p.movedTo != "" || p.pull.GetReviewComments() == 0 {
		return nil
	}
	if p.threads == nil {
		threads, err := j.reviewThreads(ctx)
		if err != nil {
			j.log.Warn("fixed threads not resolved", "err", err)
			return nil
		}
		p.threads = threads
	}
	unread := map[string]bool{}
	for _, sk := range slices.Concat(res.Skipped, res.Unreviewed) {
		unread[sk.Path] = true
	}
	listed := map[string]bool{}
	for _, c := range src.changed {
		listed[c.Path] = true
	}
	p.resolved = j.resolveFixed(ctx, p.threads, res, func(path string) bool { return res.OutOfTime || unread[path] || src.partial && !listed[path] })
	return nil
}
