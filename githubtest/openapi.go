package githubtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
)

// servedPaths are the operations' paths of GitHub's description that the
// fake implements. Only these, and the components they reach, are loaded:
// kin-openapi takes 8 s to load the whole 13 MB description (45 s under
// -race), a pruned copy well under a second.
var servedPaths = []string{
	"/app/installations/{installation_id}/access_tokens",
	"/repos/{owner}/{repo}/pulls/{pull_number}",
	"/repos/{owner}/{repo}/pulls/{pull_number}/files",
	"/repos/{owner}/{repo}/pulls/{pull_number}/comments",
	"/repos/{owner}/{repo}/pulls/{pull_number}/reviews",
	"/repos/{owner}/{repo}/git/trees/{tree_sha}",
	"/repos/{owner}/{repo}/git/blobs/{file_sha}",
	"/repos/{owner}/{repo}/contents/{path}",
	"/repos/{owner}/{repo}/tarball/{ref}",
	"/repos/{owner}/{repo}/check-runs",
	"/repos/{owner}/{repo}/check-runs/{check_run_id}",
	"/repos/{owner}/{repo}/commits/{ref}/check-runs",
	"/repos/{owner}/{repo}/compare/{basehead}",
	"/repos/{owner}/{repo}/pulls/comments/{comment_id}",
}

// description is GitHub's REST description, ready to check requests.
type description struct {
	router routers.Router
	// all holds a pattern for every path of the whole description, to tell
	// "GitHub has no such operation" from "the fake does not serve it".
	all []*regexp.Regexp
}

var (
	descOnce sync.Once
	desc     *description
	descErr  error
)

// loadDescription loads GitHub's description once per test binary.
func loadDescription(t testing.TB) *description {
	t.Helper()
	pkg := NPMPackage(t, OpenAPIPackage)
	descOnce.Do(func() {
		desc, descErr = parseDescription(filepath.Join(pkg, "generated", "api.github.com.json"))
	})
	if descErr != nil {
		t.Fatalf("load GitHub's OpenAPI description: %v", descErr)
	}
	return desc
}

func parseDescription(path string) (*description, error) {
	pd, err := prunedDescriptionOf(path)
	if err != nil {
		return nil, err
	}
	doc, err := openapi3.NewLoader().LoadFromData(pd.Doc)
	if err != nil {
		return nil, fmt.Errorf("load description: %w", err)
	}
	// The fake listens on a loopback port, not api.github.com: match any
	// host. (doc.Validate is not called: the description carries examples
	// that do not match their own schemas, which says nothing of requests.)
	doc.Servers = nil
	router, err := gorillamux.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route description: %w", err)
	}
	all := make([]*regexp.Regexp, len(pd.Paths))
	for i, p := range pd.Paths {
		all[i] = templatePattern(p)
	}
	return &description{router: router, all: all}, nil
}

// prunedDescription is what the fake keeps of the description: the pruned
// copy, and the path of every operation of the whole.
type prunedDescription struct {
	Doc   json.RawMessage `json:"doc"`
	Paths []string        `json:"paths"`
}

// prunedCacheVersion names the form of the cached pruned description;
// change it when prune keeps something else.
const prunedCacheVersion = "1"

// prunedDescriptionOf prunes the description at path, or reads the copy
// pruned before from the cache file beside it. Decoding the 13 MB
// description takes about 2 s of CPU under -race, in every test binary
// that starts a fake; the cache file is named by a hash of the
// description, the served paths and prunedCacheVersion, so any change
// prunes again. A cache that cannot be written is only a slower start.
func prunedDescriptionOf(path string) (*prunedDescription, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read description: %w", err)
	}
	h := sha256.New()
	h.Write(b)
	fmt.Fprintf(h, "\x00%s\x00%s", prunedCacheVersion, strings.Join(servedPaths, "\x00"))
	cache := filepath.Join(filepath.Dir(path), fmt.Sprintf(".djintegrity-pruned-%x.json", h.Sum(nil)[:12]))
	if c, err := os.ReadFile(cache); err == nil {
		pd := &prunedDescription{}
		if json.Unmarshal(c, pd) == nil && len(pd.Doc) > 0 && len(pd.Paths) > 0 {
			return pd, nil
		}
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var raw map[string]any
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	pruned, all, err := prune(raw)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	data, err := json.Marshal(pruned)
	if err != nil {
		return nil, fmt.Errorf("marshal pruned description: %w", err)
	}
	pd := &prunedDescription{Doc: data, Paths: all}
	if c, err := json.Marshal(pd); err == nil {
		writeAtomically(cache, c)
	}
	return pd, nil
}

// writeAtomically writes data to path through a temporary file renamed into
// place, so that a concurrent reader sees all of it or nothing; errors are
// ignored.
func writeAtomically(path string, data []byte) {
	f, err := os.CreateTemp(filepath.Dir(path), ".tmp-*")
	if err != nil {
		return
	}
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(0o644)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), path)
	}
	if err != nil {
		os.Remove(f.Name())
	}
}

