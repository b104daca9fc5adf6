package rules

import (
	"cmp"
	"context"
	"strings"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/djintegrity/djintegrity/rules/pyast"

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
	// Migrations marks a view rule that applies to migration modules as
	// well, whatever paths.views says: a hazard in a data migration's
	// RunPython function fails the deploy's migrate.
	Migrations bool
	// Demoted says why the rule does not comment inline: on the judged
	// findings of real projects (the ecosystem check) it is right less
	// often than a comment must be (95%). Its findings are notices, shown
	// in the check run's summary and annotations only. "" for a rule that
	// comments.
	Demoted string
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
	// BaseFile returns a changed file's content before the change, or
	// false when it cannot be read; nil reads nothing. Rules ask only for
	// the few files they compare with their past (an edited migration, a
	// file with a finding in a function the change may only have
	// reformatted), so the review reads only those.
	BaseFile func(path string) ([]byte, bool)
	// Sites is the project the rules that look past the change search for
	// the write sites a model change breaks: Project, with every file of
	// the head tree added that names a model ImpactSearch names. Nil when
	// the review made no such search (nothing to search for, or the whole
	// tree is Project): Project stands for it.
	Sites *django.Project

	history  *migstate.History               // see History
	defs     map[string][2]map[string]string // see unchangedDef: before, after
	baseMigs map[string]*django.Migration    // see baseMigration
	bases    map[string]*django.File         // see baseParsed
	callers  map[string]string               // see atomicCaller, by path and function
	// ctx is Analyze's, for the work a rule asks of the pass (History).
	ctx context.Context
}

