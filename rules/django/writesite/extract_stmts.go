package writesite

import (
	"slices"
	"strings"
	"unicode"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/djintegrity/djintegrity/rules/pyast"
)

// simple walks an expression statement and records what its assignments
// bind.
func (x *extractor) simple(s *sitter.Node, sc scope) {
	x.exprs(s, sc, s)
	e := pyast.Unwrap(s.NamedChild(0))
	if e != nil && pyast.Kind(e) == "call" {
		x.answer(s, e, "call", sc)
	}
	if e == nil || pyast.Kind(e) != "assignment" {
		return
	}
	left, right := pyast.Field(e, "left"), pyast.Field(e, "right")
	if left == nil || right == nil {
		return
	}
	x.assign(left, right, s, sc)
}

func (x *extractor) assign(left, right, stmt *sitter.Node, sc scope) {
	// An alias (o = obj) or a container (items = [obj]) may be changed
	// under another name.
	x.escape(right, sc)
	left = pyast.Unwrap(left)
	switch pyast.Kind(left) {
	case "identifier":
		name := x.t.Text(left)
		sc.fn.bind(name, pyast.Line(left))
		x.made(name, right, sc)
		if t := x.taint(right, sc); t != "" {
			sc.st.taint[name] = t
		} else {
			delete(sc.st.taint, name)
		}
		sc.st.vars[name] = x.bind(right, stmt, sc)
	case "pattern_list", "tuple_pattern":
		targets := pyast.Children(left)
		vals := pyast.Children(pyast.Unwrap(right))
		pairwise := pyast.Kind(pyast.Unwrap(right)) == "expression_list" && len(vals) == len(targets)
		for i, tn := range targets {
			if pyast.Kind(tn) != "identifier" {
				continue
			}
			name := x.t.Text(tn)
			sc.fn.bind(name, pyast.Line(tn))
			src := right
			if pairwise {
				src = vals[i]
			}
			if t := x.taint(src, sc); t != "" {
				sc.st.taint[name] = t
			} else {
				delete(sc.st.taint, name)
			}
			sc.st.vars[name] = &binding{kind: bindOther}
			if pairwise {
				sc.st.vars[name] = x.bind(src, stmt, sc)
			} else if i == 0 {
				// obj, created = X.objects.get_or_create(...)
				if b := x.bind(right, stmt, sc); b.kind == bindInstance {
					sc.st.vars[name] = b
				}
			}
		}
	case "attribute":
		// obj.field = value before obj.save()
		obj := pyast.Unwrap(pyast.Field(left, "object"))
		if obj == nil || pyast.Kind(obj) != "identifier" {
			return
		}
		b := x.lookup(sc, x.t.Text(obj))
		if b == nil || b.kind != bindInstance {
			return
		}
		b.attrs = append(b.attrs, x.sourced(Kwarg{
			Name: x.t.Text(pyast.Field(left, "attribute")), Value: x.t.Text(right),
			Line: pyast.Line(left), Idents: x.idents(right),
		}, right, sc))
	}
}

// made records in Function.Made the class a local name is assigned an
// instance of (`form = TagForm(request.POST)`), or forgets it.
func (x *extractor) made(name string, right *sitter.Node, sc scope) {
	if sc.fn == nil {
		return
	}
	delete(sc.fn.Made, name)
	c := x.t.Call(pyast.Unwrap(right))
	if c == nil {
		return
	}
	callee := x.t.DottedName(c.Func)
	if r, ok := utf8First(lastSeg(callee)); !ok || !unicode.IsUpper(r) {
		return
	}
	if q, ok := x.qualify(callee); ok {
		callee = q
	}
	if sc.fn.Made == nil {
		sc.fn.Made = map[string]string{}
	}
	sc.fn.Made[name] = callee
}

