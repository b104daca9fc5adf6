package review

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/djintegrity/djintegrity/rules"
)

// jsonWriter writes the design's output contract:
// {"findings": [...], "files_analyzed": N, "duration_ms": N}, and
// "skipped": [{"path", "reason", "changed"}] when a Python file could not
// be read, "acknowledged" (findings with the "reason" of the ignore
// comment that accepted them) and "notices" ({"path", "line", "message"}:
// ignore comments naming no rule, or suppressing nothing) when there are,
// and "limits" when the review left out a search the change called for.
type jsonWriter struct{ W io.Writer }

type jsonResult struct {
	Findings      []jsonFinding  `json:"findings"`
	FilesAnalyzed int            `json:"files_analyzed"`
	DurationMS    int64          `json:"duration_ms"`
	Skipped       []SkippedFile  `json:"skipped,omitempty"`
	Unreviewed    []SkippedFile  `json:"unreviewed,omitempty"`
	Acknowledged  []Acknowledged `json:"acknowledged,omitempty"`
	Notices       []Notice       `json:"notices,omitempty"`
	Limits        []string       `json:"limits,omitempty"`
}

// jsonFinding is a finding with its rule's page.
type jsonFinding struct {
	rules.Finding
	URL string `json:"url"`
}

// Publish implements Writer.
func (j jsonWriter) Publish(_ context.Context, r *Result) error {
	out := jsonResult{Findings: []jsonFinding{}, // [] not null
		FilesAnalyzed: r.FilesAnalyzed, DurationMS: r.Duration.Milliseconds(), Skipped: r.Skipped, Unreviewed: r.Unreviewed,
		Acknowledged: r.Acknowledged, Notices: r.Notices, Limits: r.Limits}
	for _, f := range r.Findings {
		out.Findings = append(out.Findings, jsonFinding{f, RuleURL(f.Rule)})
	}
	enc := json.NewEncoder(j.W)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}
