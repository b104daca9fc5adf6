package rules

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/djintegrity/djintegrity/rules/django"
	"github.com/djintegrity/djintegrity/rules/django/writesite"
	"github.com/djintegrity/djintegrity/rules/pyast"
)

// unvalidatedCheckWrite reports request or URL data written to a field a
// CheckConstraint covers, with no validation and no IntegrityError
// handling: an out-of-range value is a 500 instead of a 400.
var unvalidatedCheckWrite = &Rule{
	Slug:     "unvalidated-check-write",
	Severity: Warning,
	Views:    true,
	Summary:  "Request data written to a field a CheckConstraint covers, with no validation and no IntegrityError handling.",
	check:    checkUnvalidatedCheckWrite,
}

// ucwHit is a value from request data written to a field that check
// constraints cover.
type ucwHit struct {
	kw     writesite.Kwarg
	field  *django.Field
	checks []*django.Constraint
}

func checkUnvalidatedCheckWrite(rule *Rule, p *Pass) []Finding {
	var out []Finding
	fields := map[*django.Constraint][]string{} // parsed once per constraint
	for _, s := range viewSites(p) {
		w, m := s.w, s.m
		if m == nil || w.Guard.Try != nil || w.Guard.Broad != nil {
			continue
		}
		switch w.Kind {
		case writesite.WriteCreate, writesite.WriteSave, writesite.WriteUpdate:
		default:
			continue
		}
		hits := ucwHits(p.Project, s, fields)
		if len(hits) == 0 || !viewTouches(p, s.f.Path, w.ArgsStmt.Line, w.ArgsStmt.EndLine, w.Stmt.Line, w.Stmt.EndLine) {
			continue
		}
		var names, covered []string
		for _, h := range hits {
			covered = append(covered, h.field.Name)
			for _, c := range h.checks {
				if !slices.Contains(names, c.Name) {
					names = append(names, c.Name)
				}
			}
		}
		var fix *string
		var imports []string
		how := ""
		// A write that may also break a unique constraint would answer a
		// duplicate with "invalid": that fix is not mechanical.
		if w.Func.HasRequest && !ucwWritesUnique(s) {
			fix, imports, how = viewCatchFix(p.Project, s, 400, fmt.Sprintf("Invalid %s (constraint %s).", strings.Join(covered, " or "), strings.Join(names, ", ")), covered)
		}
		msg := ucwMessage(s, hits, how)
		if fix != nil {
			msg += viewImportNote(imports)
		}
		f := rule.finding(s.f.Path, w.Stmt.Line, w.Stmt.EndLine, viewKey(w, m, "check:"+strings.Join(names, ",")), msg)
		f.Suggestion = fix
		if fix != nil {
			f.Imports = imports
		}
		out = append(out, f)
	}
	return out
}

// ucwWritesUnique reports whether the write of s sets every field of a
// unique set of its model, values generated to be unique aside.
func ucwWritesUnique(s viewSite) bool {
	var written []string
	for _, name := range viewWritten(s.m, s.w) {
		if !viewIsGenerated(s.w, s.m, name) {
			written = append(written, name)
		}
	}
	sets, _ := viewUniqueSets(s.m)
	return viewColliding(s.m, sets, written, s.w.Kwargs) != nil
}

// ucwHits returns the values from request data that w writes, unchecked,
// to fields of m that a check constraint covers.
//
// A value from a serializer's validated data (Kwarg.Validated) passed the
// serializer's validation, which never checks a CheckConstraint (DRF
// builds no validator from one); it counts only where the serializer
// checks nothing of the value beyond what the model field's type gives
// (see ucwSerializerLeaves).
func ucwHits(p *django.Project, s viewSite, fields map[*django.Constraint][]string) []ucwHit {
	m, w := s.m, s.w
	if !slices.ContainsFunc(w.Kwargs, func(kw writesite.Kwarg) bool { return kw.Request != "" || kw.Validated != "" }) {
		return nil
	}
	var checks []*django.Constraint
	for _, c := range m.Constraints {
		if c.Kind != "check" {
			continue
		}
		if _, ok := fields[c]; !ok {
			fields[c] = ucwCheckFields(m, c.Check)
		}
		if len(fields[c]) > 0 {
			checks = append(checks, c)
		}
	}
	if len(checks) == 0 || ucwFormValidated(w) {
		return nil
	}
	// The last value given to a field is the one written.
	last := map[string]writesite.Kwarg{}
	var order []string
	for _, kw := range w.Kwargs {
		fl := m.Field(kw.Name)
		if fl == nil {
			continue
		}
		if _, ok := last[fl.Name]; !ok {
			order = append(order, fl.Name)
		}
		last[fl.Name] = kw
	}
	var hits []ucwHit
	for _, name := range order {
		kw := last[name]
		if kw.Request == "" && (kw.Validated == "" || !ucwSerializerLeaves(p, s, kw.Validated)) {
			continue
		}
		if w.Kind == writesite.WriteSave && w.UpdateFields != nil && !slices.Contains(viewFieldNames(m, w.UpdateFields), name) {
			continue
		}
		h := ucwHit{kw: kw, field: m.Field(name)}
		for _, c := range checks {
			if slices.Contains(fields[c], name) {
				h.checks = append(h.checks, c)
			}
		}
		if len(h.checks) > 0 && !ucwCompared(w, kw) {
			hits = append(hits, h)
		}
	}
	return hits
}

