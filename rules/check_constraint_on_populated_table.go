package rules

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/djintegrity/djintegrity/rules/django"
	"github.com/djintegrity/djintegrity/rules/django/migstate"
)

// checkConstraintOnPopulatedTable reports AddConstraint(CheckConstraint) on a table
// that already has rows, with no data step before it. Both SQLite (which
// copies the table) and PostgreSQL (ALTER TABLE ... ADD CONSTRAINT, which
// validates every row) refuse the constraint when one row violates it.
// CheckConstraints of a CreateModel are not concerned: the table is new.
var checkConstraintOnPopulatedTable = &Rule{
	Slug:     "check-constraint-on-populated-table",
	Severity: Notice,
	Views:    false,
	Summary:  "A CHECK constraint added to an existing table with no data step first.",
	Demoted:  "on the judged findings of the ecosystem check no finding was plainly right: each CHECK restated what save() asserted or a data step had enforced for years; it speaks in the check run until it follows those guarantees",
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
		if migChoicesCheck(c, s) {
			continue
		}
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

// migChoicesIn matches a condition that only restricts one field to a list:
// Q(field__in=[...]) or Q(("field__in", [...])), as generated for choices.
var migChoicesIn = regexp.MustCompile(`^(?:models\.)?Q\(\s*(?:\(\s*["'](\w+)__in["']\s*,|(\w+)__in\s*=)`)

// migChoicesCheck reports whether c only restricts a field that declares
// choices to a list of values. Forms, the admin and serializers have
// validated those choices for every row they wrote, so a violating row is
// unlikely and cannot be told from the code: whether the comment is right
// depends on data nobody can see, and the rule stays silent.
func migChoicesCheck(c *django.Constraint, s *migstate.ModelState) bool {
	m := migChoicesIn.FindStringSubmatch(strings.TrimSpace(c.Check))
	if m == nil || strings.Count(c.Check, "__") != 1 {
		return false
	}
	f := s.Field(m[1] + m[2])
	if f == nil {
		return false
	}
	_, choices := f.Kwargs["choices"]
	return choices
}