// bind says what a name assigned expression right becomes.
func (x *extractor) bind(right, stmt *sitter.Node, sc scope) *binding {
	right = pyast.Unwrap(right)
	other := &binding{kind: bindOther}
	if right == nil {
		return other
	}
	if ref := x.getModel(right); ref != nil {
		return &binding{kind: bindModel, ref: ref}
	}
	c := x.t.Call(right)
	if c == nil {
		return other
	}
	callee := pyast.Unwrap(c.Func)
	name := x.t.DottedName(callee)
	if callee == nil {
		return other
	}
	if name != "" && GeneratedValue(x.t.Text(right)) && !strings.Contains(x.t.Text(right), "\n") {
		return &binding{kind: bindOther, generated: true} // uuid4(), a random token
	}
	line, endLine := pyast.Line(stmt), pyast.EndLine(stmt)
	if name != "" && lastSeg(name) == "get_object_or_404" && len(c.Args) > 0 {
		return &binding{kind: bindInstance, model: x.t.DottedName(c.Args[0])}
	}
	// X(...) with X a class name or an apps.get_model alias: a new instance.
	if b := x.modelName(name, sc); name != "" && b != nil {
		b.kind, b.insert, b.star, b.positional = bindInstance, true, c.StarArgs, len(c.Args) > 0
		b.kwargs = x.kwargs(c, sc)
		b.ctorStmt = x.span(stmt)
		return b
	}
	method, full, ch := x.queryMethod(callee, sc)
	if full == nil {
		return other
	}
	if lookupMethods[method] {
		full.lookup = append(slices.Clone(ch.lookup), x.kwargs(c, sc)...)
		if len(c.Args) > 0 || c.StarArgs {
			full.unknown = true
		}
	}
	b := &binding{model: ch.model, ref: ch.ref, chain: full, method: method, line: line, endLine: endLine}
	switch wk := WriteKind(method); {
	case method == "exists" || method == "count":
		b.kind = bindCheck
	case method == "get" || method == "first" || method == "last" || method == "latest" || method == "earliest" ||
		wk == WriteCreate || wk == WriteGetOrCreate || wk == WriteUpdateOrCreate:
		b.kind = bindInstance
	case passMethods[method] || method == "filter" || method == "exclude":
		b.kind = bindQueryset
	default:
		return other
	}
	return b
}

// modelName returns a fresh binding naming the model class a dotted name
// denotes, or nil when it does not look like a model class.
func (x *extractor) modelName(name string, sc scope) *binding {
	if !strings.Contains(name, ".") {
		if b := x.lookup(sc, name); b != nil {
			if b.kind == bindModel {
				return &binding{ref: b.ref, model: name}
			}
			return nil
		}
	}
	if r, ok := utf8First(lastSeg(name)); !ok || !unicode.IsUpper(r) {
		return nil
	}
	return &binding{model: name}
}

// bindLoop records `for obj in X.objects.filter(...)`.
func (x *extractor) bindLoop(left, right *sitter.Node, sc scope) {
	left = pyast.Unwrap(left)
	if left == nil || pyast.Kind(left) != "identifier" {
		return
	}
	name := x.t.Text(left)
	sc.fn.bind(name, pyast.Line(left))
	if t := x.taint(right, sc); t != "" {
		sc.st.taint[name] = t
	} else {
		delete(sc.st.taint, name)
	}
	sc.st.vars[name] = &binding{kind: bindOther}
	r := pyast.Unwrap(right)
	if r == nil {
		return
	}
	var ch *chainInfo
	if pyast.Kind(r) == "identifier" {
		if b := x.lookup(sc, x.t.Text(r)); b != nil && b.kind == bindQueryset {
			ch = b.chain
		}
	} else if c := x.t.Call(r); c != nil {
		if callee := pyast.Unwrap(c.Func); callee != nil && pyast.Kind(callee) == "attribute" {
			ch = x.chain(pyast.Field(callee, "object"), sc)
		}
	}
	if ch != nil && ch.upper {
		sc.st.vars[name] = &binding{kind: bindInstance, model: ch.model, ref: ch.ref}
	}
}

// exits reports whether a block ends by leaving it.
func exits(block *sitter.Node) bool {
	stmts := statements(block)
	if len(stmts) == 0 {
		return false
	}
	switch pyast.Kind(stmts[len(stmts)-1]) {
	case "return_statement", "raise_statement", "continue_statement", "break_statement":
		return true
	}
	return false
}

