package githubtest

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-github/v60/github"
	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// GraphQLRoute is the Route of the fake's GraphQL requests (POST /graphql,
// or /api/graphql on Enterprise Server).
const GraphQLRoute = "/graphql"

var (
	schemaOnce sync.Once
	schema     *ast.Schema
	schemaErr  error
)

// loadSchema loads GitHub's public GraphQL schema once per test binary.
func loadSchema(t testing.TB) *ast.Schema {
	t.Helper()
	pkg := NPMPackage(t, GraphQLSchemaPackage)
	schemaOnce.Do(func() { schema, schemaErr = parseSchema(filepath.Join(pkg, "schema.graphql")) })
	if schemaErr != nil {
		t.Fatalf("load GitHub's GraphQL schema: %v", schemaErr)
	}
	return schema
}

// parseSchema parses and validates GitHub's schema. The published SDL
// defines a few fields of one type twice, identically (EnterpriseOwnerInfo's
// repositoryDeployKeySetting), which a strict parser refuses: the second
// definition is dropped, and nothing else is changed.
func parseSchema(path string) (*ast.Schema, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read schema: %w", err)
	}
	doc, perr := parser.ParseSchemas(validator.Prelude, &ast.Source{Name: filepath.Base(path), Input: string(b)})
	if perr != nil {
		return nil, fmt.Errorf("parse schema: %w", perr)
	}
	for _, d := range doc.Definitions {
		seen := map[string]bool{}
		var fields ast.FieldList
		for _, f := range d.Fields {
			if !seen[f.Name] {
				seen[f.Name] = true
				fields = append(fields, f)
			}
		}
		d.Fields = fields
	}
	s, verr := validator.ValidateSchemaDocument(doc)
	if verr != nil {
		return nil, fmt.Errorf("validate schema: %w", verr)
	}
	return s, nil
}

// gqlObject is an object of the fake's GraphQL graph: a resolver per
// field, given the field's arguments. A field the fake does not resolve
// fails the test, so a query never silently gets less than GitHub's answer.
type gqlObject map[string]func(args map[string]any) any

