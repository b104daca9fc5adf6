package writesite

import (
	"slices"
	"strings"
	"unicode"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/djintegrity/djintegrity/rules/pyast"
)

// chainInfo is a queryset chain `X.objects.filter(..).exists()` taken
// apart.
type chainInfo struct {
	model    string
	ref      *ModelRef
	manager  string
	receiver string
	lookup   []Kwarg
	unknown  bool     // the lookup has Q objects, exclude() or **kwargs
	methods  []string // outermost first
	upper    bool     // the model expression looks like a class name
	// own are the methods the manager or queryset class of a self chain
	// defines: a call of one of them directly on self is not the ORM's.
	own []string
}

var lookupMethods = map[string]bool{"filter": true, "get": true}

// passMethods leave a queryset's rows unchanged in meaning.
var passMethods = map[string]bool{
	"all": true, "select_for_update": true, "select_related": true, "prefetch_related": true,
	"using": true, "order_by": true, "only": true, "defer": true, "distinct": true, "none": true,
	"values": true, "values_list": true, "iterator": true, "get_queryset": true,
}

// chain takes apart the receiver of a method call. It returns nil when the
// receiver is not rooted at a model manager or a known queryset variable.
func (x *extractor) chain(n *sitter.Node, sc scope) *chainInfo {
	var calls []*pyast.Call
	var methods []string
	n = pyast.Unwrap(n)
	for depth := 0; n != nil && pyast.Kind(n) == "call" && depth < 50; depth++ {
		c := x.t.Call(n)
		fn := pyast.Unwrap(c.Func)
		if fn == nil || pyast.Kind(fn) != "attribute" {
			return nil
		}
		calls = append(calls, c)
		methods = append(methods, x.t.Text(pyast.Field(fn, "attribute")))
		n = pyast.Unwrap(pyast.Field(fn, "object"))
	}
	if n == nil {
		return nil
	}
	ci := &chainInfo{methods: methods}
	switch pyast.Kind(n) {
	case "identifier":
		b := x.lookup(sc, x.t.Text(n))
		if b == nil || b.kind != bindQueryset || b.chain == nil {
			return nil
		}
		base := *b.chain
		ci.model, ci.ref, ci.manager, ci.receiver, ci.upper = base.model, base.ref, base.manager, base.receiver, base.upper
		ci.lookup = slices.Clone(base.lookup)
		ci.unknown = base.unknown
		ci.own = base.own
		ci.methods = append(methods, base.methods...)
	case "attribute":
		obj := pyast.Unwrap(pyast.Field(n, "object"))
		if obj == nil {
			return nil
		}
		ci.manager = x.t.Text(pyast.Field(n, "attribute"))
		ci.receiver = x.t.Text(n)
		if ref := x.getModel(obj); ref != nil {
			ci.ref, ci.upper = ref, true
			break
		}
		name := x.t.DottedName(obj)
		if name == "" {
			return nil
		}
		if own, ok := strings.CutSuffix(name, ".model"); ok && !strings.Contains(own, ".") {
			// self.model.objects in a manager's method.
			if b := x.lookup(sc, own); b != nil && b.kind == bindQueryset && b.chain != nil && b.chain.ref != nil && b.chain.ref.ManagerClass != "" {
				ci.model, ci.ref, ci.upper = name, b.chain.ref, true
				break
			}
		}
		if pyast.Kind(obj) == "identifier" {
			if b := x.lookup(sc, name); b != nil {
				if b.kind != bindModel {
					return nil // a local variable, not a class
				}
				ci.ref = b.ref
			}
		}
		ci.model = name
		r, _ := utf8First(lastSeg(name))
		ci.upper = unicode.IsUpper(r) || ci.ref != nil
	default:
		return nil
	}
	for i := len(calls) - 1; i >= 0; i-- {
		c, m := calls[i], methods[i]
		switch {
		case lookupMethods[m]:
			if len(c.Args) > 0 || c.StarArgs {
				ci.unknown = true
			}
			ci.lookup = append(ci.lookup, x.kwargs(c, sc)...)
		case m == "exclude" || m == "annotate" || m == "alias" || m == "union" || m == "extra" || m == "raw":
			ci.unknown = true
		}
	}
	return ci
}

