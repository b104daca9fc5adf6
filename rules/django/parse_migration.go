package django

import (
	"path"
	"strings"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/djintegrity/djintegrity/rules/pyast"
)

// parseMigration reads the Migration class of a migration module. App is
// left empty; Build fills it with the label of the directory's app.
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
	m := &Migration{Name: strings.TrimSuffix(path.Base(f.Path), ".py"), Path: f.Path}
	for _, s := range pyast.Children(pyast.Field(cls, "body")) {
		if pyast.Kind(s) != "expression_statement" {
			continue
		}
		a := pyast.Unwrap(s.NamedChild(0))
		if a == nil || pyast.Kind(a) != "assignment" {
			continue
		}
		left, right := pyast.Field(a, "left"), pyast.Unwrap(pyast.Field(a, "right"))
		if left == nil || right == nil {
			continue
		}
		switch t.Text(left) {
		case "initial":
			m.Initial, _ = pyast.Bool(right)
		case "atomic":
			if b, ok := pyast.Bool(right); ok {
				m.Atomic = &b
			}
		case "dependencies":
			m.Dependencies = parseRefs(t, right)
		case "replaces":
			m.Replaces = parseRefs(t, right)
		case "operations":
			var complete bool
			m.Operations, complete = parseOperations(t, right, f.Path)
			m.Opaque = !complete
		}
	}
	return m
}

// parseRefs reads a list of ("app", "name") tuples. A swappable dependency
// (settings.AUTH_USER_MODEL) names no migration of this repository and is
// left out.
func parseRefs(t *pyast.Tree, list *sitter.Node) []MigrationRef {
	var out []MigrationRef
	for _, e := range pyast.Children(list) {
		if pair, ok := t.Strings(e); ok && len(pair) == 2 {
			out = append(out, MigrationRef{App: pair[0], Name: pair[1]})
		}
	}
	return out
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
	str := func(i int, k string) string { s, _ := t.String(call.Arg(i, k)); return s }
	switch op.Kind {
	case "CreateModel":
		op.Model = str(0, "name")
		parseCreateModel(t, call, op, p)
	case "AddField", "AlterField":
		op.Model, op.Name = str(0, "model_name"), str(1, "name")
		if fc := t.Call(call.Arg(2, "field")); fc != nil {
			op.Field = parseField(t, fc, op.Name, p)
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
		op.Options.DBTable = str(1, "table")
	case "AddConstraint":
		op.Model = str(0, "model_name")
		op.Constraint = parseConstraint(t, call.Arg(1, "constraint"))
	case "RemoveConstraint":
		op.Model, op.ConstraintName = str(0, "model_name"), str(1, "name")
	case "AlterUniqueTogether":
		op.Model = str(0, "name")
		op.UniqueTogether = parseTogether(t, call.Arg(1, "unique_together"))
	case "RunPython":
		code := call.Arg(0, "code")
		op.Code = t.Text(code)
		op.Noop = strings.HasSuffix(t.DottedName(code), "RunPython.noop")
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
		}
	default:
		// Other operations (AddIndex, third-party ones) may name their
		// model; the migration replay then knows what they touched.
		op.Model = str(-1, "model_name")
	}
	return op
}

// parseCreateModel reads the fields, options and bases of a CreateModel
// call into op.
func parseCreateModel(t *pyast.Tree, call *pyast.Call, op *Operation, p string) {
	if fields := pyast.Unwrap(call.Arg(1, "fields")); fields != nil {
		for _, pair := range pyast.Children(fields) {
			items := pyast.Children(pyast.Unwrap(pair))
			if len(items) != 2 {
				continue
			}
			name, ok := t.String(items[0])
			fc := t.Call(items[1])
			if !ok || fc == nil {
				continue
			}
			if f := parseField(t, fc, name, p); f != nil {
				op.Fields = append(op.Fields, f)
			}
		}
	}
	if opts := pyast.Unwrap(call.Arg(2, "options")); opts != nil && pyast.Kind(opts) == "dictionary" {
		for _, pair := range pyast.Children(opts) {
			if pyast.Kind(pair) != "pair" {
				continue
			}
			if k, ok := t.String(pyast.Field(pair, "key")); ok {
				op.Options.set(t, k, pyast.Field(pair, "value"))
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
	return parseMigration(t, &File{Path: path, Src: src})
}
