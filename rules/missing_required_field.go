package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/djintegrity/djintegrity/rules/django"
	"github.com/djintegrity/djintegrity/rules/django/writesite"
)

// missingRequiredField reports create(), Model(...).save() and
// bulk_create() that give no value for a NOT NULL field with no default:
// the INSERT fails with `NOT NULL constraint failed`.
var missingRequiredField = &Rule{
	Slug:     "missing-required-field",
	Severity: Error,
	Views:    true,
	Summary:  "An insert that gives no value for a NOT NULL field with no default.",
	check:    checkMissingRequiredField,
}

// mrfNullTypes are the built-in field types that an insert which gives
// them no value stores as NULL (Field.get_default returns None when
// empty_strings_allowed is false). The string-like types (CharField,
// TextField, SlugField, EmailField, URLField, FileField, ...) get "" and
// BinaryField b"", so nothing fails; a type the index does not know is
// left alone, as it may be either.
var mrfNullTypes = map[string]bool{
	"IntegerField": true, "BigIntegerField": true, "SmallIntegerField": true,
	"PositiveIntegerField": true, "PositiveBigIntegerField": true, "PositiveSmallIntegerField": true,
	"FloatField": true, "DecimalField": true, "BooleanField": true,
	"DateField": true, "DateTimeField": true, "TimeField": true, "DurationField": true,
	"UUIDField": true, "JSONField": true, "GenericIPAddressField": true, "IPAddressField": true,
	"ForeignKey": true, "OneToOneField": true, "ParentalKey": true,
	"ArrayField": true, "HStoreField": true,
	"IntegerRangeField": true, "BigIntegerRangeField": true, "DecimalRangeField": true,
	"DateRangeField": true, "DateTimeRangeField": true,
	// GeoDjango's fields: BaseSpatialField sets empty_strings_allowed = False.
	"GeometryField": true, "PointField": true, "LineStringField": true, "PolygonField": true,
	"MultiPointField": true, "MultiLineStringField": true, "MultiPolygonField": true,
	"GeometryCollectionField": true, "RasterField": true,
}

// mrfStringTypes store "" when given no value, but NULL when given None.
var mrfStringTypes = map[string]bool{
	"CharField": true, "TextField": true, "SlugField": true, "EmailField": true, "URLField": true,
	"FilePathField": true, "FileField": true, "ImageField": true,
}

// mrfNull is a NOT NULL field an insert leaves NULL; explicit is the
// keyword argument that passes None, when it is one.
type mrfNull struct {
	field    *django.Field
	explicit string
}

func checkMissingRequiredField(rule *Rule, p *Pass) []Finding {
	var out []Finding
	for _, s := range viewSites(p) {
		w := s.w
		if s.m == nil || w.StarArgs || w.Positional || w.Escaped {
			continue // the fields written are not all known
		}
		start, end := w.Stmt.Line, w.Stmt.EndLine
		switch {
		case w.Kind == writesite.WriteCreate:
		case w.Kind == writesite.WriteSave && w.Insert && w.UpdateFields == nil:
			start = w.ArgsStmt.Line // from the constructor, where the value is missing
		case w.Kind == writesite.WriteBulkCreate && !viewTrue(w.Options["ignore_conflicts"]):
			// SQLite's INSERT OR IGNORE also skips NOT NULL violations.
		default:
			continue
		}
		m := mrfConcrete(s.m, 0)
		if m == nil || !m.Managed || !viewTouches(p, s.f.Path, start, end) || mrfOpaque(p, s, m) {
			continue
		}
		nulls, ok := mrfNulls(m, w)
		if !ok || len(nulls) == 0 {
			continue
		}
		cols := make([]string, 0, len(nulls))
		for _, n := range nulls {
			cols = append(cols, n.field.Column())
		}
		f := rule.finding(s.f.Path, start, end, viewKey(w, m, "null:"+strings.Join(cols, ",")), mrfMessage(s, m, nulls))
		out = append(out, f)
	}
	return out
}

