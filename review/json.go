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
// be read, "limits" when the review left out a search the change called
// for.
type jsonWriter struct{ W io.Writer }

type jsonResult struct {
	Findings      []rules.Finding `json:"findings"`
	FilesAnalyzed int             `json:"files_analyzed"`
	DurationMS    int64           `json:"duration_ms"`
	Skipped       []SkippedFile   `json:"skipped,omitempty"`
	Unreviewed    []SkippedFile   `json:"unreviewed,omitempty"`
	Limits        []string        `json:"limits,omitempty"`
}

// Publish implements Writer.
func (j jsonWriter) Publish(_ context.Context, r *Result) error {
	out := jsonResult{Findings: r.Findings, FilesAnalyzed: r.FilesAnalyzed, DurationMS: r.Duration.Milliseconds(), Skipped: r.Skipped, Unreviewed: r.Unreviewed, Limits: r.Limits}
	if out.Findings == nil {
		out.Findings = []rules.Finding{} // [] not null
	}
	enc := json.NewEncoder(j.W)
	enc.SetIndent("", "  ")
	if err := enc.Encode(out); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}
