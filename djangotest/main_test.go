package djangotest

import (
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/djintegrity/djintegrity/rules"
)

var raceRuns = flag.Int("race-runs", envInt("DJANGOTEST_RACE_RUNS", 1),
	"run each race of a failing example this many times and print how many rounds each took to reproduce (also DJANGOTEST_RACE_RUNS)")

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

// suite is what the tests share: the repository, the scenarios, the
// cluster (started by the first test that needs it, stopped by TestMain)
// and the cached proofs.
var suite struct {
	root      string
	scenarios []*Scenario

	once    sync.Once
	skip    string // why the proofs cannot run here (no CI)
	err     error  // why they cannot run at all
	cluster *Cluster
	runner  *Runner

	mu     sync.Mutex
	proofs map[string]*proof
	rounds map[string][]int // "slug/case vendor" -> rounds to reproduce, per run
}

func TestMain(m *testing.M) {
	flag.Parse()
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	wd, err := os.Getwd()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	suite.root = filepath.Dir(wd)
	suite.proofs = map[string]*proof{}
	suite.rounds = map[string][]int{}
	if suite.scenarios, err = LoadScenarios("testdata"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	// A signal ends the process without running deferred calls: stop the
	// cluster first. (The cluster's watchdog covers what Go cannot catch:
	// a test timeout's panic, SIGKILL.)
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, os.Interrupt, syscall.SIGTERM)
	go func() {
		s := <-sig
		stopCluster()
		fmt.Fprintf(os.Stderr, "djangotest: %v: stopped the PostgreSQL cluster\n", s)
		os.Exit(1)
	}()
	defer stopCluster()
	code := m.Run()
	printRounds()
	return code
}

// stopCluster stops the drivers, then the cluster.
func stopCluster() {
	suite.mu.Lock()
	c, r := suite.cluster, suite.runner
	suite.mu.Unlock()
	if err := r.Close(); err != nil {
		fmt.Fprintln(os.Stderr, "djangotest:", err)
	}
	if testing.Verbose() {
		printCPU(c)
	}
	if err := c.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "djangotest:", err)
	}
}

// harness returns the runner, starting the cluster and the drivers on
// first use. Without the Debian packages the test is skipped, naming them;
// under CI=true that is a failure. With -short the test is skipped.
func harness(t *testing.T) *Runner {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the proofs by execution are skipped (CI runs them)")
	}
	suite.once.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if missing := MissingPackages(ctx); len(missing) > 0 {
			suite.skip = "the proofs by execution need the Debian packages " + strings.Join(missing, ", ") +
				": apt-get install " + strings.Join(missing, " ")
			if os.Getenv("CI") == "true" {
				suite.err = fmt.Errorf("%s (CI=true: a missing prerequisite is a failure)", suite.skip)
			}
			return
		}
		c, err := StartCluster(ctx)
		if err != nil {
			suite.err = err
			return
		}
		suite.mu.Lock()
		suite.cluster = c
		suite.mu.Unlock()
		r, err := StartRunner(filepath.Join(suite.root, "djangotest", "driver.py"), c.Dir, c, runtime.GOMAXPROCS(0))
		if err != nil {
			suite.err = err
			return
		}
		suite.mu.Lock()
		suite.runner = r
		suite.mu.Unlock()
	})
	if suite.err != nil {
		t.Fatal(suite.err)
	}
	if suite.skip != "" {
		t.Skip(suite.skip)
	}
	return suite.runner
}

// proof is one scenario run on one variant, computed once and shared by
// the tests that read it.
type proof struct {
	once     sync.Once
	findings []rules.Finding
	report   *Report
	err      error
}

