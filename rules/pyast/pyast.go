// Package pyast parses Python source with tree-sitter and offers the few
// node helpers the Django index needs. It never imports or runs Python.
package pyast

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"sync"

	sitter "github.com/tree-sitter/go-tree-sitter"
	python "github.com/tree-sitter/tree-sitter-python/bindings/go"

	"github.com/djintegrity/djintegrity/internal/srclines"
)

var language = sync.OnceValue(func() *sitter.Language {
	return sitter.NewLanguage(python.Language())
})

// parsers pools tree-sitter parsers: creating one per file costs more than
// the parse of a small file, and a parser is not safe for concurrent use.
var parsers = sync.Pool{New: func() any { return newParser() }}

// Tree is a parsed Python file. Close it when done: tree-sitter trees live
// in C memory that the Go collector does not see.
type Tree struct {
	Src  []byte
	tree *sitter.Tree
}

// Parse parses src. It never fails on bad Python: the tree then holds ERROR
// nodes, and the intact parts remain usable.
func Parse(src []byte) *Tree {
	t, _ := ParseContext(context.Background(), src) // fails only when its context ends
	return t
}

// Close frees the tree.
func (t *Tree) Close() {
	if t != nil && t.tree != nil {
		t.tree.Close()
		t.tree = nil
	}
}

// Root is the module node.
func (t *Tree) Root() *sitter.Node { return t.tree.RootNode() }

// HasError reports whether the tree contains a syntax error.
func (t *Tree) HasError() bool { return t.Root().HasError() }

// Text is the source text of n.
func (t *Tree) Text(n *sitter.Node) string {
	if n == nil {
		return ""
	}
	return string(t.Src[n.StartByte():n.EndByte()])
}

// Line is the 1-based line on which n starts.
func Line(n *sitter.Node) int { return int(n.StartPosition().Row) + 1 }

// EndLine is the 1-based line on which n ends.
func EndLine(n *sitter.Node) int {
	end := n.EndPosition()
	// A node that ends at column 0 (a block swallowing a newline) ends on
	// the line before.
	if end.Column == 0 && end.Row > n.StartPosition().Row {
		return int(end.Row)
	}
	return int(end.Row) + 1
}

// cursorChildren is the number of named children from which Children
// steps a tree cursor from one child to the next: n.NamedChild(i) counts i
// children from the first each time, quadratic in the 100,000 elements of
// a hostile file's list, while a cursor costs an allocation in C that
// most nodes, with a few children, need not pay.
const cursorChildren = 32

// Children returns the named children of n, in time linear in their
// number.
func Children(n *sitter.Node) []*sitter.Node {
	if n == nil {
		return nil
	}
	count := n.NamedChildCount()
	out := make([]*sitter.Node, 0, count)
	if count < cursorChildren {
		for i := range count {
			out = append(out, n.NamedChild(i))
		}
		return out
	}
	c := n.Walk()
	defer c.Close()
	for ok := c.GotoFirstChild(); ok; ok = c.GotoNextSibling() {
		if child := c.Node(); child.IsNamed() {
			out = append(out, child)
		}
	}
	return out
}

// Walk calls fn for n and every named descendant in source order; fn
// returning false skips that node's children. Each node is visited once.
func Walk(n *sitter.Node, fn func(*sitter.Node) bool) {
	if n == nil || !fn(n) {
		return
	}
	if count := n.NamedChildCount(); count < cursorChildren {
		for i := range count {
			Walk(n.NamedChild(i), fn)
		}
		return
	}
	for _, c := range Children(n) {
		Walk(c, fn)
	}
}

// Anonymous returns the unnamed children of n (operators, keywords,
// punctuation), stepping a tree cursor: linear in a hostile comparison's
// thousands of operators.
func Anonymous(n *sitter.Node) []*sitter.Node {
	if n == nil {
		return nil
	}
	var out []*sitter.Node
	c := n.Walk()
	defer c.Close()
	for ok := c.GotoFirstChild(); ok; ok = c.GotoNextSibling() {
		if child := c.Node(); !child.IsNamed() {
			out = append(out, child)
		}
	}
	return out
}

// Unwrap strips parentheses, and `await`, around an expression.
func Unwrap(n *sitter.Node) *sitter.Node {
	for n != nil && (Kind(n) == "parenthesized_expression" || Kind(n) == "await") {
		c := n.NamedChild(0)
		if c == nil {
			break
		}
		n = c
	}
	return n
}

// DottedName returns "a.b.c" for an identifier or attribute chain, and ""
// for anything else (calls, subscripts, literals). It walks the chain once
// and joins the names once: linear in the chain's length, however long a
// hostile file makes it.
func (t *Tree) DottedName(n *sitter.Node) string {
	n = Unwrap(n)
	if n == nil {
		return ""
	}
	if k := Kind(n); k == "attribute" || k == "identifier" {
		// Written without spaces, comments or parentheses, the chain's
		// text is its name: no walk down it at all.
		if text := t.Text(n); plainDotted(text) {
			return text
		}
	}
	var names []string // from the last attribute to the first name
	for {
		n = Unwrap(n)
		if n == nil {
			return ""
		}
		switch Kind(n) {
		case "identifier":
			names = append(names, t.Text(n))
			slices.Reverse(names)
			return strings.Join(names, ".")
		case "attribute":
			names = append(names, t.Text(Field(n, "attribute")))
			n = Field(n, "object")
		default:
			return ""
		}
	}
}

// plainDotted reports whether s is ASCII names joined by dots, and
// nothing else.
func plainDotted(s string) bool {
	start := true // at the start of a name
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z':
			start = false
		case '0' <= c && c <= '9' && !start:
		case c == '.' && !start:
			start = true
		default:
			return false
		}
	}
	return !start
}

