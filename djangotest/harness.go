package djangotest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/djintegrity/djintegrity/review"
	"github.com/djintegrity/djintegrity/rules"
)

// Python is Debian's interpreter, the one python3-django,
// python3-djangorestframework and python3-psycopg2 install into.
const Python = "/usr/bin/python3"

// MissingPackages names the Debian packages the proofs need that are not
// installed: the interpreter, Django, Django REST framework (examples of
// DRF views), psycopg2, the PostgreSQL 15 server and
// (as root, to run initdb as postgres) runuser.
func MissingPackages(ctx context.Context) []string {
	var missing []string
	if _, err := os.Stat(Python); err != nil {
		return []string{"python3", "python3-django", "python3-djangorestframework", "python3-psycopg2"}
	}
	for mod, pkg := range map[string]string{"django": "python3-django", "rest_framework": "python3-djangorestframework", "psycopg2": "python3-psycopg2"} {
		if err := exec.CommandContext(ctx, Python, "-I", "-c", "import "+mod).Run(); err != nil {
			missing = append(missing, pkg)
		}
	}
	for _, bin := range []string{"initdb", "pg_ctl", "postgres"} {
		if _, err := os.Stat(filepath.Join(PGBinDir, bin)); err != nil {
			missing = append(missing, "postgresql-15")
			break
		}
	}
	if os.Geteuid() == 0 {
		if _, err := exec.LookPath("runuser"); err != nil {
			missing = append(missing, "util-linux")
		}
	}
	slices.Sort(missing)
	return missing
}

// Scenario is one proven case: the steps the driver runs on each database
// and what each step must show. Steps are passed to the driver as written;
// the keys want, want_fixed and quote are read here.
type Scenario struct {
	Slug string `json:"-"` // the rule
	Case string `json:"-"` // the example case (or docs-<name>)
	File string `json:"-"` // the scenario file

	About string `json:"about"`
	// Source is the example's directory (with base/ and head/) relative to
	// the repository root; default rules/testdata/<slug>/<case>.
	Source string `json:"source"`
	// Docs marks the scenario whose errors docs/rules/<slug>.md quotes.
	Docs bool `json:"docs"`
	// DocsSays lists phrases the docs page must contain: where the hazard
	// differs between the databases, the page says so.
	DocsSays []string                     `json:"docs_says"`
	Steps    []map[string]json.RawMessage `json:"steps"`
	// InstalledApps are apps to install besides the tree's top-level
	// packages, such as an app in a subpackage ("store.core").
	InstalledApps []string `json:"installed_apps"`
	// Root is the directory of the tree that Django runs from, for an
	// example laid out as a project whose import root is not the tree's
	// top ("src", "backend"): the driver runs on that directory alone.
	Root string `json:"root"`
	// BaseEdited lists the base migrations (slash paths in the tree) that
	// the change edits without changing what they do: the driver migrates
	// the base with the head's copies, so only such edits are allowed.
	BaseEdited []string `json:"base_edited"`
}

// Failing reports whether the scenario shows a hazard (a fail- case, or a
// docs scenario of the bundled example).
func (s *Scenario) Failing() bool {
	return strings.HasPrefix(s.Case, "fail-") || strings.HasPrefix(s.Case, "docs-")
}

// Vendors are the databases every scenario runs on.
var Vendors = []string{"sqlite", "postgresql"}

// LoadScenarios reads dir/<slug>/<case>.json.
func LoadScenarios(dir string) ([]*Scenario, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*", "*.json"))
	if err != nil {
		return nil, fmt.Errorf("load scenarios: %w", err)
	}
	var out []*Scenario
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("load scenarios: %w", err)
		}
		sc := &Scenario{}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(sc); err != nil {
			return nil, fmt.Errorf("load scenario %s: %w", f, err)
		}
		if sc.Root != "" && !filepath.IsLocal(sc.Root) {
			return nil, fmt.Errorf("load scenario %s: root %q is not a directory inside the tree", f, sc.Root)
		}
		sc.File = f
		sc.Slug = filepath.Base(filepath.Dir(f))
		sc.Case = strings.TrimSuffix(filepath.Base(f), ".json")
		if sc.Source == "" {
			sc.Source = filepath.Join("rules", "testdata", sc.Slug, sc.Case)
		}
		out = append(out, sc)
	}
	return out, nil
}

