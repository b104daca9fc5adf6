// Package rules holds the catalog of Django data-integrity rules and runs
// them over an indexed project. A rule knows Django and nothing of GitHub.
package rules

import (
	"fmt"
	"strings"
)

// Severity orders findings; the check run fails at or above the configured
// threshold.
type Severity int

// The severities, lowest first.
const (
	Notice Severity = iota + 1
	Warning
	Error
)

var severityNames = map[Severity]string{Notice: "notice", Warning: "warning", Error: "error"}

func (s Severity) String() string {
	if n, ok := severityNames[s]; ok {
		return n
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// ParseSeverity reads "error", "warning" or "notice".
func ParseSeverity(s string) (Severity, error) {
	for sev, name := range severityNames {
		if strings.EqualFold(s, name) {
			return sev, nil
		}
	}
	return 0, fmt.Errorf("unknown severity %q (want error, warning or notice)", s)
}

// MarshalText writes the severity's name, as the JSON contract wants.
func (s Severity) MarshalText() ([]byte, error) {
	if _, ok := severityNames[s]; !ok {
		return nil, fmt.Errorf("invalid severity %d", int(s))
	}
	return []byte(s.String()), nil
}

// UnmarshalText reads a severity's name.
func (s *Severity) UnmarshalText(b []byte) error {
	v, err := ParseSeverity(string(b))
	if err != nil {
		return err
	}
	*s = v
	return nil
}

// Finding is one hazard at one place. Lines are 1-based and inclusive, on
// the head side of the change.
type Finding struct {
	Rule      string   `json:"rule"`
	Severity  Severity `json:"severity"`
	Path      string   `json:"path"`
	StartLine int      `json:"start_line"`
	EndLine   int      `json:"end_line"`
	Message   string   `json:"message"`
	// Suggestion replaces lines StartLine..EndLine whole (no trailing
	// newline); nil when no mechanical fix exists.
	Suggestion *string `json:"suggestion"`
	// Imports are the import statements the suggestion needs that the
	// file lacks ("from django.db import IntegrityError"): applied alone,
	// the suggestion would raise NameError where it runs.
	Imports []string `json:"imports,omitempty"`
	// Fingerprint identifies the finding across runs; the review fills it.
	Fingerprint string `json:"fingerprint"`
	// Key names what the finding is about (a table and column, a model), so
	// that its fingerprint survives edits of unrelated lines.
	Key string `json:"-"`
	// Related are other places the finding is about, which may lie outside
	// the change: the unchanged write sites a model change breaks. Each
	// becomes a check-run annotation of its own and a SARIF related
	// location.
	Related []Location `json:"related,omitempty"`
}

// Location is a place in the head tree that a finding refers to. Lines
// are 1-based and inclusive.
type Location struct {
	Path      string `json:"path"`
	StartLine int    `json:"start_line"`
	EndLine   int    `json:"end_line"`
	Message   string `json:"message"`
}
