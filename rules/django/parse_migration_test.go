package django

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestUniqueTogetherForms reads the literal forms unique_together takes in
// migrations written by different Django versions.
func TestUniqueTogetherForms(t *testing.T) {
	for name, tc := range map[string]struct {
		value string
		want  [][]string
	}{
		"set of tuples":        {`{("owner", "number")}`, [][]string{{"owner", "number"}}},
		"set() call (old)":     {`set([("owner", "number"), ("iban",)])`, [][]string{{"owner", "number"}, {"iban"}}},
		"frozenset() call":     {`frozenset({("owner", "number")})`, [][]string{{"owner", "number"}}},
		"one flat tuple":       {`("owner", "number")`, [][]string{{"owner", "number"}}},
		"list of lists":        {`[["owner", "number"]]`, [][]string{{"owner", "number"}}},
		"empty set() (remove)": {`set()`, nil},
	} {
		t.Run(name, func(t *testing.T) {
			src := "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n" +
				"    operations = [\n        migrations.AlterUniqueTogether(name=\"account\", unique_together=" + tc.value + "),\n    ]\n"
			m := ParseMigrationSource("banking/migrations/0002_x.py", []byte(src))
			if m == nil || len(m.Operations) != 1 {
				t.Fatalf("parsed %+v, want one operation", m)
			}
			if diff := cmp.Diff(tc.want, m.Operations[0].UniqueTogether); diff != "" {
				t.Errorf("unique_together (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWhatTheIndexCannotRead: operations built by code make a migration
// opaque; constraints of other kinds, or whose name is computed, are opaque.
func TestWhatTheIndexCannotRead(t *testing.T) {
	for name, tc := range map[string]struct {
		ops                   string
		migration, constraint bool
	}{
		"literal operations":      {ops: `[migrations.AddConstraint(model_name="item", constraint=models.UniqueConstraint(fields=["a"], name="u"))]`},
		"comprehension":           {ops: `[migrations.DeleteModel(name=n) for n in OLD]`, migration: true},
		"concatenation":           {ops: `[migrations.DeleteModel(name="a")] + EXTRA`, migration: true},
		"spliced list":            {ops: `[*EXTRA, migrations.DeleteModel(name="a")]`, migration: true},
		"exclusion constraint":    {ops: `[migrations.AddConstraint(model_name="item", constraint=ExclusionConstraint(name="x", expressions=[]))]`, constraint: true},
		"constraint without name": {ops: `[migrations.AddConstraint(model_name="item", constraint=utils.models.UniqueConstraint(fields=["a"]))]`, constraint: true},
	} {
		t.Run(name, func(t *testing.T) {
			src := "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    operations = " + tc.ops + "\n"
			m := ParseMigrationSource("stock/migrations/0002_x.py", []byte(src))
			if m == nil {
				t.Fatal("no migration parsed")
			}
			if m.Opaque != tc.migration {
				t.Errorf("migration opaque = %v, want %v", m.Opaque, tc.migration)
			}
			var c *Constraint
			for _, op := range m.Operations {
				if op.Constraint != nil {
					c = op.Constraint
				}
			}
			if got := c != nil && c.Opaque; got != tc.constraint {
				t.Errorf("constraint opaque = %v, want %v (%+v)", got, tc.constraint, c)
			}
		})
	}
}

func TestIsDjangoField(t *testing.T) {
	for callee, want := range map[string]bool{
		"models.CharField": true,
		"m.CharField":      true,
		"CharField":        true,
		"django.contrib.postgres.fields.ArrayField": true,
		"oscar.models.fields.NullCharField":         false,
		"NullCharField":                             false,
		"utils.fields.CharField":                    false,
		"MoneyField":                                false,
	} {
		if got := isDjangoField(callee); got != want {
			t.Errorf("isDjangoField(%q) = %v, want %v", callee, got, want)
		}
	}
}

// TestFieldNullability: what a field's class forces counts, not only its
// keywords.
func TestFieldNullability(t *testing.T) {
	for name, tc := range map[string]struct {
		field      string
		null, opaq bool
	}{
		"not null by default":   {field: "models.BooleanField()"},
		"null keyword":          {field: "models.BooleanField(null=True)", null: true},
		"null boolean field":    {field: "models.NullBooleanField()", null: true},
		"null boolean, default": {field: "models.NullBooleanField(default=None)", null: true},
		"a project's class":     {field: "fields.custom.NullBooleanField()", opaq: true},
	} {
		t.Run(name, func(t *testing.T) {
			src := "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    operations = [migrations.AddField(model_name=\"answer\", name=\"agrees\", field=" + tc.field + ")]\n"
			m := ParseMigrationSource("survey/migrations/0002_x.py", []byte(src))
			if m == nil || len(m.Operations) != 1 || m.Operations[0].Field == nil {
				t.Fatalf("no AddField parsed from %s", src)
			}
			f := m.Operations[0].Field
			if f.Null != tc.null || f.Opaque != tc.opaq {
				t.Errorf("Null, Opaque = %v, %v; want %v, %v", f.Null, f.Opaque, tc.null, tc.opaq)
			}
		})
	}
}

func TestUniqueConstraintExpressions(t *testing.T) {
	for name, tc := range map[string]struct {
		args string
		want []string
	}{
		"fields keyword":    {`fields=["a", "b"], name="u"`, []string{"a", "b"}},
		"F expressions":     {`models.F("a"), models.F("b"), name="u"`, []string{"a", "b"}},
		"strings":           {`"a", "b", name="u"`, []string{"a", "b"}},
		"function of field": {`Lower("email"), name="u"`, []string{}},
		"F across relation": {`F("owner__email"), name="u"`, []string{}},
	} {
		t.Run(name, func(t *testing.T) {
			src := "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n" +
				"    operations = [migrations.AddConstraint(model_name=\"item\", constraint=models.UniqueConstraint(" + tc.args + "))]\n"
			m := ParseMigrationSource("stock/migrations/0002_x.py", []byte(src))
			if m == nil || len(m.Operations) != 1 || m.Operations[0].Constraint == nil {
				t.Fatalf("parsed %+v", m)
			}
			if diff := cmp.Diff(tc.want, m.Operations[0].Constraint.Fields); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRunSQLDataStep(t *testing.T) {
	for sql, want := range map[string]bool{
		`"ALTER TABLE shop_order DROP CONSTRAINT shop_order_total_check"`:        false,
		`"CREATE INDEX CONCURRENTLY i ON shop_order (total); DROP INDEX old_i;"`: false,
		`["ALTER TABLE a ADD COLUMN b int", "COMMENT ON TABLE a IS 'x'"]`:        false,
		`"UPDATE shop_order SET total = 0 WHERE total < 0"`:                      true,
		`"""DELETE FROM shop_order WHERE id IN (SELECT id FROM dupes)"""`:        true,
		`FIX_TOTALS_SQL`: true,
		`"ALTER TABLE a DROP CONSTRAINT c; UPDATE a SET n = 1"`: true,
		`migrations.RunSQL.noop`:                                false,
	} {
		src := "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    operations = [migrations.RunSQL(" + sql + ")]\n"
		m := ParseMigrationSource("shop/migrations/0002_x.py", []byte(src))
		if m == nil || len(m.Operations) != 1 {
			t.Fatalf("%s: parsed %+v", sql, m)
		}
		if got := m.Operations[0].IsDataStep(); got != want {
			t.Errorf("RunSQL(%s): data step = %v, want %v", sql, got, want)
		}
	}
}