// condInfo is an if condition read as an existence check.
type condInfo struct {
	negative bool // the condition holds when no row matches
	exact    bool
	chain    *chainInfo
	line     int
	endLine  int
	varName  string
}

var checkMethods = map[string]bool{"exists": true, "count": true, "first": true, "last": true}

// cond reads an if condition as an existence check, or returns nil.
func (x *extractor) cond(n *sitter.Node, sc scope) *condInfo {
	n = pyast.Unwrap(n)
	if n == nil {
		return nil
	}
	switch pyast.Kind(n) {
	case "not_operator":
		ci := x.cond(pyast.Field(n, "argument"), sc)
		if ci != nil {
			ci.negative = !ci.negative
		}
		return ci
	case "boolean_operator":
		op := pyast.Field(n, "operator")
		if op == nil || x.t.Text(op) != "and" {
			return nil
		}
		// The body of `a and not exists` runs only when no row matches.
		for _, side := range []string{"left", "right"} {
			if ci := x.cond(pyast.Field(n, side), sc); ci != nil && ci.negative {
				ci.exact = false
				return ci
			}
		}
		return nil
	case "comparison_operator":
		ops := x.operators(n)
		kids := pyast.Children(n)
		if len(ops) != 1 || len(kids) != 2 {
			return nil
		}
		ci := x.checkExpr(kids[0], sc)
		if ci == nil {
			return nil
		}
		method := ci.chain.methods[0]
		rhs := pyast.Unwrap(kids[1])
		rtext := x.t.Text(rhs)
		switch {
		case (method == "first" || method == "last") && pyast.Kind(rhs) == "none":
			switch ops[0] {
			case "is", "==":
				ci.negative = true
			case "is not", "!=":
			default:
				return nil
			}
		case method == "count":
			switch ops[0] + " " + rtext {
			case "== 0", "< 1", "<= 0":
				ci.negative = true
			case "> 0", "!= 0", ">= 1":
			default:
				return nil
			}
		default:
			return nil
		}
		return ci
	}
	return x.checkExpr(n, sc)
}

// checkExpr reads `X.objects.filter(..).exists()` (or count, first, a
// bare queryset) or a variable assigned one.
func (x *extractor) checkExpr(n *sitter.Node, sc scope) *condInfo {
	n = pyast.Unwrap(n)
	if n == nil {
		return nil
	}
	ci := &condInfo{exact: true, line: pyast.Line(n), endLine: pyast.EndLine(n)}
	switch pyast.Kind(n) {
	case "identifier":
		b := x.lookup(sc, x.t.Text(n))
		if b == nil || b.chain == nil || b.line == 0 {
			return nil
		}
		if !checkMethods[b.method] && b.kind != bindQueryset {
			return nil
		}
		ci.chain, ci.line, ci.endLine, ci.varName = b.chain, b.line, b.endLine, x.t.Text(n)
	case "call":
		c := x.t.Call(n)
		method, full, ch := x.queryMethod(pyast.Unwrap(c.Func), sc)
		if full == nil {
			return nil
		}
		switch {
		case checkMethods[method]:
		case method == "filter" || passMethods[method]:
			full.lookup = append(slices.Clone(ch.lookup), x.kwargs(c, sc)...)
			if len(c.Args) > 0 || c.StarArgs {
				full.unknown = true
			}
		default:
			return nil
		}
		ci.chain = full
	default:
		return nil
	}
	return ci
}

// operators returns the operator tokens of a comparison.
func (x *extractor) operators(n *sitter.Node) []string {
	var out []string
	for _, c := range pyast.Anonymous(n) {
		out = append(out, x.t.Text(c))
	}
	return out
}

func (x *extractor) newCheck(form CheckForm, ci *condInfo, stmt *sitter.Node) *Check {
	return &Check{
		Form: form, Model: ci.chain.model, Ref: ci.chain.ref, Manager: ci.chain.manager,
		Lookup: ci.chain.lookup, LookupUnknown: ci.chain.unknown,
		Line: ci.line, EndLine: ci.endLine, Var: ci.varName,
		Stmt: x.span(stmt), Exact: ci.exact,
	}
}

