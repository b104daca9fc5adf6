package review

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/djintegrity/djintegrity/internal/buildinfo"
	"github.com/djintegrity/djintegrity/rules"
)

// sarifWriter writes SARIF 2.1.0 for code scanning: one reportingDescriptor
// per rule of the catalog, results with partialFingerprints.
type sarifWriter struct {
	W       io.Writer
	Version string // the tool's version; NewWriter takes the binary's
}

const (
	sarifSchema  = "https://json.schemastore.org/sarif-2.1.0.json"
	projectURI   = "https://github.com/djintegrity/djintegrity"
	docsURI      = projectURI + "/blob/main/docs/rules/"
	sarifFPKey   = "djintegrity/v1"
	srcRootBase  = "%SRCROOT%"
	sarifVersion = "2.1.0"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations,omitempty"`
	ColumnKind  string            `json:"columnKind"`
	Results     []sarifResult     `json:"results"`
}

// sarifInvocation carries the files the review could not read, as
// tool-execution notifications: the review ran, but not over them.
type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications"`
}

type sarifNotification struct {
	Level     string              `json:"level"`
	Message   sarifText           `json:"message"`
	Locations []sarifFileLocation `json:"locations,omitempty"`
}

type sarifFileLocation struct {
	PhysicalLocation struct {
		ArtifactLocation sarifArtifact `json:"artifactLocation"`
		Region           *sarifRegion  `json:"region,omitempty"`
	} `json:"physicalLocation"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string            `json:"name"`
	Version        string            `json:"version,omitempty"`
	InformationURI string            `json:"informationUri"`
	Rules          []sarifDescriptor `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifDescriptor struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      sarifText      `json:"fullDescription"`
	HelpURI              string         `json:"helpUri"`
	Help                 sarifText      `json:"help"`
	DefaultConfiguration sarifLevel     `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties"`
}

type sarifLevel struct {
	Level string `json:"level"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	RelatedLocations    []sarifLocation    `json:"relatedLocations,omitempty"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Fixes               []sarifFix         `json:"fixes,omitempty"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
}

// sarifSuppression marks a finding an ignore comment acknowledged: code
// scanning shows it as dismissed, with the comment's reason.
type sarifSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification,omitempty"`
}

// sarifFix is a finding's suggestion: its lines replaced, and the imports
// it needs inserted, as `djintegrity check --fix` applies them.
type sarifFix struct {
	Description     sarifText             `json:"description"`
	ArtifactChanges []sarifArtifactChange `json:"artifactChanges"`
}

type sarifArtifactChange struct {
	ArtifactLocation sarifArtifact      `json:"artifactLocation"`
	Replacements     []sarifReplacement `json:"replacements"`
}

type sarifReplacement struct {
	DeletedRegion   sarifFixRegion `json:"deletedRegion"`
	InsertedContent sarifText      `json:"insertedContent"`
}

type sarifFixRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
	EndLine     int `json:"endLine"`
	EndColumn   int `json:"endColumn,omitempty"`
}

// sarifFixes is f's suggestion as SARIF fixes; nil without one, or when
// it needs a migration a fix cannot write.
func sarifFixes(r *Result, f rules.Finding, artifact sarifArtifact) []sarifFix {
	if f.Suggestion == nil || NeedsMigration(f) {
		return nil
	}
	var reps []sarifReplacement
	if src, ok := r.Sources[f.Path]; ok {
		if missing := missingImports(src, FixImports(f)); len(missing) > 0 {
			// An empty region at the start of the line after the leading
			// imports; replacements go in the order of the file.
			at := importLine(src) + 1
			reps = append(reps, sarifReplacement{
				DeletedRegion:   sarifFixRegion{StartLine: at, StartColumn: 1, EndLine: at, EndColumn: 1},
				InsertedContent: sarifText{Text: strings.Join(missing, "\n") + "\n"},
			})
		}
	}
	reps = append(reps, sarifReplacement{
		DeletedRegion:   sarifFixRegion{StartLine: f.StartLine, EndLine: max(f.EndLine, f.StartLine)},
		InsertedContent: sarifText{Text: *f.Suggestion},
	})
	return []sarifFix{{
		Description:     sarifText{Text: "Apply djintegrity's suggestion for " + f.Rule},
		ArtifactChanges: []sarifArtifactChange{{ArtifactLocation: artifact, Replacements: reps}},
	}}
}

type sarifLocation struct {
	// ID numbers a related location within its result.
	ID               *int          `json:"id,omitempty"`
	PhysicalLocation sarifPhysical `json:"physicalLocation"`
	Message          *sarifText    `json:"message,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           sarifRegion   `json:"region"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId"`
}

type sarifRegion struct {
	StartLine int `json:"startLine"`
	EndLine   int `json:"endLine"`
}

// sarifPhysicalAt is the physical location of lines start..end of path.
func sarifPhysicalAt(path string, start, end int) sarifPhysical {
	return sarifPhysical{
		ArtifactLocation: sarifArtifact{URI: (&url.URL{Path: path}).String(), URIBaseID: srcRootBase},
		Region:           sarifRegion{StartLine: start, EndLine: max(end, start)},
	}
}

func sarifLevelOf(s rules.Severity) string {
	switch s {
	case rules.Error:
		return "error"
	case rules.Warning:
		return "warning"
	}
	return "note"
}

