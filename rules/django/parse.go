package django

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/djintegrity/djintegrity/rules/django/writesite"
	"github.com/djintegrity/djintegrity/rules/pyast"
)

// ParseSource indexes one file on its own, outside any project: its
// classes as written (fields, Meta), imports and write sites. Rules use it
// to read a file as it was before the change.
func ParseSource(path string, src []byte) *File {
	f, _ := parseFile(context.Background(), path, modulePath(path), src) // fails only when its context ends
	return f
}

// parseFile indexes one file, whose dotted module name is module (see
// layout): everything that needs the tree is taken out of it here, so that
// the tree can be closed before the next file. It fails only when ctx
// ends, mid-parse or between statements.
func parseFile(ctx context.Context, p, module string, src []byte) (*File, error) {
	t, err := pyast.ParseContext(ctx, src)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	defer t.Close()
	f := &File{
		Path:      p,
		Module:    module,
		Src:       src,
		HasErrors: t.HasError(),
		Imports:   map[string]string{},
	}
	root := t.Root()
	for _, n := range pyast.Children(root) {
		switch pyast.Kind(n) {
		case "import_statement", "import_from_statement":
			f.addImport(t, n)
		case "class_definition":
			f.Classes = append(f.Classes, parseClass(t, n, p))
		case "decorated_definition":
			if d := pyast.Field(n, "definition"); d != nil && pyast.Kind(d) == "class_definition" {
				f.Classes = append(f.Classes, parseClass(t, d, p))
			}
		case "if_statement", "try_statement":
			// Conditional imports (try: import x except ImportError) still bind names.
			pyast.Walk(n, func(c *sitter.Node) bool {
				if pyast.Kind(c) == "import_statement" || pyast.Kind(c) == "import_from_statement" {
					f.addImport(t, c)
					return false
				}
				return pyast.Kind(c) != "function_definition" && pyast.Kind(c) != "class_definition"
			})
		}
	}
	if bytes.Contains(src, []byte("_meta.get_field(")) {
		f.patchedFields(t, root)
	}
	if hasAtomicRequestsMarker(src) {
		f.atomicRequests = findAtomicRequests(t)
	}
	if hasSettingsMarker(src) {
		f.authUserModel, f.installedApps = findSettings(t)
	}
	f.userModelNames = f.findUserModelAliases(t, root)
	if isMigrationPath(p) {
		f.Migration = parseMigration(t, f)
	}
	if f.Writes, f.Functions, err = writesite.Extract(ctx, t, f.importedName); err != nil {
		return nil, fmt.Errorf("%s: %w", p, err)
	}
	return f, nil
}

// patchedFields makes opaque the fields that the module changes after their
// class, as `Tag._meta.get_field("group").null = True` or through a name
// bound to the field: what the class body says of them no longer holds,
// and the index does not follow the assignments.
func (f *File) patchedFields(t *pyast.Tree, root *sitter.Node) {
	// getField returns the class and field a `<Class>._meta.get_field("x")`
	// call names.
	getField := func(n *sitter.Node) (cls, field string, ok bool) {
		c := t.Call(pyast.Unwrap(n))
		if c == nil {
			return "", "", false
		}
		callee := t.DottedName(c.Func)
		cls, found := strings.CutSuffix(callee, "._meta.get_field")
		if !found || strings.Contains(cls, ".") {
			return "", "", false
		}
		field, ok = t.String(c.Arg(0, "field_name"))
		return cls, field, ok
	}
	bound := map[string][2]string{}
	for _, n := range pyast.Children(root) {
		if pyast.Kind(n) != "expression_statement" {
			continue
		}
		a := pyast.Children(n)
		if len(a) != 1 || pyast.Kind(a[0]) != "assignment" {
			continue
		}
		left, right := pyast.Field(a[0], "left"), pyast.Field(a[0], "right")
		if pyast.Kind(left) == "identifier" {
			if cls, field, ok := getField(right); ok {
				bound[t.Text(left)] = [2]string{cls, field}
			}
			continue
		}
		if pyast.Kind(left) != "attribute" {
			continue
		}
		obj := pyast.Field(left, "object")
		target, ok := bound[t.Text(obj)]
		if !ok {
			if cls, field, named := getField(obj); named {
				target, ok = [2]string{cls, field}, true
			}
		}
		if !ok {
			continue
		}
		for _, c := range f.Classes {
			if c.Name != target[0] {
				continue
			}
			c.Patched = append(c.Patched, target[1])
			for _, fl := range c.Fields {
				if fl.Name == target[1] {
					fl.Opaque = true
				}
			}
		}
	}
}

