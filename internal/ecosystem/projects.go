// Package ecosystem is the check of djintegrity against real Django
// projects: it reviews the recent history of a pinned list of public
// projects, writes every finding to a sorted, line-per-finding file that is
// committed (so a rule change shows as a diff of it), and computes each
// rule's precision from a committed ledger of judged findings.
//
// It reads local git snapshots only: it never downloads a project and
// never runs a project's code.
package ecosystem

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Project is one entry of the pinned list.
type Project struct {
	// Repo is the public repository, "owner/name".
	Repo string `yaml:"repo"`
	// Commit is the pinned commit the history is read back from.
	Commit string `yaml:"commit"`
	// Commits is how many of the last non-merge commits that change Python
	// files are reviewed one by one.
	Commits int `yaml:"commits"`
	// Range is how many first-parent commits make the one pull-request-sized
	// range reviewed as a whole; 0 reviews none.
	Range int `yaml:"range"`
	// Deep is how many earlier non-merge commits that change a migration or
	// a models module the deep run (-deep) reviews one by one, past the
	// Commits window. The default run leaves them out to stay fast; the
	// deep run samples the history where the migration rules fire, so
	// their precision rests on more than a few findings.
	Deep int `yaml:"deep"`
	// History is how many commits that can make a model stricter
	// (stricterCommits) the history run (-history) reviews, spread evenly over the project's
	// whole history before both windows, with the impact rules alone
	// (ImpactRules): what a model change breaks elsewhere is rare in any
	// window of recent commits, so those rules are measured across years.
	History int `yaml:"history"`
	// Shape says what the project brings to the check (size, age, layout,
	// libraries), for whoever edits the list.
	Shape string `yaml:"shape"`
}

// Name is the project's short name as the findings file writes it.
func (p Project) Name() string { return p.Repo }

var (
	repoRE   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*$`)
	commitRE = regexp.MustCompile(`^[0-9a-f]{40}$`)
)

// LoadProjects reads the pinned list.
func LoadProjects(path string) ([]Project, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read project list: %w", err)
	}
	return ParseProjects(b)
}

// ParseProjects parses and checks the pinned list: every entry names a
// repository once, a full commit id, and at least one commit to review.
func ParseProjects(b []byte) ([]Project, error) {
	var doc struct {
		Projects []Project `yaml:"projects"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("parse project list: %w", err)
	}
	if len(doc.Projects) == 0 {
		return nil, errors.New("project list: no projects")
	}
	seen := map[string]bool{}
	for i, p := range doc.Projects {
		switch {
		case !repoRE.MatchString(p.Repo):
			return nil, fmt.Errorf("project list: entry %d: repo %q is not owner/name", i+1, p.Repo)
		case seen[strings.ToLower(p.Repo)]:
			return nil, fmt.Errorf("project list: %s is listed twice", p.Repo)
		case !commitRE.MatchString(p.Commit):
			return nil, fmt.Errorf("project list: %s: commit %q is not a full commit id", p.Repo, p.Commit)
		case p.Commits < 0 || p.Range < 0 || p.Deep < 0 || p.History < 0 || p.Commits+p.Range == 0:
			return nil, fmt.Errorf("project list: %s: commits, range and deep must not be negative, and commits or range above 0", p.Repo)
		}
		seen[strings.ToLower(p.Repo)] = true
	}
	return doc.Projects, nil
}

// Select returns the projects named in only, a comma-separated list of
// owner/name, in the list's order; every project when only is empty. A
// name not in the list is an error.
func Select(projects []Project, only string) ([]Project, error) {
	want := map[string]bool{}
	for _, o := range strings.Split(only, ",") {
		if o = strings.TrimSpace(o); o != "" {
			want[o] = true
		}
	}
	if len(want) == 0 {
		return projects, nil
	}
	var out []Project
	for _, p := range projects {
		if want[p.Repo] {
			out = append(out, p)
			delete(want, p.Repo)
		}
	}
	if len(want) > 0 {
		return nil, fmt.Errorf("not in the project list: %s", strings.Join(slices.Sorted(maps.Keys(want)), ", "))
	}
	return out, nil
}

// FindSnapshot returns the local git directory of p under dir, trying the
// layouts OWNER+NAME/repo, OWNER+NAME, OWNER/NAME and NAME, or "" when there
// is none.
func FindSnapshot(dir string, p Project) string {
	owner, name, _ := strings.Cut(p.Repo, "/")
	for _, c := range []string{
		filepath.Join(dir, owner+"+"+name, "repo"),
		filepath.Join(dir, owner+"+"+name),
		filepath.Join(dir, owner, name),
		filepath.Join(dir, name),
	} {
		if isGitDir(c) {
			return c
		}
	}
	return ""
}

// isGitDir reports whether dir is a bare repository or a working tree.
func isGitDir(dir string) bool {
	for _, marker := range []string{"HEAD", ".git"} {
		if _, err := os.Stat(filepath.Join(dir, marker)); err == nil {
			return true
		}
	}
	return false
}
