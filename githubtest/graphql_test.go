package githubtest

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// postGraphQL sends one GraphQL request to the fake and decodes the answer.
func postGraphQL(t *testing.T, s *Server, query string, vars map[string]any) map[string]any {
	t.Helper()
	b, err := json.Marshal(map[string]any{"query": query, "variables": vars})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, s.srv.URL+GraphQLRoute, strings.NewReader(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "bearer tok")
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestGraphQLChecksGitHubsSchema: a query or variables that GitHub's
// published schema does not allow fail the test, however plausible.
func TestGraphQLChecksGitHubsSchema(t *testing.T) {
	for name, c := range map[string]struct {
		query string
		vars  map[string]any
		want  string
	}{
		"misspelled input field": {`mutation($t: ID!) { resolveReviewThread(input: {threadID: $t}) { thread { id } } }`,
			map[string]any{"t": "x"}, "threadId"},
		"field of no type": {`query { repository(owner: "octo", name: "shop") { pullRequest(number: 1) { threads { id } } } }`,
			nil, "threads"},
		"missing argument": {`query { repository(owner: "octo") { id } }`, nil, "name"},
		"variable of the wrong type": {`query($n: Int!) { repository(owner: "octo", name: "shop") { pullRequest(number: $n) { id } } }`,
			map[string]any{"n": "seven"}, "n"},
	} {
		t.Run(name, func(t *testing.T) {
			ct := &captureTB{TB: t}
			s := newServer(ct, WithToken("tok"))
			out := postGraphQL(t, s, c.query, c.vars)
			errs := ct.errors()
			if len(errs) == 0 || !strings.Contains(strings.Join(errs, "\n"), c.want) {
				t.Errorf("fake reported %q, want an error mentioning %q", errs, c.want)
			}
			if out["errors"] == nil {
				t.Errorf("answer %v has no errors", out)
			}
		})
	}
}

// TestGraphQLResolvesThreads: the threads are listed, paged, and resolved
// as GitHub does.
func TestGraphQLResolvesThreads(t *testing.T) {
	ct := &captureTB{TB: t}
	s := newServer(ct, WithToken("tok"))
	s.AddComment(BotLogin, "a.py", 1, "one")
	s.AddComment("octocat", "a.py", 2, "two")
	const list = `query($cursor: String) { repository(owner: "octo", name: "shop") { pullRequest(number: 1) {
		reviewThreads(first: 1, after: $cursor) { pageInfo { hasNextPage endCursor } nodes { id isResolved comments(first: 1) { nodes { viewerDidAuthor body } } } } } } }`
	first := postGraphQL(t, s, list, nil)
	page := first["data"].(map[string]any)["repository"].(map[string]any)["pullRequest"].(map[string]any)["reviewThreads"].(map[string]any)
	if info := page["pageInfo"].(map[string]any); info["hasNextPage"] != true {
		t.Fatalf("first page of one: %v, want a next page", page)
	}
	id := page["nodes"].([]any)[0].(map[string]any)["id"].(string)
	postGraphQL(t, s, `mutation($t: ID!) { resolveReviewThread(input: {threadId: $t}) { thread { id isResolved } } }`, map[string]any{"t": id})
	var resolved []string
	for _, th := range s.Threads() {
		if th.Resolved {
			resolved = append(resolved, th.Comment.GetBody())
		}
	}
	if len(resolved) != 1 || resolved[0] != "one" {
		t.Errorf("resolved %q, want the bot's thread", resolved)
	}
	if errs := ct.errors(); len(errs) > 0 {
		t.Errorf("valid requests reported: %q", errs)
	}
}