// Findings reviews the scenario's example (base to head) as `djintegrity
// check` would and returns the findings of the scenario's rule.
func (s *Scenario) Findings(ctx context.Context, root string) ([]rules.Finding, error) {
	dir := filepath.Join(root, s.Source)
	res, err := review.Analyze(ctx, review.NewDirSource(filepath.Join(dir, "base"), filepath.Join(dir, "head")), review.DefaultConfig())
	if err != nil {
		return nil, fmt.Errorf("analyze %s: %w", s.Source, err)
	}
	var out []rules.Finding
	for _, f := range res.Findings {
		if f.Rule == s.Slug {
			out = append(out, f)
		}
	}
	return out, nil
}

// PrepareTree copies the example's head tree into dst and returns the
// migrations of its base tree per app (the apps of directory root, the
// import root), which the driver migrates to first. The driver replays them
// from the head's copies, so they must be equal, but for the edited ones
// the scenario lists (a reformat, which does what it did).
func PrepareTree(example, dst, root string, edited []string) (map[string][]string, error) {
	head := filepath.Join(example, "head")
	err := filepath.WalkDir(head, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "__pycache__" {
			return fs.SkipDir
		}
		rel, _ := filepath.Rel(head, p)
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		return nil, fmt.Errorf("copy %s: %w", head, err)
	}
	base := map[string][]string{}
	files, _ := filepath.Glob(filepath.Join(example, "base", filepath.FromSlash(root), "*", "migrations", "*.py"))
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".py")
		if name == "__init__" {
			continue
		}
		rel, _ := filepath.Rel(filepath.Join(example, "base"), f)
		was, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("read base migration: %w", err)
		}
		now, err := os.ReadFile(filepath.Join(head, rel))
		if err != nil || !bytes.Equal(was, now) && !slices.Contains(edited, filepath.ToSlash(rel)) {
			return nil, fmt.Errorf("base migration %s is not in the head tree unchanged: the driver migrates the base with the head's copy", rel)
		}
		app := filepath.Base(filepath.Dir(filepath.Dir(f)))
		base[app] = append(base[app], name)
	}
	return base, nil
}

// ApplyFixes applies the findings' suggestions to the tree as
// `djintegrity check --fix` does (review.FixFile: bottom-up within a file,
// with the imports the messages say the fix needs). Unlike --fix it also
// applies a models suggestion that needs a migration: the scenario makes
// that migration with a makemigrations step.
func ApplyFixes(tree string, findings []rules.Finding) error {
	byPath := map[string][]rules.Finding{}
	for _, f := range findings {
		if f.Suggestion != nil {
			byPath[f.Path] = append(byPath[f.Path], f)
		}
	}
	if len(byPath) == 0 {
		return errors.New("apply fixes: no finding has a suggestion")
	}
	for path, fs := range byPath {
		file := filepath.Join(tree, filepath.FromSlash(path))
		src, err := os.ReadFile(file)
		if err != nil {
			return fmt.Errorf("apply fixes: %w", err)
		}
		src, _, unfixed := review.FixFile(src, fs)
		if len(unfixed) > 0 {
			u := unfixed[0]
			return fmt.Errorf("apply fixes: %s at %s:%d: %s", u.Finding.Rule, path, u.Finding.StartLine, u.Reason)
		}
		if err := os.WriteFile(file, src, 0o644); err != nil {
			return fmt.Errorf("apply fixes: %w", err)
		}
	}
	return nil
}

// Runner runs scenarios on the drivers: one long-lived driver.py process
// per database, which imports Django once and forks a child per run.
type Runner struct {
	Cluster *Cluster // the PostgreSQL the scenarios run on
	drivers map[string]*driver
	slots   chan struct{} // bounds the runs at the same time
	seq     atomic.Int64

	closeOnce sync.Once
	closeErr  error
}