func utf8First(s string) (rune, bool) {
	for _, r := range s {
		return r, true
	}
	return 0, false
}

// getModel recognises apps.get_model("shop", "Product"),
// apps.get_model("shop.Product") and get_user_model().
func (x *extractor) getModel(n *sitter.Node) *ModelRef {
	c := x.t.Call(n)
	if c == nil {
		return nil
	}
	if q, ok := x.qualify(x.t.DottedName(c.Func)); ok && q == "django.contrib.auth.get_user_model" && len(c.Args) == 0 {
		return &ModelRef{User: true}
	}
	if lastSeg(x.t.DottedName(c.Func)) != "get_model" {
		return nil
	}
	a, ok := x.t.String(c.Arg(0, "app_label"))
	if !ok {
		return nil
	}
	if b, ok := x.t.String(c.Arg(1, "model_name")); ok {
		return &ModelRef{App: a, Name: b}
	}
	if app, name, ok := strings.Cut(a, "."); ok && len(c.Args) == 1 {
		return &ModelRef{App: app, Name: name}
	}
	return nil
}

// kwargs reads a call's keyword arguments, noting request data.
func (x *extractor) kwargs(c *pyast.Call, sc scope) []Kwarg {
	out := make([]Kwarg, 0, len(c.KwOrder))
	for _, k := range c.KwOrder {
		v := c.Kwargs[k]
		kw := x.sourced(Kwarg{Name: k, Value: x.t.Text(v), Line: pyast.Line(v), Idents: x.idents(v)}, v, sc)
		kw.Fresh = x.fresh(pyast.Unwrap(v), sc)
		if p := v.Parent(); p != nil && pyast.Kind(p) == "keyword_argument" {
			kw.Start, kw.End = p.StartByte(), p.EndByte()
		}
		out = append(out, kw)
	}
	return out
}

// fresh reports whether v is a value no other request can hold: a name
// bound to an instance created earlier in the function, its id or pk, or a
// name bound to a generated value (uuid4(), a random token).
func (x *extractor) fresh(v *sitter.Node, sc scope) bool {
	if v == nil {
		return false
	}
	if pyast.Kind(v) == "attribute" {
		attr := x.t.Text(pyast.Field(v, "attribute"))
		if obj := pyast.Field(v, "object"); (attr == "id" || attr == "pk") && pyast.Kind(obj) == "identifier" {
			b := x.lookup(sc, x.t.Text(obj))
			return b != nil && b.kind == bindInstance && (b.insert || WriteKind(b.method) == WriteCreate)
		}
		return false
	}
	if pyast.Kind(v) != "identifier" {
		return false
	}
	b := x.lookup(sc, x.t.Text(v))
	return b != nil && (b.generated || b.kind == bindInstance && (b.insert || WriteKind(b.method) == WriteCreate))
}

// exprs visits the calls of an expression in source order. stmt is the
// statement that holds it.
func (x *extractor) exprs(n *sitter.Node, sc scope, stmt *sitter.Node) {
	pyast.Walk(n, func(c *sitter.Node) bool {
		switch pyast.Kind(c) {
		case "lambda", "function_definition", "class_definition":
			x.closure(c, sc)
			return false
		case "call":
			x.call(c, sc, stmt)
		case "comparison_operator":
			if sc.fn != nil {
				sc.fn.Validations = append(sc.fn.Validations, Validation{Line: pyast.Line(c), Kind: "compare", Text: x.t.Text(c), Idents: x.idents(c)})
			}
		case "string", "concatenated_string":
			if sc.fn != nil {
				for l := pyast.Line(c) + 1; l <= pyast.EndLine(c); l++ {
					sc.fn.StringLines[l] = true
				}
			}
			return false
		}
		return true
	})
}

