package rules

import (
	"strings"

	"github.com/djintegrity/djintegrity/rules/django"
	"github.com/djintegrity/djintegrity/rules/django/migstate"
)

// Rule is one entry of the catalog.
type Rule struct {
	Slug     string   // stable; the JSON output and configuration use it
	Severity Severity // default severity
	Summary  string   // one line, for tables and SARIF
	// Views marks a rule that applies to write paths (paths.views) rather
	// than to models and migrations.
	Views bool
	// check finds the rule's hazards; r is the rule itself, for its findings.
	check func(rule *Rule, p *Pass) []Finding
}

// Pass is what a rule sees: the indexed head tree and the change.
type Pass struct {
	Project *django.Project
	Change  Change
	// IsWritePath reports whether a file is one where view rules apply
	// (configuration paths.views, less paths.exclude).
	IsWritePath func(path string) bool

	history  *migstate.History // see History
	baseCode map[string]string // see unchangedCode
}

// History replays the project's migrations on first use; the rules of
// the pass share it. Analyze runs the rules one at a time.
func (p *Pass) History() *migstate.History {
	if p.history == nil {
		p.history = migstate.Replay(p.Project)
	}
	return p.history
}

// Change says which lines of the head tree the change touches.
type Change map[string]*ChangedFile

// ChangedFile is one file of the change.
type ChangedFile struct {
	Added bool         // new in this change: every line is changed
	Lines map[int]bool // changed lines (head side); nil when Added
	// Removed marks, for each block of changed lines that deletes more code
	// than it adds, the head line that now follows it, or the last line
	// when the block ended the file.
	Removed map[int]bool
	// Base is the file's content before the change, for the files NeedsBase
	// names; nil when the file is new or its past could not be read.
	Base []byte
}

// NeedsBase reports whether a rule compares path with its content before
// the change, so that the review reads it: every edited Python file. An
// edited migration's old operations have already run wherever it was
// deployed; a function the change only reformatted or moved holds no
// hazard the change introduced.
func NeedsBase(path string) bool {
	return strings.HasSuffix(path, ".py")
}

// Touches reports whether any line in [start, end] of path changed or
// directly follows deleted lines. A deletion changes the code below it: a
// guard or decorator removed above a write, a keyword argument removed
// from a call, a field removed from a model.
func (c Change) Touches(path string, start, end int) bool {
	f, ok := c[path]
	if !ok {
		return false
	}
	if f.Added {
		return true
	}
	for l := start; l <= end; l++ {
		if f.Lines[l] || f.Removed[l] {
			return true
		}
	}
	return false
}

// DeletedAt returns the first head line in [start, end] of path that
// directly follows deleted lines.
func (c Change) DeletedAt(path string, start, end int) (line int, ok bool) {
	f := c[path]
	if f == nil {
		return 0, false
	}
	for l := start; l <= end; l++ {
		if f.Removed[l] {
			return l, true
		}
	}
	return 0, false
}

// IsNew reports whether path was added by the change.
func (c Change) IsNew(path string) bool {
	f, ok := c[path]
	return ok && f.Added
}

// finding builds a Finding of rule r.
func (r *Rule) finding(path string, start, end int, key, msg string) Finding {
	return Finding{Rule: r.Slug, Severity: r.Severity, Path: path, StartLine: start, EndLine: end, Key: key, Message: msg}
}

// unchangedCode reports whether code, a piece of path at head, was already
// in the file before the change, up to layout: white space, quote style and
// trailing commas, which formatters change. False when the file is new or
// its old content is unknown.
func unchangedCode(p *Pass, path, code string) bool {
	cf := p.Change[path]
	if cf == nil || cf.Added || cf.Base == nil {
		return false
	}
	if p.baseCode == nil {
		p.baseCode = map[string]string{}
	}
	base, ok := p.baseCode[path]
	if !ok {
		base = layoutFree(string(cf.Base))
		p.baseCode[path] = base
	}
	c := layoutFree(code)
	return c != "" && strings.Contains(base, c)
}

// layoutFree drops what formatters change: white space, the difference
// between quote characters, and a comma before a closing bracket.
func layoutFree(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch c {
		case ' ', '\t', '\n', '\r', '\f', '\v', '\\':
			continue
		case '\'':
			c = '"'
		case ')', ']', '}':
			if n := len(b); n > 0 && b[n-1] == ',' {
				b = b[:n-1]
			}
		}
		b = append(b, c)
	}
	return string(b)
}
