package writesite

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/djintegrity/djintegrity/internal/srclines"
	"github.com/djintegrity/djintegrity/rules/pyast"
)

// Extract returns the ORM write sites of a parsed file, in source order,
// and the functions that hold them (or may: one whose source has a write
// call), in source order. qualify turns a dotted name used in the file
// into the fully qualified name its imports give it ("atomic" ->
// "django.db.transaction.atomic"); ok is false when the first name is not
// imported. It fails only when ctx ends, which it checks between
// statements.
func Extract(ctx context.Context, t *pyast.Tree, qualify func(name string) (q string, ok bool)) ([]*Write, []*Function, error) {
	if !HasWriteMarker(t.Src) {
		return nil, nil, nil
	}
	x := &extractor{ctx: ctx, t: t, qualify: qualify, module: newFuncState()}
	x.walkBlock(t.Root(), scope{st: x.module})
	if err := ctx.Err(); err != nil {
		return nil, nil, fmt.Errorf("write sites: %w", err)
	}
	return x.writes, x.functions, nil
}

type extractor struct {
	// ctx ends the walk between statements: a file of thousands of
	// functions stops when the review does.
	ctx     context.Context
	t       *pyast.Tree
	qualify func(name string) (string, bool) // see Extract
	module  *funcState

	writes    []*Write
	functions []*Function
}

// frame is a try body or a with-atomic block around the code being walked.
type frame struct {
	try       *Try
	atomic    int // line of a with transaction.atomic(); 0 for a try
	savepoint bool
}

type scope struct {
	fn     *Function
	st     *funcState
	frames []frame
	checks []*Check
	class  *classInfo
}

// with returns sc with one more frame; slices are clipped so that
// siblings never share appended elements.
func (sc scope) with(fr frame) scope {
	sc.frames = append(slices.Clip(sc.frames), fr)
	return sc
}

func (sc scope) withCheck(c *Check) scope {
	sc.checks = append(slices.Clip(sc.checks), c)
	return sc
}

type classInfo struct {
	name       string
	bases      []string
	atomicLine int
	view       bool
	// manager: the class is a manager or a queryset (by its name or a
	// base's), so self in its methods is a queryset of the model it serves.
	manager bool
	// methods are the names of the methods the class body defines: a
	// self.create() in a manager that defines create() calls its own.
	methods []string
}

// bindingKind is what a local name holds, as far as the extractor
// follows it.
type bindingKind int

const (
	bindOther    bindingKind = iota // anything not below
	bindModel                       // a model class from apps.get_model
	bindInstance                    // a model instance, built or fetched
	bindQueryset                    // a queryset of a model
	bindCheck                       // the result of exists() or count()
)

// binding is what the extractor knows of a local name.
type binding struct {
	kind bindingKind
	ref  *ModelRef
	// For instances: the model and how the instance was made.
	model    string
	insert   bool
	kwargs   []Kwarg
	star     bool
	ctorStmt Span
	attrs    []Kwarg
	escaped  bool // see Write.Escaped
	// generated: a value no other request can hold (uuid4(), a token).
	generated bool
	// saved: save() was called on the instance already.
	saved bool
	// positional: the constructor passes fields by position.
	positional bool
	// For querysets and checks: the chain, its last method, and the line
	// range of the assignment.
	chain         *chainInfo
	method        string
	line, endLine int
}

type funcState struct {
	vars  map[string]*binding
	taint map[string]string
}

func newFuncState() *funcState {
	return &funcState{vars: map[string]*binding{}, taint: map[string]string{}}
}

// lookup finds a binding in the function, then at module level.
func (x *extractor) lookup(sc scope, name string) *binding {
	if b, ok := sc.st.vars[name]; ok {
		return b
	}
	if sc.st != x.module {
		return x.module.vars[name]
	}
	return nil
}

func (x *extractor) span(n *sitter.Node) Span {
	s := Span{Line: pyast.Line(n), EndLine: pyast.EndLine(n), Start: n.StartByte(), End: n.EndByte()}
	s.Indent = x.t.Indent(n.StartByte())
	s.OwnLines = x.ownLines(s.Start, s.End, s.Indent)
	return s
}