func (x *extractor) ifStmt(s *sitter.Node, sc scope, rest []*sitter.Node) *Check {
	condNode := pyast.Field(s, "condition")
	x.exprs(condNode, sc, condNode)
	cons := pyast.Field(s, "consequence")
	var elifs []*sitter.Node
	var elseBody *sitter.Node
	for _, c := range pyast.Children(s) {
		switch pyast.Kind(c) {
		case "elif_clause":
			elifs = append(elifs, c)
		case "else_clause":
			elseBody = blockOf(c)
		}
	}
	consScope, elseScope := sc, sc
	var early *Check
	if ci := x.cond(condNode, sc); ci != nil {
		if len(elifs) > 0 {
			ci.exact = false
		}
		switch {
		case ci.negative:
			c := x.newCheck(CheckIfAbsent, ci, s)
			c.Absent, c.Present = x.spans(statements(cons)), x.spans(statements(elseBody))
			consScope = sc.withCheck(c)
		case elseBody != nil && len(elifs) == 0:
			c := x.newCheck(CheckIfAbsent, ci, s)
			c.Absent, c.Present = x.spans(statements(elseBody)), x.spans(statements(cons))
			elseScope = sc.withCheck(c)
		case elseBody == nil && len(elifs) == 0 && exits(cons):
			early = x.newCheck(CheckEarlyExit, ci, s)
			early.Present, early.Absent = x.spans(statements(cons)), x.spans(rest)
		}
	}
	x.walkBlock(cons, consScope)
	for _, e := range elifs {
		x.exprs(pyast.Field(e, "condition"), sc, e)
		x.walkBlock(pyast.Field(e, "consequence"), sc)
	}
	x.walkBlock(elseBody, elseScope)
	return early
}

func (x *extractor) tryStmt(s *sitter.Node, sc scope) {
	body := pyast.Field(s, "body")
	tr := x.newTry(s, body, sc)
	var handlerNodes []*sitter.Node
	var elseNode, finallyNode *sitter.Node
	for _, c := range pyast.Children(s) {
		switch pyast.Kind(c) {
		case "except_clause", "except_group_clause":
			handlerNodes = append(handlerNodes, c)
			tr.Handlers = append(tr.Handlers, x.handler(c, sc))
		case "else_clause":
			elseNode, tr.Else = c, true
		case "finally_clause":
			finallyNode, tr.Finally = c, true
		}
	}
	x.walkBlock(body, sc.with(frame{try: tr}))
	for i, hn := range handlerNodes {
		h := tr.Handlers[i]
		hs := sc
		if h.DoesNotExist {
			if c := x.doesNotExist(s, body, hn, h, tr, sc); c != nil {
				hs = sc.withCheck(c)
			}
		}
		x.walkBlock(blockOf(hn), hs)
	}
	x.walkBlock(blockOf(elseNode), sc)
	x.walkBlock(blockOf(finallyNode), sc)
}

// newTry starts the Try of statement s, whose guarded block is body: a
// try statement, or a with block that suppresses exceptions.
func (x *extractor) newTry(s, body *sitter.Node, sc scope) *Try {
	tr := &Try{Line: pyast.Line(s), EndLine: pyast.EndLine(s)}
	if stmts := statements(body); len(stmts) > 0 {
		first, last := stmts[0], stmts[len(stmts)-1]
		tr.Body = Span{
			Line: pyast.Line(first), EndLine: pyast.EndLine(last),
			Start: first.StartByte(), End: last.EndByte(), Indent: x.t.Indent(first.StartByte()),
		}
		tr.Body.OwnLines = x.ownLines(tr.Body.Start, tr.Body.End, tr.Body.Indent)
	}
	for i := len(sc.frames) - 1; i >= 0 && tr.Atomic == 0; i-- {
		tr.Atomic = sc.frames[i].atomic
	}
	return tr
}

