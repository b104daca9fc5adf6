package writesite

import (
	"slices"
	"strings"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/djintegrity/djintegrity/rules/pyast"
)

func lastSeg(name string) string { return name[strings.LastIndexByte(name, '.')+1:] }

// isAtomic reports whether a dotted name is transaction.atomic under any
// import alias.
func (x *extractor) isAtomic(name string) bool {
	if q, ok := x.qualify(name); ok {
		return q == "django.db.transaction.atomic"
	}
	return name == "transaction.atomic" || name == "atomic"
}

// isSuppress reports whether a dotted name is contextlib.suppress, whose
// with block swallows the exceptions it names as an except clause that
// falls through would.
func (x *extractor) isSuppress(name string) bool {
	if q, ok := x.qualify(name); ok {
		return q == "contextlib.suppress"
	}
	return name == "contextlib.suppress" || name == "suppress"
}

// excType classifies an exception name of an except clause.
func (x *extractor) excType(name string) (integrity, broad, doesNotExist bool) {
	q, imported := x.qualify(name)
	last := lastSeg(q) // an alias (`IntegrityError as IE`) names the class through its import
	switch last {
	case "IntegrityError", "DatabaseError":
		if imported {
			return q == "django.db."+last || q == "django.db.utils."+last, false, false
		}
		return name == last || name == "db."+last || name == "utils."+last, false, false
	case "Exception", "BaseException":
		return false, name == last, false
	case "DoesNotExist", "ObjectDoesNotExist":
		return false, false, true
	}
	return false, false, false
}

// requestSource says which request data a dotted name reads, or "".
func requestSource(dotted string) string {
	d := strings.TrimPrefix(dotted, "self.")
	if d == "kwargs" || strings.HasPrefix(d, "kwargs.") {
		if strings.HasPrefix(dotted, "self.") {
			return "URL kwargs"
		}
		return ""
	}
	rest, ok := strings.CutPrefix(d, "request.")
	if !ok {
		return ""
	}
	attr, _, _ := strings.Cut(rest, ".")
	switch attr {
	case "POST", "GET", "data", "body", "query_params", "FILES":
		return "request." + attr
	}
	return ""
}

// converters pass request data through unchanged in meaning.
var converters = map[string]bool{"int": true, "str": true, "float": true, "UUID": true, "Decimal": true, "loads": true, "strip": true}

// taint says which request data an expression derives from, or "".
func (x *extractor) taint(n *sitter.Node, sc scope) string {
	n = pyast.Unwrap(n)
	if n == nil {
		return ""
	}
	switch pyast.Kind(n) {
	case "identifier":
		return sc.st.taint[x.t.Text(n)]
	case "attribute":
		return requestSource(x.t.DottedName(n))
	case "subscript":
		return x.taint(pyast.Field(n, "value"), sc)
	case "call":
		c := x.t.Call(n)
		fn := pyast.Unwrap(c.Func)
		if fn == nil {
			return ""
		}
		if pyast.Kind(fn) == "attribute" {
			switch x.t.Text(pyast.Field(fn, "attribute")) {
			case "get", "getlist", "dict", "copy", "pop", "strip":
				return x.taint(pyast.Field(fn, "object"), sc)
			}
		}
		if name := x.t.DottedName(fn); name != "" && converters[lastSeg(name)] && len(c.Args) > 0 {
			return x.taint(c.Args[0], sc)
		}
	}
	return ""
}

// idents returns the local names an expression mentions (not attribute
// names or keyword names).
func (x *extractor) idents(n *sitter.Node) []string {
	var out []string
	var walk func(*sitter.Node)
	walk = func(n *sitter.Node) {
		if n == nil {
			return
		}
		switch pyast.Kind(n) {
		case "identifier":
			if s := x.t.Text(n); !slices.Contains(out, s) {
				out = append(out, s)
			}
			return
		case "attribute":
			walk(pyast.Field(n, "object"))
			return
		case "keyword_argument":
			walk(pyast.Field(n, "value"))
			return
		}
		for _, c := range pyast.Children(n) {
			walk(c)
		}
	}
	walk(n)
	return out
}
