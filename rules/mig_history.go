package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/djintegrity/djintegrity/rules/django"
	"github.com/djintegrity/djintegrity/rules/django/migstate"
)

// migOp is one database operation of a migration of the change, with the
// state of its model just before it runs.
type migOp struct {
	mig *django.Migration
	op  *django.Operation
	// index is the position in mig.Operations of the operation, or of the
	// SeparateDatabaseAndState that holds it; inner is then its position in
	// database_operations, else -1.
	index, inner int
	before       *migstate.ModelState
}

// migChangedOps returns, in plan order, the operations that will run on the
// database and whose lines the change touches. A squashed migration is
// skipped: its operations repeat migrations production has already applied.
// So are the operations an edited migration already had before the change
// (a reformat, a renamed variable, a fixed verbose_name): they have run
// wherever the migration was deployed. When the old content of an edited
// migration cannot be read, none of its operations is reported.
func migChangedOps(p *Pass) []migOp {
	h := p.History()
	var out []migOp
	for _, m := range h.Plan {
		cf, ok := p.Change[m.Path]
		if !ok || len(m.Replaces) > 0 {
			continue
		}
		old, known := migOldOps(p, cf, m.Path)
		if !known {
			continue
		}
		for i, op := range m.Operations {
			if op.Kind != "SeparateDatabaseAndState" {
				if p.Change.Touches(m.Path, op.Line, op.EndLine) && !old.take(op, "") {
					out = append(out, migOp{mig: m, op: op, index: i, inner: -1, before: h.Before(op)})
				}
				continue
			}
			for j, o := range op.DatabaseOperations {
				if p.Change.Touches(m.Path, o.Line, o.EndLine) && !old.take(o, "database:") {
					out = append(out, migOp{mig: m, op: o, index: i, inner: j, before: h.Before(o)})
				}
			}
		}
	}
	return out
}

// migOpSet counts operations by what they do to which model, leaving out
// how they are written.
type migOpSet map[string]int

func migOpKey(op *django.Operation, prefix string) string {
	name := op.Name
	if op.Constraint != nil {
		name = op.Constraint.Name
	}
	return strings.ToLower(strings.Join([]string{prefix + op.Kind, op.Model, name, op.OldName, op.NewName, op.ConstraintName}, "\x00"))
}

// take reports whether the set holds op, and removes one of it.
func (s migOpSet) take(op *django.Operation, prefix string) bool {
	k := migOpKey(op, prefix)
	if s[k] == 0 {
		return false
	}
	s[k]--
	return true
}

// migOldOps returns the operations a changed migration had before the
// change: none for a new file; known is false when an edited migration's
// old content was not read.
func migOldOps(p *Pass, cf *ChangedFile, path string) (old migOpSet, known bool) {
	old = migOpSet{}
	if cf.Added {
		return old, true
	}
	m, ok := p.baseMigration(path)
	if !ok {
		return nil, false
	}
	if m == nil {
		return old, true // not a migration before: every operation is new
	}
	return migOps(m.Operations), true
}

// migOps counts operations, and the database operations of a
// SeparateDatabaseAndState, by migOpKey.
func migOps(ops []*django.Operation) migOpSet {
	set := migOpSet{}
	for _, op := range ops {
		set[migOpKey(op, "")]++
		for _, o := range op.DatabaseOperations {
			set[migOpKey(o, "database:")]++
		}
	}
	return set
}

// migPopulated reports whether the table x works on may hold rows in
// production when x runs: the table was created by a migration that is not
// new in this change (a squashed one counts as old: it replays history),
// and not by x's own migration, whose tables are empty while it runs (an
// initial migration adds its foreign keys after all its CreateModels). A
// table created in the same change is empty, and a model the replay could
// not follow gets the benefit of the doubt.
func migPopulated(p *Pass, x migOp) bool {
	s := x.before
	if s == nil || s.Opaque || s.Created == nil || s.Created == x.mig {
		return false
	}
	return len(s.Created.Replaces) > 0 || !p.Change.IsNew(s.Created.Path)
}

// migDataStepBefore reports whether a data step (RunPython or RunSQL that
// is not a no-op) runs before x: earlier in its migration, or in a
// migration new in this change that it depends on. Only new migrations
// count: an edited old one has already run in production.
func migDataStepBefore(p *Pass, x migOp) bool {
	m := x.mig
	if slices.ContainsFunc(m.Operations[:min(x.index, len(m.Operations))], migHasDataStep) {
		return true
	}
	if x.inner > 0 && slices.ContainsFunc(m.Operations[x.index].DatabaseOperations[:x.inner], migHasDataStep) {
		return true
	}
	for _, a := range p.History().Ancestors(m) {
		if p.Change.IsNew(a.Path) && len(a.Replaces) == 0 && slices.ContainsFunc(a.Operations, migHasDataStep) {
			return true
		}
	}
	return migPreparedBy(p, x)
}

