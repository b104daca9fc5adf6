package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/djintegrity/djintegrity/rules/django"
	"github.com/djintegrity/djintegrity/rules/django/writesite"
)

// unguardedUniqueCreate reports a write of a unique field with no
// IntegrityError handling: a duplicate value is a 500 instead of an answer.
var unguardedUniqueCreate = &Rule{
	Slug:     "unguarded-unique-create",
	Severity: Notice,
	Views:    true,
	Summary:  "A write to a unique field with no IntegrityError handling.",
	Demoted:  "on the judged findings of the ecosystem check it was right 2 times in 10: most writes it flagged cannot collide in practice (values fixed by the code around them, paths run once per object); it speaks in the check run until it tells them apart",
	check:    checkUnguardedUniqueCreate,
}

func checkUnguardedUniqueCreate(rule *Rule, p *Pass) []Finding {
	var out []Finding
	for _, s := range viewRaceSites(p) {
		w, m := s.w, s.m
		if m == nil || w.StarArgs || w.Guard.Try != nil || w.Guard.Broad != nil || p.Project.HandlesIntegrityError(s.f, w.Func) {
			continue
		}
		switch w.Kind {
		case writesite.WriteCreate, writesite.WriteSave:
		case writesite.WriteBulkCreate:
			if viewTrue(w.Options["ignore_conflicts"]) || viewTrue(w.Options["update_conflicts"]) {
				continue // conflicts are skipped or merged, never raised
			}
		default:
			continue
		}
		var written []string
		for _, name := range viewWritten(m, w) {
			if !viewIsGenerated(w, m, name) {
				written = append(written, name)
			}
		}
		sets, _ := viewUniqueSets(m)
		u := viewColliding(m, sets, written, w.Kwargs)
		if u == nil || !viewTouches(p, s.f.Path, w.ArgsStmt.Line, w.ArgsStmt.EndLine, w.Stmt.Line, w.Stmt.EndLine) {
			continue
		}
		if viewCheckThenInsert(p.Project, s) != nil || viewCheckedUnderLock(p.Project, s) {
			continue // check-then-insert reports it, or a lock serialises it
		}
		fix, imports, how := viewUniqueFix(p.Project, s, u)
		verb := "writes"
		if w.Kind == writesite.WriteSave && !w.Insert {
			verb = "updates"
		}
		same := strings.Join(u.fields, " and ")
		msg := fmt.Sprintf("%s %s %s: a second request with the same %s fails with IntegrityError %s",
			viewWhat(w), verb, viewDescribe(m, u), same, viewUniqueError(m, u))
		name, kind := viewValidatedBy(p.Project, s, u)
		if name == viewUnknownForm {
			continue // validated by a form the index cannot read
		}
		if name != "" {
			// The form or serializer rejects a value that exists already:
			// what is left is two submissions at once.
			msg = fmt.Sprintf("%s %s %s, from %s, a %s that checks the %s is not taken before the write: only two concurrent submissions of the same %s get past that check, and the second INSERT then fails with IntegrityError %s",
				viewWhat(w), verb, viewDescribe(m, u), name, kind, same, same, viewUniqueError(m, u))
		}
		if w.Func.HasRequest {
			msg += " and the view answers 500."
		} else {
			msg += "."
		}
		msg += " " + how
		if fix != nil {
			msg += viewImportNote(imports)
		}
		f := rule.finding(s.f.Path, w.Stmt.Line, w.Stmt.EndLine, viewKey(w, m, strings.Join(u.fields, ",")), msg)
		f.Suggestion = fix
		if fix != nil {
			f.Imports = imports
		}
		out = append(out, f)
	}
	return out
}

func viewTrue(v string) bool { return v == "True" }

// viewIsGenerated reports whether the value written to field name cannot
// collide: generated to be unique (uuid4(), get_random_string(), ...), or
// an instance the function has just created.
func viewIsGenerated(w *writesite.Write, m *django.Model, name string) bool {
	for _, kw := range w.Kwargs {
		if n, ok := viewFieldName(m, kw.Name); !ok || n != name {
			continue
		}
		return kw.Fresh || writesite.GeneratedValue(kw.Value)
	}
	return false
}