// suppressTry reads `with suppress(IntegrityError):` (contextlib) in the
// with statement s as the try statement it stands for: its block the try
// body, and one handler for the exceptions named, which falls through to
// the code after the block. nil when it names nothing a rule looks for.
func (x *extractor) suppressTry(s *sitter.Node, c *pyast.Call, sc scope) *Try {
	h := &Handler{Line: pyast.Line(c.Node), EndLine: pyast.EndLine(c.Node)}
	x.classify(h, c.Args)
	if !h.IntegrityError && !h.Broad {
		return nil
	}
	tr := x.newTry(s, pyast.Field(s, "body"), sc)
	tr.Handlers, tr.Suppress = []*Handler{h}, true
	return tr
}

// classify sets the exception names of handler h and what they catch.
func (x *extractor) classify(h *Handler, types []*sitter.Node) {
	for _, tn := range types {
		name := x.t.DottedName(tn)
		if name == "" {
			continue
		}
		h.Types = append(h.Types, name)
		ie, broad, dne := x.excType(name)
		h.IntegrityError = h.IntegrityError || ie
		h.Broad = h.Broad || broad
		h.DoesNotExist = h.DoesNotExist || dne
	}
}

func (x *extractor) handler(c *sitter.Node, sc scope) *Handler {
	h := &Handler{Line: pyast.Line(c), EndLine: pyast.EndLine(c)}
	v := pyast.Unwrap(pyast.Field(c, "value"))
	if pyast.Kind(c) == "except_group_clause" {
		v = pyast.Unwrap(c.NamedChild(0))
	}
	if v != nil && pyast.Kind(v) == "as_pattern" {
		v = pyast.Unwrap(v.NamedChild(0))
	}
	var types []*sitter.Node
	if v != nil {
		if pyast.Kind(v) == "tuple" {
			types = pyast.Children(v)
		} else {
			types = []*sitter.Node{v}
		}
	}
	if v == nil {
		h.Broad = true
	}
	x.classify(h, types)
	if b := blockOf(c); b != nil {
		stmts := statements(b)
		if len(stmts) > 0 {
			switch pyast.Kind(stmts[len(stmts)-1]) {
			case "raise_statement":
				h.Exit = ExitRaise
			case "return_statement":
				h.Exit = ExitReturn
			}
			first, last := stmts[0], stmts[len(stmts)-1]
			h.Body = Span{Line: pyast.Line(first), EndLine: pyast.EndLine(last), Start: first.StartByte(), End: last.EndByte(), Indent: x.t.Indent(first.StartByte())}
			h.Body.OwnLines = x.ownLines(h.Body.Start, h.Body.End, h.Body.Indent)
		}
		pyast.Walk(b, func(n *sitter.Node) bool {
			if h.DBCall {
				return false
			}
			if pyast.Kind(n) == "call" && x.isDBCall(n, sc) {
				h.DBCall = true
			}
			return true
		})
	}
	return h
}

// isDBCall reports whether a call queries the database.
func (x *extractor) isDBCall(n *sitter.Node, sc scope) bool {
	c := x.t.Call(n)
	callee := pyast.Unwrap(c.Func)
	if callee == nil {
		return false
	}
	if pyast.Kind(callee) != "attribute" {
		l := lastSeg(x.t.DottedName(callee))
		return l == "get_object_or_404" || l == "get_list_or_404"
	}
	switch method := x.t.Text(pyast.Field(callee, "attribute")); {
	case method == "save" || method == "delete" || method == "refresh_from_db" || method == "execute" || method == "executemany":
		return true
	case dbMethods[method]:
		ch := x.chain(pyast.Field(callee, "object"), sc)
		return ch != nil && ch.upper
	}
	return false
}