// modulePath turns "shop/models/__init__.py" into "shop.models".
func modulePath(p string) string {
	p = strings.TrimSuffix(p, ".py")
	p = strings.TrimSuffix(p, "/__init__")
	if p == "__init__" {
		return ""
	}
	return strings.ReplaceAll(p, "/", ".")
}

// isMigrationPath reports whether p is a migration module: a file in a
// directory named migrations, other than the package's __init__.py.
func isMigrationPath(p string) bool {
	dir, base := path.Split(p)
	return path.Base(strings.TrimSuffix(dir, "/")) == "migrations" &&
		strings.HasSuffix(base, ".py") && base != "__init__.py"
}

// addImport records the names an import statement binds.
func (f *File) addImport(t *pyast.Tree, n *sitter.Node) {
	switch pyast.Kind(n) {
	case "import_statement":
		for _, c := range pyast.Children(n) {
			switch pyast.Kind(c) {
			case "dotted_name":
				// `import a.b` binds a; `a.b.X` then resolves through it.
				name := t.Text(c)
				first, _, dotted := strings.Cut(name, ".")
				f.Imports[first] = first
				if dotted {
					f.dottedImports = append(f.dottedImports, name)
				}
			case "aliased_import":
				f.Imports[t.Text(pyast.Field(c, "alias"))] = t.Text(pyast.Field(c, "name"))
			}
		}
	case "import_from_statement":
		modNode := pyast.Field(n, "module_name")
		if modNode == nil {
			return
		}
		mod := f.absModule(t.Text(modNode))
		for _, c := range pyast.Children(n) {
			if c.Equals(*modNode) {
				continue
			}
			switch pyast.Kind(c) {
			case "dotted_name":
				f.Imports[t.Text(c)] = joinModule(mod, t.Text(c))
			case "aliased_import":
				f.Imports[t.Text(pyast.Field(c, "alias"))] = joinModule(mod, t.Text(pyast.Field(c, "name")))
			case "wildcard_import":
				f.StarImports = append(f.StarImports, mod)
			}
		}
	}
}

// absModule resolves a relative module name (".models", "..core") against
// the file's package.
func (f *File) absModule(mod string) string {
	if !strings.HasPrefix(mod, ".") {
		return mod
	}
	dots := len(mod) - len(strings.TrimLeft(mod, "."))
	rest := mod[dots:]
	pkg := f.Module
	if !strings.HasSuffix(f.Path, "/__init__.py") && f.Path != "__init__.py" {
		pkg = parentModule(pkg) // a module's package is its parent
	}
	for i := 1; i < dots; i++ {
		pkg = parentModule(pkg)
	}
	return joinModule(pkg, rest)
}

// importedName turns a dotted name used in the file into the fully
// qualified name its imports give it; ok is false when the first name is
// not imported.
func (f *File) importedName(name string) (q string, ok bool) {
	first, rest, _ := strings.Cut(name, ".")
	target, ok := f.Imports[first]
	if !ok {
		return name, false
	}
	return joinModule(target, rest), true
}

func parentModule(m string) string {
	if i := strings.LastIndexByte(m, '.'); i >= 0 {
		return m[:i]
	}
	return ""
}

func joinModule(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "." + b
}