// migPreparedBy reports whether the migration x's migration directly
// depends on, in the same app, is a data migration about x's model (a data
// step, and the model's name quoted in its source, as get_model takes it): the fix-the-rows step that
// precedes a constraint, committed and released with it though it sits in
// an earlier commit than the one reviewed.
func migPreparedBy(p *Pass, x migOp) bool {
	model := strings.ToLower(x.op.Model)
	if model == "" {
		return false
	}
	for _, d := range x.mig.Dependencies {
		if d.App != x.mig.App {
			continue
		}
		app := p.Project.Apps[d.App]
		if app == nil {
			continue
		}
		prev := app.Migrations[d.Name]
		if prev == nil || !slices.ContainsFunc(prev.Operations, migHasDataStep) {
			continue
		}
		if f := p.Project.Files[prev.Path]; f != nil {
			// apps.get_model("app", "Model") names it in quotes.
			src := strings.ToLower(string(f.Src))
			if strings.Contains(src, `"`+model+`"`) || strings.Contains(src, `'`+model+`'`) {
				return true
			}
		}
	}
	return false
}

func migHasDataStep(op *django.Operation) bool {
	return op.IsDataStep() || slices.ContainsFunc(op.DatabaseOperations, migHasDataStep)
}

// migFlag reads a boolean keyword of a field: its value, and whether it is
// known (absent, True or False; an expression is unknown).
func migFlag(f *django.Field, key string) (value, known bool) {
	if key == "null" && f.Null && f.Type == "NullBooleanField" {
		return true, true // its __init__ sets null=True, whatever is passed
	}
	v, ok := f.Kwargs[key]
	switch {
	case !ok:
		return false, true
	case v == "True":
		return true, true
	case v == "False":
		return false, true
	}
	return false, false
}

// migGiven reports whether keyword key is given a value other than None.
func migGiven(f *django.Field, key string) bool {
	v, ok := f.Kwargs[key]
	return ok && v != "None"
}

// migNoEmptyString lists field types whose empty value is not "": for them
// Django has no implicit default for existing rows.
var migNoEmptyString = map[string]bool{
	"AutoField": true, "BigAutoField": true, "SmallAutoField": true,
	"IntegerField": true, "BigIntegerField": true, "SmallIntegerField": true,
	"PositiveIntegerField": true, "PositiveSmallIntegerField": true, "PositiveBigIntegerField": true,
	"BooleanField": true, "NullBooleanField": true, "DecimalField": true, "FloatField": true,
	"DateField": true, "DateTimeField": true, "TimeField": true, "DurationField": true,
	"UUIDField": true, "JSONField": true, "GenericIPAddressField": true, "IPAddressField": true,
	"ForeignKey": true, "OneToOneField": true, "ParentalKey": true,
	"ArrayField": true, "HStoreField": true,
}

// migFill says what value AddField writes into the rows a table already has
// (Django's effective_default): "" when they get NULL. A default given
// with preserve_default=False still fills them: it is dropped afterwards.
func migFill(f *django.Field) string {
	switch {
	case migGiven(f, "default"):
		return "its default " + f.Kwargs["default"]
	case migGiven(f, "db_default"):
		return "its db_default " + f.Kwargs["db_default"]
	case f.AutoNow:
		return "the current time (auto_now)"
	}
	if null, _ := migFlag(f, "null"); null {
		return ""
	}
	if blank, known := migFlag(f, "blank"); (blank || !known) && !migNoEmptyString[f.Type] {
		return `"" (blank=True)`
	}
	return ""
}

// migNotNull reports whether the field is NOT NULL: null is not True, and
// that is known (null=<expression> is not, nor is an opaque field's).
func migNotNull(f *django.Field) bool {
	if f.Opaque {
		return false // its class may force null=True
	}
	null, known := migFlag(f, "null")
	return known && !null
}

// migColumns turns field names of a model state into column names.
func migColumns(s *migstate.ModelState, names []string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n
		if f := s.Field(n); f != nil {
			out[i] = f.Column()
		}
	}
	return out
}

// migQualified writes "table.col1, table.col2", as SQLite names the columns
// of a failed constraint.
func migQualified(table string, cols []string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = table + "." + c
	}
	return strings.Join(parts, ", ")
}

// migVar is the Python variable a data migration would bind the model to.
func migVar(s *migstate.ModelState) string { return s.Name }

// migFuncName builds a function name for a data step ("dedupe_product_sku").
func migFuncName(verb string, s *migstate.ModelState, fields ...string) string {
	name := verb + "_" + strings.ToLower(s.Name)
	for _, f := range fields {
		name += "_" + f
	}
	return name
}

// migIdent turns a name into a Python identifier, lower case.
func migIdent(name string) string {
	b := []byte(strings.ToLower(name))
	for i, c := range b {
		if !migIdentByte(c) {
			b[i] = '_'
		}
	}
	return string(b)
}

// migWhere says that the table has rows, and why we think so.
func migWhere(s *migstate.ModelState) string {
	return fmt.Sprintf("`%s` already has rows (%s created it, before this change)", s.Table(), s.Created.Path)
}

// migChangeStartState returns the state of x's model before the change's
// migrations touch it: the state before the first operation on that model
// in a migration new in this change, or earlier in x's own migration. The
// rows production has when the deploy starts are the rows of this state.
func migChangeStartState(p *Pass, x migOp) *migstate.ModelState {
	h := p.History()
	for _, m := range h.Plan {
		if m != x.mig && (m.App != x.mig.App || !p.Change.IsNew(m.Path)) {
			continue
		}
		for _, op := range m.Operations {
			for _, o := range append([]*django.Operation{op}, op.DatabaseOperations...) {
				if o == x.op {
					return x.before
				}
				if o.Model != "" && strings.EqualFold(o.Model, x.op.Model) {
					if st := h.Before(o); st != nil {
						return st
					}
				}
			}
		}
	}
	return x.before
}
