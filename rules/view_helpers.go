package rules

import (
	"cmp"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/djintegrity/djintegrity/rules/django"
	"github.com/djintegrity/djintegrity/rules/django/writesite"
	"github.com/djintegrity/djintegrity/rules/pyast"
)

// viewSite is a write site of a changed file with its model resolved
// (m is nil when the model cannot be resolved) and the role of its
// function.
type viewSite struct {
	f    *django.File
	w    *writesite.Write
	m    *django.Model
	role django.Role
}

// viewSites returns the write sites inside functions of the changed
// files that are reviewed, in path and source order: tests and fixtures
// are not.
func viewSites(p *Pass) []viewSite {
	if p.Project == nil {
		return nil
	}
	paths := make([]string, 0, len(p.Change))
	for path := range p.Change {
		if p.Project.Files[path] != nil {
			paths = append(paths, path)
		}
	}
	sort.Strings(paths)
	var out []viewSite
	for _, path := range paths {
		f := p.Project.Files[path]
		for _, w := range f.Writes {
			if w.Func == nil {
				continue
			}
			role := p.Project.Role(f, w.Func)
			if role == django.RoleTest {
				continue
			}
			w, m := viewResolve(p, f, w)
			out = append(out, viewSite{f: f, w: w, m: m, role: role})
		}
	}
	return out
}

// viewResolve resolves the model of write w of file f (nil when it cannot
// be resolved), and reads a write whose fields depend on what the model's
// code does (a form's save(), a user manager's create_user()) as the
// write that code makes.
func viewResolve(p *Pass, f *django.File, w *writesite.Write) (*writesite.Write, *django.Model) {
	if w.Method == "form_valid" {
		return w, viewFormValid(p, f, w)
	}
	m := p.Project.WriteModel(f, w.Model, w.Ref)
	switch {
	case m == nil:
		return viewFormSave(p, f, w)
	case w.Method != "":
		return viewUserCreate(p, w, m), m
	}
	return w, m
}

// viewEditViews are Django's generic editing views whose form_valid()
// saves the form (ModelFormMixin: `self.object = form.save()`), by
// qualified name.
var viewEditViews = map[string]bool{
	"django.views.generic.CreateView": true, "django.views.generic.UpdateView": true,
	"django.views.generic.edit.CreateView": true, "django.views.generic.edit.UpdateView": true,
	"django.views.generic.edit.BaseCreateView": true, "django.views.generic.edit.BaseUpdateView": true,
	"django.views.generic.edit.ModelFormMixin": true,
}

// viewFormValid resolves the model `super().form_valid(form)` saves in a
// form_valid() override of its class (see viewEditView): the model of its
// form_class when that is a ModelForm of the repository, else its model
// attribute; nil when the class is not a generic editing view or any of
// it cannot be read.
func viewFormValid(p *Pass, f *django.File, w *writesite.Write) *django.Model {
	ev, ok := viewEditView(p.Project, f, w.Func.Class)
	if !ok || !ev.edit {
		return nil
	}
	if ev.form != "" {
		ff := viewFormOf(p.Project, ev.form)
		if ff == nil || ff.serializer {
			return nil
		}
		return ff.model
	}
	if ev.model != "" {
		return p.Project.ResolveModel(ev.modelFile, ev.model)
	}
	return nil
}

// viewEdit is what a class-based view says of the form its form_valid()
// receives: its form_class (qualified) and model attribute, and whether it
// is one of viewEditViews, whose form_valid() saves the form.
type viewEdit struct {
	form      string
	model     string
	modelFile *django.File
	edit      bool
}