var dbMethods = map[string]bool{
	"get": true, "filter": true, "exclude": true, "all": true, "create": true, "get_or_create": true,
	"update_or_create": true, "bulk_create": true, "bulk_update": true, "update": true, "delete": true,
	"exists": true, "count": true, "first": true, "last": true, "aggregate": true, "in_bulk": true,
	"latest": true, "earliest": true, "values": true, "values_list": true, "iterator": true,
}

var readMethods = map[string]bool{
	"get": true, "filter": true, "exists": true, "first": true, "last": true, "count": true,
	"in_bulk": true, "latest": true, "earliest": true,
}

func isLockName(name string) bool {
	l := strings.ToLower(lastSeg(name))
	return l == "lock" || strings.HasSuffix(l, "_lock") || strings.HasPrefix(l, "lock_") ||
		strings.Contains(l, "advisory") || l == "acquire"
}

// call classifies one call: a write, a read, a lock. It looks at the
// callee first and takes the arguments apart only for calls of interest.
func (x *extractor) call(n *sitter.Node, sc scope, stmt *sitter.Node) {
	callee := pyast.Unwrap(pyast.Field(n, "function"))
	if callee == nil {
		return
	}
	if pyast.Kind(callee) != "attribute" {
		x.plainCall(n, callee, sc)
		return
	}
	x.methodCall(n, callee, sc, stmt)
}

// plainCall classifies a call of a name rather than of a method: what it
// hands on, a lock, a validation, get_object_or_404().
func (x *extractor) plainCall(n, callee *sitter.Node, sc scope) {
	fn := sc.fn
	line := pyast.Line(n)
	name := x.t.DottedName(callee)
	x.escapes(n, name, nil, "", false, sc)
	if fn == nil || name == "" {
		return
	}
	if isLockName(name) {
		fn.Locks = append(fn.Locks, line)
	}
	x.validation(n, lastSeg(name), fn)
	switch lastSeg(name) {
	case "get_object_or_404", "get_list_or_404":
		c := x.t.Call(n)
		fn.DBCalls = append(fn.DBCalls, line)
		lk := Lookup{Line: line, Func: lastSeg(name)}
		if len(c.Args) > 0 {
			lk.Model = x.t.DottedName(c.Args[0])
		}
		x.addLookupArgs(&lk, c, 1)
		fn.Lookups = append(fn.Lookups, lk)
	}
}

// methodCall classifies a method call: what it hands on, a lock, a
// validation, a database call, a read, a save() or a write through a
// manager or queryset.
func (x *extractor) methodCall(n, callee *sitter.Node, sc scope, stmt *sitter.Node) {
	fn := sc.fn
	line := pyast.Line(n)
	method := x.t.Text(pyast.Field(callee, "attribute"))
	recv := pyast.Field(callee, "object")
	// The receiver chain of a query, taken apart once for escapes and for
	// the write or read below.
	var ch *chainInfo
	if dbMethods[method] || userCreateMethods[method] {
		ch = x.chain(recv, sc)
	}
	x.escapes(n, x.t.DottedName(callee), recv, method, ch != nil && ch.upper, sc)
	if fn != nil {
		if isLockName(method) {
			fn.Locks = append(fn.Locks, line)
		}
		x.validation(n, method, fn)
		switch method {
		case "save", "delete", "refresh_from_db", "execute", "executemany", "callproc":
			fn.DBCalls = append(fn.DBCalls, line)
		case "select_for_update":
			fn.Locks = append(fn.Locks, line)
		}
	}
	if method == "form_valid" {
		x.formValid(n, recv, sc, stmt)
		return
	}
	if method != "save" && !dbMethods[method] && !userCreateMethods[method] {
		return
	}
	c := x.t.Call(n)
	if method == "save" {
		x.saveCall(n, c, recv, sc, stmt)
		return
	}
	if ch == nil {
		return
	}
	if userCreateMethods[method] {
		x.userCreate(n, c, ch, method, sc, stmt)
		return
	}
	if fn != nil && ch.upper {
		x.queryRead(n, c, ch, method, fn)
	}
	x.queryWrite(n, c, ch, WriteKind(method), sc, stmt)
}