// serveGraphQL answers a GraphQL request: it is checked against GitHub's
// schema (the operation and its variables), then run on the pull request's
// review threads. Errors are answered as GitHub does, 200 with "errors".
func (s *Server) serveGraphQL(w http.ResponseWriter, r *http.Request, body []byte) {
	var req struct {
		Query         string         `json:"query"`
		Variables     map[string]any `json:"variables"`
		OperationName string         `json:"operationName"`
	}
	if r.Method != http.MethodPost || json.Unmarshal(body, &req) != nil {
		s.t.Errorf("githubtest: GraphQL request is not a POST of a JSON query: %s %s", r.Method, truncate(body, 200))
		writeError(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	doc, errs := gqlparser.LoadQueryWithRules(s.schema, req.Query, nil) // nil: all of GraphQL's rules
	if errs != nil {
		s.t.Errorf("githubtest: GraphQL query does not match GitHub's schema: %v\n%s", errs, req.Query)
		writeJSON(w, http.StatusOK, map[string]any{"errors": []map[string]string{{"message": errs.Error()}}})
		return
	}
	op := doc.Operations.ForName(req.OperationName)
	if op == nil {
		s.t.Errorf("githubtest: GraphQL document has no operation %q", req.OperationName)
		writeJSON(w, http.StatusOK, map[string]any{"errors": []map[string]string{{"message": "no operation"}}})
		return
	}
	vars, verr := validator.VariableValues(s.schema, op, req.Variables)
	if verr != nil {
		s.t.Errorf("githubtest: GraphQL variables do not match GitHub's schema: %v", verr)
		writeJSON(w, http.StatusOK, map[string]any{"errors": []map[string]string{{"message": verr.Error()}}})
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	root := s.gqlQuery()
	if op.Operation == ast.Mutation {
		root = s.gqlMutation()
	}
	ex := &gqlExec{t: s.t, vars: vars, fragments: doc.Fragments}
	data := ex.run(op.SelectionSet, root)
	out := map[string]any{"data": data}
	if len(ex.errors) > 0 {
		out["errors"] = ex.errors
	}
	writeJSON(w, http.StatusOK, out)
}

// gqlExec runs one operation on the fake's graph.
type gqlExec struct {
	t         testing.TB
	vars      map[string]any
	fragments ast.FragmentDefinitionList
	errors    []map[string]any
}

func (e *gqlExec) run(set ast.SelectionSet, v any) any {
	switch v := v.(type) {
	case gqlObject:
		out := map[string]any{}
		e.fields(set, v, out)
		return out
	case []gqlObject:
		out := make([]any, len(v))
		for i, o := range v {
			out[i] = e.run(set, o)
		}
		return out
	case gqlError:
		e.errors = append(e.errors, map[string]any{"type": v.kind, "message": v.message})
		return nil
	}
	return v
}

// gqlError is a field's error, as GitHub reports it in "errors" with the
// field null.
type gqlError struct{ kind, message string }

func (e *gqlExec) fields(set ast.SelectionSet, obj gqlObject, out map[string]any) {
	for _, sel := range set {
		switch sel := sel.(type) {
		case *ast.Field:
			key := sel.Alias
			if key == "" {
				key = sel.Name
			}
			if sel.Name == "__typename" {
				out[key] = sel.ObjectDefinition.Name
				continue
			}
			fn, ok := obj[sel.Name]
			if !ok {
				e.t.Errorf("githubtest: the fake resolves no GraphQL field %s.%s", sel.ObjectDefinition.Name, sel.Name)
				out[key] = nil
				continue
			}
			out[key] = e.run(sel.SelectionSet, fn(sel.ArgumentMap(e.vars)))
		case *ast.InlineFragment:
			e.fields(sel.SelectionSet, obj, out)
		case *ast.FragmentSpread:
			if f := e.fragments.ForName(sel.Name); f != nil {
				e.fields(f.SelectionSet, obj, out)
			}
		}
	}
}

// Thread is a review thread as the fake keeps it: its first comment, and
// whether it was resolved.
type Thread struct {
	ID       string
	Comment  *github.PullRequestComment
	Resolved bool
}

func threadID(commentID int64) string { return "PRRT_fake" + strconv.FormatInt(commentID, 10) }

// Threads returns the review threads, one per comment that replies to
// none, of every pull request.
func (s *Server) Threads() []Thread {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Thread
	for _, c := range s.allComments() {
		if c.InReplyTo == nil {
			out = append(out, Thread{ID: threadID(c.GetID()), Comment: c, Resolved: s.resolved[c.GetID()]})
		}
	}
	return out
}

// allComments are the review comments of every pull request, oldest first;
// s.mu held.
func (s *Server) allComments() []*github.PullRequestComment {
	var out []*github.PullRequestComment
	for _, p := range s.pulls {
		out = append(out, p.comments...)
	}
	slices.SortFunc(out, func(a, b *github.PullRequestComment) int { return cmp.Compare(a.GetID(), b.GetID()) })
	return out
}

// AddComment adds a review comment by another user (a person's thread,
// which the bot must never touch) on line of path at the (first) pull
// request's head.
func (s *Server) AddComment(user, path string, line int, body string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextID++
	s.pr.comments = append(s.pr.comments, &github.PullRequestComment{
		ID: github.Int64(s.nextID), Body: github.String(body), Path: github.String(path),
		Line: github.Int(line), Side: github.String("RIGHT"), CommitID: github.String(s.pr.headSHA),
		User: &github.User{Login: github.String(user), Type: github.String("User")},
	})
}

// RefuseResolve makes resolveReviewThread fail as GitHub does for a token
// that may not resolve threads.
func (s *Server) RefuseResolve() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuseResolve = true
}

func (s *Server) threadObject(p *pull, c *github.PullRequestComment) gqlObject {
	id := c.GetID()
	return gqlObject{
		"id":         func(map[string]any) any { return threadID(id) },
		"isResolved": func(map[string]any) any { return s.resolved[id] },
		"isOutdated": func(map[string]any) any { return c.GetCommitID() != p.headSHA },
		"path":       func(map[string]any) any { return c.GetPath() },
		"line":       func(map[string]any) any { return c.GetLine() },
		"comments": func(args map[string]any) any {
			comment := gqlObject{
				"id":              func(map[string]any) any { return "PRRC_fake" + strconv.FormatInt(id, 10) },
				"databaseId":      func(map[string]any) any { return id },
				"fullDatabaseId":  func(map[string]any) any { return strconv.FormatInt(id, 10) },
				"body":            func(map[string]any) any { return c.GetBody() },
				"viewerDidAuthor": func(map[string]any) any { return c.GetUser().GetLogin() == BotLogin },
				"author": func(map[string]any) any {
					return gqlObject{"login": func(map[string]any) any { return c.GetUser().GetLogin() }}
				},
			}
			return connection([]gqlObject{comment}, args)
		},
	}
}

// connection is a page of a GraphQL connection: first (at most 100) and
// after, a cursor that is an index.
func connection(nodes []gqlObject, args map[string]any) gqlObject {
	from := 0
	if after, ok := args["after"].(string); ok {
		n, _ := strconv.Atoi(after)
		from = min(n+1, len(nodes))
	}
	to := len(nodes)
	if first, err := strconv.Atoi(fmt.Sprint(args["first"])); err == nil {
		to = min(from+first, len(nodes))
	}
	page := nodes[from:to]
	return gqlObject{
		"nodes":      func(map[string]any) any { return page },
		"totalCount": func(map[string]any) any { return len(nodes) },
		"pageInfo": func(map[string]any) any {
			return gqlObject{
				"hasNextPage": func(map[string]any) any { return to < len(nodes) },
				"endCursor":   func(map[string]any) any { return strconv.Itoa(to - 1) },
			}
		},
	}
}

func (s *Server) gqlQuery() gqlObject {
	return gqlObject{
		"repository": func(args map[string]any) any {
			if args["owner"] != s.owner || args["name"] != s.repo {
				return gqlError{"NOT_FOUND", fmt.Sprintf("Could not resolve to a Repository with the name '%s/%s'.", args["owner"], args["name"])}
			}
			return gqlObject{"pullRequest": func(args map[string]any) any {
				n, _ := strconv.Atoi(fmt.Sprint(args["number"]))
				p := s.pulls[n]
				if p == nil {
					return gqlError{"NOT_FOUND", fmt.Sprintf("Could not resolve to a PullRequest with the number of %v.", args["number"])}
				}
				return gqlObject{"reviewThreads": func(args map[string]any) any {
					var threads []gqlObject
					for _, c := range p.comments {
						if c.InReplyTo == nil {
							threads = append(threads, s.threadObject(p, c))
						}
					}
					return connection(threads, args)
				}}
			}}
		},
	}
}

func (s *Server) gqlMutation() gqlObject {
	return gqlObject{
		"resolveReviewThread": func(args map[string]any) any {
			in, _ := args["input"].(map[string]any)
			id, _ := in["threadId"].(string)
			if s.refuseResolve {
				return gqlError{"FORBIDDEN", "Resource not accessible by integration"}
			}
			for _, p := range s.pulls {
				for _, c := range p.comments {
					if threadID(c.GetID()) == id && c.InReplyTo == nil {
						if c.GetUser().GetLogin() != BotLogin {
							s.t.Errorf("githubtest: the bot resolved %s's thread %s", c.GetUser().GetLogin(), id)
						}
						s.resolved[c.GetID()] = true
						thread := s.threadObject(p, c)
						return gqlObject{"thread": func(map[string]any) any { return thread }}
					}
				}
			}
			return gqlError{"NOT_FOUND", "Could not resolve to a node with the global id of '" + id + "'"}
		},
	}
}

// isGraphQL reports whether a request is to the GraphQL endpoint:
// /graphql on github.com, /api/graphql on Enterprise Server.
func isGraphQL(path string) bool {
	return path == GraphQLRoute || path == strings.TrimSuffix(EnterprisePrefix, "/v3")+GraphQLRoute
}

// editComment answers PATCH /repos/{owner}/{repo}/pulls/comments/{id}: a
// new body; s.mu held.
func (s *Server) editComment(w http.ResponseWriter, idText string, body []byte) {
	id, _ := strconv.ParseInt(idText, 10, 64)
	var req struct {
		Body string `json:"body"`
	}
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "Problems parsing JSON")
		return
	}
	for _, c := range s.allComments() {
		if c.GetID() == id {
			if c.GetUser().GetLogin() != BotLogin {
				s.t.Errorf("githubtest: the bot edited %s's comment %d", c.GetUser().GetLogin(), id)
			}
			c.Body = github.String(req.Body)
			writeJSON(w, http.StatusOK, c)
			return
		}
	}
	writeError(w, http.StatusNotFound, "Not Found")
}
