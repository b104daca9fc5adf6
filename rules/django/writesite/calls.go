package writesite

import (
	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/djintegrity/djintegrity/rules/pyast"
)

// CallSite is a call of a function by name, and the transaction the call
// runs in.
type CallSite struct {
	Line int
	// Caller is the innermost function around the call ("" at module
	// level), CallerClass its class.
	Caller, CallerClass string
	// AtomicLine is the line of the `with transaction.atomic()` around
	// the call, or of the atomic decorator on the caller; 0 when neither.
	AtomicLine int
	// AtomicWith: AtomicLine is a with statement, not a decorator.
	AtomicWith bool
	// View: the caller takes a request (ATOMIC_REQUESTS runs it in a
	// transaction), unless NonAtomicRequests.
	View, NonAtomicRequests bool
}

// CallsOf lists the calls in t whose callee, as written, match accepts
// (a dotted name: "place_order", "services.place_order"). It walks every
// node once.
func CallsOf(t *pyast.Tree, qualify func(name string) (q string, ok bool), match func(dotted string) bool) []CallSite {
	x := &extractor{t: t, qualify: qualify}
	var out []CallSite
	type fnCtx struct {
		name, class             string
		atomicLine              int
		view, nonAtomicRequests bool
	}
	var walk func(n *sitter.Node, fn fnCtx, class string, atomic int)
	walk = func(n *sitter.Node, fn fnCtx, class string, atomic int) {
		switch pyast.Kind(n) {
		case "decorated_definition":
			var decs []*sitter.Node
			for _, c := range pyast.Children(n) {
				if pyast.Kind(c) == "decorator" {
					decs = append(decs, c)
				}
			}
			def := pyast.Field(n, "definition")
			if def == nil {
				return
			}
			if pyast.Kind(def) == "function_definition" {
				_, atomicLine, nonAtomic, apiView := x.decoratorNames(decs)
				walk(pyast.Field(def, "body"), fnCtx{name: t.Text(pyast.Field(def, "name")), class: class, atomicLine: atomicLine,
					view: apiView || x.takesRequest(def), nonAtomicRequests: nonAtomic}, class, 0)
				return
			}
			walk(def, fn, class, atomic)
			return
		case "function_definition":
			walk(pyast.Field(n, "body"), fnCtx{name: t.Text(pyast.Field(n, "name")), class: class, view: x.takesRequest(n)}, class, 0)
			return
		case "class_definition":
			walk(pyast.Field(n, "body"), fnCtx{}, t.Text(pyast.Field(n, "name")), 0)
			return
		case "with_statement":
			for _, clause := range pyast.Children(n) {
				if pyast.Kind(clause) != "with_clause" {
					continue
				}
				for _, item := range pyast.Children(clause) {
					v := pyast.Unwrap(pyast.Field(item, "value"))
					if v != nil && pyast.Kind(v) == "as_pattern" {
						v = pyast.Unwrap(v.NamedChild(0))
					}
					if c := x.t.Call(v); c != nil && x.isAtomic(x.t.DottedName(c.Func)) {
						atomic = pyast.Line(n)
					}
				}
			}
		case "call":
			if callee := pyast.Unwrap(pyast.Field(n, "function")); callee != nil {
				if name := t.DottedName(callee); name != "" && match(name) {
					cs := CallSite{Line: pyast.Line(n), Caller: fn.name, CallerClass: fn.class, View: fn.view, NonAtomicRequests: fn.nonAtomicRequests}
					switch {
					case atomic > 0:
						cs.AtomicLine, cs.AtomicWith = atomic, true
					case fn.atomicLine > 0:
						cs.AtomicLine = fn.atomicLine
					}
					out = append(out, cs)
				}
			}
		}
		for _, c := range pyast.Children(n) {
			walk(c, fn, class, atomic)
		}
	}
	walk(t.Root(), fnCtx{}, "", 0)
	return out
}

// takesRequest reports whether a function definition has a parameter
// named request.
func (x *extractor) takesRequest(def *sitter.Node) bool {
	for _, p := range pyast.Children(pyast.Field(def, "parameters")) {
		if name, splat := x.paramName(p); splat == "" && name == "request" {
			return true
		}
	}
	return false
}
