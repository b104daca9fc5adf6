package githubtest

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// captureTB records Errorf calls instead of failing, to show that the fake
// fails a test on a request GitHub's description does not allow.
type captureTB struct {
	testing.TB
	mu   sync.Mutex
	errs []string
}

func (c *captureTB) Errorf(format string, args ...any) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.errs = append(c.errs, fmt.Sprintf(format, args...))
}

func (c *captureTB) errors() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.errs
}

func TestRejectsRequestsOutsideDescription(t *testing.T) {
	for name, c := range map[string]struct {
		method, path, body, want string
	}{
		"unknown operation":     {"GET", "/repos/octo/shop/no-such-thing", "", "no such operation"},
		"not served":            {"GET", "/repos/octo/shop/issues", "", "does not serve"},
		"unknown query":         {"GET", "/repos/octo/shop/pulls/1/files?per_pag=100", "", "per_pag"},
		"bad query value":       {"GET", "/repos/octo/shop/pulls/1/files?per_page=many", "", "per_page"},
		"bad enum in body":      {"POST", "/repos/octo/shop/check-runs", `{"name":"x","head_sha":"a","status":"running"}`, "status"},
		"missing required":      {"POST", "/repos/octo/shop/check-runs", `{"name":"x"}`, "head_sha"},
		"null token options":    {"POST", "/app/installations/1/access_tokens", `null`, "nullable"},
		"bad review event":      {"POST", "/repos/octo/shop/pulls/1/reviews", `{"event":"SHOUT"}`, "event"},
		"enterprise bad method": {"DELETE", EnterprisePrefix + "/repos/octo/shop/pulls/1/files", "", "does not serve"},
	} {
		t.Run(name, func(t *testing.T) {
			ct := &captureTB{TB: t}
			s := newServer(ct, WithToken("tok"))
			req, err := http.NewRequestWithContext(t.Context(), c.method, strings.TrimSuffix(s.srv.URL, "/")+c.path, strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer tok")
			if c.body != "" {
				req.Header.Set("Content-Type", "application/json")
			}
			resp, err := s.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			errs := ct.errors()
			if len(errs) == 0 || !strings.Contains(strings.Join(errs, "\n"), c.want) {
				t.Errorf("fake reported %q, want an error mentioning %q", errs, c.want)
			}
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status %d, want 400", resp.StatusCode)
			}
		})
	}
}

func TestAllowsValidRequests(t *testing.T) {
	ct := &captureTB{TB: t}
	s := newServer(ct, WithToken("tok"), WithPullRequest("octo", "shop", 3,
		Tree{"a.py": "x = 1\n", ".github/djintegrity.yml": "fail_on: error\n"}, Tree{"a.py": "x = 2\n", "b/c.py": "y\n"}))
	pr := s.PullRequest()
	for _, c := range []struct{ method, path, body string }{
		{"GET", "/repos/octo/shop/pulls/3", ""},
		{"GET", "/repos/octo/shop/pulls/3/files?per_page=100&page=1", ""},
		{"GET", "/repos/octo/shop/contents/.github/djintegrity.yml?ref=" + pr.BaseSHA, ""},
		{"GET", "/repos/octo/shop/git/trees/" + pr.HeadSHA + "?recursive=1", ""},
		{"POST", "/repos/octo/shop/check-runs", `{"name":"x","head_sha":"` + pr.HeadSHA + `","status":"in_progress"}`},
	} {
		req, _ := http.NewRequestWithContext(t.Context(), c.method, s.srv.URL+c.path, strings.NewReader(c.body))
		req.Header.Set("Authorization", "token tok")
		if c.body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode >= 300 {
			t.Errorf("%s %s: status %d", c.method, c.path, resp.StatusCode)
		}
	}
	if errs := ct.errors(); len(errs) > 0 {
		t.Errorf("valid requests reported: %q", errs)
	}
}