// parseClass reads a class body: field assignments, managers, Meta.
func parseClass(t *pyast.Tree, n *sitter.Node, p string) *Class {
	c := &Class{
		Name:    t.Text(pyast.Field(n, "name")),
		Line:    pyast.Line(n),
		EndLine: pyast.EndLine(n),
	}
	if sup := pyast.Field(n, "superclasses"); sup != nil {
		for _, b := range pyast.Children(sup) {
			if name := t.DottedName(b); name != "" {
				c.Bases = append(c.Bases, name)
			}
		}
	}
	body := pyast.Field(n, "body")
	for _, s := range pyast.Children(body) {
		switch pyast.Kind(s) {
		case "expression_statement":
			a := pyast.Unwrap(s.NamedChild(0))
			if a == nil || pyast.Kind(a) != "assignment" {
				continue
			}
			left, right := pyast.Field(a, "left"), pyast.Field(a, "right")
			if left == nil || pyast.Kind(left) != "identifier" || right == nil {
				continue
			}
			name := t.Text(left)
			switch name {
			case "label", "name":
				if v, ok := t.String(right); ok && (name == "label" || c.AppConfig == "") {
					c.AppConfig = v
					c.AppConfigLabel = name == "label"
					if name == "name" {
						c.AppConfig = v[strings.LastIndexByte(v, '.')+1:]
					}
				}
			}
			if pyast.Kind(right) == "none" {
				c.Removed = append(c.Removed, name) // removes a field an abstract base declares
				continue
			}
			if d := t.DottedName(right); d != "" && (name == "model" || name == "form_class") {
				if c.Attrs == nil {
					c.Attrs = map[string]string{}
				}
				c.Attrs[name] = d
			}
			call := t.Call(right)
			if call == nil {
				continue
			}
			callee := t.DottedName(call.Func)
			if f := parseField(t, call, name, p); f != nil {
				c.Fields = append(c.Fields, f)
			} else if strings.HasSuffix(callee, "Manager") || strings.HasSuffix(callee, ".as_manager") || strings.HasSuffix(callee, "from_queryset") {
				c.Managers = append(c.Managers, name)
				if c.ManagerClasses == nil {
					c.ManagerClasses = map[string]string{}
				}
				c.ManagerClasses[name] = callee
			}
		case "class_definition":
			if inner := t.Text(pyast.Field(s, "name")); inner != "Meta" {
				if c.Inner == nil {
					c.Inner = map[string][]string{}
				}
				c.Inner[inner] = assignedNames(t, pyast.Field(s, "body"))
			}
			if t.Text(pyast.Field(s, "name")) == "Meta" {
				c.HasMeta = true
				c.Meta = parseMeta(t, pyast.Field(s, "body"))
				if sup := pyast.Field(s, "superclasses"); sup != nil {
					for _, b := range pyast.Children(sup) {
						if d := t.DottedName(b); d != "" {
							c.MetaBases = append(c.MetaBases, d)
						}
					}
				}
			}
		case "function_definition", "decorated_definition":
			fd := s
			if pyast.Kind(s) == "decorated_definition" {
				fd = pyast.Field(s, "definition")
			}
			if fd != nil && pyast.Kind(fd) == "function_definition" {
				name := t.Text(pyast.Field(fd, "name"))
				c.Methods = append(c.Methods, name)
				switch name {
				case "get_queryset":
					c.QuerysetFilter, c.QuerysetOpaque = parseQuerysetFilter(t, pyast.Field(fd, "body"))
				case "save":
					c.SavePK = parseSavePK(t, pyast.Field(fd, "body"))
					c.SaveReads = parseSaveReads(t, pyast.Field(fd, "body"))
				case "handle_exception":
					c.HandlesIntegrity = strings.Contains(t.Text(pyast.Field(fd, "body")), "IntegrityError")
				}
			}
		}
	}
	return c
}

// parseQuerysetFilter reads a get_queryset() body that is one return of
// `<queryset>.filter(k=v, ...)` (super().get_queryset(), QuerySet(...),
// any receiver): its keyword terms. opaque is true for any other body: the
// rows the manager sees are unknown.
func parseQuerysetFilter(t *pyast.Tree, body *sitter.Node) (terms [][2]string, opaque bool) {
	var stmts []*sitter.Node
	for _, s := range pyast.Children(body) {
		switch pyast.Kind(s) {
		case "comment":
		case "expression_statement":
			if e := s.NamedChild(0); e != nil && pyast.Kind(e) == "string" {
				continue // a docstring
			}
			stmts = append(stmts, s)
		default:
			stmts = append(stmts, s)
		}
	}
	if len(stmts) != 1 || pyast.Kind(stmts[0]) != "return_statement" {
		return nil, true
	}
	c := t.Call(pyast.Unwrap(stmts[0].NamedChild(0)))
	if c == nil || c.StarArgs || len(c.Args) > 0 || len(c.KwOrder) == 0 {
		return nil, true
	}
	fn := pyast.Unwrap(c.Func)
	if fn == nil || pyast.Kind(fn) != "attribute" || t.Text(pyast.Field(fn, "attribute")) != "filter" {
		return nil, true
	}
	for _, k := range c.KwOrder {
		terms = append(terms, [2]string{k, t.Text(c.Kwargs[k])})
	}
	return terms, false
}

