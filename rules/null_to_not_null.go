package rules

import (
	"fmt"
	"strings"

	"github.com/djintegrity/djintegrity/rules/pyast"
)

// nullToNotNull reports AlterField turning a nullable column NOT NULL with nothing
// filling the rows that hold NULL. A default or db_default on the new field
// is enough: on a NULL to NOT NULL change Django's schema editor runs
// `UPDATE ... SET col = <default> WHERE col IS NULL` before SET NOT NULL
// (base/schema.py, "four way default alteration"; on SQLite the table copy
// uses coalesce(col, default)). auto_now and blank=True text fields do not
// count: SQLite's copy fills them, but PostgreSQL's ALTER fails.
var nullToNotNull = &Rule{
	Slug:     "null-to-not-null",
	Severity: Notice,
	Views:    false,
	Summary:  "A nullable column made NOT NULL with no backfill first.",
	Demoted:  "on the judged findings of the ecosystem check it was not right once: NULL rows were ruled out by the model's save() or by what the interface writes; it speaks in the check run until it follows what save() guarantees",
	check:    checkNullToNotNull,
}

func checkNullToNotNull(rule *Rule, p *Pass) []Finding {
	trees := migTrees{}
	defer trees.close()
	var out []Finding
	for _, x := range migChangedOps(p) {
		op, f := x.op, x.op.Field
		if op.Kind != "AlterField" || f == nil || f.Type == "ManyToManyField" || !migPopulated(p, x) {
			continue
		}
		old := x.before.Field(op.Name)
		if old == nil {
			continue
		}
		if wasNull, known := migFlag(old, "null"); !known || !wasNull || !migNotNull(f) {
			continue
		}
		if migGiven(f, "default") || migGiven(f, "db_default") || migDataStepBefore(p, x) {
			continue
		}
		// A column NOT NULL when the deploy starts, made nullable and back
		// by the change's own migrations, holds no NULL: nothing wrote to it
		// in between.
		if start := migChangeStartState(p, x).Field(op.Name); start != nil && migNotNull(start) {
			continue
		}
		t := trees.get(p, x.mig.Path)
		call := t.callAt(op.Line, op.Kind)
		var fieldCall *pyast.Call
		if call != nil {
			fieldCall = t.Call(call.Arg(2, "field"))
		}
		quote := `"`
		if t != nil {
			if text, ok := t.lines(op.Line, op.EndLine); ok {
				quote = migQuote(text)
			}
		}
		table, col := x.before.Table(), f.Column()

		var b strings.Builder
		fmt.Fprintf(&b, "AlterField makes the nullable column `%s.%s` NOT NULL, and %s; no data step runs before it in this change, so any row that holds NULL makes the migration fail with IntegrityError.\n", table, col, migWhere(x.before))
		if fill := migFill(f); fill != "" {
			fmt.Fprintf(&b, "- PostgreSQL: `column \"%s\" of relation \"%s\" contains null values` (SQLite copies the table and fills them with %s; PostgreSQL only alters the column)\n\n", col, table, fill)
		} else {
			fmt.Fprintf(&b, "- SQLite: `NOT NULL constraint failed: new__%s.%s` (Django copies the table into new__%s to change the column)\n", table, col, table)
			fmt.Fprintf(&b, "- PostgreSQL: `column \"%s\" of relation \"%s\" contains null values`\n\n", col, table)
		}
		b.WriteString("Fill the NULL rows first, in a RunPython that runs before it (in an earlier migration of this change, or earlier in this one):\n\n")
		b.WriteString(migNullableSteps(x, t.ast(), fieldCall, quote))
		b.WriteString("\nOr give the field a default: on a NULL to NOT NULL change Django writes it into the rows that hold NULL first (with preserve_default=False it is used for them only).")

		fd := rule.finding(x.mig.Path, op.Line, op.EndLine, table+"."+col, "")
		if s, zero, ok := migOneOffDefault(t.ast(), call, fieldCall, op.Line, op.EndLine, f.Type, quote, f.Unique || old.Unique); ok {
			fd.Suggestion = &s
			b.WriteString(migPlaceholderNote(zero, "rows that hold NULL"))
		}
		fd.Message = b.String()
		out = append(out, fd)
	}
	return out
}