// prove runs (or returns the cached run of) a scenario on a variant.
func prove(t *testing.T, sc *Scenario, v Variant) *proof {
	t.Helper()
	runner := harness(t)
	key := sc.File + " " + string(v)
	suite.mu.Lock()
	p := suite.proofs[key]
	if p == nil {
		p = &proof{}
		suite.proofs[key] = p
	}
	suite.mu.Unlock()
	p.once.Do(func() {
		runs := 1
		if v == AsIs && sc.Failing() {
			runs = *raceRuns
		}
		p.findings, p.report, p.err = runVariant(runner, sc, v, runs, nil)
		if p.err == nil && v == AsIs && sc.Failing() {
			recordRounds(sc, p.report)
		}
	})
	if p.err != nil {
		t.Fatal(p.err)
	}
	return p
}

// runVariant prepares the example's head tree (with the rule's suggestions
// applied for Fixed, after mutate changes them if given) and runs it.
func runVariant(r *Runner, sc *Scenario, v Variant, runs int, mutate func([]rules.Finding)) ([]rules.Finding, *Report, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	findings, err := sc.Findings(ctx, suite.root)
	if err != nil {
		return nil, nil, err
	}
	switch {
	case sc.Failing() && len(findings) == 0:
		return nil, nil, fmt.Errorf("%s: the example has no %s finding any more: re-read it and update %s", sc.Source, sc.Slug, sc.File)
	case !sc.Failing() && len(findings) > 0:
		return nil, nil, fmt.Errorf("%s: a passing example has %d %s finding(s)", sc.Source, len(findings), sc.Slug)
	}
	// Inside the cluster's directory, which the cluster's watchdog removes
	// even when this process dies without running its deferred calls.
	dir, err := os.MkdirTemp(r.Cluster.Dir, "case-")
	if err != nil {
		return nil, nil, err
	}
	defer os.RemoveAll(dir)
	tree := filepath.Join(dir, "tree")
	base, err := PrepareTree(filepath.Join(suite.root, sc.Source), tree, sc.Root, sc.BaseEdited)
	if err != nil {
		return nil, nil, err
	}
	if v == Fixed {
		fixes := slices.Clone(findings)
		if mutate != nil {
			mutate(fixes)
		}
		if err := ApplyFixes(tree, fixes); err != nil {
			return nil, nil, err
		}
	}
	// The findings' paths, and so the fixes, are the whole tree's; Django
	// runs from the import root.
	rep, err := r.Run(ctx, filepath.Join(tree, filepath.FromSlash(sc.Root)), base, sc, runs)
	return findings, rep, err
}

func hasSuggestion(fs []rules.Finding) bool {
	return slices.ContainsFunc(fs, func(f rules.Finding) bool { return f.Suggestion != nil })
}

// recordRounds keeps the rounds each race of a failing example took.
func recordRounds(sc *Scenario, rep *Report) {
	suite.mu.Lock()
	defer suite.mu.Unlock()
	for _, vendor := range Vendors {
		db := rep.Databases[vendor]
		if db == nil {
			continue
		}
		for _, res := range db.Steps {
			rounds, ok := res["rounds"].([]any)
			if !ok {
				continue
			}
			key := sc.Slug + "/" + sc.Case + " " + vendor
			for _, r := range rounds {
				n, ok := r.(float64)
				if !ok {
					n = -1 // not reproduced within max_rounds
				}
				suite.rounds[key] = append(suite.rounds[key], int(n))
			}
		}
	}
}

// printRounds prints the rounds-to-reproduce of every race (with -v or
// -race-runs above 1).
func printRounds() {
	if len(suite.rounds) == 0 || (*raceRuns <= 1 && !testing.Verbose()) {
		return
	}
	fmt.Printf("race rounds to reproduce (8 threads per round; %d run(s) each; -1: not within max_rounds):\n", *raceRuns)
	for _, key := range slices.Sorted(maps.Keys(suite.rounds)) {
		rs := slices.Clone(suite.rounds[key])
		slices.Sort(rs)
		fmt.Printf("  %-70s min %d median %d max %d  %v\n", key, rs[0], rs[len(rs)/2], rs[len(rs)-1], suite.rounds[key])
	}
}