// doesNotExist reads `try: obj = X.objects.get(..) except X.DoesNotExist:`.
func (x *extractor) doesNotExist(s, body, hn *sitter.Node, h *Handler, tr *Try, sc scope) *Check {
	var found *sitter.Node
	var ch *chainInfo
	pyast.Walk(body, func(n *sitter.Node) bool {
		if found != nil || pyast.Kind(n) == "lambda" || pyast.Kind(n) == "function_definition" {
			return false
		}
		if pyast.Kind(n) != "call" {
			return true
		}
		c := x.t.Call(n)
		callee := pyast.Unwrap(c.Func)
		if callee == nil || pyast.Kind(callee) != "attribute" || x.t.Text(pyast.Field(callee, "attribute")) != "get" {
			return true
		}
		cc := x.chain(pyast.Field(callee, "object"), sc)
		if cc == nil || !cc.upper {
			return true
		}
		full := *cc
		full.methods = append([]string{"get"}, cc.methods...)
		full.lookup = append(slices.Clone(cc.lookup), x.kwargs(c, sc)...)
		if len(c.Args) > 0 || c.StarArgs {
			full.unknown = true
		}
		found, ch = n, &full
		return false
	})
	if found == nil {
		return nil
	}
	// except Y.DoesNotExist for another model Y is not this check.
	generic := true
	for _, t := range h.Types {
		if prefix, ok := strings.CutSuffix(t, ".DoesNotExist"); ok {
			generic = false
			if ch.model != "" && prefix == ch.model {
				generic = true
				break
			}
		}
	}
	if !generic {
		return nil
	}
	ci := &condInfo{negative: true, exact: len(tr.Handlers) == 1 && len(h.Types) == 1 && !tr.Else && !tr.Finally,
		chain: ch, line: pyast.Line(found), endLine: pyast.EndLine(found)}
	c := x.newCheck(CheckDoesNotExist, ci, s)
	c.Present, c.Absent = x.spans(statements(body)), x.spans(statements(blockOf(hn)))
	if stmts := statements(body); len(stmts) == 1 {
		if ok, target := x.direct(stmts[0], found); ok {
			c.Target = target
		}
	}
	return c
}

func (x *extractor) withStmt(s *sitter.Node, sc scope) {
	inner := sc
	for _, clause := range pyast.Children(s) {
		if pyast.Kind(clause) != "with_clause" {
			continue
		}
		for _, item := range pyast.Children(clause) {
			v := pyast.Unwrap(pyast.Field(item, "value"))
			if v == nil {
				continue
			}
			x.exprs(v, sc, s)
			var alias *sitter.Node
			if pyast.Kind(v) == "as_pattern" {
				alias = pyast.Field(v, "alias")
				v = pyast.Unwrap(v.NamedChild(0))
			}
			if alias != nil {
				for _, id := range x.idents(alias) {
					sc.fn.bind(id, pyast.Line(alias))
				}
			}
			if v == nil {
				continue
			}
			name := x.t.DottedName(v)
			if c := x.t.Call(v); c != nil {
				name = x.t.DottedName(c.Func)
				if x.isAtomic(name) {
					sp := true
					if b, ok := pyast.Bool(c.Kwargs["savepoint"]); ok && !b {
						sp = false
					}
					inner = inner.with(frame{atomic: pyast.Line(s), savepoint: sp})
					continue
				}
				if x.isSuppress(name) {
					if tr := x.suppressTry(s, c, inner); tr != nil {
						inner = inner.with(frame{try: tr})
					}
					continue
				}
			}
			if name != "" && isLockName(name) && sc.fn != nil {
				sc.fn.Locks = append(sc.fn.Locks, pyast.Line(s))
			}
		}
	}
	x.walkBlock(pyast.Field(s, "body"), inner)
}

// queryMethod takes apart a method called on a query chain
// (X.objects.filter(...).exists): the method, the chain with the method
// first, and the chain it was called on. full is nil when callee is not a
// method of a chain that starts at a model.
func (x *extractor) queryMethod(callee *sitter.Node, sc scope) (method string, full, ch *chainInfo) {
	if callee == nil || pyast.Kind(callee) != "attribute" {
		return "", nil, nil
	}
	method = x.t.Text(pyast.Field(callee, "attribute"))
	ch = x.chain(pyast.Field(callee, "object"), sc)
	if ch == nil || !ch.upper {
		return "", nil, nil
	}
	f := *ch
	f.methods = append([]string{method}, ch.methods...)
	return method, &f, ch
}