// ucwCheckFields returns the fields of m that a CheckConstraint's
// expression names: the keyword lookups of its Q objects (`price__gte`)
// and the field references of F() and of expressions (`Length("code")`).
// A name that is not a field of m is left out, so an expression the rule
// cannot read covers nothing.
func ucwCheckFields(m *django.Model, check string) []string {
	if strings.TrimSpace(check) == "" {
		return nil
	}
	t := pyast.Parse([]byte("(" + check + "\n)"))
	defer t.Close()
	var out []string
	add := func(ref string) {
		base, _, _ := strings.Cut(ref, "__")
		if name, ok := viewFieldName(m, base); ok && m.Field(name) != nil && !slices.Contains(out, name) {
			out = append(out, name)
		}
	}
	pyast.Walk(t.Root(), func(n *sitter.Node) bool {
		c := t.Call(n)
		if c == nil {
			return true
		}
		name := t.DottedName(c.Func)
		last := name[strings.LastIndexByte(name, '.')+1:]
		switch {
		case last == "Q":
			for _, k := range c.KwOrder {
				if !strings.HasPrefix(k, "_") { // _connector, _negated
					add(k)
				}
			}
			for _, a := range c.Args { // Q(("price__gte", 0))
				if a = pyast.Unwrap(a); a != nil && pyast.Kind(a) == "tuple" {
					if kids := pyast.Children(a); len(kids) > 0 {
						if s, ok := t.String(kids[0]); ok {
							add(s)
						}
					}
				}
			}
		case last == "Value":
		case last != "" && last[0] >= 'A' && last[0] <= 'Z' && len(c.Args) > 0:
			if s, ok := t.String(c.Args[0]); ok { // F("start"), Length("code")
				add(s)
			}
		}
		return true
	})
	return out
}

// ucwSerializerUnknown matches, in a serializer class's source, what can
// validate a value or change the fields DRF builds: validate() and
// validate_<field>() methods, Meta.validators and extra_kwargs, and the
// methods that build fields.
var ucwSerializerUnknown = regexp.MustCompile(`\bdef (validate\w*|build_\w*field|get_fields|get_extra_kwargs|get_validators|to_internal_value|run_validation)\b|\b(validators|extra_kwargs|serializer_field_mapping)\s*=`)

// ucwSerializerLeaves reports whether the value validated (a
// Kwarg.Validated of the write of s) reaches the write as it arrived,
// checked by nothing that knows a CheckConstraint: the write is in a
// method of a ModelSerializer of the repository, the value is
// validated_data["key"] of a field DRF builds from Meta.model's field key
// (not one the class declares), that model field has no validators or
// choices of its own, and neither the class nor a base of it (all of the
// repository, down to DRF's) validates or builds fields itself. Anything
// else is unknown and counts as validated.
func ucwSerializerLeaves(p *django.Project, s viewSite, validated string) bool {
	key, ok := writesite.ValidatedKey(validated)
	fn := s.w.Func
	if !ok || fn.Class == "" || s.role != django.RoleSerializer {
		return false
	}
	q := p.Qualify(s.f, fn.Class)
	ff := viewFormOf(p, q)
	if ff == nil || !ff.serializer || ff.model == nil {
		return false
	}
	mf := ff.model.Field(key)
	if mf == nil || mf.Name != key || mf.Opaque || mf.IsRelation() || !slices.Contains(ff.fields, key) {
		return false
	}
	if _, ok := mf.Kwargs["validators"]; ok {
		return false
	}
	if _, ok := mf.Kwargs["choices"]; ok {
		return false
	}
	declared := regexp.MustCompile(`^\s+` + regexp.QuoteMeta(key) + `\s*[:=]`)
	seen := map[*django.Class]bool{}
	var plain func(f *django.File, c *django.Class, depth int) bool
	plain = func(f *django.File, c *django.Class, depth int) bool {
		if depth > 10 || seen[c] {
			return false
		}
		seen[c] = true
		lines := viewLines(f, c.Line, c.EndLine)
		if ucwSerializerUnknown.MatchString(strings.Join(lines, "\n")) || slices.ContainsFunc(lines, declared.MatchString) {
			return false
		}
		for _, b := range c.Bases {
			bq := p.Qualify(f, b)
			if viewFormBases[bq] == "ModelSerializer" {
				continue
			}
			bf, bc := p.QualifiedClass(bq)
			if bc == nil || !plain(bf, bc, depth+1) {
				return false
			}
		}
		return true
	}
	cf, c := p.QualifiedClass(q)
	return c != nil && plain(cf, c, 0)
}