// queryRead records a query of a model's manager or queryset in fn: a
// database call, and for a read the lookup it makes.
func (x *extractor) queryRead(n *sitter.Node, c *pyast.Call, ch *chainInfo, method string, fn *Function) {
	line := pyast.Line(n)
	fn.DBCalls = append(fn.DBCalls, line)
	if !readMethods[method] {
		return
	}
	lk := Lookup{Line: line, Func: method, Model: ch.model}
	for _, kw := range ch.lookup {
		lk.Values = append(lk.Values, kw.Value)
		lk.Idents = append(lk.Idents, kw.Idents...)
	}
	x.addLookupArgs(&lk, c, 0)
	fn.Lookups = append(fn.Lookups, lk)
}

// queryWrite records a write through a manager or queryset: create(),
// get_or_create(), update_or_create(), bulk_create() or update().
func (x *extractor) queryWrite(n *sitter.Node, c *pyast.Call, ch *chainInfo, kind WriteKind, sc scope, stmt *sitter.Node) {
	switch kind {
	case WriteCreate, WriteGetOrCreate, WriteUpdateOrCreate, WriteBulkCreate, WriteUpdate:
	default:
		return
	}
	if len(ch.methods) == 0 && slices.Contains(ch.own, string(kind)) {
		return // self.create() in a manager that overrides create()
	}
	if (kind == WriteCreate || kind == WriteBulkCreate) &&
		slices.ContainsFunc(ch.methods, func(m string) bool { return !passMethods[m] }) {
		// An insert through a filtered queryset is unusual; keep the
		// manager form (using() and all() leave it the manager).
		return
	}
	w := &Write{
		Kind: kind, Model: ch.model, Ref: ch.ref, Manager: ch.manager, Receiver: ch.receiver,
		Line: pyast.Line(n), EndLine: pyast.EndLine(n), StarArgs: c.StarArgs,
		// The ORM's write methods take fields by keyword only: positional
		// arguments go to a manager's own method, whose fields are unknown.
		Positional: len(c.Args) > 0 && kind != WriteBulkCreate && kind != WriteUpdate,
	}
	switch kind {
	case WriteBulkCreate:
		w.Options = map[string]string{}
		for _, k := range c.KwOrder {
			w.Options[k] = x.t.Text(c.Kwargs[k])
		}
		x.bulkFields(w, c.Arg(0, "objs"), sc)
	case WriteUpdate:
		w.Kwargs = x.kwargs(c, sc)
		w.Lookup = ch.lookup
		w.StarArgs = w.StarArgs || ch.unknown
	default:
		w.Kwargs = x.kwargs(c, sc)
		if kind != WriteCreate {
			// The chain's filter() values are part of the lookup.
			w.Lookup = ch.lookup
			w.StarArgs = w.StarArgs || ch.unknown
		}
	}
	x.addWrite(w, n, sc, stmt, nil)
}

// formValid records `super().form_valid(form)` in a method form_valid of
// a class: in Django's generic editing views (ModelFormMixin) it runs
// `self.object = form.save()`. Whether the class is one, and its model,
// the index works out (Write.Method).
func (x *extractor) formValid(n, recv *sitter.Node, sc scope, stmt *sitter.Node) {
	fn := sc.fn
	if fn == nil || fn.Class == "" || fn.Name != "form_valid" || !x.isSuper(pyast.Unwrap(recv)) {
		return
	}
	c := x.t.Call(n)
	if len(c.Args) != 1 || len(c.Kwargs) > 0 || pyast.Kind(pyast.Unwrap(c.Args[0])) != "identifier" {
		return
	}
	w := &Write{
		Kind: WriteSave, Method: "form_valid", Instance: x.t.Text(pyast.Unwrap(c.Args[0])), StarArgs: true,
		Line: pyast.Line(n), EndLine: pyast.EndLine(n),
	}
	fn.DBCalls = append(fn.DBCalls, w.Line)
	x.addWrite(w, n, sc, stmt, nil)
}

