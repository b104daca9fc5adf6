package rules

import (
	"fmt"
	"strings"

	"github.com/djintegrity/djintegrity/rules/pyast"
)

// notNullWithoutDefault reports AddField of a NOT NULL column that nothing fills,
// onto a table that already has rows. Django's schema editor gives the
// existing rows the field's "effective default": default or db_default
// (also with preserve_default=False, which only drops it afterwards), ""
// for a blank=True text field, now() for auto_now; otherwise NULL, which a
// NOT NULL column refuses.
var notNullWithoutDefault = &Rule{
	Slug:     "not-null-without-default",
	Severity: Notice,
	Views:    false,
	Summary:  "AddField of a NOT NULL column without a default to an existing table.",
	Demoted:  "on the judged findings of the ecosystem check it was not right once: the one table it called populated was first released with the migration that fills it; it speaks in the check run until its judged findings show otherwise",
	check:    checkNotNullWithoutDefault,
}

// The check refers to the rule for its findings: set it after both exist.

// migGenerated lists field types whose column is filled by the database.
var migGenerated = map[string]bool{
	"AutoField": true, "BigAutoField": true, "SmallAutoField": true, "GeneratedField": true,
}

func checkNotNullWithoutDefault(rule *Rule, p *Pass) []Finding {
	trees := migTrees{}
	defer trees.close()
	var out []Finding
	for _, x := range migChangedOps(p) {
		op, f := x.op, x.op.Field
		if op.Kind != "AddField" || f == nil || !migPopulated(p, x) {
			continue
		}
		if f.Type == "ManyToManyField" || migGenerated[f.Type] || f.PrimaryKey || !migNotNull(f) || migFill(f) != "" {
			continue
		}
		t := trees.get(p, x.mig.Path)
		call := t.callAt(op.Line, op.Kind)
		var fieldCall *pyast.Call
		if call != nil {
			fieldCall = t.Call(call.Arg(2, "field"))
		}
		table, col := x.before.Table(), f.Column()
		quote := `"`
		if t != nil {
			if text, ok := t.lines(op.Line, op.EndLine); ok {
				quote = migQuote(text)
			}
		}

		var b strings.Builder
		fmt.Fprintf(&b, "AddField adds `%s.%s` as NOT NULL with no default, and %s: those rows get no value, so the migration fails with IntegrityError.\n", table, col, migWhere(x.before))
		fmt.Fprintf(&b, "- SQLite: `NOT NULL constraint failed: new__%s.%s` (Django copies the table into new__%s to add the column)\n", table, col, table)
		fmt.Fprintf(&b, "- PostgreSQL: `column \"%s\" of relation \"%s\" contains null values`\n\n", col, table)
		b.WriteString("Add the column as nullable, fill it, then make it NOT NULL, one migration each (filling rows and altering the table in one transaction can fail on PostgreSQL with pending trigger events):\n\n")
		b.WriteString(migNullableSteps(x, t.ast(), fieldCall, quote))
		b.WriteString("\nOr give the field a default: Django writes it into the existing rows (with preserve_default=False it is used for them only).")

		fd := rule.finding(x.mig.Path, op.Line, op.EndLine, table+"."+col, "")
		if s, zero, ok := migOneOffDefault(t.ast(), call, fieldCall, op.Line, op.EndLine, f.Type, quote, f.Unique); ok {
			fd.Suggestion = &s
			b.WriteString(migPlaceholderNote(zero, "existing rows"))
		}
		fd.Message = b.String()
		out = append(out, fd)
	}
	return out
}

// migNullableSteps shows the three migrations that add a NOT NULL column
// to a populated table safely: nullable, backfill, NOT NULL. It serves the
// null-to-not-null rule too, which starts at step 2.
func migNullableSteps(x migOp, t *pyast.Tree, fieldCall *pyast.Call, quote string) string {
	op, s := x.op, x.before
	q := func(v string) string { return quote + v + quote }
	nullable := "models." + op.Field.Type + "(..., null=True)"
	notNull := "models." + op.Field.Type + "(...)"
	if fieldCall != nil {
		nullable = migCallText(t, fieldCall, []string{"null=True"}, "null")
		notNull = migCallText(t, fieldCall, nil)
	}
	fn := migFuncName("fill", s, op.Name)
	var b strings.Builder
	b.WriteString("```python\n")
	if op.Kind == "AddField" {
		b.WriteString("# 1. this migration: add the column as nullable\n")
		fmt.Fprintf(&b, "migrations.AddField(\n    model_name=%s,\n    name=%s,\n    field=%s,\n),\n\n", q(op.Model), q(op.Name), nullable)
		b.WriteString("# 2. next migration: give every existing row a value\n")
	} else {
		b.WriteString("# 1. a migration before this one: give every row that holds NULL a value\n")
	}
	fmt.Fprintf(&b, "def %s(apps, schema_editor):\n", fn)
	fmt.Fprintf(&b, "    %s = apps.get_model(%s, %s)\n", migVar(s), q(s.App), q(s.Name))
	if op.Field.Unique {
		fmt.Fprintf(&b, "    for row in %s.objects.filter(%s__isnull=True):\n", migVar(s), op.Name)
		fmt.Fprintf(&b, "        row.%s = ...  # a distinct value for each row: the column is unique\n", op.Name)
		fmt.Fprintf(&b, "        row.save(update_fields=[%s])\n\n", q(op.Name))
	} else {
		fmt.Fprintf(&b, "    %s.objects.filter(%s__isnull=True).update(%s=...)  # the value these rows need\n\n", migVar(s), op.Name, op.Name)
	}
	fmt.Fprintf(&b, "migrations.RunPython(%s, migrations.RunPython.noop),\n\n", fn)
	if op.Kind == "AddField" {
		b.WriteString("# 3. the migration after: make it NOT NULL, as the model says\n")
	} else {
		b.WriteString("# 2. this migration: make it NOT NULL\n")
	}
	fmt.Fprintf(&b, "migrations.AlterField(\n    model_name=%s,\n    name=%s,\n    field=%s,\n),\n```\n", q(op.Model), q(op.Name), notNull)
	return b.String()
}

// migOneOffDefault rewrites the operation at lines first..last to fill the
// rows it would leave NULL with a neutral value given once, as
// `makemigrations` writes it: default=<zero> on the field and
// preserve_default=False on the operation. Nothing is offered for a unique
// field (one value for every row breaks the constraint), for types with no
// neutral value, or when preserve_default is already written.
func migOneOffDefault(t *pyast.Tree, call, fieldCall *pyast.Call, first, last int, fieldType, quote string, unique bool) (suggestion, zero string, ok bool) {
	zero = migZero(fieldType, quote)
	if zero == "" || unique || call == nil || fieldCall == nil {
		return "", "", false
	}
	if _, has := call.Kwargs["preserve_default"]; has {
		return "", "", false
	}
	if _, has := fieldCall.Kwargs["default"]; has {
		return "", "", false
	}
	e1, ok1 := migAddKwargs(t, fieldCall, "default="+zero)
	e2, ok2 := migAddKwargs(t, call, "preserve_default=False")
	if !ok1 || !ok2 {
		return "", "", false
	}
	s, ok := migRewrite(t.Src, first, last, append(e1, e2...))
	return s, zero, ok
}

// migPlaceholderNote says that the one-off default of a suggestion is a
// placeholder, not a value the tool knows to be right for the rows.
func migPlaceholderNote(zero, rows string) string {
	return fmt.Sprintf(" The suggestion does that with `default=%s`, as `makemigrations` does with a one-off default, and %s is a placeholder: choose the value the %s should get.", zero, zero, rows)
}