// viewEditView reads the view class named class in file f: the class and
// each base of it up to Django's views must be of the repository (or
// Django's own mixins), and none may pick its form another way
// (get_form_class, get_form, get_form_kwargs) or, but the class itself,
// override form_valid; the first form_class and model found, depth first,
// win. ok is false when any of it is not so.
func viewEditView(p *django.Project, f *django.File, class string) (ev viewEdit, ok bool) {
	cf, c := p.QualifiedClass(p.Qualify(f, class))
	if c == nil {
		return ev, false
	}
	seen := map[*django.Class]bool{}
	var walk func(f *django.File, c *django.Class, own bool, depth int) bool
	walk = func(f *django.File, c *django.Class, own bool, depth int) bool {
		if depth > 10 || seen[c] {
			return false
		}
		seen[c] = true
		for _, m := range c.Methods {
			if m == "get_form_class" || m == "get_form" || m == "get_form_kwargs" || !own && m == "form_valid" {
				return false
			}
		}
		if v, ok := c.Attrs["form_class"]; ok && ev.form == "" {
			ev.form = p.Qualify(f, v)
		}
		if v, ok := c.Attrs["model"]; ok && ev.model == "" {
			ev.model, ev.modelFile = v, f
		}
		for _, b := range c.Bases {
			bq := p.Qualify(f, b)
			if viewEditViews[bq] {
				ev.edit = true
				continue
			}
			if strings.HasPrefix(bq, "django.") {
				continue // a mixin of Django's own: LoginRequiredMixin, SuccessMessageMixin
			}
			bf, bc := p.QualifiedClass(bq)
			if bc == nil || !walk(bf, bc, false, depth+1) {
				return false
			}
		}
		return true
	}
	return ev, walk(cf, c, true, 0)
}

// ResolveWrite returns write w of file f as the application-code rules
// read it, with its model (nil when it cannot be resolved): see
// viewResolve.
func ResolveWrite(p *django.Project, f *django.File, w *writesite.Write) (*writesite.Write, *django.Model) {
	return viewResolve(&Pass{Project: p}, f, w)
}

// viewUserParams are the parameters of UserManager.create_user and
// create_superuser before **extra_fields.
var viewUserParams = []string{"username", "email", "password"}

// viewUserCreate reads `create_user(...)` or `create_superuser(...)` on a
// manager of m. On Django's UserManager (django.DjangoUserManager) it is
// the insert _create_user makes (django/contrib/auth/models.py, the same
// from Django 1.11 to 5.x): `self.model(username=username, email=email,
// **extra_fields)` with email through normalize_email, which turns None
// into "", then password set to make_password(password), never NULL, and
// is_staff and is_superuser given by setdefault. The keyword arguments
// are the model's fields, the positional ones username, email and
// password in that order. On any other manager the method is the
// project's own code, so the fields it writes are unknown.
func viewUserCreate(p *Pass, w *writesite.Write, m *django.Model) *writesite.Write {
	fw := *w
	fw.Args, fw.Positional = nil, false
	if w.StarArgs || len(w.Args) > len(viewUserParams) || !p.Project.DjangoUserManager(m, w.Manager) {
		fw.StarArgs = true
		return &fw
	}
	fw.Kwargs = nil
	for i, a := range w.Args {
		a.Name = viewUserParams[i]
		fw.Kwargs = append(fw.Kwargs, a)
	}
	fw.Kwargs = append(fw.Kwargs, w.Kwargs...)
	given := map[string]bool{}
	for i, kw := range fw.Kwargs {
		given[kw.Name] = true
		switch kw.Name {
		case "email":
			fw.Kwargs[i].Value = "normalize_email(" + kw.Value + ")"
		case "password":
			fw.Kwargs[i].Value = "make_password(" + kw.Value + ")"
		}
	}
	flag := "False"
	if w.Method == "create_superuser" {
		flag = "True"
	}
	for _, set := range [][2]string{{"email", `""`}, {"password", "make_password(None)"}, {"is_staff", flag}, {"is_superuser", flag}} {
		if !given[set[0]] {
			fw.Kwargs = append(fw.Kwargs, writesite.Kwarg{Name: set[0], Value: set[1], Line: w.Line})
		}
	}
	return &fw
}

