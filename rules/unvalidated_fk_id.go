package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/djintegrity/djintegrity/internal/srclines"
	"github.com/djintegrity/djintegrity/rules/django"
	"github.com/djintegrity/djintegrity/rules/django/writesite"
)

// unvalidatedFKID reports a foreign key id taken from the request or the
// URL and written with no check that the parent exists: an unknown id is a
// foreign-key violation (a 500) instead of a 404.
var unvalidatedFKID = &Rule{
	Slug:     "unvalidated-fk-id",
	Severity: Notice,
	Views:    true,
	Summary:  "A foreign key id from request data written with no check that the parent exists.",
	Demoted:  "on the judged findings of the ecosystem check it was never right: of 23 findings, all in one project, every parent was checked first by a permission class, fetched by the model's save(), or its IntegrityError answered by the project's base view; it now reads the last two and has no finding left there, too little evidence to comment inline, so it speaks in the check run",
	check:    checkUnvalidatedFKID,
}

// viewRawFK is a keyword argument that writes request data to a foreign
// key.
type viewRawFK struct {
	kw     writesite.Kwarg
	field  *django.Field
	parent *django.Model // nil when the target is outside the index
	byName bool          // parent=<raw id> rather than parent_id=<raw id>
}

func checkUnvalidatedFKID(rule *Rule, p *Pass) []Finding {
	var out []Finding
	for _, s := range viewSites(p) {
		w, m := s.w, s.m
		if m == nil || w.StarArgs || w.Guard.Try != nil || w.Guard.Broad != nil {
			continue
		}
		switch {
		case w.Kind == writesite.WriteCreate, w.Kind == writesite.WriteGetOrCreate, w.Kind == writesite.WriteUpdateOrCreate:
		case w.Kind == writesite.WriteSave && w.Insert:
		default:
			continue
		}
		handled := p.Project.HandlesIntegrityError(s.f, w.Func)
		var raw []viewRawFK
		for _, kw := range w.Kwargs {
			if kw.Request == "" {
				continue
			}
			fl := m.Field(kw.Name)
			if fl == nil || !fl.IsRelation() || !fl.DBConstraint || viewValidated(w, kw) {
				continue
			}
			byName := kw.Name == fl.Name
			if !byName && (handled || p.Project.SaveReads(m, fl.Name)) {
				// The view answers IntegrityError itself, or save() fetches
				// the parent (DoesNotExist) before the INSERT could fail.
				continue
			}
			raw = append(raw, viewRawFK{kw: kw, field: fl, parent: p.Project.RelatedModel(m, fl), byName: byName})
		}
		if len(raw) == 0 || !viewTouches(p, s.f.Path, w.ArgsStmt.Line, w.ArgsStmt.EndLine, w.Stmt.Line, w.Stmt.EndLine) {
			continue
		}
		fix, imports := viewFKFix(p, s, raw)
		var b strings.Builder
		for i, r := range raw {
			if i > 0 {
				b.WriteString(" ")
			}
			parent := r.field.To
			if r.parent != nil {
				parent = r.parent.Name
			}
			if r.byName {
				fmt.Fprintf(&b, "`%s=%s` passes a raw id from %s where %s.%s expects a %s instance: Django raises ValueError "+
					"(`Cannot assign \"...\": \"%s.%s\" must be a \"%s\" instance.`) and the view answers 500; "+
					"with `%s=` instead, an unknown id would fail with IntegrityError `FOREIGN KEY constraint failed`.",
					r.kw.Name, r.kw.Value, r.kw.Request, m.Name, r.field.Name, parent, m.Name, r.field.Name, parent, r.field.Column())
				continue
			}
			fmt.Fprintf(&b, "`%s=%s` writes an id taken from %s to the foreign key %s.%s with no check that the %s exists: "+
				"an unknown id fails with IntegrityError `FOREIGN KEY constraint failed` (PostgreSQL: `insert or update on table \"%s\" violates foreign key constraint`) and the view answers 500.",
				r.kw.Name, r.kw.Value, r.kw.Request, m.Table, r.field.Column(), parent, m.Table)
		}
		b.WriteString(" Fetch the parent first with get_object_or_404(), which answers 404 for an unknown id, and pass the instance.")
		if fix != nil {
			b.WriteString(viewImportNote(imports))
		}
		first := raw[0]
		f := rule.finding(s.f.Path, w.ArgsStmt.Line, w.ArgsStmt.EndLine, viewKey(w, m, first.field.Column()), b.String())
		f.Suggestion = fix
		if fix != nil {
			f.Imports = imports
		}
		out = append(out, f)
	}
	return out
}

