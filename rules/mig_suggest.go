package rules

import (
	"bytes"
	"regexp"
	"slices"
	"strings"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/djintegrity/djintegrity/internal/srclines"
	"github.com/djintegrity/djintegrity/rules/django"
	"github.com/djintegrity/djintegrity/rules/pyast"
)

// migTrees parses files on demand for suggestions and messages that need
// byte positions the index does not keep. Close it when done.
type migTrees map[string]*migTree

// migTree is a parsed file with its calls indexed by line, made on the
// first look-up: a rule looks up the call of each of a migration's
// operations, and walking the tree for each would be quadratic in a
// migration of thousands of operations.
type migTree struct {
	*pyast.Tree
	file  *django.File
	calls map[int][]*pyast.Call // by the line they start on
}

func (ts migTrees) get(p *Pass, path string) *migTree {
	if t, ok := ts[path]; ok {
		return t
	}
	f := p.Project.Files[path]
	if f == nil {
		return nil
	}
	t := &migTree{Tree: pyast.Parse(f.Src), file: f}
	ts[path] = t
	return t
}

func (ts migTrees) close() {
	for _, t := range ts {
		t.Close()
	}
}

// callAt finds the call that starts on line and whose callee's last name
// is name ("AddField" for migrations.AddField(...)); nil on a nil tree.
func (t *migTree) callAt(line int, name string) *pyast.Call {
	if t == nil {
		return nil
	}
	if t.calls == nil {
		t.calls = map[int][]*pyast.Call{}
		pyast.Walk(t.Root(), func(n *sitter.Node) bool {
			if pyast.Kind(n) == "call" {
				t.calls[pyast.Line(n)] = append(t.calls[pyast.Line(n)], t.Call(n))
			}
			return true
		})
	}
	for _, c := range t.calls[line] {
		if callee := t.DottedName(c.Func); callee == name || strings.HasSuffix(callee, "."+name) {
			return c
		}
	}
	return nil
}

// ast is the parsed file, nil on a nil tree.
func (t *migTree) ast() *pyast.Tree {
	if t == nil {
		return nil
	}
	return t.Tree
}

// lines returns lines first..last of the file as written.
func (t *migTree) lines(first, last int) (string, bool) { return t.file.LineText(first, last) }

// migEdit replaces src[start:end] with text.
type migEdit struct {
	start, end int
	text       string
}

// migAddKwargs returns the edits that append keyword arguments ("k=v") to
// call c, in the call's own layout: one per line, with a trailing comma,
// when the arguments are one per line; inline otherwise.
func migAddKwargs(t *pyast.Tree, c *pyast.Call, kws ...string) ([]migEdit, bool) {
	if c == nil || c.StarArgs {
		return nil, false
	}
	args := pyast.Field(c.Node, "arguments")
	if args == nil || pyast.Kind(args) != "argument_list" {
		return nil, false
	}
	closing := int(args.EndByte()) - 1
	if closing < 0 || t.Src[closing] != ')' {
		return nil, false
	}
	var last *sitter.Node
	for _, a := range pyast.Children(args) {
		if pyast.Kind(a) != "comment" {
			last = a
		}
	}
	if last == nil {
		return []migEdit{{closing, closing, strings.Join(kws, ", ")}}, true
	}
	lastEnd := int(last.EndByte())
	indent := t.Indent(last.StartByte())
	ownLine := srclines.Start(t.Src, int(last.StartByte()))+len(indent) == int(last.StartByte())
	eol := srclines.End(t.Src, lastEnd)
	if last.EndPosition().Row < args.EndPosition().Row && ownLine && eol < closing {
		var b strings.Builder
		for _, kw := range kws {
			b.WriteString("\n" + indent + kw + ",")
		}
		rest := bytes.TrimLeft(t.Src[lastEnd:eol], " \t")
		switch {
		case len(rest) > 0 && rest[0] == ',':
			return []migEdit{{eol, eol, b.String()}}, true
		case eol == lastEnd:
			return []migEdit{{eol, eol, "," + b.String()}}, true
		}
		// The last argument lacks its comma and a comment follows it.
		return []migEdit{{lastEnd, lastEnd, ","}, {eol, eol, b.String()}}, true
	}
	return []migEdit{{lastEnd, lastEnd, ", " + strings.Join(kws, ", ")}}, true
}

// migRewrite applies edits to lines first..last (1-based, inclusive) of src
// and returns the new text of those lines, without the final newline. It
// fails when an edit falls outside the lines or the result does not parse.
func migRewrite(src []byte, first, last int, edits []migEdit) (string, bool) {
	start, end, ok := srclines.Span(src, first, last)
	if !ok {
		return "", false
	}
	edits = slices.Clone(edits)
	slices.SortFunc(edits, func(a, b migEdit) int { return b.start - a.start })
	text := string(src[start:end])
	for _, e := range edits {
		if e.start < start || e.end > end || e.start > e.end {
			return "", false
		}
		text = text[:e.start-start] + e.text + text[e.end-start:]
	}
	if !pyast.ValidFragment(text) {
		return "", false
	}
	return text, true
}

var migSpace = regexp.MustCompile(`\s*\n\s*`)

// migCallText writes call c on one line, with the keyword arguments drop
// left out and add appended: the field as a message's code shows it.
func migCallText(t *pyast.Tree, c *pyast.Call, add []string, drop ...string) string {
	var args []string
	for _, a := range c.Args {
		args = append(args, t.Text(a))
	}
	for _, k := range c.KwOrder {
		if !slices.Contains(drop, k) {
			args = append(args, k+"="+t.Text(c.Kwargs[k]))
		}
	}
	args = append(args, add...)
	for i, a := range args {
		args[i] = migSpace.ReplaceAllString(a, " ")
	}
	return t.Text(c.Func) + "(" + strings.Join(args, ", ") + ")"
}

// migZero is a one-off default that fills existing rows of a new NOT NULL
// column of a simple type, as `makemigrations` asks for one; "" when the
// type has no obvious neutral value (a foreign key, a date).
func migZero(fieldType, quote string) string {
	switch fieldType {
	case "BooleanField":
		return "False"
	case "IntegerField", "BigIntegerField", "SmallIntegerField", "PositiveIntegerField",
		"PositiveSmallIntegerField", "PositiveBigIntegerField", "DecimalField", "FloatField":
		return "0"
	case "CharField", "TextField", "SlugField", "EmailField", "URLField":
		return quote + quote
	}
	return ""
}

// migQuote returns the string quote the source mostly uses.
func migQuote(src string) string {
	if strings.Count(src, "'") > strings.Count(src, `"`) {
		return "'"
	}
	return `"`
}