func (x *extractor) ownLines(start, end uint, indent string) bool {
	src := x.t.Src
	if start-srclines.Start(src, start) != uint(len(indent)) {
		return false
	}
	// Only white space or a comment may follow on the last line.
	rest := bytes.TrimLeft(src[end:srclines.End(src, end)], " \t\r")
	return len(rest) == 0 || rest[0] == '#'
}

// statements are the named children of a block that are statements.
func statements(block *sitter.Node) []*sitter.Node {
	var out []*sitter.Node
	for _, c := range pyast.Children(block) {
		if pyast.Kind(c) != "comment" {
			out = append(out, c)
		}
	}
	return out
}

func (x *extractor) spans(nodes []*sitter.Node) []Span {
	out := make([]Span, 0, len(nodes))
	for _, n := range nodes {
		out = append(out, x.span(n))
	}
	return out
}

// blockOf returns the block child of a clause (except, else, finally).
func blockOf(n *sitter.Node) *sitter.Node {
	if n == nil {
		return nil
	}
	if b := pyast.Field(n, "body"); b != nil {
		return b
	}
	for _, c := range pyast.Children(n) {
		if pyast.Kind(c) == "block" {
			return c
		}
	}
	return nil
}

func (x *extractor) walkBlock(block *sitter.Node, sc scope) {
	if block == nil {
		return
	}
	stmts := statements(block)
	for i, s := range stmts {
		if x.ctx.Err() != nil {
			return
		}
		if c := x.stmt(s, sc, stmts[i+1:]); c != nil {
			sc = sc.withCheck(c)
		}
	}
}

// stmt walks one statement. It returns an early-exit check that applies
// to the statements after it in the block.
func (x *extractor) stmt(s *sitter.Node, sc scope, rest []*sitter.Node) *Check {
	switch pyast.Kind(s) {
	case "function_definition", "class_definition", "decorated_definition":
		x.closure(s, sc)
	}
	switch pyast.Kind(s) {
	case "function_definition":
		x.function(s, nil, sc)
	case "class_definition":
		x.class(s, nil, sc)
	case "decorated_definition":
		var decs []*sitter.Node
		for _, c := range pyast.Children(s) {
			if pyast.Kind(c) == "decorator" {
				decs = append(decs, c)
			}
		}
		switch def := pyast.Field(s, "definition"); {
		case def == nil:
		case pyast.Kind(def) == "function_definition":
			x.function(def, decs, sc)
		case pyast.Kind(def) == "class_definition":
			x.class(def, decs, sc)
		}
	case "if_statement":
		return x.ifStmt(s, sc, rest)
	case "try_statement":
		x.tryStmt(s, sc)
	case "with_statement":
		x.withStmt(s, sc)
	case "for_statement":
		x.exprs(pyast.Field(s, "right"), sc, s)
		x.bindLoop(pyast.Field(s, "left"), pyast.Field(s, "right"), sc)
		x.walkBlock(pyast.Field(s, "body"), sc)
		x.walkBlock(blockOf(pyast.Field(s, "alternative")), sc)
	case "while_statement":
		x.exprs(pyast.Field(s, "condition"), sc, s)
		x.walkBlock(pyast.Field(s, "body"), sc)
		x.walkBlock(blockOf(pyast.Field(s, "alternative")), sc)
	case "expression_statement":
		x.simple(s, sc)
	case "import_statement", "import_from_statement", "future_import_statement", "comment", "pass_statement":
	default:
		if k := pyast.Kind(s); k == "return_statement" || k == "raise_statement" {
			x.answer(s, s.NamedChild(0), strings.TrimSuffix(k, "_statement"), sc)
		}
		// return, raise, assert, del, match, ...: look at expressions and
		// walk nested blocks.
		for _, c := range pyast.Children(s) {
			switch pyast.Kind(c) {
			case "block":
				x.walkBlock(c, sc)
			case "case_clause", "elif_clause", "else_clause", "except_clause", "finally_clause":
				for _, cc := range pyast.Children(c) {
					if pyast.Kind(cc) == "block" {
						x.walkBlock(cc, sc)
					} else {
						x.exprs(cc, sc, s)
					}
				}
			default:
				x.exprs(c, sc, s)
			}
		}
	}
	return nil
}

