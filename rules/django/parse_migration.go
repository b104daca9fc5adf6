package django

import (
	"path"
	"strings"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/djintegrity/djintegrity/rules/pyast"
)

// parseMigration reads the Migration class of a migration module. App is
// left empty; Build fills it with the label of the directory's app. It
// returns nil, and marks f as South's, when the class is not one of
// Django's migrations (see isDjangoMigration).
func parseMigration(t *pyast.Tree, f *File) *Migration {
	var cls *sitter.Node
	for _, n := range pyast.Children(t.Root()) {
		if pyast.Kind(n) == "class_definition" && t.Text(pyast.Field(n, "name")) == "Migration" {
			cls = n
		}
	}
	if cls == nil {
		return nil
	}
	if !isDjangoMigration(t, f, cls) {
		f.SouthMigration = true
		return nil
	}
	m := &Migration{Name: strings.TrimSuffix(path.Base(f.Path), ".py"), Path: f.Path}
	eachAssignment(t, pyast.Field(cls, "body"), func(name string, right *sitter.Node) {
		right = pyast.Unwrap(right)
		if right == nil {
			return
		}
		switch name {
		case "initial":
			m.Initial, _ = pyast.Bool(right)
		case "atomic":
			if b, ok := pyast.Bool(right); ok {
				m.Atomic = &b
			}
		case "dependencies":
			m.Dependencies, m.depLines = parseRefs(t, right)
		case "replaces":
			m.Replaces, _ = parseRefs(t, right)
		case "operations":
			var complete bool
			m.Operations, complete = parseOperations(t, right, f.Path)
			m.Opaque = !complete
		}
	})
	return m
}

// djangoMigrationAttrs are class attributes only Django's migrations have;
// South's have depends_on, needed_by, models and complete_apps instead.
var djangoMigrationAttrs = map[string]bool{"operations": true, "dependencies": true, "replaces": true, "run_before": true, "initial": true}

// isDjangoMigration reports whether the Migration class cls of f is one of
// Django's: it derives from django.db.migrations.Migration, or, through a
// base of the project's own, assigns what only Django's migrations have.
// South's migrations (South was Django's migration tool before 1.7; its
// folders are also named migrations) derive from south.v2's
// SchemaMigration or DataMigration, or from nothing, and run forwards()
// and backwards() with `from south.db import db`: Django cannot load them,
// so they are no part of the app's migration history.
func isDjangoMigration(t *pyast.Tree, f *File, cls *sitter.Node) bool {
	if sup := pyast.Field(cls, "superclasses"); sup != nil {
		for _, b := range pyast.Children(sup) {
			name := t.DottedName(b)
			q, imported := f.importedName(name)
			switch {
			case imported && (q == "south" || strings.HasPrefix(q, "south.")):
				return false
			case q == "django.db.migrations.Migration" || !imported && name == "migrations.Migration":
				return true
			}
		}
	}
	for _, s := range pyast.Children(pyast.Field(cls, "body")) {
		if pyast.Kind(s) != "expression_statement" {
			continue
		}
		if a := pyast.Unwrap(s.NamedChild(0)); a != nil && pyast.Kind(a) == "assignment" && djangoMigrationAttrs[t.Text(pyast.Field(a, "left"))] {
			return true
		}
	}
	return false
}

// parseRefs reads a list of ("app", "name") tuples, and the line of each.
// A swappable dependency (settings.AUTH_USER_MODEL) names no migration of
// this repository and is left out.
func parseRefs(t *pyast.Tree, list *sitter.Node) ([]MigrationRef, map[MigrationRef]int) {
	var out []MigrationRef
	lines := map[MigrationRef]int{}
	for _, e := range pyast.Children(list) {
		if pair, ok := t.Strings(e); ok && len(pair) == 2 {
			ref := MigrationRef{App: pair[0], Name: pair[1]}
			out = append(out, ref)
			if _, seen := lines[ref]; !seen {
				lines[ref] = pyast.Line(e)
			}
		}
	}
	return out, lines
}

// parseOperations reads a literal list of operation calls. complete is
// false when the list is built by code (a comprehension, a concatenation,
// a name, a spliced *list) or holds an element that is not a call: then
// what the migration does is not all known.
func parseOperations(t *pyast.Tree, list *sitter.Node, p string) (ops []*Operation, complete bool) {
	if pyast.Kind(list) != "list" && pyast.Kind(list) != "tuple" {
		return nil, false
	}
	complete = true
	for _, e := range pyast.Children(list) {
		if pyast.Kind(e) == "comment" {
			continue
		}
		op := parseOperation(t, e, p)
		if op == nil {
			complete = false
			continue
		}
		if op.Kind == "SeparateDatabaseAndState" && op.partial {
			complete = false
		}
		ops = append(ops, op)
	}
	return ops, complete
}