// viewUniqueFix returns the fix of an unguarded write: in a view, catch
// IntegrityError and answer as the view answers its other errors (see
// viewAnswerOf); elsewhere, get_or_create. how says it in words.
func viewUniqueFix(p *django.Project, s viewSite, u *viewUnique) (fix *string, imports []string, how string) {
	w, fn := s.w, s.w.Func
	if fn.HasRequest || fn.View {
		return viewCatchFix(p, s, 409, fmt.Sprintf("%s with this %s already exists.", s.m.Name, strings.Join(u.fields, " and ")), u.fields)
	}
	how = "Use get_or_create() when the row may exist already, or catch IntegrityError."
	if w.Method != "" {
		how = "Check first that no such row exists and answer that case, or catch IntegrityError."
	}
	if w.Kind != writesite.WriteCreate || w.Method != "" || !w.Direct || w.StmtKind != "expression_statement" || !w.Stmt.OwnLines {
		return nil, nil, how
	}
	var lookup []writesite.Kwarg
	for _, kw := range w.Kwargs {
		if n, ok := viewFieldName(s.m, kw.Name); ok && slices.Contains(u.fields, n) {
			lookup = append(lookup, kw)
		}
	}
	call, ok := viewGetOrCreate(w, lookup)
	if !ok || u.condition != "" {
		return nil, nil, how
	}
	return viewFix([]string{w.Stmt.Indent + call}), nil, how
}

// viewValidatedBy returns the ModelForm or ModelSerializer class every
// value the write gives the fields of u comes from, and its kind, when
// that class validates u before the write: a ModelForm runs
// validate_unique() for unique fields, unique_together and
// UniqueConstraints without a condition among its fields; a
// ModelSerializer adds a UniqueValidator to a unique field and a
// UniqueTogetherValidator for a unique_together within its fields. ""
// when the values come from elsewhere, or the class does not check u;
// viewUnknownForm when a value comes from a form validated elsewhere
// whose class is not known.
func viewValidatedBy(p *django.Project, s viewSite, u *viewUnique) (name, kind string) {
	w, m := s.w, s.m
	var cls string
	for _, f := range u.fields {
		i := slices.IndexFunc(w.Kwargs, func(kw writesite.Kwarg) bool { n, ok := viewFieldName(m, kw.Name); return ok && n == f })
		if i < 0 {
			return "", ""
		}
		c := viewValueSource(p, s, w.Kwargs[i])
		if c == viewUnknownForm {
			return c, ""
		}
		if c == "" || cls != "" && c != cls {
			return "", ""
		}
		cls = c
	}
	ff := viewFormOf(p, cls)
	if ff == nil || ff.model != m || slices.ContainsFunc(u.fields, func(f string) bool { return !slices.Contains(ff.fields, f) }) {
		return "", ""
	}
	switch {
	case u.condition != "":
		return "", ""
	case u.kind == "constraint" && ff.serializer:
		return "", "" // UniqueConstraint validators are DRF 3.15's: not every project has them
	}
	kind = "ModelForm"
	if ff.serializer {
		kind = "ModelSerializer"
	}
	return cls[strings.LastIndexByte(cls, '.')+1:], kind
}

// viewUnknownForm is what viewValueSource and viewValidatedBy return for
// a value from a form that was validated where the function cannot see,
// by a class the index cannot tell: whether it checks the value is not
// known, so the rules say nothing of it.
const viewUnknownForm = "?"

// viewValueSource returns the qualified class of the form or serializer
// whose validated data a value reads: `form.cleaned_data[...]` with form
// made in the function, `serializer.validated_data[...]`, the
// validated_data parameter of a serializer's own create() or update(), or
// `form.cleaned_data[...]` with form the parameter of a view's
// form_valid(), which get_form() made from the view's form_class
// (viewUnknownForm when the view's form class cannot be read).
func viewValueSource(p *django.Project, s viewSite, kw writesite.Kwarg) string {
	fn := s.w.Func
	for _, id := range kw.Idents {
		switch {
		case strings.HasPrefix(kw.Value, id+".cleaned_data") && fn.Name == "form_valid" && fn.Class != "" && slices.Contains(fn.Params, id):
			if ev, ok := viewEditView(p, s.f, fn.Class); ok && ev.form != "" {
				return ev.form
			}
			return viewUnknownForm
		case strings.HasPrefix(kw.Value, id+".cleaned_data"), strings.HasPrefix(kw.Value, id+".validated_data"):
			return fn.Made[id]
		case id == "validated_data" && strings.HasPrefix(kw.Value, id) && fn.Class != "" && slices.Contains(fn.Params, id):
			return p.Qualify(s.f, fn.Class)
		}
	}
	return ""
}