// ruleName turns a slug into the PascalCase name SARIF viewers show.
func ruleName(slug string) string {
	var b strings.Builder
	for _, w := range strings.Split(slug, "-") {
		if w != "" {
			b.WriteString(strings.ToUpper(w[:1]) + w[1:])
		}
	}
	return b.String()
}

// toolVersion is the binary's version (internal/buildinfo), "0.0.0-devel"
// for a local build. SARIF consumers use it to tell runs of different
// versions apart.
func toolVersion() string { return buildinfo.Get().ToolVersion() }

// sarifInvocations reports the skipped files, the notices on ignore
// comments and what the review left out as one invocation's notifications:
// a warning for a changed file not reviewed, a note for one not read as
// context, a note for each notice at its line, a note for each search the
// review did not make.
func sarifInvocations(skipped []SkippedFile, notices []Notice, limits []string) []sarifInvocation {
	if len(skipped) == 0 && len(notices) == 0 && len(limits) == 0 {
		return nil
	}
	inv := sarifInvocation{ExecutionSuccessful: true}
	for _, l := range limits {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{Level: "note", Message: sarifText{Text: l}})
	}
	for _, sk := range skipped {
		n := sarifNotification{Level: "note", Message: sarifText{Text: sk.Path + ": " + SkipNote(sk)}}
		if sk.Changed {
			n.Level = "warning"
		}
		var loc sarifFileLocation
		loc.PhysicalLocation.ArtifactLocation = sarifArtifact{URI: (&url.URL{Path: sk.Path}).String(), URIBaseID: srcRootBase}
		n.Locations = []sarifFileLocation{loc}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}
	for _, no := range notices {
		n := sarifNotification{Level: "note", Message: sarifText{Text: no.Path + ":" + strconv.Itoa(no.Line) + ": " + no.Message}}
		var loc sarifFileLocation
		loc.PhysicalLocation.ArtifactLocation = sarifArtifact{URI: (&url.URL{Path: no.Path}).String(), URIBaseID: srcRootBase}
		loc.PhysicalLocation.Region = &sarifRegion{StartLine: no.Line, EndLine: no.Line}
		n.Locations = []sarifFileLocation{loc}
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, n)
	}
	return []sarifInvocation{inv}
}

// Publish implements Writer.
func (s sarifWriter) Publish(_ context.Context, r *Result) error {
	driver := sarifDriver{Name: "djintegrity", Version: cmp.Or(s.Version, toolVersion()), InformationURI: projectURI}
	index := map[string]int{}
	for i, rule := range rules.Catalog() {
		index[rule.Slug] = i
		help := RuleURL(rule.Slug)
		kind := "models and migrations"
		if rule.Views {
			kind = "views"
		}
		driver.Rules = append(driver.Rules, sarifDescriptor{
			ID:               rule.Slug,
			Name:             ruleName(rule.Slug),
			ShortDescription: sarifText{Text: rule.Summary},
			FullDescription:  sarifText{Text: rule.Summary},
			HelpURI:          help,
			Help: sarifText{
				Text:     rule.Summary + " See " + help + " for the failing example and the fix.",
				Markdown: rule.Summary + " See [the rule's page](" + help + ") for the failing example and the fix.",
			},
			DefaultConfiguration: sarifLevel{Level: sarifLevelOf(rule.Severity)},
			Properties:           map[string]any{"tags": []string{"django", "database-integrity", kind}},
		})
	}
	results := []sarifResult{}
	all := slices.Clone(r.Findings)
	for _, a := range r.Acknowledged {
		all = append(all, a.Finding)
	}
	for n, f := range all {
		i, ok := index[f.Rule]
		if !ok {
			return fmt.Errorf("write sarif: finding of unknown rule %q", f.Rule)
		}
		var sup []sarifSuppression
		if a := n - len(r.Findings); a >= 0 {
			sup = []sarifSuppression{{Kind: "inSource", Justification: r.Acknowledged[a].Reason}}
		}
		var related []sarifLocation
		for j, l := range f.Related {
			related = append(related, sarifLocation{ID: &j, PhysicalLocation: sarifPhysicalAt(l.Path, l.StartLine, l.EndLine), Message: &sarifText{Text: l.Message}})
		}
		artifact := sarifArtifact{URI: (&url.URL{Path: f.Path}).String(), URIBaseID: srcRootBase}
		results = append(results, sarifResult{
			Suppressions:        sup,
			RuleID:              f.Rule,
			RuleIndex:           i,
			Level:               sarifLevelOf(f.Severity),
			Message:             sarifText{Text: f.Message},
			Fixes:               sarifFixes(r, f, artifact),
			Locations:           []sarifLocation{{PhysicalLocation: sarifPhysicalAt(f.Path, f.StartLine, f.EndLine)}},
			RelatedLocations:    related,
			PartialFingerprints: map[string]string{sarifFPKey: f.Fingerprint},
		})
	}
	log := sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{{
		Tool: sarifTool{Driver: driver}, Invocations: sarifInvocations(r.Skipped, r.Notices, r.Limits), ColumnKind: "utf16CodeUnits", Results: results,
	}}}
	enc := json.NewEncoder(s.W)
	enc.SetIndent("", "  ")
	if err := enc.Encode(log); err != nil {
		return fmt.Errorf("write sarif: %w", err)
	}
	return nil
}

// RuleDocsURL is the address of a rule's page: the hazard, the failing
// example, the fix.
func RuleDocsURL(slug string) string { return docsURI + slug + ".md" }