// userCreateMethods are the methods of Django's UserManager that insert
// a user (django/contrib/auth/models.py), and their names on the user
// managers of projects.
var userCreateMethods = map[string]bool{"create_user": true, "create_superuser": true}

// userCreate records `User.objects.create_user(...)` as an insert of the
// manager's model whose fields the index works out from the manager
// (Write.Method): a chain of filters before it is not a manager, and a
// method of the manager class itself (self.create_user in a manager) is
// its own code, read where it is defined.
func (x *extractor) userCreate(n *sitter.Node, c *pyast.Call, ch *chainInfo, method string, sc scope, stmt *sitter.Node) {
	if len(ch.methods) > 0 || !ch.upper || ch.ref != nil && ch.ref.ManagerClass != "" {
		return
	}
	if sc.fn != nil {
		sc.fn.DBCalls = append(sc.fn.DBCalls, pyast.Line(n))
	}
	w := &Write{
		Kind: WriteCreate, Method: method, Model: ch.model, Ref: ch.ref, Manager: ch.manager, Receiver: ch.receiver,
		Line: pyast.Line(n), EndLine: pyast.EndLine(n), StarArgs: c.StarArgs, Positional: len(c.Args) > 0,
		Kwargs: x.kwargs(c, sc),
	}
	for _, a := range c.Args {
		w.Args = append(w.Args, x.sourced(Kwarg{Value: x.t.Text(a), Line: pyast.Line(a), Idents: x.idents(a)}, a, sc))
	}
	x.addWrite(w, n, sc, stmt, nil)
}

// escapes marks the instances a call may change (Write.Escaped): the
// receiver of any method but save(), and the instances among the
// arguments, however nested in literals, conditionals or comprehensions. A
// field read (fill(obj.total)) passes a value, not the instance. Calls that
// cannot set a field pass nothing on: logging, builtins that only read, the
// keyword arguments of a class (a model constructor: Review(order=obj)) and
// ORM queries (Review.objects.create(order=obj)).
//
// name is the callee's dotted name; a method call also gives its receiver
// and method, and query says the receiver is a model's manager or queryset.
func (x *extractor) escapes(n *sitter.Node, name string, recv *sitter.Node, method string, query bool, sc scope) {
	if readingBuiltins[name] {
		return
	}
	args := pyast.Field(n, "arguments")
	if recv != nil {
		if query || logMethods[method] && strings.Contains(strings.ToLower(x.t.Text(recv)), "log") {
			return
		}
		if method != "save" {
			x.escape(recv, sc)
		}
	}
	classCall := false
	if r, ok := utf8First(lastSeg(name)); ok && unicode.IsUpper(r) {
		classCall = true
	}
	for _, a := range pyast.Children(args) {
		if classCall && pyast.Kind(a) == "keyword_argument" {
			continue
		}
		x.escape(a, sc)
	}
}

// escape marks the instances expression e may hand on (see escapes).
func (x *extractor) escape(e *sitter.Node, sc scope) {
	e = pyast.Unwrap(e)
	switch pyast.Kind(e) {
	case "identifier":
		if b := x.lookup(sc, x.t.Text(e)); b != nil && b.kind == bindInstance {
			b.escaped = true
		}
	case "attribute", "subscript", "call", "string", "concatenated_string":
		// A field read, or a call that is visited on its own.
	case "keyword_argument":
		x.escape(pyast.Field(e, "value"), sc)
	default:
		for _, c := range pyast.Children(e) {
			x.escape(c, sc)
		}
	}
}