// StartRunner starts a driver per database (Vendors), running in dir. At
// most parallel scenarios run at the same time, each on every database at
// once.
func StartRunner(driverPath, dir string, c *Cluster, parallel int) (*Runner, error) {
	r := &Runner{Cluster: c, drivers: map[string]*driver{}, slots: make(chan struct{}, max(1, parallel))}
	for _, vendor := range Vendors {
		d, err := startDriver(driverPath, vendor, dir)
		if err != nil {
			r.Close()
			return nil, err
		}
		r.drivers[vendor] = d
	}
	return r, nil
}

// Close ends the drivers: they finish the runs under way and exit.
func (r *Runner) Close() error {
	if r == nil {
		return nil
	}
	r.closeOnce.Do(func() {
		var errs []error
		for _, vendor := range Vendors {
			if d := r.drivers[vendor]; d != nil {
				errs = append(errs, d.close())
			}
		}
		r.closeErr = errors.Join(errs...)
	})
	return r.closeErr
}

// Report is what the driver observed on each database.
type Report struct {
	Databases map[string]*DBReport `json:"databases"`
	Stderr    string               `json:"-"` // what the runs wrote to stderr, per database
	Duration  time.Duration        `json:"-"`
}

// DBReport holds one database's step results (or the driver's failure).
type DBReport struct {
	Fatal  string           `json:"fatal"`
	Django string           `json:"django"`
	Steps  []map[string]any `json:"steps"`
	Stderr string           `json:"stderr"` // the tail of what the run wrote to stderr
}

// Run runs the scenario on the prepared tree, on SQLite (a file in the
// tree's parent directory) and on a fresh database of the cluster, at the
// same time; race steps repeat raceRuns times.
func (r *Runner) Run(ctx context.Context, tree string, base map[string][]string, sc *Scenario, raceRuns int) (*Report, error) {
	select {
	case r.slots <- struct{}{}:
		defer func() { <-r.slots }()
	case <-ctx.Done():
		return nil, fmt.Errorf("run %s: %w", sc.File, ctx.Err())
	}
	start := time.Now()
	steps, err := json.Marshal(sc.Steps)
	if err != nil {
		return nil, fmt.Errorf("run %s: %w", sc.File, err)
	}
	n := r.seq.Add(1)
	dbs := map[string]map[string]any{
		"sqlite": {"vendor": "sqlite", "name": filepath.Join(filepath.Dir(tree), fmt.Sprintf("db%d.sqlite3", n))},
		"postgresql": {"vendor": "postgresql", "name": fmt.Sprintf("djangotest_%d_%d", os.Getpid(), n),
			"host": r.Cluster.Host, "port": r.Cluster.Port, "user": r.Cluster.User},
	}
	rep := &Report{Databases: map[string]*DBReport{}}
	errs := make([]error, len(Vendors))
	results := make([]*DBReport, len(Vendors))
	var wg sync.WaitGroup
	for i, vendor := range Vendors {
		wg.Go(func() {
			results[i], errs[i] = r.drivers[vendor].run(ctx, map[string]any{
				"id":              n,
				"tree":            tree,
				"base_migrations": base,
				"scenario":        map[string]any{"steps": json.RawMessage(steps), "installed_apps": sc.InstalledApps},
				"race_runs":       raceRuns,
				"database":        dbs[vendor],
			})
		})
	}
	wg.Wait()
	var stderr strings.Builder
	for i, vendor := range Vendors {
		if results[i] != nil {
			rep.Databases[vendor] = results[i]
			if results[i].Stderr != "" {
				fmt.Fprintf(&stderr, "--- %s\n%s", vendor, results[i].Stderr)
			}
		}
	}
	rep.Stderr = stderr.String()
	rep.Duration = time.Since(start)
	if err := errors.Join(errs...); err != nil {
		return rep, fmt.Errorf("driver for %s: %w\nstderr: %s", sc.File, err, rep.Stderr)
	}
	return rep, nil
}