// viewValidated reports whether the function reads the value through a
// query or get_object_or_404 before the write: the parent was checked.
func viewValidated(w *writesite.Write, kw writesite.Kwarg) bool {
	for _, lk := range w.Func.Lookups {
		if lk.Line > w.Line {
			continue
		}
		if slices.Contains(lk.Values, kw.Value) {
			return true
		}
		for _, id := range kw.Idents {
			if id != "request" && id != "self" && slices.Contains(lk.Idents, id) {
				return true
			}
		}
	}
	return false
}

// viewFKFix fetches each parent with get_object_or_404 and passes the
// instance: `customer = get_object_or_404(Customer, pk=customer_id)`.
func viewFKFix(p *Pass, s viewSite, raw []viewRawFK) (*string, []string) {
	w, fn, f := s.w, s.w.Func, s.f
	if w.Kind == writesite.WriteSave || !w.Stmt.OwnLines || (w.StmtKind != "expression_statement" && w.StmtKind != "return_statement") {
		return nil, nil
	}
	var imports []string
	g404 := viewLocalName(f, "django.shortcuts.get_object_or_404")
	if g404 == "" {
		g404 = "get_object_or_404"
		imports = append(imports, "from django.shortcuts import get_object_or_404")
	}
	lineStart := w.Stmt.Start - uint(len(w.Stmt.Indent))
	text := string(f.Src[lineStart:w.Stmt.End])
	var fetch []string
	// Replace from the last keyword so earlier offsets stay valid.
	order := slices.Clone(raw)
	slices.SortFunc(order, func(a, b viewRawFK) int { return int(b.kw.Start) - int(a.kw.Start) })
	for _, r := range order {
		if r.parent == nil || r.kw.Start < lineStart || r.kw.End > w.Stmt.End {
			return nil, nil
		}
		name, imp, ok := viewModelName(p, f, r.parent)
		if !ok {
			return nil, nil
		}
		if imp != "" && !slices.Contains(imports, imp) {
			imports = append(imports, imp)
		}
		v := r.field.Name
		if fn.Names[v] {
			v += "_obj"
			if fn.Names[v] {
				return nil, nil
			}
		}
		key := "pk"
		if to, ok := r.field.Kwargs["to_field"]; ok {
			key = strings.Trim(to, `"'`)
		}
		fetch = append([]string{fmt.Sprintf("%s%s = %s(%s, %s=%s)", w.Stmt.Indent, v, g404, name, key, r.kw.Value)}, fetch...)
		a, b := r.kw.Start-lineStart, r.kw.End-lineStart
		text = text[:a] + r.field.Name + "=" + v + text[b:]
	}
	return viewFix(append(fetch, srclines.Split(text)...)), imports
}

// viewModelName returns the name under which file f can use model m, and
// the import it needs when it has none, written from the project's import
// root (`from shop.models import Customer` for backend/shop/models.py when
// backend holds manage.py). ok is false when no module name is known to
// lead to m's file: the fix is then not offered.
func viewModelName(p *Pass, f *django.File, m *django.Model) (name, imp string, ok bool) {
	var names []string
	for local := range f.Imports {
		if p.Project.ResolveModel(f, local) == m {
			names = append(names, local)
		}
	}
	for _, c := range f.Classes {
		if c.Name == m.Name && p.Project.ResolveModel(f, c.Name) == m {
			names = append(names, c.Name)
		}
	}
	if len(names) > 0 {
		slices.Sort(names)
		return names[0], "", true
	}
	mod := p.Project.ModulePath(m.Path)
	if mod == "" {
		return "", "", false
	}
	// Models of a models/ package are imported from the package.
	if i := strings.LastIndex(mod, ".models."); i >= 0 {
		mod = mod[:i+len(".models")]
	}
	return m.Name, fmt.Sprintf("from %s import %s", mod, m.Name), true
}