// parseOperation reads one operation call. Unknown operations are kept with
// their Kind so that a rule can tell that something happened in between.
func parseOperation(t *pyast.Tree, n *sitter.Node, p string) *Operation {
	call := t.Call(n)
	if call == nil {
		return nil
	}
	callee := t.DottedName(call.Func)
	if callee == "" {
		return nil
	}
	op := &Operation{
		Kind:    callee[strings.LastIndexByte(callee, '.')+1:],
		Line:    pyast.Line(call.Node),
		EndLine: pyast.EndLine(call.Node),
	}
	// str reads an argument the operation needs: one that is not a string
	// literal leaves it unread.
	str := func(i int, k string) string {
		s, ok := t.String(call.Arg(i, k))
		if !ok {
			op.Unread = true
		}
		return s
	}
	switch op.Kind {
	case "CreateModel":
		op.Model = str(0, "name")
		parseCreateModel(t, call, op, p)
	case "AddField", "AlterField":
		op.Model, op.Name = str(0, "model_name"), str(1, "name")
		if fc := t.Call(call.Arg(2, "field")); fc != nil {
			op.Field = parseField(t, fc, op.Name, p)
		} else {
			op.Unread = true
		}
		if b, ok := pyast.Bool(call.Arg(3, "preserve_default")); ok && !b {
			op.Preserve = true
		}
	case "RemoveField":
		op.Model, op.Name = str(0, "model_name"), str(1, "name")
	case "RenameField":
		op.Model, op.OldName, op.NewName = str(0, "model_name"), str(1, "old_name"), str(2, "new_name")
	case "RenameModel":
		op.OldName, op.NewName = str(0, "old_name"), str(1, "new_name")
	case "DeleteModel":
		op.Model = str(0, "name")
	case "AlterModelTable":
		op.Model = str(0, "name")
		if table := pyast.Unwrap(call.Arg(1, "table")); table == nil || pyast.Kind(table) != "none" {
			op.Options.DBTable = str(1, "table")
		}
	case "AddConstraint":
		op.Model = str(0, "model_name")
		op.Constraint = parseConstraint(t, call.Arg(1, "constraint"))
		op.Unread = op.Unread || op.Constraint == nil
	case "RemoveConstraint":
		op.Model, op.ConstraintName = str(0, "model_name"), str(1, "name")
	case "AlterUniqueTogether":
		op.Model = str(0, "name")
		var ok bool
		op.UniqueTogether, ok = parseTogether(t, call.Arg(1, "unique_together"))
		op.Unread = op.Unread || !ok
	case "RunPython":
		code := call.Arg(0, "code")
		op.Code = t.Text(code)
		op.Noop = strings.HasSuffix(t.DottedName(code), "RunPython.noop")
		if b, ok := pyast.Bool(call.Arg(2, "atomic")); ok {
			op.Atomic = &b
		}
	case "RunSQL":
		code := call.Arg(0, "sql")
		op.Code = t.Text(code)
		if d := t.DottedName(code); strings.HasSuffix(d, "RunSQL.noop") {
			op.Noop = true
		} else if s, ok := t.String(code); ok && strings.TrimSpace(s) == "" {
			op.Noop = true
		}
	case "SeparateDatabaseAndState":
		if l := pyast.Unwrap(call.Arg(0, "database_operations")); l != nil {
			var complete bool
			op.DatabaseOperations, complete = parseOperations(t, l, p)
			op.partial = op.partial || !complete
		}
		if l := pyast.Unwrap(call.Arg(1, "state_operations")); l != nil {
			var complete bool
			op.StateOperations, complete = parseOperations(t, l, p)
			op.partial = op.partial || !complete
			op.Unread = !complete // the state it leaves is not known
		}
	default:
		// Other operations (AddIndex, third-party ones) may name their
		// model; the migration replay then knows what they touched.
		op.Model, _ = t.String(call.Arg(-1, "model_name"))
	}
	return op
}

// parseCreateModel reads the fields, options and bases of a CreateModel
// call into op.
func parseCreateModel(t *pyast.Tree, call *pyast.Call, op *Operation, p string) {
	fields := pyast.Unwrap(call.Arg(1, "fields"))
	if fields == nil || pyast.Kind(fields) != "list" && pyast.Kind(fields) != "tuple" {
		op.Unread = true // built by code: which fields is not known
		return
	}
	for _, pair := range pyast.Children(fields) {
		if pyast.Kind(pair) == "comment" {
			continue
		}
		items := pyast.Children(pyast.Unwrap(pair))
		if len(items) != 2 {
			op.Unread = true
			continue
		}
		name, ok := t.String(items[0])
		fc := t.Call(items[1])
		if !ok || fc == nil {
			op.Unread = true
			continue
		}
		// A call that is no field class (a manager of a library) has
		// no column, on the model's side as here.
		if f := parseField(t, fc, name, p); f != nil {
			op.Fields = append(op.Fields, f)
		}
	}
	if opts := pyast.Unwrap(call.Arg(2, "options")); opts != nil {
		if pyast.Kind(opts) != "dictionary" {
			op.Unread = true // options built by code: unique_together, db_table... unknown
		}
		for _, pair := range pyast.Children(opts) {
			switch pyast.Kind(pair) {
			case "comment":
			case "pair":
				k, ok := t.String(pyast.Field(pair, "key"))
				if !ok {
					op.Unread = true
					continue
				}
				v := pyast.Field(pair, "value")
				op.Options.set(t, k, v)
				if _, read := parseTogether(t, v); k == "unique_together" && !read {
					op.Unread = true
				}
			default: // **OPTIONS
				op.Unread = true
			}
		}
	}
	if bases := pyast.Unwrap(call.Arg(3, "bases")); bases != nil {
		for _, b := range pyast.Children(bases) {
			if s, ok := t.String(b); ok {
				op.Bases = append(op.Bases, s)
			} else if d := t.DottedName(b); d != "" {
				op.Bases = append(op.Bases, d)
			}
		}
	}
}

// ParseMigrationSource parses one migration module on its own, outside any
// project: a rule uses it to read a migration as it was before the change.
// It returns nil when src holds no Migration class.
func ParseMigrationSource(path string, src []byte) *Migration {
	t := pyast.Parse(src)
	defer t.Close()
	f := &File{Path: path, Module: modulePath(path), Src: src, Imports: map[string]string{}}
	for _, n := range pyast.Children(t.Root()) {
		if k := pyast.Kind(n); k == "import_statement" || k == "import_from_statement" {
			f.addImport(t, n)
		}
	}
	return parseMigration(t, f)
}
