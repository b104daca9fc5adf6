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
	if obj, ok := strings.CutSuffix(dotted, ".validated_data"); ok && obj != "" && !strings.Contains(obj, ".") {
		// serializer.validated_data, self.validated_data
		return ValidatedData
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
		return validatedKey(x.taint(pyast.Field(n, "value"), sc), x.t, pyast.Field(n, "subscript"))
	case "call":
		c := x.t.Call(n)
		fn := pyast.Unwrap(c.Func)
		if fn == nil {
			return ""
		}
		if pyast.Kind(fn) == "attribute" {
			switch m := x.t.Text(pyast.Field(fn, "attribute")); m {
			case "get", "getlist", "dict", "copy", "pop", "strip":
				t := x.taint(pyast.Field(fn, "object"), sc)
				if m == "get" || m == "pop" {
					t = validatedKey(t, x.t, c.Arg(0, ""))
				}
				return t
			}
		}
		if name := x.t.DottedName(fn); name != "" && converters[lastSeg(name)] && len(c.Args) > 0 {
			return x.taint(c.Args[0], sc)
		}
	}
	return ""
}

// sourced returns kw with Request, or Validated, set from the taint of
// the value v.
func (x *extractor) sourced(kw Kwarg, v *sitter.Node, sc scope) Kwarg {
	if t := x.taint(v, sc); strings.HasPrefix(t, ValidatedData) {
		kw.Validated = t
	} else {
		kw.Request = t
	}
	return kw
}

// validatedKey adds to the taint t of a mapping the key a subscript or
// get() reads from it, when t is a serializer's whole validated_data:
// `validated_data["price"]` is ValidatedData + `["price"]`. A key that is
// not a string literal, or a read from a value already keyed (a nested
// dict, a list), is `[?]`. Any other taint passes unchanged.
func validatedKey(t string, tree *pyast.Tree, key *sitter.Node) string {
	if !strings.HasPrefix(t, ValidatedData) {
		return t
	}
	k, ok := tree.String(key)
	if t != ValidatedData || !ok || k == "" || strings.ContainsAny(k, "[]\"") {
		return ValidatedData + "[?]"
	}
	return ValidatedData + "[\"" + k + "\"]"
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