// viewRoleCap makes a warning at most of finding f of an application-code
// rule when the function it is in has a role that rests on a name alone
// (django.Project.RoleBy: a class named like middleware, a method named
// mutate), and says so in its message.
func viewRoleCap(p *Pass, f *Finding) {
	if p.Project == nil {
		return
	}
	file := p.Project.Files[f.Path]
	if file == nil {
		return
	}
	var fn *writesite.Function
	for _, g := range file.Functions {
		if g.Line <= f.StartLine && f.StartLine <= g.EndLine && (fn == nil || g.Line >= fn.Line) {
			fn = g
		}
	}
	if fn == nil {
		return
	}
	role, how := p.Project.RoleBy(file, fn)
	if how == "" {
		return
	}
	f.Severity = min(f.Severity, Warning)
	f.Message += fmt.Sprintf(" (The tool takes `%s` for a %s because %s: a name, not code it knows, decides that, so this is a warning at most.)", impactFuncName(fn), role, how)
}

// viewFormSave reads `form.save()` on a ModelForm or `serializer.save()`
// on a ModelSerializer as a save of its Meta.model. What it writes is the
// validated data, unknown here: the constructor's arguments (data=,
// instance=) are not fields. Whether it inserts is not known either. It
// returns w unchanged and nil for any other save.
func viewFormSave(p *Pass, f *django.File, w *writesite.Write) (*writesite.Write, *django.Model) {
	if w.Kind != writesite.WriteSave || w.Ref != nil || w.Model == "" {
		return w, nil
	}
	ff := viewFormOf(p.Project, p.Project.Qualify(f, w.Model))
	if ff == nil || ff.model == nil {
		return w, nil
	}
	fw := *w
	fw.Kwargs, fw.StarArgs, fw.Insert, fw.Positional = nil, true, false, false
	return &fw, ff.model
}

// viewRaceSites returns the write sites the race rules review: request
// handlers, serializers, forms and plain functions, in views modules. A
// management command is run by hand, one at a time, and a data migration
// once, in the deploy. The race rules are demoted (right too rarely on real
// projects to comment), and widening them to every request handler wherever
// it lives, or to services, tasks, receivers and model methods, was measured
// on the ecosystem projects: almost none of the races it added were right
// (an importer run once, a daily task, a model's own save of a row it just
// created, a form whose caller looked the row up first). They keep to views
// modules until their precision earns them more.
func viewRaceSites(p *Pass) []viewSite {
	return slices.DeleteFunc(viewSites(p), func(s viewSite) bool { return !RaceReviewed(s.role, s.f.Path) })
}

// RaceReviewed reports whether the race rules review a function of role
// in the file at path (see viewRaceSites).
func RaceReviewed(role django.Role, path string) bool {
	return (raceRoles[role] || role == django.RoleService) && viewsModule(path)
}

// viewsModule reports whether a module is one of views by its name
// (views.py, beer_views.py, a views or api package): its plain functions
// are the views' helpers, run per request.
func viewsModule(path string) bool {
	path = "/" + path
	return strings.HasSuffix(path, "views.py") || strings.Contains(path, "/views/") || strings.Contains(path, "/api/")
}

// raceRoles are the roles whose writes the race rules review.
var raceRoles = map[django.Role]bool{django.RoleRequest: true, django.RoleSerializer: true, django.RoleForm: true}

// viewTouches reports whether the change touches any of the line ranges
// (pairs of start, end) of path, in a function the change did more than
// reformat or move: a hazard in code that was there before, token for
// token, is not one the change introduced.
func viewTouches(p *Pass, path string, ranges ...int) bool {
	for i := 0; i+1 < len(ranges); i += 2 {
		if ranges[i] > 0 && p.Change.Touches(path, ranges[i], ranges[i+1]) {
			return !unchangedFunction(p, path, ranges[0])
		}
	}
	return false
}

// unchangedFunction reports whether the innermost function around line of
// path, decorators included, stood in the file before the change with the
// same code (see unchangedDef).
func unchangedFunction(p *Pass, path string, line int) bool {
	f := p.Project.Files[path]
	if f == nil {
		return false
	}
	var fn *writesite.Function
	for _, g := range f.Functions {
		if g.Line <= line && line <= g.EndLine && (fn == nil || g.Line >= fn.Line) {
			fn = g
		}
	}
	if fn == nil {
		return false
	}
	name := fn.Name
	if fn.Class != "" {
		name = fn.Class + "." + fn.Name
	}
	return unchangedDef(p, path, name)
}