// mrfConcrete returns the model whose table a write of m fills: m, or for
// a proxy the concrete model it stands for.
func mrfConcrete(m *django.Model, depth int) *django.Model {
	if !m.Proxy {
		return m
	}
	if depth > 10 {
		return nil
	}
	for _, b := range m.Bases {
		if !b.Abstract {
			return mrfConcrete(b, depth+1)
		}
	}
	return nil
}

// mrfNulls lists the NOT NULL fields of m that the write leaves NULL, in
// field order. ok is false when the write names something that is not a
// field the index knows (a GenericForeignKey, a property with a setter):
// it may set fields the rule cannot see.
func mrfNulls(m *django.Model, w *writesite.Write) ([]mrfNull, bool) {
	// The last value given to a field wins (the constructor, then
	// attribute assignments); values[name] holds every value given.
	values := map[string][]writesite.Kwarg{}
	for _, kw := range w.Kwargs {
		if kw.Name == "pk" || kw.Name == "id" && m.Field("id") == nil {
			continue // the primary key
		}
		fl := mrfField(m, kw.Name)
		if fl == nil {
			if strings.HasPrefix(kw.Name, "_") {
				continue // private state, not a field
			}
			return nil, false
		}
		values[fl.Name] = append(values[fl.Name], kw)
	}
	var out []mrfNull
	for _, fl := range m.Fields {
		if fl.Null || fl.Opaque || fl.PrimaryKey || fl.AutoNow || fl.Kwargs["parent_link"] == "True" {
			continue // an opaque field's class may force null=True or a default
		}
		given := values[fl.Name]
		if len(given) == 0 {
			if mrfNullTypes[fl.Type] && !fl.HasDefault && !fl.HasDBDefault {
				out = append(out, mrfNull{field: fl})
			}
			continue
		}
		// bulk_create's keyword arguments are those of the first
		// constructor that names the field: one None says nothing.
		if w.Kind != writesite.WriteBulkCreate && (mrfNullTypes[fl.Type] || mrfStringTypes[fl.Type]) &&
			!slices.ContainsFunc(given, func(kw writesite.Kwarg) bool { return kw.Value != "None" }) {
			out = append(out, mrfNull{field: fl, explicit: given[0].Name})
		}
	}
	return out, true
}

// mrfField returns the field a keyword argument or attribute names: the
// field itself, or a foreign key by its attname (customer_id). Fields of
// multi-table parents count as known, though their table is another.
func mrfField(m *django.Model, name string) *django.Field {
	for _, f := range m.Fields {
		if f.Name == name || f.IsRelation() && name == f.Name+"_id" {
			return f
		}
	}
	for _, b := range m.Bases {
		if f := mrfField(b, name); f != nil {
			return f
		}
	}
	return nil
}

// mrfOpaque reports whether code the rule does not read may fill fields
// of the insert: a save() or __init__ of the model (or of a base), a base
// class outside the index (a mixin from a package) other than a known one
// that fills nothing (django.ExternalBase), or a create() of a custom
// manager.
func mrfOpaque(p *Pass, s viewSite, m *django.Model) bool {
	hooks := []string{"__init__", "save", "save_base"}
	if s.w.Kind == writesite.WriteBulkCreate {
		hooks = []string{"__init__"} // bulk_create() does not call save()
	}
	seen := map[*django.Model]bool{}
	var opaque func(m *django.Model, depth int) bool
	opaque = func(m *django.Model, depth int) bool {
		if seen[m] {
			return false
		}
		seen[m] = true
		if m.Partial() || m.Fills() {
			return true // a base from outside the repository fills fields, or adds ones the index does not know
		}
		if m.Builtin() {
			return false // auth.User: AbstractBaseUser.save() fills nothing
		}
		f, c := p.Project.Files[m.Path], m.ClassOf()
		if f == nil || c == nil || depth > 10 {
			return true
		}
		if slices.ContainsFunc(c.Methods, func(n string) bool { return slices.Contains(hooks, n) }) {
			return true
		}
		for _, b := range c.Bases {
			if bm := p.Project.ResolveModel(f, b); bm != nil {
				if opaque(bm, depth+1) {
					return true
				}
				continue
			}
			if !p.Project.IsDjangoModel(f, b) && p.Project.ExternalBase(f, b) == nil {
				return true
			}
		}
		return false
	}
	if opaque(s.m, 0) || m != s.m && opaque(m, 0) {
		return true
	}
	if s.w.Kind != writesite.WriteCreate {
		return false
	}
	// A manager the model declares may override create(); look for one in
	// the model's file.
	f, c := p.Project.Files[s.m.Path], s.m.ClassOf()
	if f == nil || c == nil || !slices.Contains(c.Managers, s.w.Manager) {
		return false
	}
	return slices.ContainsFunc(f.Classes, func(mc *django.Class) bool {
		return (strings.HasSuffix(mc.Name, "Manager") || strings.HasSuffix(mc.Name, "QuerySet")) &&
			(slices.Contains(mc.Methods, "create") || slices.Contains(mc.Methods, "bulk_create"))
	})
}