// parseSavePK returns the integer literal a save() body assigns to self.pk
// or self.id at its top level (`self.pk = 1`, `self.pk = self.id = 1`),
// or "".
func parseSavePK(t *pyast.Tree, body *sitter.Node) string {
	for _, s := range pyast.Children(body) {
		if pyast.Kind(s) != "expression_statement" {
			continue
		}
		a := pyast.Unwrap(s.NamedChild(0))
		var targets []*sitter.Node
		for a != nil && pyast.Kind(a) == "assignment" {
			targets = append(targets, pyast.Field(a, "left"))
			a = pyast.Field(a, "right")
		}
		if a == nil || pyast.Kind(a) != "integer" {
			continue
		}
		for _, l := range targets {
			if name := t.DottedName(l); name == "self.pk" || name == "self.id" {
				return t.Text(a)
			}
		}
	}
	return ""
}

// parseSaveReads returns the attributes of self that a save() body reads
// before its first call of a save() (super().save(), Model.save(self)):
// `self.x` anywhere but as the target of an assignment, once each.
func parseSaveReads(t *pyast.Tree, body *sitter.Node) []string {
	var out []string
	saved := false
	var visit func(n *sitter.Node) bool
	visit = func(n *sitter.Node) bool {
		if saved {
			return false
		}
		switch pyast.Kind(n) {
		case "call":
			if fn := pyast.Field(n, "function"); fn != nil && pyast.Kind(fn) == "attribute" && t.Text(pyast.Field(fn, "attribute")) == "save" {
				saved = true
				return false
			}
		case "assignment", "augmented_assignment":
			// The target is written, not read; an attribute of it is read
			// (`self.a.b = ...` reads self.a), and `self.x += 1` reads x.
			if l := pyast.Field(n, "left"); l != nil && pyast.Kind(l) == "attribute" {
				pyast.Walk(pyast.Field(l, "object"), visit)
				if pyast.Kind(n) == "augmented_assignment" {
					out = selfRead(t, l, out)
				}
				pyast.Walk(pyast.Field(n, "right"), visit)
				return false
			}
		}
		out = selfRead(t, n, out)
		return true
	}
	pyast.Walk(body, visit)
	return out
}

// selfRead adds x to out when n is `self.x` and out lacks it.
func selfRead(t *pyast.Tree, n *sitter.Node, out []string) []string {
	if pyast.Kind(n) != "attribute" {
		return out
	}
	if o := pyast.Field(n, "object"); o == nil || pyast.Kind(o) != "identifier" || t.Text(o) != "self" {
		return out
	}
	name := t.Text(pyast.Field(n, "attribute"))
	if slices.Contains(out, name) {
		return out
	}
	return append(out, name)
}

// eachAssignment calls fn for each statement of block that assigns one
// name (`name = right`; right is nil for an annotation alone).
func eachAssignment(t *pyast.Tree, block *sitter.Node, fn func(name string, right *sitter.Node)) {
	for _, s := range pyast.Children(block) {
		if pyast.Kind(s) != "expression_statement" {
			continue
		}
		a := pyast.Unwrap(s.NamedChild(0))
		if a == nil || pyast.Kind(a) != "assignment" {
			continue
		}
		if left := pyast.Field(a, "left"); left != nil && pyast.Kind(left) == "identifier" {
			fn(t.Text(left), pyast.Field(a, "right"))
		}
	}
}

// assignedNames lists the names a class body assigns at its top level.
func assignedNames(t *pyast.Tree, body *sitter.Node) []string {
	var out []string
	eachAssignment(t, body, func(name string, _ *sitter.Node) { out = append(out, name) })
	return out
}