// History replays the project's migrations on first use; the rules of
// the pass share it. Analyze runs the rules one at a time. When the
// pass's context ends during the replay, the history is partial: Analyze
// drops the findings of the rule that asked for it.
func (p *Pass) History() *migstate.History {
	if p.history == nil {
		p.history, _ = migstate.Replay(cmp.Or(p.ctx, context.Background()), p.Project)
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

// Edits reports whether the change edits the statement at [start, end] of
// path itself: a line in it changed, or lines were deleted inside it. A
// deletion just above it (the mark on start) is another statement's: a
// field removed above a field leaves the one below as it was.
func (c Change) Edits(path string, start, end int) bool {
	f, ok := c[path]
	if !ok {
		return false
	}
	if f.Added {
		return true
	}
	for l := start; l <= end; l++ {
		if f.Lines[l] || l > start && f.Removed[l] {
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

// unchangedDef reports whether the definition (class or function, by its
// dotted name within the module: "Order", "OrderView.post", "handler")
// stood in path before the change with the same code, up to layout: white
// space, quote style and trailing commas, which formatters change. False
// when the file is new, its old content is unknown, or either side has no
// definition of that name.
func unchangedDef(p *Pass, path, name string) bool {
	if p.defs == nil {
		p.defs = map[string][2]map[string]string{}
	}
	d, ok := p.defs[path]
	if !ok {
		if b, known := p.base(path); known {
			d[0] = definitions(b)
			if f := p.Project.Files[path]; f != nil {
				d[1] = definitions(f.Src)
			}
		}
		p.defs[path] = d
	}
	old, okOld := d[0][name]
	now, okNow := d[1][name]
	return okOld && okNow && old == now
}

// definitions maps the dotted names of a module's classes and functions,
// nested ones included, to their shape (see shape), decorators included.
func definitions(src []byte) map[string]string {
	t := pyast.Parse(src)
	defer t.Close()
	out := map[string]string{}
	var walk func(n *sitter.Node, prefix string)
	walk = func(n *sitter.Node, prefix string) {
		for _, c := range pyast.Children(n) {
			def, whole := c, c
			if pyast.Kind(c) == "decorated_definition" {
				def = pyast.Field(c, "definition")
			}
			if def == nil || pyast.Kind(def) != "class_definition" && pyast.Kind(def) != "function_definition" {
				continue
			}
			name := prefix + t.Text(pyast.Field(def, "name"))
			out[name] = shape(t, whole)
			walk(pyast.Field(def, "body"), name+".")
		}
	}
	walk(t.Root(), "")
	return out
}

// shape writes n's syntax tree as text, leaving out what formatters change
// and the meaning does not: layout, comments, the quotes of strings and
// the spelling of numbers (layoutFree), parentheses around an expression
// (the tree holds the precedence they gave), around the targets of an
// assignment or a for loop (`(a,) = f()` is `a, = f()`), and a trailing
// comma before a closing bracket, except the one that makes a
// one-element tuple.
func shape(t *pyast.Tree, n *sitter.Node) string {
	var b strings.Builder
	writeShape(t, n, "", &b)
	return b.String()
}

// writeShape writes n's shape; parent is the kind of n's parent.
func writeShape(t *pyast.Tree, n *sitter.Node, parent string, b *strings.Builder) {
	kind := n.Kind()
	switch {
	case n.IsExtra() || kind == "comment" || kind == "line_continuation":
		return
	case kind == "string" || kind == "concatenated_string":
		b.WriteString(layoutFree(t.Text(n)))
		b.WriteByte(' ')
		return
	case kind == "integer" || kind == "float":
		b.WriteString(normalNumber(t.Text(n)))
		b.WriteByte(' ')
		return
	case n.ChildCount() == 0:
		b.WriteString(t.Text(n))
		b.WriteByte(' ')
		return
	}
	unwrap := kind == "parenthesized_expression" ||
		kind == "tuple_pattern" && (parent == "assignment" || parent == "for_statement" || parent == "for_in_clause")
	if kind == "tuple_pattern" && unwrap {
		kind = "pattern_list"
	}
	if kind != "parenthesized_expression" {
		b.WriteString(kind)
		b.WriteString("{ ")
	}
	var kids []*sitter.Node
	c := n.Walk()
	for ok := c.GotoFirstChild(); ok; ok = c.GotoNextSibling() {
		kids = append(kids, c.Node())
	}
	c.Close()
	named := 0
	for _, k := range kids {
		if k.IsNamed() && !k.IsExtra() && k.Kind() != "comment" {
			named++
		}
	}
	oneTuple := (n.Kind() == "tuple" || n.Kind() == "tuple_pattern") && named == 1
	for i, k := range kids {
		switch tok := k.Kind(); {
		case unwrap && !k.IsNamed() && (tok == "(" || tok == ")"):
			continue
		case tok == "," && i+1 < len(kids) && closer(kids[i+1].Kind()) && !oneTuple:
			continue // a trailing comma, not a one-element tuple's
		}
		writeShape(t, k, n.Kind(), b)
	}
	if kind != "parenthesized_expression" {
		b.WriteString("} ")
	}
}

// closer reports whether tok closes a bracket.
func closer(tok string) bool { return tok == ")" || tok == "]" || tok == "}" }

// base returns the content of a file the change edited (not added) as it
// was before the change; false when the file is new or its past is not
// known.
func (p *Pass) base(path string) ([]byte, bool) {
	cf := p.Change[path]
	if cf == nil || cf.Added || p.BaseFile == nil {
		return nil, false
	}
	return p.BaseFile(path)
}

// layoutFree drops what formatters change: white space, the difference
// between quote characters, a comma before a closing bracket, and how a
// number or a string prefix is spelled (black writes 0. as 0.0, 0XAB as
// 0xAB and drops u"").
func layoutFree(s string) string {
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		word := i > 0 && isWordByte(s[i-1])
		switch {
		case c == ' ', c == '\t', c == '\n', c == '\r', c == '\f', c == '\v', c == '\\':
			continue
		case c == '\'':
			c = '"'
		case c == ')', c == ']', c == '}':
			if n := len(b); n > 0 && b[n-1] == ',' {
				b = b[:n-1]
			}
		case (c == 'u' || c == 'U') && !word && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\''):
			continue // the u"" prefix, a no-op since Python 3
		case !word && (isDigit(c) || c == '.' && i+1 < len(s) && isDigit(s[i+1]) && (i == 0 || !isCloser(s[i-1]))):
			j := i
			for j < len(s) && (isWordByte(s[j]) || s[j] == '.' || (s[j] == '+' || s[j] == '-') && (s[j-1] == 'e' || s[j-1] == 'E') && !strings.ContainsAny(s[i:j], "xXoObB")) {
				j++
			}
			b = append(b, normalNumber(s[i:j])...)
			i = j - 1
			continue
		}
		b = append(b, c)
	}
	return string(b)
}

// normalNumber spells a numeric literal one way: lower case, and a float
// with digits on both sides of its point.
func normalNumber(n string) string {
	n = strings.ToLower(n)
	if strings.HasPrefix(n, ".") {
		n = "0" + n
	}
	if i := strings.IndexByte(n, '.'); i >= 0 && (i+1 == len(n) || !isDigit(n[i+1])) && !strings.HasPrefix(n, "0x") {
		n = n[:i+1] + "0" + n[i+1:]
	}
	return n
}

func isDigit(c byte) bool  { return '0' <= c && c <= '9' }
func isCloser(c byte) bool { return c == ')' || c == ']' || c == '}' }
func isWordByte(c byte) bool {
	return isDigit(c) || c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// baseMigration parses, once for all the rules of the pass, an edited
// migration as it was before the change: nil when it held no Migration
// class; false when its old content is not known.
func (p *Pass) baseMigration(path string) (*django.Migration, bool) {
	return parseBase(p, &p.baseMigs, path, django.ParseMigrationSource)
}

// baseParsed parses, once for all the rules of the pass, an edited file
// as it was before the change; false when its old content is not known.
func (p *Pass) baseParsed(path string) (*django.File, bool) {
	return parseBase(p, &p.bases, path, django.ParseSource)
}

// parseBase returns parse of path's content before the change, parsed on
// first use and kept in *cache.
func parseBase[T any](p *Pass, cache *map[string]T, path string, parse func(string, []byte) T) (T, bool) {
	if v, ok := (*cache)[path]; ok {
		return v, true
	}
	src, ok := p.base(path)
	if !ok {
		var zero T
		return zero, false
	}
	if *cache == nil {
		*cache = map[string]T{}
	}
	v := parse(path, src)
	(*cache)[path] = v
	return v, true
}

// sitesPass is the pass the impact rules search the write sites with:
// over Sites when the review searched beyond the change. The copy shares
// the caches of what the change's files were before it (made first, so
// that what it caches stays for the other rules).
func (p *Pass) sitesPass() *Pass {
	if p.Sites == nil {
		return p
	}
	if p.defs == nil {
		p.defs = map[string][2]map[string]string{}
	}
	if p.baseMigs == nil {
		p.baseMigs = map[string]*django.Migration{}
	}
	if p.bases == nil {
		p.bases = map[string]*django.File{}
	}
	sp := *p
	sp.Project = p.Sites
	return &sp
}