// closure marks the instances a nested function, lambda or class names:
// what it does with them, and when, is not followed.
func (x *extractor) closure(n *sitter.Node, sc scope) {
	if sc.fn == nil {
		return
	}
	pyast.Walk(n, func(c *sitter.Node) bool {
		if pyast.Kind(c) == "identifier" {
			if b := x.lookup(sc, x.t.Text(c)); b != nil && b.kind == bindInstance {
				b.escaped = true
			}
		}
		return true
	})
}

// readingBuiltins only read their arguments.
var readingBuiltins = map[string]bool{
	"print": true, "str": true, "repr": true, "format": true, "isinstance": true, "issubclass": true,
	"type": true, "id": true, "hash": true, "len": true, "bool": true, "getattr": true, "hasattr": true,
}

// logMethods are a logger's (a receiver whose name says log).
var logMethods = map[string]bool{
	"debug": true, "info": true, "warning": true, "warn": true, "error": true, "exception": true,
	"critical": true, "log": true,
}

// validation records a call that validates: is_valid(), full_clean(),
// clean_fields(), validate_*().
func (x *extractor) validation(n *sitter.Node, name string, fn *Function) {
	if name == "is_valid" || name == "full_clean" || name == "clean_fields" || strings.HasPrefix(name, "validate") {
		fn.Validations = append(fn.Validations, Validation{Line: pyast.Line(n), Kind: name, Text: x.t.Text(n), Idents: x.idents(n)})
	}
}

// addLookupArgs records the arguments of a read from index from on.
func (x *extractor) addLookupArgs(lk *Lookup, c *pyast.Call, from int) {
	for i, a := range c.Args {
		if i >= from {
			lk.Values = append(lk.Values, x.t.Text(a))
			lk.Idents = append(lk.Idents, x.idents(a)...)
		}
	}
	for _, k := range c.KwOrder {
		v := c.Kwargs[k]
		lk.Values = append(lk.Values, x.t.Text(v))
		lk.Idents = append(lk.Idents, x.idents(v)...)
	}
}

// bulkFields reads the fields of the constructors in bulk_create's list.
func (x *extractor) bulkFields(w *Write, objs *sitter.Node, sc scope) {
	objs = pyast.Unwrap(objs)
	if objs == nil {
		w.StarArgs = true
		return
	}
	var ctors []*sitter.Node
	switch pyast.Kind(objs) {
	case "list", "tuple":
		ctors = statements(objs)
	case "list_comprehension", "generator_expression":
		if b := pyast.Field(objs, "body"); b != nil {
			ctors = []*sitter.Node{b}
		}
	}
	if len(ctors) == 0 {
		w.StarArgs = true
		return
	}
	seen := map[string]bool{}
	for _, e := range ctors {
		c := x.t.Call(e)
		if c == nil {
			w.StarArgs = true
			return
		}
		if c.StarArgs {
			w.StarArgs = true
		}
		if len(c.Args) > 0 {
			w.Positional = true
		}
		for _, kw := range x.kwargs(c, sc) {
			if !seen[kw.Name] {
				seen[kw.Name] = true
				w.Kwargs = append(w.Kwargs, kw)
			}
		}
	}
}