// fieldTypeName returns the class name of a field constructor call
// ("models.CharField" -> "CharField"), or "" when the callee does not look
// like a Django field.
func fieldTypeName(callee string) string {
	name := callee[strings.LastIndexByte(callee, '.')+1:]
	// mptt's TreeForeignKey, a ForeignKey by another name, is a field (an
	// opaque one): a column the migrations have and the model must too.
	if strings.HasSuffix(name, "Field") || name == "ForeignKey" || name == "ParentalKey" || name == "TreeForeignKey" {
		return name
	}
	return ""
}

// djangoFields are the field classes of Django itself (django.db.models,
// contrib.postgres, contrib.gis) and modelcluster's ParentalKey (a plain
// foreign key): what their arguments mean is known.
var djangoFields = map[string]bool{
	"AutoField": true, "BigAutoField": true, "SmallAutoField": true,
	"BigIntegerField": true, "BinaryField": true, "BooleanField": true, "CharField": true,
	"CommaSeparatedIntegerField": true, "DateField": true, "DateTimeField": true,
	"DecimalField": true, "DurationField": true, "EmailField": true, "FileField": true,
	"FilePathField": true, "FloatField": true, "GeneratedField": true,
	"GenericIPAddressField": true, "IPAddressField": true, "ImageField": true,
	"IntegerField": true, "JSONField": true, "NullBooleanField": true,
	"PositiveBigIntegerField": true, "PositiveIntegerField": true,
	"PositiveSmallIntegerField": true, "SlugField": true, "SmallIntegerField": true,
	"TextField": true, "TimeField": true, "URLField": true, "UUIDField": true,
	"ForeignKey": true, "OneToOneField": true, "ManyToManyField": true, "ParentalKey": true,
	"ArrayField": true, "HStoreField": true, "CICharField": true, "CIEmailField": true,
	"CITextField": true, "IntegerRangeField": true, "BigIntegerRangeField": true,
	"DecimalRangeField": true, "DateTimeRangeField": true, "DateRangeField": true,
	"SearchVectorField": true,
	"GeometryField":     true, "PointField": true, "LineStringField": true, "PolygonField": true,
	"MultiPointField": true, "MultiLineStringField": true, "MultiPolygonField": true,
	"GeometryCollectionField": true, "RasterField": true,
}

// isDjangoField reports whether a field constructor's callee, as written,
// names one of Django's own field classes: a known name, bare, behind a
// module alias ("models.", "fields.") or behind Django's package path
// ("django.contrib.postgres.fields.").
// Anything else (a project's or a library's subclass) may force null=True,
// add a default or contribute several columns in its __init__.
func isDjangoField(callee string) bool {
	mod, name := "", callee
	if i := strings.LastIndexByte(callee, '.'); i >= 0 {
		mod, name = callee[:i], callee[i+1:]
	}
	// Bare, behind an alias of a module ("models.", "m."), or behind
	// Django's own package path.
	return djangoFields[name] && (!strings.Contains(mod, ".") || strings.HasPrefix(mod, "django."))
}