// viewUnique is a set of columns the database keeps unique.
type viewUnique struct {
	fields    []string // field names
	kind      string   // "primary key", "unique field", "unique_together", "constraint"
	name      string   // constraint name, when it has one
	condition string   // UniqueConstraint condition, source text
	// singleton is the primary key value a singleton model's save() gives
	// every row (kind "primary key"): every insert collides on it.
	singleton string
}

// viewUniqueSets lists the unique sets of m. opaque is true when a unique
// constraint on expressions exists, or a base from outside the repository
// adds what the index knows only in part: coverage cannot be judged.
func viewUniqueSets(m *django.Model) (sets []viewUnique, opaque bool) {
	opaque = m.Partial()
	hasPK := false
	for _, f := range m.Fields {
		switch {
		case f.PrimaryKey:
			hasPK = true
			sets = append(sets, viewUnique{fields: []string{f.Name}, kind: "primary key"})
		case f.Unique:
			sets = append(sets, viewUnique{fields: []string{f.Name}, kind: "unique field"})
		}
	}
	if !hasPK {
		sets = append(sets, viewUnique{fields: []string{"id"}, kind: "primary key"})
	}
	for _, ut := range m.UniqueTogether {
		sets = append(sets, viewUnique{fields: viewFieldNames(m, ut), kind: "unique_together"})
	}
	for _, c := range m.Constraints {
		if c.Kind != "unique" {
			continue
		}
		if len(c.Fields) == 0 {
			opaque = true
			continue
		}
		sets = append(sets, viewUnique{fields: viewFieldNames(m, c.Fields), kind: "constraint", name: c.Name, condition: c.Condition})
	}
	return sets, opaque
}

// viewFieldNames maps names written in Meta (which may be columns) to
// field names.
func viewFieldNames(m *django.Model, names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if f := m.Field(n); f != nil {
			n = f.Name
		}
		out = append(out, n)
	}
	return out
}

// viewFieldName maps a lookup or keyword name to a field name of m:
// "customer_id" -> "customer", "pk" -> the primary key, "name__exact" ->
// "name", "customer__pk" -> "customer". ok is false for anything else (a
// transform, a field the index does not know).
func viewFieldName(m *django.Model, name string) (string, bool) {
	name = strings.TrimSuffix(name, "__exact")
	if base, rest, ok := strings.Cut(name, "__"); ok {
		if f := m.Field(base); f != nil && f.IsRelation() && (rest == "pk" || rest == "id") {
			return f.Name, true
		}
		return "", false
	}
	if name == "pk" {
		for _, f := range m.Fields {
			if f.PrimaryKey {
				return f.Name, true
			}
		}
		return "id", true
	}
	if f := m.Field(name); f != nil {
		return f.Name, true
	}
	if name == "id" && !slices.ContainsFunc(m.Fields, func(f *django.Field) bool { return f.PrimaryKey }) {
		return "id", true
	}
	return "", false
}

// viewCovering returns the first unique set whose fields all lie in
// names; conditional constraints count only when conditional is true.
func viewCovering(sets []viewUnique, names []string, conditional bool) *viewUnique {
	for i := range sets {
		u := &sets[i]
		if u.condition != "" && !conditional {
			continue
		}
		if !slices.ContainsFunc(u.fields, func(f string) bool { return !slices.Contains(names, f) }) {
			return u
		}
	}
	return nil
}

// viewColliding returns the first unique set whose fields all lie in the
// fields an insert writes and that the inserted row falls under: a
// partial constraint counts when its condition holds for the row (its
// values, or the defaults of the fields it does not give), or cannot be
// read.
func viewColliding(m *django.Model, sets []viewUnique, written []string, inserted []writesite.Kwarg) *viewUnique {
	for i := range sets {
		u := &sets[i]
		if viewCovering([]viewUnique{*u}, written, true) == nil {
			continue
		}
		if pairs, ok := viewConditionPairs(u.condition); ok && slices.ContainsFunc(pairs, func(t [2]string) bool {
			t = viewNormTerm(t)
			return !viewTermIn(t, inserted) && (viewGivesField(m, t, inserted) || !viewTermByDefault(m, t))
		}) {
			continue
		}
		return u
	}
	return nil
}

