package rules

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/djintegrity/djintegrity/rules/django"
	"github.com/djintegrity/djintegrity/rules/django/migstate"
)

// missingMigration compares each model the change touches with the state
// its app's migrations build when replayed (migstate.History), as
// `makemigrations --check` would, and reports where they disagree on what
// the database enforces: fields present, null, unique, primary key,
// db_default, foreign-key target and db_constraint, unique_together, and
// constraints by name, kind, fields and condition.
//
// Differences the database does not see are left out, though makemigrations
// would write a migration for them: a Python default and on_delete live in
// Django, not in the schema, so a missing migration for them cannot raise
// IntegrityError. A new nullable, non-unique plain field is left out too
// (the design's list: unique, null, unique_together, constraints, new
// non-null field, foreign key).
//
// It is conservative: apps without a migrations package (unmanaged or
// third-party-like), unmanaged, proxy and abstract models, models with a
// base from outside the repository, apps with a migration the index could
// not read, and models an unknown operation or schema-changing RunSQL
// touched give no finding. It reports on the model, only where the change
// touched it: the field, the Meta constraint, or the class line.
var missingMigration = &Rule{
	Slug:     "missing-migration",
	Severity: Error,
	Views:    false,
	Summary:  "A constraint-relevant model change has no migration.",
	check:    checkMissingMigration,
}

// migDiff is one disagreement between a model and its replayed state.
type migDiff struct {
	path        string
	start, end  int
	key         string
	contain     string   // what the missing migration must contain
	consequence []string // what goes wrong until it runs
}