// parseField reads a field constructor call; nil when it is not one.
func parseField(t *pyast.Tree, call *pyast.Call, name, p string) *Field {
	callee := t.DottedName(call.Func)
	typ := fieldTypeName(callee)
	if typ == "" {
		return nil
	}
	f := &Field{
		Opaque:       !isDjangoField(callee),
		Name:         name,
		Type:         typ,
		Path:         p,
		Line:         pyast.Line(call.Node),
		EndLine:      pyast.EndLine(call.Node),
		DBConstraint: true,
		Kwargs:       map[string]string{},
	}
	for _, k := range call.KwOrder {
		f.Kwargs[k] = t.Text(call.Kwargs[k])
	}
	flag := func(k string) bool { v, _ := pyast.Bool(call.Kwargs[k]); return v }
	f.PrimaryKey = flag("primary_key")
	f.Unique = flag("unique") || f.PrimaryKey || typ == "OneToOneField"
	// NullBooleanField sets null=True in its __init__, whatever is passed.
	f.Null = flag("null") || (typ == "NullBooleanField" && !f.Opaque)
	_, f.HasDefault = call.Kwargs["default"]
	_, f.HasDBDefault = call.Kwargs["db_default"]
	f.AutoNow = flag("auto_now") || flag("auto_now_add")
	if v, ok := t.String(call.Kwargs["db_column"]); ok {
		f.DBColumn = v
	}
	if v, ok := call.Kwargs["db_constraint"]; ok {
		if b, isBool := pyast.Bool(v); isBool {
			f.DBConstraint = b
		}
	}
	if f.IsRelation() || typ == "ManyToManyField" {
		if to := call.Arg(0, "to"); to != nil {
			if s, ok := t.String(to); ok {
				f.To = s
			} else {
				f.To = t.DottedName(to)
			}
		}
		if od := call.Arg(1, "on_delete"); od != nil {
			od = pyast.Unwrap(od)
			if dn := t.DottedName(od); dn != "" {
				f.OnDelete = dn[strings.LastIndexByte(dn, '.')+1:]
			} else if c := t.Call(od); c != nil { // models.SET(...)
				dn := t.DottedName(c.Func)
				f.OnDelete = dn[strings.LastIndexByte(dn, '.')+1:]
			}
		}
	}
	return f
}

// parseMeta reads the assignments of a Meta class body (or of a
// CreateModel options dict, through parseOptions).
func parseMeta(t *pyast.Tree, body *sitter.Node) Meta {
	var m Meta
	eachAssignment(t, body, func(name string, right *sitter.Node) { m.set(t, name, right) })
	return m
}

// set applies one Meta option.
func (m *Meta) set(t *pyast.Tree, key string, v *sitter.Node) {
	switch key {
	case "abstract":
		m.Abstract, _ = pyast.Bool(v)
	case "proxy":
		m.Proxy, _ = pyast.Bool(v)
	case "managed":
		if b, ok := pyast.Bool(v); ok {
			m.Managed = &b
		}
	case "db_table":
		m.DBTable, _ = t.String(v)
	case "app_label":
		m.AppLabel, _ = t.String(v)
	case "unique_together":
		m.UniqueTogether, _ = parseTogether(t, v)
	case "model":
		m.Model = t.DottedName(pyast.Unwrap(v))
	case "fields", "exclude":
		var names []string
		if s, ok := t.String(v); ok {
			m.AllFields = key == "fields" && s == "__all__"
			break
		}
		if v = pyast.Unwrap(v); v != nil {
			for _, e := range pyast.Children(v) {
				if s, ok := t.String(e); ok {
					names = append(names, s)
				}
			}
		}
		if key == "fields" {
			m.Fields = names
		} else {
			m.Exclude = names
		}
	case "constraints":
		m.HasConstraints = true
		v = pyast.Unwrap(v)
		if v == nil {
			return
		}
		// A list built by code (Base.Meta.constraints + [...], *BASE) holds
		// constraints the index cannot see: an opaque one stands for them,
		// so that no rule calls one missing.
		if k := pyast.Kind(v); k != "list" && k != "tuple" {
			m.Constraints = append(m.Constraints, &Constraint{Opaque: true, Line: pyast.Line(v), EndLine: pyast.EndLine(v)})
			return
		}
		for _, e := range pyast.Children(v) {
			if pyast.Kind(e) == "comment" {
				continue
			}
			c := parseConstraint(t, e)
			if c == nil {
				c = &Constraint{Opaque: true, Line: pyast.Line(e), EndLine: pyast.EndLine(e)}
			}
			m.Constraints = append(m.Constraints, c)
		}
	}
}