// viewColumn is the column of field name of m.
func viewColumn(m *django.Model, name string) string {
	if f := m.Field(name); f != nil {
		return f.Column()
	}
	return name
}

// viewUniqueError quotes the database errors a violation of u raises.
func viewUniqueError(m *django.Model, u *viewUnique) string {
	cols := make([]string, 0, len(u.fields))
	for _, f := range u.fields {
		cols = append(cols, m.Table+"."+viewColumn(m, f))
	}
	pg := "duplicate key value violates unique constraint"
	switch {
	case u.name != "":
		pg += fmt.Sprintf(" %q", u.name)
	case u.kind == "primary key":
		pg += fmt.Sprintf(" %q", m.Table+"_pkey")
	}
	return fmt.Sprintf("`UNIQUE constraint failed: %s` (PostgreSQL: `%s`)", strings.Join(cols, ", "), pg)
}

// viewDescribe names a unique set of m for a message:
// "UserProfile.username, which is unique".
func viewDescribe(m *django.Model, u *viewUnique) string {
	s := m.Name + " (" + strings.Join(u.fields, ", ") + ")"
	if len(u.fields) == 1 {
		s = m.Name + "." + u.fields[0]
	}
	switch {
	case u.singleton != "":
		return fmt.Sprintf("%s, the primary key, which %s.save() sets to %s for every row", s, m.Name, u.singleton)
	case u.kind == "primary key":
		return s + ", the primary key"
	case u.kind == "unique_together":
		return s + ", unique together"
	case u.kind == "constraint":
		s += fmt.Sprintf(", unique by constraint %q", u.name)
		if u.condition != "" {
			s += " when " + u.condition
		}
		return s
	}
	return s + ", which is unique"
}