// saveCall records `obj.save()` where obj is a model instance built or
// fetched in the function.
func (x *extractor) saveCall(n *sitter.Node, c *pyast.Call, recv *sitter.Node, sc scope, stmt *sitter.Node) {
	recv = pyast.Unwrap(recv)
	if recv == nil {
		return
	}
	var name string
	switch {
	case pyast.Kind(recv) == "identifier":
		name = x.t.Text(recv)
	case x.isSuper(recv) && sc.fn != nil && len(sc.fn.Params) > 0:
		// super().save() in an override of save() saves the instance.
		name = sc.fn.Params[0]
	default:
		return
	}
	b := x.lookup(sc, name)
	if b == nil || b.kind != bindInstance {
		return
	}
	w := &Write{
		Kind: WriteSave, Model: b.model, Ref: b.ref, Instance: name, Insert: b.insert && !b.saved, Positional: b.positional, Escaped: b.escaped,
		Line: pyast.Line(n), EndLine: pyast.EndLine(n), StarArgs: b.star || c.StarArgs,
		Options: map[string]string{},
	}
	for _, k := range c.KwOrder {
		w.Options[k] = x.t.Text(c.Kwargs[k])
	}
	if uf, ok := c.Kwargs["update_fields"]; ok {
		if names, ok := x.t.Strings(uf); ok {
			w.UpdateFields = names
		} else {
			w.StarArgs = true
		}
	}
	if _, ok := c.Kwargs["force_update"]; ok {
		w.Insert = false
	}
	w.Kwargs = append(slices.Clone(b.kwargs), b.attrs...)
	var args *Span
	if b.insert && b.ctorStmt.Line > 0 {
		s := b.ctorStmt
		args = &s
	}
	x.addWrite(w, n, sc, stmt, args)
	// The row exists after this save: a later save() of the same instance
	// is an UPDATE, which writes back the values this one stored (they
	// cannot collide with the row's own) and whatever is assigned after it.
	// When this save is conditional, the later one may still insert: then
	// it is not reported, rather than reported wrongly.
	// What it writes that could collide is what is assigned from now on.
	b.saved, b.kwargs, b.attrs, b.ctorStmt = true, nil, nil, Span{}
}

// isSuper reports whether n is a call of super().
func (x *extractor) isSuper(n *sitter.Node) bool {
	c := x.t.Call(n)
	return c != nil && x.t.DottedName(c.Func) == "super"
}

// addWrite fills the statement, function, guard and checks of w.
func (x *extractor) addWrite(w *Write, n *sitter.Node, sc scope, stmt *sitter.Node, args *Span) {
	if stmt == nil {
		stmt = n
	}
	w.Stmt = x.span(stmt)
	w.StmtKind = pyast.Kind(stmt)
	w.ArgsStmt = w.Stmt
	if args != nil {
		w.ArgsStmt = *args
	}
	w.Direct, w.Target = x.direct(stmt, n)
	w.Func = sc.fn
	sawSavepoint := false
	for i := len(sc.frames) - 1; i >= 0; i-- {
		fr := sc.frames[i]
		if fr.try == nil {
			if w.Guard.Atomic == 0 {
				w.Guard.Atomic = fr.atomic
			}
			if fr.savepoint && w.Guard.Try == nil {
				sawSavepoint = true
			}
			continue
		}
		if w.Guard.Try == nil && fr.try.CatchesIntegrityError() {
			w.Guard.Try = fr.try
			w.Guard.InnerAtomic = sawSavepoint
		}
		if w.Guard.Broad == nil && slices.ContainsFunc(fr.try.Handlers, func(h *Handler) bool { return h.Broad }) {
			w.Guard.Broad = fr.try
		}
	}
	w.Checks = slices.Clone(sc.checks)
	x.writes = append(x.writes, w)
}

// direct reports whether call is the whole expression of stmt, and the
// name it is assigned to.
func (x *extractor) direct(stmt, call *sitter.Node) (bool, string) {
	var e *sitter.Node
	switch pyast.Kind(stmt) {
	case "expression_statement", "return_statement":
		e = pyast.Unwrap(stmt.NamedChild(0))
	default:
		return false, ""
	}
	if e == nil {
		return false, ""
	}
	if pyast.Kind(e) == "assignment" {
		left, right := pyast.Field(e, "left"), pyast.Unwrap(pyast.Field(e, "right"))
		if right != nil && right.Equals(*call) && left != nil && pyast.Kind(left) == "identifier" && pyast.Field(e, "type") == nil {
			return true, x.t.Text(left)
		}
		return false, ""
	}
	return e.Equals(*call), ""
}