// parseTogether reads unique_together: a tuple of tuples, or one tuple of
// names (Django accepts both). ok is false when v is not such a literal (a
// name, a call of code), or holds an element that is not one.
func parseTogether(t *pyast.Tree, v *sitter.Node) (sets [][]string, ok bool) {
	v = pyast.Unwrap(v)
	if v == nil {
		return nil, false
	}
	// Old migrations write set([...]) and the like around the literal.
	if c := t.Call(v); c != nil {
		switch t.DottedName(c.Func) {
		case "set", "frozenset", "list", "tuple":
			if len(c.Args) == 0 {
				return nil, true
			}
			if len(c.Args) == 1 {
				v = pyast.Unwrap(c.Args[0])
			}
		}
	}
	switch pyast.Kind(v) {
	case "none":
		return nil, true
	case "list", "tuple", "set":
	default:
		return nil, false
	}
	if flat, ok := t.Strings(v); ok {
		if len(flat) == 0 {
			return nil, true
		}
		return [][]string{flat}, true
	}
	ok = true
	for _, e := range pyast.Children(v) {
		if pyast.Kind(e) == "comment" {
			continue
		}
		names, isNames := t.Strings(e)
		switch {
		case !isNames:
			ok = false
		case len(names) > 0:
			sets = append(sets, names)
		}
	}
	return sets, ok
}

// parseConstraint reads UniqueConstraint(...) or CheckConstraint(...).
func parseConstraint(t *pyast.Tree, n *sitter.Node) *Constraint {
	call := t.Call(n)
	if call == nil {
		return nil
	}
	callee := t.DottedName(call.Func)
	c := &Constraint{Line: pyast.Line(call.Node), EndLine: pyast.EndLine(call.Node)}
	switch callee[strings.LastIndexByte(callee, '.')+1:] {
	case "UniqueConstraint":
		c.Kind = ConstraintUnique
	case "CheckConstraint":
		c.Kind = ConstraintCheck
	default:
		c.Opaque = true // ExclusionConstraint and the like
		return c
	}
	kind := c.Kind
	var named bool
	c.Name, named = t.String(call.Kwargs["name"])
	if !named {
		c.Opaque = true // a computed name cannot be compared
	}
	if v, ok := call.Kwargs["fields"]; ok {
		c.Fields, _ = t.Strings(v)
	}
	if kind == ConstraintUnique {
		c.Condition = t.Text(call.Kwargs["condition"])
		if len(c.Fields) == 0 && len(call.Args) > 0 {
			c.Fields = plainFieldExpressions(t, call.Args) // expression-based: no plain field list unless all are F("name")
		}
	} else {
		// Django 5.1 renamed check= to condition=.
		if v, ok := call.Kwargs["condition"]; ok {
			c.Check = t.Text(v)
		} else {
			c.Check = t.Text(call.Kwargs["check"])
		}
	}
	return c
}

// findAtomicRequests looks for "ATOMIC_REQUESTS": True in a dict, or
// DATABASES[...]["ATOMIC_REQUESTS"] = True.
func findAtomicRequests(t *pyast.Tree) bool {
	found := false
	pyast.Walk(t.Root(), func(n *sitter.Node) bool {
		var key, val *sitter.Node
		switch pyast.Kind(n) {
		case "pair":
			key, val = pyast.Field(n, "key"), pyast.Field(n, "value")
		case "assignment":
			if l := pyast.Field(n, "left"); l != nil && pyast.Kind(l) == "subscript" {
				key, val = pyast.Field(l, "subscript"), pyast.Field(n, "right")
			}
		}
		if s, ok := t.String(key); ok && s == "ATOMIC_REQUESTS" {
			if b, _ := pyast.Bool(val); b {
				found = true
			}
		}
		return !found
	})
	return found
}

// plainFieldExpressions returns the field names of expressions that are all
// F("name") or "name", a unique constraint on those fields written the long
// way; an
// empty list for anything else (Lower("email"), a function of a field).
func plainFieldExpressions(t *pyast.Tree, args []*sitter.Node) []string {
	names := []string{}
	for _, a := range args {
		if name, ok := t.String(a); ok && !strings.Contains(name, "__") {
			names = append(names, name) // Django makes F(name) of a string
			continue
		}
		c := t.Call(a)
		if c == nil || len(c.Args) != 1 || len(c.Kwargs) > 0 {
			return []string{}
		}
		callee := t.DottedName(c.Func)
		if callee[strings.LastIndexByte(callee, '.')+1:] != "F" {
			return []string{}
		}
		name, ok := t.String(c.Args[0])
		if !ok || strings.Contains(name, "__") {
			return []string{}
		}
		names = append(names, name)
	}
	return names
}
