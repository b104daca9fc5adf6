package ecosystem

import (
	"bufio"
	"cmp"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Finding is one line of the findings file.
type Finding struct {
	Rule     string
	Severity string
	Project  string // owner/name
	Change   string // Target.Label
	Path     string
	Line     int
	// Fingerprint is the review's fingerprint, shortened: it leaves line
	// numbers out, so a finding keeps it across commits and the ledger can
	// key judgements by it.
	Fingerprint string
	Message     string // its first line, shortened
}

// Key identifies the finding in the ledger: the same hazard reported by
// two reviews of a project (a commit and the range holding it) is judged
// once.
func (f Finding) Key() LedgerKey { return LedgerKey{f.Project, f.Fingerprint} }

const (
	fingerprintLen = 16
	// maxMessage keeps the file readable; the start of a message names the
	// hazard, which is what a diff of the file needs to show.
	maxMessage = 240
)

// firstLine returns a message's first line, cut at maxMessage runes.
func firstLine(msg string) string {
	msg, _, _ = strings.Cut(msg, "\n")
	msg = strings.ReplaceAll(strings.TrimSpace(msg), "\t", " ")
	if utf8.RuneCountInString(msg) <= maxMessage {
		return msg
	}
	r := []rune(msg)
	return string(r[:maxMessage-1]) + "…"
}

// SortFindings sorts in the findings file's order: rule, project, change,
// path, line, fingerprint.
func SortFindings(fs []Finding) {
	slices.SortFunc(fs, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Rule, b.Rule), cmp.Compare(a.Project, b.Project),
			cmp.Compare(a.Change, b.Change), cmp.Compare(a.Path, b.Path),
			cmp.Compare(a.Line, b.Line), cmp.Compare(a.Fingerprint, b.Fingerprint))
	})
}

const findingsHeader = "# rule\tseverity\tproject\tchange\tpath:line\tfingerprint\tmessage\n"

// WriteFindings writes the findings file: a header line, then one
// tab-separated line per finding, in the order SortFindings gives.
func WriteFindings(w io.Writer, fs []Finding) error {
	bw := bufio.NewWriter(w)
	bw.WriteString(findingsHeader)
	for _, f := range fs {
		fmt.Fprintf(bw, "%s\t%s\t%s\t%s\t%s:%d\t%s\t%s\n", f.Rule, f.Severity, f.Project, f.Change, f.Path, f.Line, f.Fingerprint, f.Message)
	}
	return bw.Flush()
}

// ReadFindings parses a findings file.
func ReadFindings(r io.Reader) ([]Finding, error) {
	var out []Finding
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 7 {
			return nil, fmt.Errorf("findings line %d: %d columns, want 7", n, len(cols))
		}
		i := strings.LastIndexByte(cols[4], ':')
		ln, err := strconv.Atoi(cols[4][i+1:])
		if i < 0 || err != nil {
			return nil, fmt.Errorf("findings line %d: %q is not path:line", n, cols[4])
		}
		out = append(out, Finding{Rule: cols[0], Severity: cols[1], Project: cols[2], Change: cols[3],
			Path: cols[4][:i], Line: ln, Fingerprint: cols[5], Message: cols[6]})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read findings: %w", err)
	}
	return out, nil
}
