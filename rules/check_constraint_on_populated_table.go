package rules

import (
	"fmt"
	"strings"
)

// checkConstraintOnPopulatedTable reports AddConstraint(CheckConstraint) on a table
// that already has rows, with no data step before it. Both SQLite (which
// copies the table) and PostgreSQL (ALTER TABLE ... ADD CONSTRAINT, which
// validates every row) refuse the constraint when one row violates it.
// CheckConstraints of a CreateModel are not concerned: the table is new.
var checkConstraintOnPopulatedTable = &Rule{
	Slug:     "check-constraint-on-populated-table",
	Severity: Warning,
	Views:    false,
	Summary:  "A CHECK constraint added to an existing table with no data step first.",
	check:    checkCheckConstraintOnPopulatedTable,
}

func checkCheckConstraintOnPopulatedTable(rule *Rule, p *Pass) []Finding {
	var out []Finding
	for _, x := range migChangedOps(p) {
		c := x.op.Constraint
		if x.op.Kind != "AddConstraint" || c == nil || c.Kind != "check" || !migPopulated(p, x) || migDataStepBefore(p, x) {
			continue
		}
		s := x.before
		name, table := c.Name, s.Table()
		check := migSpace.ReplaceAllString(c.Check, " ")
		if check == "" {
			check = "...  # the constraint's condition"
		}
		v, row, fn := migVar(s), strings.ToLower(s.Name), "fix_"+migIdent(name)

		var b strings.Builder
		fmt.Fprintf(&b, "AddConstraint adds the check constraint `%s` to `%s`, and %s; no data step runs before it in this change, so one row that violates it makes the migration fail with IntegrityError.\n", name, table, migWhere(s))
		fmt.Fprintf(&b, "- SQLite: `CHECK constraint failed: %s`\n", name)
		fmt.Fprintf(&b, "- PostgreSQL: `check constraint \"%s\" of relation \"%s\" is violated by some row`\n\n", name, table)
		b.WriteString("Fix the rows first, in a RunPython that runs before it (earlier in this migration, or in an earlier migration of this change):\n\n```python\n")
		fmt.Fprintf(&b, "def %s(apps, schema_editor):\n    %s = apps.get_model(\"%s\", \"%s\")\n", fn, v, s.App, s.Name)
		fmt.Fprintf(&b, "    for %s in %s.objects.exclude(%s):\n", row, v, check)
		fmt.Fprintf(&b, "        ...  # give %s values that satisfy %s, or delete it\n        %s.save()\n\n", row, name, row)
		fmt.Fprintf(&b, "migrations.RunPython(%s, migrations.RunPython.noop),\n```\n", fn)
		b.WriteString("Validate the same condition in the model's clean() or the form, so that new rows pass it too.")
		out = append(out, rule.finding(x.mig.Path, x.op.Line, x.op.EndLine, table+"."+name, b.String()))
	}
	return out
}