func (x *extractor) decoratorNames(decs []*sitter.Node) (names []string, atomicLine int, nonAtomic, apiView bool) {
	for _, d := range decs {
		e := pyast.Unwrap(d.NamedChild(0))
		if e == nil {
			continue
		}
		name := x.t.DottedName(e)
		var inner []string
		if c := x.t.Call(e); c != nil {
			name = x.t.DottedName(c.Func)
			// method_decorator(transaction.atomic, name="dispatch")
			for _, a := range c.Args {
				if n := x.t.DottedName(a); n != "" {
					inner = append(inner, n)
				} else if ac := x.t.Call(a); ac != nil {
					inner = append(inner, x.t.DottedName(ac.Func))
				}
			}
		}
		if name == "" {
			continue
		}
		names = append(names, name)
		last := lastSeg(name)
		switch {
		case x.isAtomic(name):
			atomicLine = pyast.Line(d)
		case last == "method_decorator":
			for _, in := range inner {
				if x.isAtomic(in) {
					atomicLine = pyast.Line(d)
				}
			}
		case last == "non_atomic_requests":
			nonAtomic = true
		case last == "api_view":
			apiView = true
		}
	}
	return names, atomicLine, nonAtomic, apiView
}

func (x *extractor) class(n *sitter.Node, decs []*sitter.Node, sc scope) {
	if !HasWriteMarker(x.t.Src[n.StartByte():n.EndByte()]) {
		return // no method of it writes
	}
	ci := &classInfo{name: x.t.Text(pyast.Field(n, "name"))}
	ci.manager = isManagerName(ci.name)
	if sup := pyast.Field(n, "superclasses"); sup != nil {
		for _, b := range pyast.Children(sup) {
			if name := x.t.DottedName(b); name != "" {
				ci.bases = append(ci.bases, name)
				last := lastSeg(name)
				if strings.HasSuffix(last, "View") || strings.HasSuffix(last, "ViewSet") {
					ci.view = true
				}
				if isManagerName(last) {
					ci.manager = true
				}
			}
		}
	}
	_, ci.atomicLine, _, _ = x.decoratorNames(decs)
	inner := scope{st: x.module, class: ci}
	for _, s := range statements(pyast.Field(n, "body")) {
		if def := s; pyast.Kind(def) == "decorated_definition" || pyast.Kind(def) == "function_definition" {
			if pyast.Kind(def) == "decorated_definition" {
				def = pyast.Field(def, "definition")
			}
			if def != nil && pyast.Kind(def) == "function_definition" {
				ci.methods = append(ci.methods, x.t.Text(pyast.Field(def, "name")))
			}
		}
	}
	for _, s := range statements(pyast.Field(n, "body")) {
		switch pyast.Kind(s) {
		case "function_definition", "decorated_definition", "class_definition":
			x.stmt(s, inner, nil)
		}
	}
}

func (x *extractor) function(n *sitter.Node, decs []*sitter.Node, sc scope) {
	// A function with no write in it holds nothing a rule reports on; on a
	// large project most functions are such, and walking one costs a cgo
	// call per node.
	if !HasWriteMarker(x.t.Src[n.StartByte():n.EndByte()]) {
		return
	}
	body := pyast.Field(n, "body")
	fn := &Function{
		Name:        x.t.Text(pyast.Field(n, "name")),
		Line:        pyast.Line(n),
		EndLine:     pyast.EndLine(n),
		StringLines: map[int]bool{},
		Names:       map[string]bool{},
		Bound:       map[string]int{},
		IndentUnit:  "    ",
	}
	var apiView bool
	fn.Decorators, fn.AtomicLine, fn.NonAtomicRequests, apiView = x.decoratorNames(decs)
	if sc.class != nil {
		fn.Class, fn.ClassBases = sc.class.name, sc.class.bases
		if fn.AtomicLine == 0 {
			fn.AtomicLine = sc.class.atomicLine
		}
	}
	fn.Atomic = fn.AtomicLine > 0
	st := newFuncState()
	for _, p := range pyast.Children(pyast.Field(n, "parameters")) {
		name, splat := x.paramName(p)
		switch {
		case name == "":
		case splat == "**":
			fn.KwargsParam = name
		case splat == "":
			fn.Params = append(fn.Params, name)
		}
		if name != "" {
			fn.bind(name, fn.Line)
		}
	}
	if sc.class != nil && len(fn.Params) > 0 {
		x.bindOwn(fn, sc.class, st)
	}
	if sc.class != nil && (fn.Name == "create" || fn.Name == "update") && slices.Contains(fn.Params, "validated_data") {
		// A serializer's create(validated_data) or update(instance,
		// validated_data), which save() calls after is_valid().
		st.taint["validated_data"] = ValidatedData
	}
	fn.HasRequest = slices.Contains(fn.Params, "request")
	fn.View = fn.HasRequest || apiView || (sc.class != nil && sc.class.view)
	if fn.HasRequest {
		// URL keyword arguments arrive as the view's other parameters.
		for _, p := range fn.Params {
			if p != "request" && p != "self" && p != "cls" {
				st.taint[p] = "URL parameter " + p
			}
		}
		if fn.KwargsParam != "" {
			st.taint[fn.KwargsParam] = "URL kwargs"
		}
	}
	if stmts := statements(body); len(stmts) > 0 {
		defIndent := x.t.Indent(n.StartByte())
		if in := x.t.Indent(stmts[0].StartByte()); len(in) > len(defIndent) && strings.HasPrefix(in, defIndent) {
			fn.IndentUnit = in[len(defIndent):]
		}
	}
	x.functions = append(x.functions, fn)
	x.walkBlock(body, scope{fn: fn, st: st})
}