// mrfMessage says which columns stay NULL, quotes the errors and says
// what to pass.
func mrfMessage(s viewSite, m *django.Model, nulls []mrfNull) string {
	w := s.w
	var b strings.Builder
	what := viewWhat(w)
	if w.Kind == writesite.WriteSave {
		what = fmt.Sprintf("`%s.save()` of the %s built at line %d", w.Instance, s.m.Name, w.ArgsStmt.Line)
	}
	var omitted, explicit []string
	for _, n := range nulls {
		name := m.Name + "." + n.field.Name
		if n.explicit != "" {
			explicit = append(explicit, fmt.Sprintf("`%s=None`", n.explicit))
		} else {
			omitted = append(omitted, name)
		}
	}
	b.WriteString(what)
	switch {
	case len(omitted) == 1:
		fmt.Fprintf(&b, " gives no value for %s, a NOT NULL column with no default", omitted[0])
	case len(omitted) > 1:
		fmt.Fprintf(&b, " gives no value for %s, NOT NULL columns with no default", strings.Join(omitted, ", "))
	}
	if len(explicit) > 0 {
		if len(omitted) > 0 {
			b.WriteString(", and")
		}
		fmt.Fprintf(&b, " passes %s to a NOT NULL column", strings.Join(explicit, ", "))
	}
	b.WriteString(": Django inserts NULL and the database refuses the row with IntegrityError ")
	const most = 3 // quote the errors of a few columns, not of all
	var sqlite, pg []string
	for i, n := range nulls {
		if i == most {
			break
		}
		col := n.field.Column()
		sqlite = append(sqlite, fmt.Sprintf("`NOT NULL constraint failed: %s.%s`", m.Table, col))
		pg = append(pg, fmt.Sprintf("`null value in column \"%s\" of relation \"%s\" violates not-null constraint`", col, m.Table))
	}
	fmt.Fprintf(&b, "%s (PostgreSQL: %s)", strings.Join(sqlite, " or "), strings.Join(pg, " or "))
	if len(nulls) > 1 {
		b.WriteString(", for the first of them in the table")
	}
	if w.Func.HasRequest {
		b.WriteString(", and the view answers 500")
	}
	b.WriteString(".")
	var pass []string
	for _, n := range nulls {
		fl := n.field
		switch {
		case n.explicit != "":
			pass = append(pass, fmt.Sprintf("a value instead of `%s=None`", n.explicit))
		case fl.IsRelation():
			pass = append(pass, fmt.Sprintf("`%s=` (an instance) or `%s_id=`", fl.Name, fl.Name))
		default:
			pass = append(pass, fmt.Sprintf("`%s=`", fl.Name))
		}
	}
	fmt.Fprintf(&b, " Pass %s", strings.Join(pass, " and "))
	if w.Kind == writesite.WriteSave {
		fmt.Fprintf(&b, " to %s(...), or set the attribute before `%s.save()`", w.Model, w.Instance)
	}
	b.WriteString("; if the column may really be empty, give the field a default or `null=True`, with its migration.")
	return b.String()
}