// ucwFormValidated reports whether the function validates before the
// write in a way that covers every value: a bound form or serializer's
// is_valid(), or the instance's full_clean() (which checks constraints
// from Django 4.1 on).
func ucwFormValidated(w *writesite.Write) bool {
	return slices.ContainsFunc(w.Func.Validations, func(v writesite.Validation) bool {
		switch v.Kind {
		case "is_valid", "full_clean", "clean_fields", "validate_constraints":
			return v.Line < w.Line
		}
		return false
	})
}

// ucwRequestAccess finds `request.POST["price"]` and the like in a value.
var ucwRequestAccess = regexp.MustCompile(`request\.(?:POST|GET|data|query_params|body)(?:\[[^\]]+\]|\.get\([^)]*\))?`)

// ucwCompared reports whether the function compares the value, or passes
// it to a validate_*() call, before the write: `if price < 0: return ...`.
// A comparison counts when it names a local variable the value comes from,
// or the same request data.
func ucwCompared(w *writesite.Write, kw writesite.Kwarg) bool {
	fn := w.Func
	var locals []string
	for _, id := range kw.Idents {
		if id != "request" && id != "self" && fn.Names[id] {
			locals = append(locals, id)
		}
	}
	access := ucwRequestAccess.FindString(kw.Value)
	for _, v := range fn.Validations {
		if v.Line >= w.Line {
			continue
		}
		// `price is None` checks presence, not the range.
		if v.Kind == "compare" && !strings.ContainsAny(v.Text, "<>=!") && !strings.Contains(v.Text, " in ") {
			continue
		}
		if slices.ContainsFunc(v.Idents, func(id string) bool { return slices.Contains(locals, id) }) {
			return true
		}
		if access != "" && strings.Contains(v.Text, access) {
			return true
		}
	}
	return false
}

// ucwMessage says which values reach which constraints, quotes the errors
// and names the fixes; how is the fix in words that fits the view, or "".
func ucwMessage(s viewSite, hits []ucwHit, how string) string {
	w, m := s.w, s.m
	var b strings.Builder
	for i, h := range hits {
		if i > 0 {
			b.WriteString(" ")
		}
		names := make([]string, 0, len(h.checks))
		for _, c := range h.checks {
			expr := strings.Join(strings.Fields(c.Check), " ")
			if r := []rune(expr); len(r) > 100 {
				expr = string(r[:100]) + "…"
			}
			names = append(names, fmt.Sprintf("%q (`%s`)", c.Name, expr))
		}
		value := h.kw.Value
		if strings.Contains(value, "\n") {
			value = strings.Join(strings.Fields(value), " ")
		}
		if h.kw.Request != "" {
			fmt.Fprintf(&b, "%s writes `%s=%s`, taken from %s, to %s.%s, which CheckConstraint %s covers, and nothing validates the value first: "+
				"a value outside the constraint fails with IntegrityError ",
				viewWhat(w), h.kw.Name, value, h.kw.Request, m.Name, h.field.Name, strings.Join(names, " and "))
		} else {
			key, _ := writesite.ValidatedKey(h.kw.Validated)
			fmt.Fprintf(&b, "%s writes `%s=%s` to %s.%s, which CheckConstraint %s covers: the value is the request's %q as %s validated it, "+
				"and a serializer builds no validator from a CheckConstraint (the field %q has none of its own, and the serializer has no validate method): "+
				"a value outside the constraint passes is_valid() and fails with IntegrityError ",
				viewWhat(w), h.kw.Name, value, m.Name, h.field.Name, strings.Join(names, " and "), key, w.Func.Class, key)
		}
		var sqlite, pg []string
		for _, c := range h.checks {
			sqlite = append(sqlite, fmt.Sprintf("`CHECK constraint failed: %s`", c.Name))
			pg = append(pg, fmt.Sprintf("`new row for relation \"%s\" violates check constraint \"%s\"`", m.Table, c.Name))
		}
		fmt.Fprintf(&b, "%s (PostgreSQL: %s)", strings.Join(sqlite, " or "), strings.Join(pg, " or "))
		if w.Func.HasRequest {
			b.WriteString(" and the view answers 500.")
		} else {
			b.WriteString(".")
		}
	}
	if slices.ContainsFunc(hits, func(h ucwHit) bool { return h.kw.Request == "" }) {
		b.WriteString(" Check the value in the serializer (a `validate_<field>()` method, or `min_value`/`max_value` on the field), so that is_valid() answers 400 Bad Request; or catch IntegrityError and raise a ValidationError.")
		return b.String()
	}
	b.WriteString(" Validate the value before the write (a bound form or serializer and `is_valid()`, `full_clean()`, which checks constraints from Django 4.1 on, or a comparison) and answer 400 Bad Request")
	switch {
	case how != "":
		b.WriteString(", or " + strings.ToLower(how[:1]) + how[1:])
	case w.Func.HasRequest:
		b.WriteString(", or catch IntegrityError and answer 400.")
	default:
		b.WriteString(", or catch IntegrityError.")
	}
	return b.String()
}