func TestPatchStats(t *testing.T) {
	adds, dels, ranges := patchStats("@@ -1,2 +1,3 @@\n a\n-b\n+c\n+d\n@@ -9 +10 @@\n-x\n+y")
	if adds != 3 || dels != 2 || len(ranges) != 2 || ranges[0] != (hunkRange{1, 3}) || ranges[1] != (hunkRange{10, 10}) {
		t.Errorf("patchStats = %d, %d, %v", adds, dels, ranges)
	}
}

func TestNPMPackageSplitSpec(t *testing.T) {
	for spec, want := range map[string][2]string{
		"@octokit/openapi@23.0.2": {"@octokit/openapi", "23.0.2"},
		"left-pad@1.3.0":          {"left-pad", "1.3.0"},
		"@scope/pkg":              {"@scope/pkg", ""},
	} {
		if n, v := splitSpec(spec); n != want[0] || v != want[1] {
			t.Errorf("splitSpec(%q) = %q, %q", spec, n, v)
		}
	}
}

// TestPullRequestsAndChaos: the fake serves several pull requests of one
// repository, each with its own head; Chaos fails requests with 502s,
// some after doing the work.
func TestPullRequestsAndChaos(t *testing.T) {
	ct := &captureTB{TB: t}
	base := Tree{"a.py": "x = 1\n"}
	s := newServer(ct, WithToken("tok"), WithPullRequest("octo", "shop", 3, base, Tree{"a.py": "x = 2\n"}),
		WithMorePullRequest(4, base, Tree{"a.py": "x = 3\n"}))
	moved := s.PushTo(4, Tree{"a.py": "x = 4\n"})
	if s.PullRequestNumbered(4).HeadSHA != moved || s.PullRequest().HeadSHA == moved {
		t.Errorf("pushing to #4 moved %+v and %+v", s.PullRequestNumbered(4), s.PullRequest())
	}
	do := func(method, path, body string) int {
		req, _ := http.NewRequestWithContext(t.Context(), method, s.srv.URL+path, strings.NewReader(body))
		req.Header.Set("Authorization", "token tok")
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := s.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for path, want := range map[string]int{"/repos/octo/shop/pulls/3": 200, "/repos/octo/shop/pulls/4/files": 200, "/repos/octo/shop/pulls/5": 404} {
		if got := do("GET", path, ""); got != want {
			t.Errorf("GET %s: %d, want %d", path, got, want)
		}
	}

	s.Chaos(1, 7)
	created := `{"name":"x","head_sha":"` + moved + `","status":"in_progress"}`
	for range 20 {
		if got := do("POST", "/repos/octo/shop/check-runs", created); got != http.StatusBadGateway {
			t.Fatalf("POST under Chaos(1): %d, want 502", got)
		}
	}
	if n := len(s.CheckRuns()); n == 0 || n == 20 {
		t.Errorf("%d of 20 failed creates landed, want some", n)
	}
	s.ClearFaults()
	if got := do("GET", "/repos/octo/shop/pulls/3", ""); got != 200 {
		t.Errorf("GET after ClearFaults: %d", got)
	}
	if errs := ct.errors(); len(errs) > 0 {
		t.Errorf("valid requests reported: %q", errs)
	}
}

// TestWholeFilePatch: the patch made without git for a file added or
// removed whole is git's.
func TestWholeFilePatch(t *testing.T) {
	dir := t.TempDir()
	for _, content := range []string{"a\n", "a\nb\n", "a\n\n\nb\n", "\n", "x = 1\ny = 2\nz = 3\n"} {
		for _, side := range []struct{ base, head string }{{"", content}, {content, ""}} {
			got, ok := wholeFilePatch(side.base, side.head)
			want, _ := gitPatch(t, dir, side.base, side.head)
			if !ok || got != want {
				t.Errorf("wholeFilePatch(%q, %q) = %q, %v; git gives %q", side.base, side.head, got, ok, want)
			}
		}
	}
	for _, content := range []string{"no newline", "nul\x00\n", Symlink("x.py")} {
		if _, ok := wholeFilePatch("", content); ok {
			t.Errorf("wholeFilePatch of %q: made without git", content)
		}
	}
}
