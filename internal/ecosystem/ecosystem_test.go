package ecosystem

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/internal/testtree"
	"github.com/djintegrity/djintegrity/review"
	"github.com/djintegrity/djintegrity/rules"
)

// gitIn returns a function that runs git in work, as a fixed author, and
// returns its output.
func gitIn(t *testing.T, work string) func(args ...string) string {
	return func(args ...string) string {
		t.Helper()
		cmd := exec.Command("git", args...)
		cmd.Dir = work
		cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
			"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com", "GIT_CONFIG_NOSYSTEM=1", "HOME="+work)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("git %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
}

// snapshot makes a bare repository under dir/owner+name/repo holding two
// commits: the bundled example's base, then its head.
func snapshot(t *testing.T, dir, repo string) (path, base, head string) {
	return snapshotOf(t, dir, repo, "../../examples/shop")
}

// snapshotOf makes a bare repository under dir/owner+name/repo holding two
// commits: example/base, then example/head.
func snapshotOf(t *testing.T, dir, repo, example string) (path, base, head string) {
	t.Helper()
	work := t.TempDir()
	git := gitIn(t, work)
	git("init", "-q", "-b", "main")
	testtree.Copy(t, example+"/base", work)
	git("add", "-A")
	git("commit", "-q", "-m", "base")
	base = git("rev-parse", "HEAD")
	git("rm", "-q", "-r", ".")
	testtree.Copy(t, example+"/head", work)
	git("add", "-A")
	git("commit", "-q", "-m", "head")
	head = git("rev-parse", "HEAD")
	owner, name, _ := strings.Cut(repo, "/")
	path = filepath.Join(dir, owner+"+"+name, "repo")
	git("clone", "-q", "--bare", work, path)
	return path, base, head
}

func TestRunMatchesAReviewOfTheSameChange(t *testing.T) {
	dir := t.TempDir()
	path, base, head := snapshot(t, dir, "acme/shop")
	p := Project{Repo: "acme/shop", Commit: head, Commits: 5, Range: 1}
	if got := FindSnapshot(dir, p); got != path {
		t.Fatalf("FindSnapshot = %q, want %q", got, path)
	}
	if got := FindSnapshot(dir, Project{Repo: "acme/other"}); got != "" {
		t.Fatalf("FindSnapshot of a missing project = %q, want \"\"", got)
	}
	targets, err := Plan(t.Context(), path, p)
	if err != nil {
		t.Fatal(err)
	}
	// The root commit has no parent: one commit and the range remain.
	wantTargets := []string{head[:shortID], base[:shortID] + ".." + head[:shortID]}
	var labels []string
	for _, tg := range targets {
		labels = append(labels, tg.Label)
	}
	if diff := cmp.Diff(wantTargets, labels); diff != "" {
		t.Fatalf("targets (-want +got):\n%s", diff)
	}

	res := Run(t.Context(), targets, Options{Workers: 2, Timeout: time.Minute})
	if len(res.Failures) > 0 {
		t.Fatalf("failures: %v", res.Failures)
	}
	direct, err := review.Analyze(t.Context(), review.NewDirSource("../../examples/shop/base", "../../examples/shop/head"), review.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	if len(direct.Findings) == 0 {
		t.Fatal("the example has no findings: the test would prove nothing")
	}
	// Each target reviews the same change, so each holds every finding.
	if got, want := len(res.Findings), 2*len(direct.Findings); got != want {
		t.Fatalf("%d findings, want %d (twice the %d of the example)", got, want, len(direct.Findings))
	}
	for _, f := range direct.Findings {
		found := 0
		for _, g := range res.Findings {
			if g.Rule == f.Rule && g.Path == f.Path && g.Line == f.StartLine && strings.HasPrefix(f.Fingerprint, g.Fingerprint) {
				found++
			}
		}
		if found != 2 {
			t.Errorf("%s %s:%d found %d times, want 2", f.Rule, f.Path, f.StartLine, found)
		}
	}

	// The file round-trips, and a second run writes the same bytes.
	var first, second bytes.Buffer
	if err := WriteFindings(&first, res.Findings); err != nil {
		t.Fatal(err)
	}
	back, err := ReadFindings(bytes.NewReader(first.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(res.Findings, back); diff != "" {
		t.Fatalf("read back (-wrote +read):\n%s", diff)
	}
	// With the context check, the range is reviewed over the whole tree
	// too, and the two reviews agree.
	checked := Run(t.Context(), targets, Options{Workers: 2, Timeout: time.Minute, ContextCheck: true, Repos: dir})
	if len(checked.Failures) > 0 {
		t.Fatalf("context check failures: %v", checked.Failures)
	}
	if diff := cmp.Diff(res.Findings, checked.Findings); diff != "" {
		t.Fatalf("findings with the context check (-without +with):\n%s", diff)
	}
	again := Run(t.Context(), targets, Options{Workers: 1})
	if err := WriteFindings(&second, again.Findings); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(first.String(), second.String()); diff != "" {
		t.Fatalf("a second run differs (-first +second):\n%s", diff)
	}
}

// TestRunOnlyImpactRules: the history run's reviews run the impact rules
// alone, and find what a review with every rule finds of theirs: the
// search beyond the change is made.
func TestRunOnlyImpactRules(t *testing.T) {
	dir := t.TempDir()
	path, _, head := snapshotOf(t, dir, "acme/shop", "../../rules/testdata/required-field-breaks-inserts/fail-new-field-one-off-default")
	targets, err := Plan(t.Context(), path, Project{Repo: "acme/shop", Commit: head, Commits: 1})
	if err != nil {
		t.Fatal(err)
	}
	all := Run(t.Context(), targets, Options{Workers: 1, Timeout: time.Minute})
	only := Run(t.Context(), targets, Options{Workers: 1, Timeout: time.Minute, Only: ImpactRules})
	if len(all.Failures)+len(only.Failures) > 0 {
		t.Fatalf("failures: %v %v", all.Failures, only.Failures)
	}
	impact := slices.DeleteFunc(slices.Clone(all.Findings), func(f Finding) bool { return !slices.Contains(ImpactRules, f.Rule) })
	if len(impact) == 0 {
		t.Fatal("the example has no impact finding: the test would prove nothing")
	}
	if diff := cmp.Diff(impact, only.Findings); diff != "" {
		t.Errorf("impact rules alone (-with every rule +alone):\n%s", diff)
	}
}

// TestPlanDeep: the deep run reviews the earlier commits that change a
// migration or a models module, and none that the default window holds;
// the history run, commits that can make a model stricter spread over
// what both windows leave.
func TestPlanDeep(t *testing.T) {
	work := t.TempDir()
	git := gitIn(t, work)
	git("init", "-q", "-b", "main")
	ids := map[string]string{}
	for _, c := range []struct{ name, path, src string }{
		{"root", "shop/models.py", ""},
		{"migration", "shop/migrations/0002_x.py", ""},
		{"view", "shop/views.py", ""},
		{"models-package", "billing/models/invoice.py", "    total = models.IntegerField()\n"},
		{"loose-model", "shop/models.py", "    note = models.TextField(null=True)\n"},
		{"models-module", "shop/models.py", "    note = models.TextField()\n"},
		{"newest-migration", "shop/migrations/0003_y.py", ""},
	} {
		testtree.Write(t, work, map[string]string{c.path: "# " + c.name + "\n" + c.src})
		git("add", "-A")
		git("commit", "-q", "-m", c.name)
		ids[c.name] = git("rev-parse", "HEAD")
	}
	labels := func(ts []Target) []string {
		var out []string
		for _, tg := range ts {
			out = append(out, tg.Label)
		}
		return out
	}
	short := func(names ...string) []string {
		var out []string
		for _, n := range names {
			out = append(out, ids[n][:shortID])
		}
		return out
	}
	for _, tc := range []struct {
		name string
		plan func(context.Context, string, Project) ([]Target, error)
		p    Project
		want []string
	}{
		{"past the window", PlanDeep, Project{Commits: 1, Deep: 10}, short("models-module", "loose-model", "models-package", "migration")},
		{"limited", PlanDeep, Project{Commits: 1, Deep: 2}, short("models-module", "loose-model")},
		{"no window", PlanDeep, Project{Range: 1, Deep: 1}, short("newest-migration")},
		{"none asked", PlanDeep, Project{Commits: 1}, nil},
		// Model commits past both windows: loose-model, whose field is
		// nullable, models-package, and the root, which declares nothing.
		{"history past both windows", PlanHistory, Project{Commits: 1, Deep: 1, History: 10}, short("models-package")},
		// Two stricter model commits, one asked: the first of even steps.
		{"history spread", PlanHistory, Project{Commits: 1, History: 1}, short("models-module")},
		{"history none asked", PlanHistory, Project{Commits: 1, Deep: 10}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.p.Repo, tc.p.Commit = "acme/shop", ids["newest-migration"]
			got, err := tc.plan(t.Context(), work, tc.p)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, labels(got)); diff != "" {
				t.Errorf("deep targets (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunReportsAFailureWithItsCommand(t *testing.T) {
	dir := t.TempDir()
	path, _, head := snapshot(t, dir, "acme/shop")
	bad := Target{Project: Project{Repo: "acme/shop"}, Dir: path, Base: strings.Repeat("0", 40), Head: head, Label: "bad"}
	res := Run(t.Context(), []Target{bad}, Options{Workers: 1})
	if len(res.Failures) != 1 {
		t.Fatalf("failures = %v, want one", res.Failures)
	}
	msg := res.Failures[0].String()
	if !strings.Contains(msg, "reproduce: djintegrity check --base "+strings.Repeat("0", 40)+" --head "+head+" "+path) {
		t.Errorf("failure does not give the command that reproduces it:\n%s", msg)
	}
}

func TestSelect(t *testing.T) {
	list := []Project{{Repo: "a/one"}, {Repo: "b/two"}, {Repo: "c/three"}}
	for name, tc := range map[string]struct {
		only string
		want []string
		err  string
	}{
		"all":            {only: "", want: []string{"a/one", "b/two", "c/three"}},
		"one":            {only: "b/two", want: []string{"b/two"}},
		"none after it":  {only: "a/one", want: []string{"a/one"}},
		"list order":     {only: "c/three, a/one", want: []string{"a/one", "c/three"}},
		"unknown":        {only: "b/two,z/zed", err: "not in the project list: z/zed"},
		"spaces, commas": {only: " , b/two ,", want: []string{"b/two"}},
	} {
		t.Run(name, func(t *testing.T) {
			got, err := Select(list, tc.only)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("error %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var repos []string
			for _, p := range got {
				repos = append(repos, p.Repo)
			}
			if diff := cmp.Diff(tc.want, repos); diff != "" {
				t.Errorf("selected (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDiffFindings(t *testing.T) {
	sugg := "    fixed()"
	other := "    other()"
	a := rules.Finding{Rule: "missing-migration", Path: "shop/models.py", StartLine: 3, EndLine: 3, Fingerprint: "aa", Message: "The model shop.Coupon is new.\nmore"}
	b := rules.Finding{Rule: "unvalidated-fk-id", Path: "shop/views.py", StartLine: 7, EndLine: 7, Fingerprint: "bb", Message: "raw id", Suggestion: &sugg}
	bOther := b
	bOther.Suggestion = &other
	tests := map[string]struct {
		context, whole []rules.Finding
		want           *contextDiff
	}{
		"same findings":   {context: []rules.Finding{a, b}, whole: []rules.Finding{a, b}},
		"none either way": {},
		"lost by the context": {
			context: []rules.Finding{b}, whole: []rules.Finding{a, b},
			want: &contextDiff{onlyWhole: []string{"missing-migration shop/models.py:3 The model shop.Coupon is new."}},
		},
		"found only with the context": {
			context: []rules.Finding{a, a}, whole: []rules.Finding{a},
			want: &contextDiff{onlyContext: []string{"missing-migration shop/models.py:3 The model shop.Coupon is new."}},
		},
		"another suggestion": {
			context: []rules.Finding{bOther}, whole: []rules.Finding{b},
			want: &contextDiff{onlyContext: []string{"unvalidated-fk-id shop/views.py:7 raw id"}, onlyWhole: []string{"unvalidated-fk-id shop/views.py:7 raw id"}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			got := diffFindings(tc.context, tc.whole)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(contextDiff{})); diff != "" {
				t.Errorf("diffFindings (-want +got):\n%s", diff)
			}
		})
	}
	f := Failure{Target: Target{Project: Project{Repo: "acme/shop"}, Label: "a..b", Base: "a", Head: "b", Dir: "/s/acme+shop/repo"},
		Err: &contextDiff{onlyWhole: []string{"x"}}, Check: "go run ./cmd/ecosystem -repos /s -only acme/shop -context-check"}
	for _, want := range []string{"1 only with the whole tree", "whole tree only: x", "reproduce: djintegrity check --base a --head b /s/acme+shop/repo", "compare with the whole tree: go run ./cmd/ecosystem -repos /s -only acme/shop -context-check"} {
		if !strings.Contains(f.String(), want) {
			t.Errorf("failure %q does not say %q", f.String(), want)
		}
	}
}

func TestParseProjects(t *testing.T) {
	sha := strings.Repeat("a", 40)
	for name, tc := range map[string]struct {
		in, err string
	}{
		"ok":            {in: "projects:\n  - repo: a/b\n    commit: " + sha + "\n    commits: 3\n", err: ""},
		"unknown key":   {in: "projects:\n  - repo: a/b\n    commit: " + sha + "\n    commits: 3\n    depth: 2\n", err: "field depth not found"},
		"short commit":  {in: "projects:\n  - repo: a/b\n    commit: abc\n    commits: 3\n", err: "not a full commit id"},
		"twice":         {in: "projects:\n  - repo: a/b\n    commit: " + sha + "\n    commits: 3\n  - repo: A/b\n    commit: " + sha + "\n    commits: 1\n", err: "listed twice"},
		"nothing":       {in: "projects:\n  - repo: a/b\n    commit: " + sha + "\n", err: "commits or range above 0"},
		"negative deep": {in: "projects:\n  - repo: a/b\n    commit: " + sha + "\n    commits: 1\n    deep: -1\n", err: "must not be negative"},
		"bad repo":      {in: "projects:\n  - repo: a\n    commit: " + sha + "\n    commits: 1\n", err: "not owner/name"},
		"empty":         {in: "projects: []\n", err: "no projects"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseProjects([]byte(tc.in))
			if tc.err == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want one containing %q", err, tc.err)
			}
		})
	}
}

func TestLedgerAndStats(t *testing.T) {
	in := ledgerHeader +
		"a/b\t1111\tcheck-then-insert\tright\tthe view checks then creates a unique username\n" +
		"a/b\t2222\tcheck-then-insert\twrong\tthe create is an update of a row fetched above\n" +
		"a/b\t3333\tfk-do-nothing\tdebatable\tthe parent is never deleted in practice\n" +
		"a/b\t9999\tfk-do-nothing\tright\ta finding no longer produced\n"
	l, err := ReadLedger(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := WriteLedger(&out, l); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(in, out.String()); diff != "" {
		t.Errorf("ledger does not round-trip (-in +out):\n%s", diff)
	}
	fs := []Finding{
		{Rule: "check-then-insert", Project: "a/b", Change: "c1", Fingerprint: "1111"},
		{Rule: "check-then-insert", Project: "a/b", Change: "c1..c2", Fingerprint: "1111"}, // same finding, range
		{Rule: "check-then-insert", Project: "a/b", Change: "c1", Fingerprint: "2222"},
		{Rule: "check-then-insert", Project: "a/b", Change: "c1", Fingerprint: "4444"},
		{Rule: "fk-do-nothing", Project: "a/b", Change: "c1", Fingerprint: "3333"},
	}
	stats := Stats(fs, l)
	got := map[string][5]int{}
	for _, s := range stats {
		if s.Findings > 0 {
			got[s.Rule] = [5]int{s.Findings, s.Judged, s.Right, s.Wrong, s.Debatable}
		}
	}
	want := map[string][5]int{
		"check-then-insert": {3, 2, 1, 1, 0},
		"fk-do-nothing":     {1, 1, 0, 0, 1},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	table := PrecisionTable(stats)
	for _, row := range []string{
		"| `check-then-insert` | 3 | 2 | 1 | 1 | 0 | 50% |",
		"| `fk-do-nothing` | 1 | 1 | 0 | 0 | 1 | 0% |",
		"| `missing-migration` | 0 | 0 | 0 | 0 | 0 | – |",
		"| **all rules** | 4 | 3 | 1 | 1 | 1 | 33% |",
	} {
		if !strings.Contains(table, row+"\n") {
			t.Errorf("table lacks %q:\n%s", row, table)
		}
	}
}

func TestReadLedgerErrors(t *testing.T) {
	for name, tc := range map[string]struct{ in, err string }{
		"columns": {"a/b\t1\tcheck-then-insert\tright\n", "4 columns"},
		"verdict": {"a/b\t1\tcheck-then-insert\tmaybe\twhy\n", "not right, wrong or debatable"},
		"rule":    {"a/b\t1\tno-such-rule\tright\twhy\n", "unknown rule"},
		"reason":  {"a/b\t1\tcheck-then-insert\tright\t \n", "no reason"},
		"twice":   {"a/b\t1\tcheck-then-insert\tright\twhy\na/b\t1\tcheck-then-insert\twrong\twhy\n", "judged twice"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ReadLedger(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Fatalf("error %v, want one containing %q", err, tc.err)
			}
		})
	}
}

// TestREADMETableIsTheLedgers keeps the README's precision table what the
// committed findings and ledger give. Regenerate it with
// `go run ./cmd/ecosystem -stats`.
func TestREADMETableIsTheLedgers(t *testing.T) {
	fs, l := committed(t)
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	want, err := ReplaceTable(string(readme), PrecisionTable(Stats(fs, l)))
	if err != nil {
		t.Fatal(err)
	}
	if want != string(readme) {
		t.Errorf("README's precision table is not the ledger's: run `go run ./cmd/ecosystem -stats`")
	}
	// Every judged finding names the rule its finding has.
	for _, f := range fs {
		if j, ok := l[f.Key()]; ok && j.Rule != f.Rule {
			t.Errorf("ledger judges %s %s as %s, the finding is %s", f.Project, f.Fingerprint, j.Rule, f.Rule)
		}
	}
}

func TestAgreement(t *testing.T) {
	j := func(project, fp, rule string, v Verdict) Judgement {
		return Judgement{LedgerKey: LedgerKey{project, fp}, Rule: rule, Verdict: v, Reason: "r"}
	}
	ledger := Ledger{}
	for _, x := range []Judgement{j("a/b", "f1", "missing-migration", Right), j("a/b", "f2", "fk-do-nothing", Wrong), j("c/d", "f3", "missing-migration", Debatable)} {
		ledger[x.LedgerKey] = x
	}
	for name, tc := range map[string]struct {
		second       []Judgement
		read, agree  int
		differ, fail string
	}{
		"all agree": {second: []Judgement{j("a/b", "f1", "missing-migration", Right), j("c/d", "f3", "missing-migration", Debatable)}, read: 2, agree: 2},
		"one differs": {second: []Judgement{j("a/b", "f2", "fk-do-nothing", Right), j("a/b", "f1", "missing-migration", Right)},
			read: 2, agree: 1, differ: "f2"},
		"not judged": {second: []Judgement{j("a/b", "f9", "missing-migration", Right)}, fail: "not in the ledger"},
		"other rule": {second: []Judgement{j("a/b", "f1", "fk-do-nothing", Right)}, fail: "the ledger's is missing-migration"},
	} {
		t.Run(name, func(t *testing.T) {
			second := Ledger{}
			for _, x := range tc.second {
				second[x.LedgerKey] = x
			}
			read, agree, differ, err := Agreement(ledger, second)
			if tc.fail != "" {
				if err == nil || !strings.Contains(err.Error(), tc.fail) {
					t.Fatalf("error %v, want one containing %q", err, tc.fail)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var got string
			for _, d := range differ {
				got += d.Fingerprint
			}
			if read != tc.read || agree != tc.agree || got != tc.differ {
				t.Errorf("Agreement = %d read, %d agree, differ %q; want %d, %d, %q", read, agree, got, tc.read, tc.agree, tc.differ)
			}
		})
	}
}

// minAgreement is the share of a blind second reading's verdicts that must
// agree with the ledger: below it, a verdict depends on who judged, and
// the precision table measures the judges more than the rules.
const minAgreement = 0.9

// TestSecondReadingAgrees: the committed second reading judges findings of
// the ledger, under the same rules, and mostly agrees with it.
func TestSecondReadingAgrees(t *testing.T) {
	_, l := committed(t)
	second := ledgerFile(t, "../../ecosystem/ledger-second.tsv")
	read, agree, _, err := Agreement(l, second)
	if err != nil {
		t.Fatal(err)
	}
	if read < 40 {
		t.Errorf("the second reading covers %d findings, want a sample of 40 or more", read)
	}
	if float64(agree) < minAgreement*float64(read) {
		t.Errorf("the second reading agrees on %d of %d verdicts, under %.0f%%", agree, read, 100*minAgreement)
	}
}

// minJudged is how many judged findings it takes to hold a rule to the bar:
// one, since a wrong comment costs more than a missed hazard.
const minJudged = 1

// TestRulesBelowTheBarAreDemoted keeps the catalog to the design's rule: a
// rule that is right less than 95% of the time on its judged findings on
// real projects does not comment inline. It is demoted to a notice, with
// the reason, until a fix brings it back.
func TestRulesBelowTheBarAreDemoted(t *testing.T) {
	fs, l := committed(t)
	for _, s := range Stats(fs, l) {
		r := rules.Lookup(s.Rule)
		if r.Demoted != "" && r.Severity != rules.Notice {
			t.Errorf("%s is demoted but its default severity is %s, not notice", s.Rule, r.Severity)
		}
		if s.Judged >= minJudged && s.Precision() < 0.95 && r.Demoted == "" {
			t.Errorf("%s is right on %d of %d judged findings (%.0f%%), under 95%%, and still comments inline: demote it (rules.Rule.Demoted) or fix it",
				s.Rule, s.Right, s.Judged, 100*s.Precision())
		}
	}
}

// committed reads the committed findings files (the default, deep and
// history runs') and the ledger.
func committed(t *testing.T) ([]Finding, Ledger) {
	t.Helper()
	var fs []Finding
	for _, path := range []string{"../../ecosystem/findings.tsv", "../../ecosystem/findings-deep.tsv", "../../ecosystem/findings-history.tsv"} {
		ff, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		got, err := ReadFindings(ff)
		ff.Close()
		if err != nil {
			t.Fatal(err)
		}
		fs = append(fs, got...)
	}
	return fs, ledgerFile(t, "../../ecosystem/ledger.tsv")
}

// ledgerFile reads a committed ledger.
func ledgerFile(t *testing.T, path string) Ledger {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	l, err := ReadLedger(f)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestStricterLine(t *testing.T) {
	for name, tc := range map[string]struct {
		line string
		want bool
	}{
		"added required field":       {"+    total = models.IntegerField()", true},
		"added foreign key":          {"+    shop = models.ForeignKey(Shop, on_delete=models.CASCADE)", true},
		"added imported field":       {"+    total = IntegerField(verbose_name='total')", true},
		"added annotated field":      {"+    total: int = models.IntegerField()", true},
		"added nullable field":       {"+    total = models.IntegerField(null=True)", false},
		"added field with default":   {"+    total = models.IntegerField(default=0)", false},
		"added db default":           {"+    total = models.IntegerField(db_default=0)", false},
		"added many to many":         {"+    tags = models.ManyToManyField(Tag)", false},
		"added unique":               {"+    code = models.CharField(max_length=8, unique=True, null=True)", true},
		"added unique together":      {"+        unique_together = [('shop', 'code')]", true},
		"added unique constraint":    {"+            models.UniqueConstraint(fields=['code'], name='u')", true},
		"added check constraint":     {"+            models.CheckConstraint(check=Q(total__gte=0), name='c')", true},
		"removed null":               {"-    total = models.IntegerField(null=True)", true},
		"removed default":            {"-    total = models.IntegerField(default=0)", true},
		"removed required field":     {"-    total = models.IntegerField()", false},
		"added method":               {"+    def total(self):", false},
		"added call of a field type": {"+        return models.IntegerField()", false},
		"context line":               {"     total = models.IntegerField()", false},
		"empty":                      {"", false},
	} {
		t.Run(name, func(t *testing.T) {
			if got := stricterLine([]byte(tc.line)); got != tc.want {
				t.Errorf("stricterLine(%q) = %v, want %v", tc.line, got, tc.want)
			}
		})
	}
}