// bindOwn binds the first parameter of a method to what it holds: in a
// manager or queryset, a queryset of the model it serves; in a
// classmethod, the class; in any other method, the instance, so that
// self.save() in a model's method writes the model.
func (x *extractor) bindOwn(fn *Function, ci *classInfo, st *funcState) {
	first := fn.Params[0]
	switch {
	case slices.Contains(fn.Decorators, "staticmethod"):
	case ci.manager:
		st.vars[first] = &binding{kind: bindQueryset, chain: &chainInfo{ref: &ModelRef{ManagerClass: ci.name}, model: first, receiver: first, upper: true, own: ci.methods}}
	case slices.Contains(fn.Decorators, "classmethod"):
		st.vars[first] = &binding{kind: bindModel, ref: &ModelRef{Class: ci.name}}
	default:
		st.vars[first] = &binding{kind: bindInstance, ref: &ModelRef{Class: ci.name}, model: first}
	}
}

// isManagerName reports whether a class name is a manager's or a
// queryset's by Django's conventions.
func isManagerName(name string) bool {
	return strings.HasSuffix(name, "Manager") || strings.HasSuffix(name, "QuerySet") || strings.HasSuffix(name, "Queryset")
}

// answer records, in the function of sc, a statement that returns or
// raises the call e, or (kind "call") calls it: see Answer. Calls are kept
// only of the messages framework and of add_error().
func (x *extractor) answer(stmt, e *sitter.Node, kind string, sc scope) {
	if sc.fn == nil {
		return
	}
	c := x.t.Call(pyast.Unwrap(e))
	if c == nil {
		return
	}
	name := x.t.DottedName(c.Func)
	if name == "" {
		return
	}
	if q, ok := x.qualify(name); ok {
		name = q
	}
	if kind == "call" && !strings.HasPrefix(name, "django.contrib.messages.") && lastSeg(name) != "add_error" {
		return
	}
	sc.fn.Answers = append(sc.fn.Answers, Answer{Span: x.span(stmt), Kind: kind, Func: name, Text: x.t.Text(stmt), Idents: x.idents(stmt)})
}

// HasWriteMarker reports whether src may contain a write call.
func HasWriteMarker(src []byte) bool {
	for _, m := range writeMarkers {
		if bytes.Contains(src, m) {
			return true
		}
	}
	return false
}

// paramName returns a parameter's name and "*" or "**" for splats.
func (x *extractor) paramName(p *sitter.Node) (string, string) {
	switch pyast.Kind(p) {
	case "identifier":
		return x.t.Text(p), ""
	case "default_parameter", "typed_default_parameter":
		if n := pyast.Field(p, "name"); n != nil && pyast.Kind(n) == "identifier" {
			return x.t.Text(n), ""
		}
	case "typed_parameter":
		if c := p.NamedChild(0); c != nil {
			return x.paramName(c)
		}
	case "list_splat_pattern":
		if c := p.NamedChild(0); c != nil {
			return x.t.Text(c), "*"
		}
	case "dictionary_splat_pattern":
		if c := p.NamedChild(0); c != nil {
			return x.t.Text(c), "**"
		}
	}
	return "", ""
}