// Call is a call expression taken apart.
type Call struct {
	Node     *sitter.Node
	Func     *sitter.Node            // the callee expression
	Args     []*sitter.Node          // positional arguments in order
	Kwargs   map[string]*sitter.Node // keyword arguments by name
	KwOrder  []string                // keyword names in source order
	StarArgs bool                    // *args or **kwargs present
}

// Call takes a call node apart; it returns nil for any other node.
func (t *Tree) Call(n *sitter.Node) *Call {
	n = Unwrap(n)
	if n == nil || Kind(n) != "call" {
		return nil
	}
	c := &Call{Node: n, Func: Field(n, "function"), Kwargs: map[string]*sitter.Node{}}
	args := Field(n, "arguments")
	if args == nil || Kind(args) != "argument_list" {
		return c // a generator-expression argument has no keywords
	}
	for _, a := range Children(args) {
		switch Kind(a) {
		case "keyword_argument":
			name, val := Field(a, "name"), Field(a, "value")
			if name != nil && val != nil {
				k := t.Text(name)
				c.Kwargs[k] = val
				c.KwOrder = append(c.KwOrder, k)
			}
		case "list_splat", "dictionary_splat":
			c.StarArgs = true
		case "comment":
		default:
			c.Args = append(c.Args, a)
		}
	}
	return c
}

// Arg returns the i-th positional argument, or the keyword argument name
// when it was passed by keyword, or nil.
func (c *Call) Arg(i int, name string) *sitter.Node {
	if v, ok := c.Kwargs[name]; ok {
		return v
	}
	if i >= 0 && i < len(c.Args) {
		return c.Args[i]
	}
	return nil
}

// String returns the value of a plain string literal (no f-string
// interpolation) and whether n was one.
func (t *Tree) String(n *sitter.Node) (string, bool) {
	n = Unwrap(n)
	if n == nil {
		return "", false
	}
	if Kind(n) == "concatenated_string" {
		var b strings.Builder
		for _, part := range Children(n) {
			s, ok := t.String(part)
			if !ok {
				return "", false
			}
			b.WriteString(s)
		}
		return b.String(), true
	}
	if Kind(n) != "string" {
		return "", false
	}
	var b strings.Builder
	for _, part := range Children(n) {
		switch Kind(part) {
		case "string_start", "string_end":
		case "string_content":
			b.WriteString(t.Text(part))
		case "escape_sequence":
			if s, err := strconv.Unquote(`"` + t.Text(part) + `"`); err == nil {
				b.WriteString(s)
			} else {
				b.WriteString(t.Text(part))
			}
		default: // interpolation: not a constant
			return "", false
		}
	}
	return b.String(), true
}

// Strings returns the string elements of a list or tuple literal of
// strings; ok is false when any element is not a plain string.
func (t *Tree) Strings(n *sitter.Node) (out []string, ok bool) {
	n = Unwrap(n)
	if n == nil || (Kind(n) != "list" && Kind(n) != "tuple") {
		return nil, false
	}
	for _, e := range Children(n) {
		if Kind(e) == "comment" {
			continue
		}
		s, ok := t.String(e)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// Bool returns the value of a True/False literal and whether n was one.
func Bool(n *sitter.Node) (value, ok bool) {
	n = Unwrap(n)
	if n == nil {
		return false, false
	}
	switch Kind(n) {
	case "true":
		return true, true
	case "false":
		return false, true
	}
	return false, false
}

// Indent returns the leading white space of the line holding byte offset.
func (t *Tree) Indent(offset uint) string {
	start := srclines.Start(t.Src, offset)
	end := start
	for end < uint(len(t.Src)) && (t.Src[end] == ' ' || t.Src[end] == '\t') {
		end++
	}
	return string(t.Src[start:end])
}

// ValidFragment reports whether src, a run of whole lines cut from a file,
// parses as Python without an error node once its common indentation is
// removed. Suggestions are checked with it before they are offered.
func ValidFragment(src string) bool {
	lines := srclines.Split(src)
	common := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, " \t"))
		if common < 0 || n < common {
			common = n
		}
	}
	if common > 0 {
		for i, l := range lines {
			if len(l) >= common {
				lines[i] = l[common:]
			} else {
				lines[i] = strings.TrimLeft(l, " \t")
			}
		}
	}
	t := Parse([]byte(strings.Join(lines, "\n")))
	defer t.Close()
	return !t.HasError()
}

// kindNames maps a node's kind id to its name. Node.Kind asks C for the
// name and copies it into a new Go string on every call; the index asks it
// millions of times on a large project, so the names are looked up once.
var kindNames = sync.OnceValue(func() []string {
	lang := language()
	names := make([]string, lang.NodeKindCount())
	for i := range names {
		names[i] = lang.NodeKindForId(uint16(i))
	}
	return names
})

// Kind is n.Kind() without the allocation.
func Kind(n *sitter.Node) string {
	names := kindNames()
	if id := int(n.KindId()); id < len(names) {
		return names[id]
	}
	return n.Kind() // not reached: every id of the grammar is in the table
}

// fieldIDs maps the grammar's field names to ids. Node.ChildByFieldName
// copies the name into C memory and frees it on every call; by id it is
// one call.
var fieldIDs = sync.OnceValue(func() map[string]uint16 {
	lang := language()
	ids := make(map[string]uint16, lang.FieldCount())
	for id := uint16(1); uint32(id) <= lang.FieldCount(); id++ {
		ids[lang.FieldNameForId(id)] = id
	}
	return ids
})

// Field is n.ChildByFieldName(name) without the C string.
func Field(n *sitter.Node, name string) *sitter.Node {
	if id, ok := fieldIDs()[name]; ok {
		return n.ChildByFieldId(id)
	}
	return nil // the grammar has no such field
}