// viewWritten returns the field names a write sets, as far as they are
// known to the index.
func viewWritten(m *django.Model, w *writesite.Write) []string {
	if w.Kind == writesite.WriteSave && w.UpdateFields != nil {
		return viewFieldNames(m, w.UpdateFields)
	}
	var out []string
	for _, kw := range w.Kwargs {
		if n, ok := viewFieldName(m, kw.Name); ok && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

// viewLookupFields maps lookup keyword names to field names; ok is false
// when one is not a plain field.
func viewLookupFields(m *django.Model, lookup []writesite.Kwarg) ([]string, bool) {
	var out []string
	for _, kw := range lookup {
		n, ok := viewFieldName(m, kw.Name)
		if !ok {
			return nil, false
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, true
}

// viewWhat names a write for a message: "`User.objects.create()`".
func viewWhat(w *writesite.Write) string {
	if w.Method == "form_valid" {
		return fmt.Sprintf("`super().form_valid(%s)`, which saves the form,", w.Instance)
	}
	if w.Kind == writesite.WriteSave {
		return fmt.Sprintf("`%s.save()`", w.Instance)
	}
	recv := w.Receiver
	if recv == "" {
		recv = w.Model + "." + w.Manager
	}
	return fmt.Sprintf("`%s.%s()`", recv, cmp.Or(w.Method, string(w.Kind)))
}

// viewLocalName returns the name under which file f can use one of the
// fully qualified names ("django.db.IntegrityError"), or "". A name a
// package exports also counts through the package (`db.IntegrityError`).
func viewLocalName(f *django.File, qualified ...string) string {
	return viewImported(f, true, qualified)
}

func viewImported(f *django.File, viaPackage bool, qualified []string) string {
	var found []string
	for local, target := range f.Imports {
		for _, q := range qualified {
			switch {
			case target == q:
				found = append(found, local)
			case viaPackage && strings.HasPrefix(q, target+"."):
				found = append(found, local+strings.TrimPrefix(q, target))
			}
		}
	}
	if len(found) == 0 {
		return ""
	}
	sort.Slice(found, func(i, j int) bool {
		return len(found[i]) < len(found[j]) || len(found[i]) == len(found[j]) && found[i] < found[j]
	})
	return found[0]
}

// viewNames are the names a fix uses in a file, and the imports it needs.
type viewNames struct {
	integrity   string // IntegrityError
	transaction string // the transaction module
	imports     []string
}

// viewFixNames finds how file f names IntegrityError and transaction,
// and which of them it must import.
func viewFixNames(f *django.File, integrity, transaction bool) viewNames {
	// transaction is a submodule: `from django import db` need not bind it.
	n := viewNames{
		integrity:   viewLocalName(f, "django.db.IntegrityError", "django.db.utils.IntegrityError"),
		transaction: viewImported(f, false, []string{"django.db.transaction"}),
	}
	var need []string
	if n.integrity == "" {
		n.integrity = "IntegrityError"
		if integrity {
			need = append(need, "IntegrityError")
		}
	}
	if n.transaction == "" {
		n.transaction = "transaction"
		if transaction {
			need = append(need, "transaction")
		}
	}
	if len(need) > 0 {
		n.imports = append(n.imports, "from django.db import "+strings.Join(need, ", "))
	}
	return n
}

// viewImportNote asks for the imports a fix needs.
func viewImportNote(imports []string) string {
	if len(imports) == 0 {
		return ""
	}
	return " The fix needs `" + strings.Join(imports, "` and `") + "` at the top of the file."
}

// viewLines returns lines start..end (1-based, inclusive) of f without
// their line breaks.
func viewLines(f *django.File, start, end int) []string {
	lines := f.Lines()
	if start < 1 || end < start || start > len(lines) {
		return nil
	}
	return lines[start-1 : min(end, len(lines))]
}

// viewShift prefixes every non-blank line with extra.
func viewShift(lines []string, extra string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		if strings.TrimSpace(l) == "" {
			out[i] = ""
			continue
		}
		out[i] = extra + l
	}
	return out
}

// viewMovable reports whether lines start..end can be re-indented: none
// is the continuation of a multi-line string.
func viewMovable(fn *writesite.Function, start, end int) bool {
	for l := start; l <= end; l++ {
		if fn.StringLines[l] {
			return false
		}
	}
	return true
}

// viewFix returns text as a suggestion when it parses without error.
func viewFix(lines []string) *string {
	text := strings.Join(lines, "\n")
	if !pyast.ValidFragment(text) {
		return nil
	}
	return &text
}

// viewGetOrCreate renders `[target, _created = ]Recv.get_or_create(lookup,
// defaults={...})` from a create's keyword arguments; lookup names the
// keywords that go in the lookup. ok is false when a lookup keyword is
// missing from the create.
func viewGetOrCreate(w *writesite.Write, lookup []writesite.Kwarg) (string, bool) {
	var args, defaults []string
	used := map[string]bool{}
	for _, lk := range lookup {
		i := slices.IndexFunc(w.Kwargs, func(kw writesite.Kwarg) bool { return kw.Name == lk.Name })
		if i < 0 || w.Kwargs[i].Value != lk.Value {
			return "", false
		}
		used[lk.Name] = true
		args = append(args, lk.Name+"="+lk.Value)
	}
	for _, kw := range w.Kwargs {
		if !used[kw.Name] {
			defaults = append(defaults, fmt.Sprintf("%q: %s", kw.Name, kw.Value))
		}
	}
	if len(args) == 0 {
		return "", false
	}
	if len(defaults) > 0 {
		args = append(args, "defaults={"+strings.Join(defaults, ", ")+"}")
	}
	s := w.Receiver + ".get_or_create(" + strings.Join(args, ", ") + ")"
	if w.Target != "" {
		s = w.Target + ", _created = " + s
	}
	return s, true
}

// viewKey builds a finding key that survives edits elsewhere in the file.
func viewKey(w *writesite.Write, m *django.Model, what string) string {
	return w.Func.Name + ":" + m.Table + ":" + what
}