func checkMissingMigration(rule *Rule, p *Pass) []Finding {
	h := p.History()
	keys := make([]string, 0, len(p.Project.Models))
	for k := range p.Project.Models {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	readable := map[*django.App]bool{}
	out := migDangling(rule, p)
	for _, k := range keys {
		m := p.Project.Models[k]
		if m.Abstract || m.Proxy || !m.Managed || m.App == nil || m.App.Dir == "" || m.App.Ambiguous || h.OpaqueApps[m.App.Label] {
			continue
		}
		cls := m.ClassOf()
		if cls == nil || !migModelInChange(p, m) || !p.Project.BasesKnown(m) || !p.Project.Registered(m) || migModelUnchanged(p, m) {
			continue
		}
		ok, seen := readable[m.App]
		if !seen {
			ok = migAppReadable(p, m.App)
			readable[m.App] = ok
		}
		if !ok {
			continue
		}
		var diffs []migDiff
		st := h.Model(m.App.Label, m.Name)
		switch {
		case st == nil:
			if p.Change.Touches(m.Path, cls.Line, cls.EndLine) {
				diffs = append(diffs, migDiff{
					path: m.Path, start: cls.Line, end: cls.Line, key: m.Table,
					contain: "CreateModel " + m.Key(),
					consequence: []string{fmt.Sprintf("the table %s does not exist: every query on %s fails with `no such table: %s` (SQLite) / `relation \"%s\" does not exist` (PostgreSQL), and nothing enforces its constraints",
						m.Table, m.Name, m.Table, m.Table)},
				})
			}
		case st.Opaque || st.Options.Proxy || st.Options.Managed != nil && !*st.Options.Managed:
			continue
		default:
			diffs = append(diffs, migFieldDiffs(p, m, cls, st)...)
			diffs = append(diffs, migTogetherDiff(p, m, cls, st)...)
			diffs = append(diffs, migConstraintDiffs(p, m, cls, st)...)
		}
		for _, d := range diffs {
			out = append(out, rule.finding(d.path, d.start, d.end, d.key, migMissingMessage(m, d)))
		}
	}
	return out
}

// migDangling reports the dependencies, on a line the change touches, of
// a migration on a migration of the project that the tree does not hold
// (django.Migration.Dangling). The replay leaves the apps involved opaque,
// so this is all the rule says about them.
func migDangling(rule *Rule, p *Pass) []Finding {
	var out []Finding
	for _, path := range slices.Sorted(maps.Keys(p.Change)) {
		f := p.Project.Files[path]
		if f == nil || f.Migration == nil {
			continue
		}
		m := f.Migration
		for _, d := range m.Dangling {
			line := m.DependencyLine(d)
			if line == 0 || !p.Change.Touches(path, line, line) {
				continue
			}
			out = append(out, rule.finding(path, line, line, "dependency "+d.App+"."+d.Name, migDanglingMessage(p, m, d)))
		}
	}
	return out
}

func migDanglingMessage(p *Pass, m *django.Migration, d django.MigrationRef) string {
	dir := p.Project.Apps[d.App].Dir
	var b strings.Builder
	fmt.Fprintf(&b, "The migration %s.%s depends on %s.%s, which is not in the repository: there is no %s/migrations/%s.py, and no squashed migration of app %s replaces it. ",
		m.App, m.Name, d.App, d.Name, dir, d.Name, d.App)
	fmt.Fprintf(&b, "Django cannot build the migration graph: `python manage.py migrate` stops before it applies anything, with `Migration %s.%s dependencies reference nonexistent parent node ('%s', '%s')` (NodeNotFoundError), and makemigrations and the test runner stop the same way.\n\n",
		m.App, m.Name, d.App, d.Name)
	fmt.Fprintf(&b, "Add %s.%s to the change if it was left out (it may sit on another branch), or make the dependency name the migration of %s/migrations/ that took its place.", d.App, d.Name, dir)
	return b.String()
}

func migMissingMessage(m *django.Model, d migDiff) string {
	label := m.App.Label
	var b strings.Builder
	what := "changed"
	if strings.HasPrefix(d.contain, "CreateModel") {
		what = "is new"
	}
	fmt.Fprintf(&b, "The model %s %s, but no migration of app %s follows it, so the database keeps the old schema. The missing migration must contain: %s.\n\n", m.Key(), what, label, d.contain)
	for _, c := range d.consequence {
		fmt.Fprintf(&b, "Until it runs, %s.\n", c)
	}
	fmt.Fprintf(&b, "\nCreate the migration, review it, and apply it:\n\n```\npython manage.py makemigrations %s\npython manage.py migrate %s\n```\n", label, label)
	fmt.Fprintf(&b, "`python manage.py showmigrations %s` lists what is applied; `python manage.py makemigrations --check` in CI catches a model change without its migration.", label)
	return b.String()
}

// migAppReadable reports whether app has a migrations package of Django's
// and the index read every migration in it, every operation included.
// South's migrations are not Django's: a package of them alone is an app
// whose models Django's migrations do not follow yet.
func migAppReadable(p *Pass, app *django.App) bool {
	prefix := app.Dir + "/migrations/"
	found, south, djangos := false, false, false
	for path, f := range p.Project.Files {
		rest, ok := strings.CutPrefix(path, prefix)
		if !ok || strings.Contains(rest, "/") {
			continue
		}
		found = true
		switch {
		case rest == "__init__.py":
		case f.SouthMigration:
			south = true
		case f.Migration == nil || f.HasErrors || f.Migration.Opaque:
			return false
		default:
			djangos = true
		}
	}
	return found && (djangos || !south)
}

// migModelInChange reports whether the change touches a file the model is
// written in: its own, or one of its bases' in the repository.
func migModelInChange(p *Pass, m *django.Model) bool {
	seen := map[*django.Model]bool{}
	var in func(m *django.Model) bool
	in = func(m *django.Model) bool {
		if seen[m] {
			return false
		}
		seen[m] = true
		if _, ok := p.Change[m.Path]; ok {
			return true
		}
		return slices.ContainsFunc(m.Bases, in)
	}
	return in(m)
}

// migAttrs compares what the database enforces for one field: the
// differences as keyword arguments of the missing AlterField, and their
// consequences until it runs.
func migAttrs(p *Pass, m *django.Model, st *migstate.ModelState, mf, sf *django.Field) (attrs, consequences []string) {
	table, col := st.Table(), sf.Column()
	ref := table + "." + col
	flag := func(key string) (mv, sv, ok bool) {
		mv, mk := migFlag(mf, key)
		sv, sk := migFlag(sf, key)
		return mv, sv, mk && sk && mv != sv
	}
	if mv, _, ok := flag("primary_key"); ok {
		attrs = append(attrs, fmt.Sprintf("primary_key=%s", migPy(mv)))
		consequences = append(consequences, fmt.Sprintf("the primary key of %s is not the one the model declares", table))
	} else if mu, mk := migUnique(mf); mk {
		if su, sk := migUnique(sf); sk && mu != su {
			attrs = append(attrs, fmt.Sprintf("unique=%s", migPy(mu)))
			if mu {
				consequences = append(consequences, fmt.Sprintf("%s has no unique constraint on %s: duplicates are stored without error, and the migration, once written, fails on them with `UNIQUE constraint failed: new__%s` (SQLite) / `could not create unique index` (PostgreSQL); remove them in a RunPython before its AlterField", table, col, ref))
			} else {
				consequences = append(consequences, fmt.Sprintf("the database keeps the unique constraint on %s: a write the model allows fails with `UNIQUE constraint failed: %s` (SQLite) / `duplicate key value violates unique constraint` (PostgreSQL)", col, ref))
			}
		}
	}
	if mv, _, ok := flag("null"); ok {
		attrs = append(attrs, fmt.Sprintf("null=%s", migPy(mv)))
		if mv {
			consequences = append(consequences, fmt.Sprintf("saving None in %s fails with `NOT NULL constraint failed: %s` (SQLite) / `null value in column \"%s\" of relation \"%s\" violates not-null constraint` (PostgreSQL)", mf.Name, ref, col, table))
		} else {
			consequences = append(consequences, fmt.Sprintf("the database accepts NULL in %s, which the model forbids", ref))
		}
	}
	if mf.HasDBDefault != sf.HasDBDefault {
		if mf.HasDBDefault {
			attrs = append(attrs, "db_default="+mf.Kwargs["db_default"])
			if migNotNull(sf) {
				consequences = append(consequences, fmt.Sprintf("%s has no database default: an insert that leaves %s to it fails with `NOT NULL constraint failed: %s` (SQLite) / `null value in column \"%s\" of relation \"%s\" violates not-null constraint` (PostgreSQL)", ref, mf.Name, ref, col, table))
			} else {
				consequences = append(consequences, fmt.Sprintf("%s has no database default: an insert that leaves %s to it stores NULL", ref, mf.Name))
			}
		} else {
			attrs = append(attrs, "no db_default")
			consequences = append(consequences, fmt.Sprintf("%s keeps its database default", ref))
		}
	}
	if mf.IsRelation() && sf.IsRelation() {
		if target := p.Project.RelatedModel(m, mf); target != nil && sf.To != "" && !strings.HasPrefix(sf.To, "settings.") {
			if want := strings.ToLower(target.App.Label + "." + target.Name); want != sf.To {
				attrs = append(attrs, fmt.Sprintf("to=%q", target.App.Label+"."+strings.ToLower(target.Name)))
				old := sf.To
				if prev := p.History().Models[sf.To]; prev != nil {
					old = prev.Table()
				}
				consequences = append(consequences, fmt.Sprintf("the foreign key on %s still points at %s: a write that refers to a %s fails with `FOREIGN KEY constraint failed` (SQLite) / `insert or update on table \"%s\" violates foreign key constraint` (PostgreSQL)", ref, old, target.Name, table))
			}
		}
		mc, mk := migDBConstraint(mf)
		sc, sk := migDBConstraint(sf)
		if mk && sk && mc != sc {
			attrs = append(attrs, fmt.Sprintf("db_constraint=%s", migPy(mc)))
			if mc {
				consequences = append(consequences, fmt.Sprintf("the database does not enforce the foreign key on %s: rows may point at missing parents", ref))
			} else {
				consequences = append(consequences, fmt.Sprintf("the database still enforces the foreign key on %s: deleting a parent that still has rows fails with `FOREIGN KEY constraint failed` (SQLite) / `update or delete on table ... violates foreign key constraint` (PostgreSQL)", ref))
			}
		}
	}
	return attrs, consequences
}

func migDBConstraint(f *django.Field) (value, known bool) {
	v, ok := f.Kwargs["db_constraint"]
	switch {
	case !ok, v == "True":
		return true, true
	case v == "False":
		return false, true
	}
	return false, false
}

func migPy(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// migFieldDiffs compares the fields of m with those of its state.
func migFieldDiffs(p *Pass, m *django.Model, cls *django.Class, st *migstate.ModelState) []migDiff {
	var out []migDiff
	explicitPK := slices.ContainsFunc(m.Fields, func(f *django.Field) bool { return f.PrimaryKey })
	for _, mf := range m.Fields {
		if mf.Type == "ManyToManyField" || mf.Opaque || !p.Change.Edits(mf.Path, mf.Line, mf.EndLine) {
			continue // an opaque field's columns and constraints are unknown; a field the change left alone is not its doing
		}
		name := m.Key() + "." + mf.Name
		sf := st.Field(mf.Name)
		if sf == nil {
			unique, _ := migUnique(mf)
			if !migNotNull(mf) && !unique && !mf.IsRelation() {
				continue
			}
			ref := st.Table() + "." + mf.Column()
			out = append(out, migDiff{
				path: mf.Path, start: mf.Line, end: mf.EndLine, key: ref,
				contain: "AddField " + name,
				consequence: []string{fmt.Sprintf("the column %s does not exist: every query on %s fails with `no such column: %s` (SQLite) / `column %s does not exist` (PostgreSQL)",
					ref, m.Name, ref, ref)},
			})
			continue
		}
		if sf.Type == "ManyToManyField" || sf.Opaque {
			continue
		}
		attrs, cons := migAttrs(p, m, st, mf, sf)
		if len(attrs) == 0 {
			continue
		}
		out = append(out, migDiff{
			path: mf.Path, start: mf.Line, end: mf.EndLine, key: st.Table() + "." + sf.Column(),
			contain:     "AlterField " + name + " " + strings.Join(attrs, ", "),
			consequence: cons,
		})
	}
	// A NOT NULL column the model dropped stays in the table, and inserts,
	// which no longer name it, fail. The change deleted its lines: the
	// finding goes where they were.
	// An opaque field may contribute columns of its own (a money field's
	// currency), which the migrations name and the model does not.
	opaque := slices.ContainsFunc(m.Fields, func(f *django.Field) bool { return f.Opaque })
	if _, ok := p.Change[m.Path]; ok && !opaque {
		start, end := migGoneAt(p, m.Path, cls)
		for _, sf := range st.Fields {
			if m.Field(sf.Name) != nil || sf.Type == "ManyToManyField" || sf.Kwargs["auto_created"] == "True" || !migNotNull(sf) || sf.HasDBDefault {
				continue
			}
			if sf.PrimaryKey && !explicitPK {
				continue // the implicit id
			}
			ref := st.Table() + "." + sf.Column()
			out = append(out, migDiff{
				path: m.Path, start: start, end: end, key: ref,
				contain: "RemoveField " + m.Key() + "." + sf.Name,
				consequence: []string{fmt.Sprintf("the NOT NULL column %s stays in the table, and every insert fails with `NOT NULL constraint failed: %s` (SQLite) / `null value in column \"%s\" of relation \"%s\" violates not-null constraint` (PostgreSQL)",
					ref, ref, sf.Column(), st.Table())},
			})
		}
	}
	return out
}

// migTogetherDiff compares unique_together, as sets of field tuples.
func migTogetherDiff(p *Pass, m *django.Model, cls *django.Class, st *migstate.ModelState) []migDiff {
	set := func(sets [][]string) map[string]bool {
		out := map[string]bool{}
		for _, s := range sets {
			out[strings.Join(s, ", ")] = true
		}
		return out
	}
	want, have := set(m.UniqueTogether), set(st.Options.UniqueTogether)
	var added, removed []string
	for _, s := range m.UniqueTogether {
		if !have[strings.Join(s, ", ")] {
			added = append(added, migTuple(s))
		}
	}
	for _, s := range st.Options.UniqueTogether {
		if !want[strings.Join(s, ", ")] {
			removed = append(removed, migTuple(s))
		}
	}
	if len(added) == 0 && len(removed) == 0 {
		return nil
	}
	slices.Sort(added)
	slices.Sort(removed)
	path := m.Path
	start, end, ok := migMetaLine(p, m.Path, cls, "unique_together")
	if !ok {
		start, end = migGoneAt(p, path, cls)
	}
	if !p.Change.Touches(path, start, end) {
		return nil
	}
	var now []string
	for _, s := range m.UniqueTogether {
		now = append(now, migTuple(s))
	}
	var cons []string
	if len(added) > 0 {
		cons = append(cons, fmt.Sprintf("%s does not enforce unique_together %s: duplicates are stored without error, and the migration, once written, fails on them; remove them in a RunPython before its AlterUniqueTogether", st.Table(), strings.Join(added, ", ")))
	}
	if len(removed) > 0 {
		cons = append(cons, fmt.Sprintf("the database keeps unique_together %s: a write the model allows fails with `UNIQUE constraint failed` (SQLite) / `duplicate key value violates unique constraint` (PostgreSQL)", strings.Join(removed, ", ")))
	}
	return []migDiff{{
		path: path, start: start, end: end, key: st.Table() + ".unique_together",
		contain:     fmt.Sprintf("AlterUniqueTogether %s unique_together={%s}", m.Key(), strings.Join(now, ", ")),
		consequence: cons,
	}}
}

// migTuple writes names as a Python tuple of strings.
func migTuple(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	if len(q) == 1 {
		return "(" + q[0] + ",)"
	}
	return "(" + strings.Join(q, ", ") + ")"
}

// migConstraintDiffs compares Meta.constraints by name.
func migConstraintDiffs(p *Pass, m *django.Model, cls *django.Class, st *migstate.ModelState) []migDiff {
	opaque := func(c *django.Constraint) bool { return c.Opaque }
	if slices.ContainsFunc(m.Constraints, opaque) || slices.ContainsFunc(st.Options.Constraints, opaque) {
		return nil // what one side enforces is unknown: no claim either way
	}
	var out []migDiff
	table := st.Table()
	names := map[string]bool{}
	for _, mc := range m.Constraints {
		name := migConstraintName(m, mc.Name)
		if name == "" {
			continue
		}
		names[name] = true
		path := migConstraintPath(p, m, mc)
		if path == "" || !p.Change.Touches(path, mc.Line, mc.EndLine) {
			continue
		}
		i := slices.IndexFunc(st.Options.Constraints, func(c *django.Constraint) bool { return c.Name == name })
		d := migDiff{path: path, start: mc.Line, end: mc.EndLine, key: table + "." + name}
		switch {
		case i < 0:
			d.contain = fmt.Sprintf("AddConstraint %s %s", m.Key(), name)
			d.consequence = []string{fmt.Sprintf("%s does not enforce %s: rows that violate it are stored without error, and the migration then fails on them", table, name)}
		case !migSameConstraint(mc, st.Options.Constraints[i]):
			d.contain = fmt.Sprintf("RemoveConstraint and AddConstraint %s %s", m.Key(), name)
			d.consequence = []string{fmt.Sprintf("the database enforces the old %s: a write the model allows may fail with %s", name, migViolation(table, name, st.Options.Constraints[i], st))}
		default:
			continue
		}
		out = append(out, d)
	}
	if _, ok := p.Change[m.Path]; !ok {
		return out
	}
	start, end, ok := migMetaLine(p, m.Path, cls, "constraints")
	if !ok {
		start, end = migGoneAt(p, m.Path, cls)
	}
	for _, sc := range st.Options.Constraints {
		if sc.Name == "" || names[sc.Name] {
			continue
		}
		out = append(out, migDiff{
			path: m.Path, start: start, end: end, key: table + "." + sc.Name,
			contain:     fmt.Sprintf("RemoveConstraint %s %s", m.Key(), sc.Name),
			consequence: []string{fmt.Sprintf("the database keeps %s: a write the model allows fails with %s", sc.Name, migViolation(table, sc.Name, sc, st))},
		})
	}
	return out
}

// migViolation quotes the error a write that breaks constraint c raises.
func migViolation(table, name string, c *django.Constraint, st *migstate.ModelState) string {
	if c.Kind == "check" {
		return fmt.Sprintf("`CHECK constraint failed: %s` (SQLite) / `new row for relation \"%s\" violates check constraint \"%s\"` (PostgreSQL)", name, table, name)
	}
	failed := "index '" + name + "'"
	if len(c.Fields) > 0 {
		failed = migQualified(table, migColumns(st, c.Fields))
	}
	return fmt.Sprintf("`UNIQUE constraint failed: %s` (SQLite) / `duplicate key value violates unique constraint \"%s\"` (PostgreSQL)", failed, name)
}

// migSameConstraint compares what the database sees of two constraints of
// the same name. Conditions and checks are compared by presence only: the
// model and the migration write the same Q object differently.
func migSameConstraint(a, b *django.Constraint) bool {
	if a.Kind != b.Kind || (a.Condition == "") != (b.Condition == "") {
		return false
	}
	if a.Kind == "unique" && a.Fields != nil && b.Fields != nil && !slices.Equal(a.Fields, b.Fields) {
		return false
	}
	return true
}

// migConstraintName interpolates %(app_label)s and %(class)s, which
// constraints of abstract bases use, as Django does.
func migConstraintName(m *django.Model, name string) string {
	name = strings.ReplaceAll(name, "%(app_label)s", strings.ToLower(m.App.Label))
	return strings.ReplaceAll(name, "%(class)s", strings.ToLower(m.Name))
}

// migConstraintPath returns the file whose Meta declares c: m's own, or
// that of the abstract base it came from.
func migConstraintPath(p *Pass, m *django.Model, c *django.Constraint) string {
	seen := map[*django.Model]bool{}
	var find func(m *django.Model) string
	find = func(m *django.Model) string {
		if seen[m] {
			return ""
		}
		seen[m] = true
		if cls := m.ClassOf(); cls != nil && slices.Contains(cls.Meta.Constraints, c) {
			return m.Path
		}
		for _, b := range m.Bases {
			if path := find(b); path != "" {
				return path
			}
		}
		return ""
	}
	return find(m)
}

// migGoneAt returns where to report what the change removed from the class
// (a field, unique_together, the constraints), which has no line of its own
// any more: the two lines around the first deletion inside the class, or
// after its last line (past the blank and comment lines that follow it,
// where git may place a deletion at the class's end); else the class line.
func migGoneAt(p *Pass, path string, cls *django.Class) (start, end int) {
	last := cls.EndLine + 1
	if f := p.Project.Files[path]; f != nil {
		lines := f.Lines()
		for last <= len(lines) {
			if s := strings.TrimSpace(lines[last-1]); s != "" && !strings.HasPrefix(s, "#") {
				break
			}
			last++
		}
	}
	if n, ok := p.Change.DeletedAt(path, cls.Line+1, last); ok {
		return n - 1, n
	}
	return cls.Line, cls.Line
}

// migMetaLine finds the lines of the assignment to attr in the class's
// Meta: from its first line to the last before the next statement at the
// same or a lower indentation.
func migMetaLine(p *Pass, path string, cls *django.Class, attr string) (start, end int, ok bool) {
	f := p.Project.Files[path]
	if f == nil {
		return 0, 0, false
	}
	lines := f.Lines()
	indentOf := func(s string) int { return len(s) - len(strings.TrimLeft(s, " \t")) }
	for i := cls.Line; i <= cls.EndLine && i <= len(lines); i++ {
		text := strings.TrimSpace(lines[i-1])
		rest, found := strings.CutPrefix(text, attr)
		if !found || !strings.HasPrefix(strings.TrimSpace(rest), "=") {
			continue
		}
		ind := indentOf(lines[i-1])
		end = i
		for j := i + 1; j <= cls.EndLine && j <= len(lines); j++ {
			if strings.TrimSpace(lines[j-1]) == "" {
				continue
			}
			if indentOf(lines[j-1]) <= ind && !strings.HasPrefix(strings.TrimSpace(lines[j-1]), ")") && !strings.HasPrefix(strings.TrimSpace(lines[j-1]), "]") && !strings.HasPrefix(strings.TrimSpace(lines[j-1]), "}") {
				break
			}
			end = j
		}
		return i, end, true
	}
	return 0, 0, false
}

// migModelUnchanged reports whether the change left the model as it was:
// its class and those of its bases in the repository stand in their files
// as before, up to layout (a formatter sweep), and no migration of its app
// changed what it does. A disagreement with the migrations is then older than the
// change (or comes from code the index does not follow, such as a field
// changed after the class), not something the change did.
func migModelUnchanged(p *Pass, m *django.Model) bool {
	prefix := m.App.Dir + "/migrations/"
	for path, cf := range p.Change {
		if strings.HasPrefix(path, prefix) && !migOnlyReformatted(p, cf, path) {
			return false
		}
	}
	seen := map[*django.Model]bool{}
	var same func(m *django.Model) bool
	same = func(m *django.Model) bool {
		if seen[m] {
			return true
		}
		seen[m] = true
		if _, changed := p.Change[m.Path]; changed {
			if cls := m.ClassOf(); cls == nil || !unchangedDef(p, m.Path, cls.Name) {
				return false
			}
		}
		for _, b := range m.Bases {
			if !same(b) {
				return false
			}
		}
		return true
	}
	return same(m)
}

// migOnlyReformatted reports whether a changed file of a migrations
// package does what it did before: an edited migration with the same
// operations (by what they do to which model), or a file that is not a
// migration.
func migOnlyReformatted(p *Pass, cf *ChangedFile, path string) bool {
	f := p.Project.Files[path]
	if f == nil || f.Migration == nil {
		return !strings.HasSuffix(path, ".py") || f != nil
	}
	old, known := migOldOps(p, cf, path)
	return known && !cf.Added && maps.Equal(old, migOps(f.Migration.Operations))
}
