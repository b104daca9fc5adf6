package ecosystem

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"

	"github.com/djintegrity/djintegrity/rules"
)

// Verdict is a judgement of one finding.
type Verdict string

// The verdicts. Precision counts Right over all three: a debatable comment
// still costs the reader's attention.
const (
	Right     Verdict = "right"
	Wrong     Verdict = "wrong"
	Debatable Verdict = "debatable"
)

// LedgerKey identifies a judged finding.
type LedgerKey struct{ Project, Fingerprint string }

// Judgement is one line of the ledger.
type Judgement struct {
	LedgerKey
	Rule    string
	Verdict Verdict
	// Reason is one line, as a senior Django engineer reviewing the pull
	// request would write it.
	Reason string
}

// Ledger is the committed file of judged findings.
type Ledger map[LedgerKey]Judgement

const ledgerHeader = "# project\tfingerprint\trule\tverdict\treason\n"

// ReadLedger parses the ledger: tab-separated lines of project,
// fingerprint, rule, verdict and reason; '#' starts a comment line.
func ReadLedger(r io.Reader) (Ledger, error) {
	l := Ledger{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 5 {
			return nil, fmt.Errorf("ledger line %d: %d columns, want 5 (project, fingerprint, rule, verdict, reason)", n, len(cols))
		}
		j := Judgement{LedgerKey: LedgerKey{cols[0], cols[1]}, Rule: cols[2], Verdict: Verdict(cols[3]), Reason: strings.TrimSpace(cols[4])}
		switch {
		case j.Verdict != Right && j.Verdict != Wrong && j.Verdict != Debatable:
			return nil, fmt.Errorf("ledger line %d: verdict %q is not right, wrong or debatable", n, cols[3])
		case rules.Lookup(j.Rule) == nil:
			return nil, fmt.Errorf("ledger line %d: unknown rule %q", n, j.Rule)
		case j.Reason == "":
			return nil, fmt.Errorf("ledger line %d: no reason", n)
		}
		if _, dup := l[j.LedgerKey]; dup {
			return nil, fmt.Errorf("ledger line %d: %s %s is judged twice", n, j.Project, j.Fingerprint)
		}
		l[j.LedgerKey] = j
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	return l, nil
}

// WriteLedger writes the ledger sorted by rule, project and fingerprint.
func WriteLedger(w io.Writer, l Ledger) error {
	js := make([]Judgement, 0, len(l))
	for _, j := range l {
		js = append(js, j)
	}
	slices.SortFunc(js, func(a, b Judgement) int {
		return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Project, b.Project), cmp.Compare(a.Fingerprint, b.Fingerprint))
	})
	bw := bufio.NewWriter(w)
	bw.WriteString(ledgerHeader)
	for _, j := range js {
		fmt.Fprintf(bw, "%s\t%s\t%s\t%s\t%s\n", j.Project, j.Fingerprint, j.Rule, j.Verdict, j.Reason)
	}
	return bw.Flush()
}

// Agreement compares a second, blind reading of a sample of the ledger's
// findings with the ledger: how many were read, how many verdicts agree,
// and the judgements of the second reading that do not. Judging is split
// among readers; the second reading checks that a verdict does not depend
// on who gave it.
func Agreement(ledger, second Ledger) (read, agree int, differ []Judgement, err error) {
	for _, k := range slices.SortedFunc(maps.Keys(second), func(a, b LedgerKey) int {
		return cmp.Or(cmp.Compare(a.Project, b.Project), cmp.Compare(a.Fingerprint, b.Fingerprint))
	}) {
		j, s := ledger[k], second[k]
		switch {
		case j.Verdict == "":
			return 0, 0, nil, fmt.Errorf("second reading of %s %s: not in the ledger", k.Project, k.Fingerprint)
		case j.Rule != s.Rule:
			return 0, 0, nil, fmt.Errorf("second reading of %s %s: rule %s, the ledger's is %s", k.Project, k.Fingerprint, s.Rule, j.Rule)
		}
		read++
		if j.Verdict == s.Verdict {
			agree++
		} else {
			differ = append(differ, s)
		}
	}
	return read, agree, differ, nil
}

// RuleStats is one rule's line of the precision table.
type RuleStats struct {
	Rule                            string
	Findings                        int // distinct findings on the ecosystem now
	Judged, Right, Wrong, Debatable int
	Unjudged                        []Finding
}

// Precision is Right over Judged, or -1 when nothing is judged.
func (s RuleStats) Precision() float64 {
	if s.Judged == 0 {
		return -1
	}
	return float64(s.Right) / float64(s.Judged)
}

// Stats counts, per catalog rule, the distinct findings of the current
// run and their judgements. Judgements of findings the rules no longer
// produce do not count: precision is of what djintegrity says now.
func Stats(fs []Finding, l Ledger) []RuleStats {
	byRule := map[string]*RuleStats{}
	var out []*RuleStats
	for _, r := range rules.Catalog() {
		s := &RuleStats{Rule: r.Slug}
		byRule[r.Slug] = s
		out = append(out, s)
	}
	seen := map[LedgerKey]bool{}
	for _, f := range fs {
		s := byRule[f.Rule]
		if s == nil || seen[f.Key()] {
			continue
		}
		seen[f.Key()] = true
		s.Findings++
		j, ok := l[f.Key()]
		if !ok {
			s.Unjudged = append(s.Unjudged, f)
			continue
		}
		s.Judged++
		switch j.Verdict {
		case Right:
			s.Right++
		case Wrong:
			s.Wrong++
		case Debatable:
			s.Debatable++
		}
	}
	res := make([]RuleStats, len(out))
	for i, s := range out {
		res[i] = *s
	}
	return res
}

// Total sums the stats of every rule.
func Total(stats []RuleStats) RuleStats {
	t := RuleStats{Rule: "all rules"}
	for _, s := range stats {
		t.Findings += s.Findings
		t.Judged += s.Judged
		t.Right += s.Right
		t.Wrong += s.Wrong
		t.Debatable += s.Debatable
	}
	return t
}

// PrecisionTable renders the README's table.
func PrecisionTable(stats []RuleStats) string {
	var b strings.Builder
	b.WriteString("| rule | findings | judged | right | wrong | debatable | precision |\n")
	b.WriteString("| --- | ---: | ---: | ---: | ---: | ---: | ---: |\n")
	row := func(name string, s RuleStats) {
		p := "–"
		if s.Precision() >= 0 {
			p = fmt.Sprintf("%.0f%%", 100*s.Precision())
		}
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %s |\n", name, s.Findings, s.Judged, s.Right, s.Wrong, s.Debatable, p)
	}
	for _, s := range stats {
		row("`"+s.Rule+"`", s)
	}
	row("**all rules**", Total(stats))
	return b.String()
}

// README markers around the generated table.
const (
	TableBegin = "<!-- ecosystem-precision:begin (generated by the ecosystem check from ecosystem/ledger.tsv; do not edit) -->\n"
	TableEnd   = "<!-- ecosystem-precision:end -->\n"
)

// ReplaceTable returns readme with the text between the markers replaced
// by table.
func ReplaceTable(readme, table string) (string, error) {
	i := strings.Index(readme, TableBegin)
	j := strings.Index(readme, TableEnd)
	if i < 0 || j < i {
		return "", fmt.Errorf("README has no precision table markers")
	}
	return readme[:i+len(TableBegin)] + table + readme[j:], nil
}