// prune keeps the served paths and the components they reference, with
// their responses replaced by a stub: the fake checks requests, and writes
// its own responses.
func prune(raw map[string]any) (map[string]any, []string, error) {
	paths, _ := raw["paths"].(map[string]any)
	all := slices.Sorted(maps.Keys(paths))
	keptPaths := map[string]any{}
	for _, p := range servedPaths {
		item, ok := paths[p].(map[string]any)
		if !ok {
			return nil, nil, fmt.Errorf("the description has no path %s", p)
		}
		for method, op := range item {
			if m, ok := op.(map[string]any); ok && method != "parameters" {
				m["responses"] = map[string]any{"default": map[string]any{"description": "not checked by the fake"}}
			}
		}
		keptPaths[p] = item
	}
	components, _ := raw["components"].(map[string]any)
	keptComponents := map[string]any{}
	var queue []string
	seen := map[string]bool{}
	collectRefs(keptPaths, func(ref string) {
		if !seen[ref] {
			seen[ref] = true
			queue = append(queue, ref)
		}
	})
	for len(queue) > 0 {
		ref := queue[0]
		queue = queue[1:]
		kind, name, ok := splitRef(ref)
		if !ok {
			return nil, nil, fmt.Errorf("unsupported $ref %q", ref)
		}
		group, _ := components[kind].(map[string]any)
		v, ok := group[name]
		if !ok {
			return nil, nil, fmt.Errorf("dangling $ref %q", ref)
		}
		kg, _ := keptComponents[kind].(map[string]any)
		if kg == nil {
			kg = map[string]any{}
			keptComponents[kind] = kg
		}
		kg[name] = v
		collectRefs(v, func(ref string) {
			if !seen[ref] {
				seen[ref] = true
				queue = append(queue, ref)
			}
		})
	}
	out := map[string]any{
		"openapi":    raw["openapi"],
		"info":       raw["info"],
		"paths":      keptPaths,
		"components": keptComponents,
	}
	return out, all, nil
}

func collectRefs(v any, fn func(string)) {
	switch v := v.(type) {
	case map[string]any:
		if ref, ok := v["$ref"].(string); ok {
			fn(ref)
		}
		for _, e := range v {
			collectRefs(e, fn)
		}
	case []any:
		for _, e := range v {
			collectRefs(e, fn)
		}
	}
}

func splitRef(ref string) (kind, name string, ok bool) {
	rest, ok := strings.CutPrefix(ref, "#/components/")
	if !ok {
		return "", "", false
	}
	kind, name, ok = strings.Cut(rest, "/")
	name = strings.ReplaceAll(strings.ReplaceAll(name, "~1", "/"), "~0", "~")
	return kind, name, ok
}

var templateParam = regexp.MustCompile(`\\\{[^}]*\\\}`)

func templatePattern(p string) *regexp.Regexp {
	return regexp.MustCompile("^" + templateParam.ReplaceAllString(regexp.QuoteMeta(p), `[^/]+`) + "$")
}

// check validates one request (its path without any Enterprise prefix)
// against the description: the operation, path and query parameters
// (unknown query parameters too, which kin-openapi lets through), and the
// body. It returns the matched route.
func (d *description) check(ctx context.Context, r *http.Request, apiPath string, body []byte) (*routers.Route, map[string]string, error) {
	u := *r.URL
	u.Path, u.RawPath = apiPath, ""
	// GitHub's {path} of the contents API spans slashes; the router's
	// parameters do not, so the copy checked carries it escaped.
	if rest, ok := cutContents(apiPath); ok {
		u.RawPath = strings.TrimSuffix(apiPath, rest) + url.PathEscape(rest)
	}
	req := r.Clone(ctx)
	req.URL = &u
	req.RequestURI = ""
	req.Body = io.NopCloser(bytes.NewReader(body))
	route, params, err := d.router.FindRoute(req)
	if err != nil {
		if errors.Is(err, routers.ErrMethodNotAllowed) || d.inDescription(apiPath) {
			return nil, nil, fmt.Errorf("%s %s: the fake does not serve this operation (%v)", r.Method, apiPath, err)
		}
		return nil, nil, fmt.Errorf("%s %s: GitHub's description has no such operation", r.Method, apiPath)
	}
	if rest, ok := cutContents(apiPath); ok {
		params["path"] = rest
	}
	known := map[string]bool{}
	for _, ps := range []openapi3.Parameters{route.PathItem.Parameters, route.Operation.Parameters} {
		for _, p := range ps {
			if p.Value != nil && p.Value.In == openapi3.ParameterInQuery {
				known[p.Value.Name] = true
			}
		}
	}
	var unknown []string
	for name := range u.Query() {
		if !known[name] {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) > 0 {
		sort.Strings(unknown)
		return nil, nil, fmt.Errorf("%s %s: query parameters %v are not in GitHub's description of %s %s",
			r.Method, apiPath, unknown, route.Method, route.Path)
	}
	in := &openapi3filter.RequestValidationInput{
		Request:    req,
		PathParams: params,
		Route:      route,
		Options:    &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
	}
	if err := openapi3filter.ValidateRequest(ctx, in); err != nil {
		return nil, nil, fmt.Errorf("%s %s does not match GitHub's description of %s %s: %w", r.Method, apiPath, route.Method, route.Path, err)
	}
	return route, params, nil
}

func (d *description) inDescription(p string) bool {
	return slices.ContainsFunc(d.all, func(re *regexp.Regexp) bool { return re.MatchString(p) })
}

var contentsPath = regexp.MustCompile(`^/repos/[^/]+/[^/]+/contents/(.+)$`)

func cutContents(p string) (string, bool) {
	m := contentsPath.FindStringSubmatch(p)
	if m == nil {
		return "", false
	}
	return m[1], true
}
