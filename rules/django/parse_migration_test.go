package django

import (
	"fmt"
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

// TestSouthMigrations: a Migration class of South's (Django's migration
// tool before 1.7) is no migration of Django's; one of Django's is, under
// any import of its base, or through a base of the project's own.
func TestSouthMigrations(t *testing.T) {
	for name, tc := range map[string]struct {
		src   string
		south bool
	}{
		"south schema migration": {src: "from south.db import db\nfrom south.v2 import SchemaMigration\n\n\nclass Migration(SchemaMigration):\n" +
			"    def forwards(self, orm):\n        db.add_column('shop_product', 'sku', self.gf('django.db.models.fields.CharField')(max_length=32))\n\n" +
			"    models = {}\n    complete_apps = ['shop']\n", south: true},
		"south data migration, module import": {src: "import south.v2\n\n\nclass Migration(south.v2.DataMigration):\n" +
			"    def forwards(self, orm):\n        orm['shop.Product'].objects.update(sku='x')\n", south: true},
		"early south, no base":          {src: "from south.db import db\n\n\nclass Migration:\n    def forwards(self):\n        db.delete_table('shop_tag')\n", south: true},
		"django":                        {src: "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    dependencies = []\n    operations = []\n"},
		"django, no attributes":         {src: "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n    pass\n"},
		"django, class imported":        {src: "from django.db.migrations import Migration as Base\n\n\nclass Migration(Base):\n    pass\n"},
		"django, base of the project's": {src: "from core.migrations import SafeMigration\n\n\nclass Migration(SafeMigration):\n    operations = []\n"},
	} {
		t.Run(name, func(t *testing.T) {
			const path = "shop/migrations/0002_x.py"
			if m := ParseMigrationSource(path, []byte(tc.src)); (m == nil) != tc.south {
				t.Errorf("ParseMigrationSource = %+v, want a migration: %v", m, !tc.south)
			}
			p := build(t, map[string]string{path: tc.src, "shop/models.py": "from django.db import models\n"})
			if f := p.Files[path]; f.SouthMigration != tc.south || (f.Migration == nil) != tc.south {
				t.Errorf("SouthMigration = %v, Migration = %+v, want South: %v", f.SouthMigration, f.Migration, tc.south)
			}
			if got := len(p.Apps["shop"].Migrations); got != map[bool]int{true: 0, false: 1}[tc.south] {
				t.Errorf("app shop has %d migrations", got)
			}
		})
	}
}

// TestUnreadOperations: an operation of Django's with an argument the
// index cannot read is marked, so that the replay does not act on half of
// it; None and empty literals are read.
func TestUnreadOperations(t *testing.T) {
	for op, want := range map[string]bool{
		`migrations.RemoveField(model_name="product", name="legacy")`:                                                  false,
		`migrations.RemoveField(model_name="product", name=LEGACY)`:                                                    true,
		`migrations.RemoveField("product", FIELDS[0])`:                                                                 true,
		`migrations.AddField(model_name=MODEL, name="sku", field=models.CharField(max_length=9))`:                      true,
		`migrations.AddField(model_name="product", name="sku", field=SKU_FIELD)`:                                       true,
		`migrations.RemoveConstraint(model_name="product", name=f"{PREFIX}_uniq")`:                                     true,
		`migrations.AddConstraint(model_name="product", constraint=CONSTRAINT)`:                                        true,
		`migrations.AlterUniqueTogether(name="product", unique_together=TOGETHER)`:                                     true,
		`migrations.AlterUniqueTogether(name="product", unique_together=set())`:                                        false,
		`migrations.AlterUniqueTogether(name="product", unique_together=None)`:                                         false,
		`migrations.AlterModelTable(name="product", table=None)`:                                                       false,
		`migrations.AlterModelTable(name="product", table=TABLE)`:                                                      true,
		`migrations.DeleteModel(name=OLD)`:                                                                             true,
		`migrations.CreateModel(name="Tag", fields=[("id", models.BigAutoField(primary_key=True))])`:                   false,
		`migrations.CreateModel(name="Tag", fields=FIELDS)`:                                                            true,
		`migrations.CreateModel(name="Tag", fields=[("id", models.BigAutoField(primary_key=True)), *MORE])`:            true,
		`migrations.SeparateDatabaseAndState(state_operations=STATE)`:                                                  true,
		`migrations.CreateModel(name="Tag", fields=[], options={"db_table": "tags", "unique_together": {("a", "b")}})`: false,
		`migrations.CreateModel(name="Tag", fields=[], options=OPTIONS)`:                                               true,
		`migrations.CreateModel(name="Tag", fields=[], options={**BASE_OPTIONS})`:                                      true,
		`migrations.CreateModel(name="Tag", fields=[], options={"unique_together": TOGETHER})`:                         true,
		`migrations.AddIndex(model_name="product", index=INDEX)`:                                                       false,
	} {
		src := "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n    operations = [" + op + "]\n"
		m := ParseMigrationSource("shop/migrations/0002_x.py", []byte(src))
		if m == nil || len(m.Operations) != 1 {
			t.Fatalf("%s: parsed %+v", op, m)
		}
		if got := m.Operations[0].Unread; got != want {
			t.Errorf("%s: unread = %v, want %v", op, got, want)
		}
	}
}

func TestDependencyLinesAndRunPythonAtomic(t *testing.T) {
	src := `from django.db import migrations


class Migration(migrations.Migration):
    atomic = False
    dependencies = [
        ("shop", "0001_initial"),
        ("accounts", "0003_customer"),
    ]
    operations = [
        migrations.RunPython(seed, migrations.RunPython.noop),
        migrations.RunPython(fix, atomic=True),
        migrations.RunPython(code=fix_more, reverse_code=undo, atomic=False),
    ]
`
	m := ParseMigrationSource("shop/migrations/0002_x.py", []byte(src))
	if m == nil || m.Atomic == nil || *m.Atomic {
		t.Fatalf("parsed %+v, want a non-atomic migration", m)
	}
	var lines []int
	for _, d := range m.Dependencies {
		lines = append(lines, m.DependencyLine(d))
	}
	if diff := cmp.Diff([]int{7, 8}, lines); diff != "" {
		t.Errorf("dependency lines (-want +got):\n%s", diff)
	}
	var atomic []string
	for _, op := range m.Operations {
		switch {
		case op.Atomic == nil:
			atomic = append(atomic, op.Code+": not given")
		default:
			atomic = append(atomic, fmt.Sprintf("%s: %v", op.Code, *op.Atomic))
		}
	}
	if diff := cmp.Diff([]string{"seed: not given", "fix: true", "fix_more: false"}, atomic); diff != "" {
		t.Errorf("RunPython atomic (-want +got):\n%s", diff)
	}
}

// TestConstraintsBuiltByCode: a constraints list the index cannot read
// whole keeps an opaque constraint in place of what it cannot see, so that
// no rule calls a constraint missing.
func TestConstraintsBuiltByCode(t *testing.T) {
	for value, want := range map[string][]string{
		`[models.UniqueConstraint(fields=["sku"], name="u")]`:                         {"u"},
		`[*Base.Meta.constraints, models.UniqueConstraint(fields=["sku"], name="u")]`: {"(opaque)", "u"},
		`Base.Meta.constraints + [models.UniqueConstraint(fields=["sku"], name="u")]`: {"(opaque)"},
		`[]`: nil,
	} {
		p := build(t, map[string]string{"shop/models.py": "from django.db import models\n\n\nclass Product(models.Model):\n    sku = models.CharField(max_length=9)\n\n    class Meta:\n        constraints = " + value + "\n"})
		var got []string
		for _, c := range p.Models["shop.Product"].Constraints {
			if c.Opaque {
				got = append(got, "(opaque)")
			} else {
				got = append(got, c.Name)
			}
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("constraints = %s (-want +got):\n%s", value, diff)
		}
	}
}

// TestPatchedFields: a field whose attributes the module sets after its
// class is opaque; the others keep what the class body says.
func TestPatchedFields(t *testing.T) {
	const cls = "from django.db import models\n\nclass Tag(models.Model):\n    group = models.ForeignKey('Group', on_delete=models.CASCADE)\n    label = models.CharField(max_length=9)\n\n"
	for name, tc := range map[string]struct {
		after string
		want  []string // opaque fields of Tag
	}{
		"direct":           {after: "Tag._meta.get_field('group').null = True\n", want: []string{"group"}},
		"through a name":   {after: "_f = Tag._meta.get_field('label')\n_f.max_length = 20\n", want: []string{"label"}},
		"only read":        {after: "_f = Tag._meta.get_field('label')\nprint(_f.null)\n"},
		"another class":    {after: "Other._meta.get_field('group').null = True\n"},
		"name rebound":     {after: "_f = Tag._meta.get_field('label')\n_f = None\n"},
		"keyword argument": {after: "Tag._meta.get_field(field_name='group').null = True\n", want: []string{"group"}},
	} {
		t.Run(name, func(t *testing.T) {
			f, err := parseFile(t.Context(), "tags/models.py", "tags.models", []byte(cls+tc.after))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, fl := range f.Classes[0].Fields {
				if fl.Opaque {
					got = append(got, fl.Name)
				}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("opaque fields (-want +got):\n%s", diff)
			}
		})
	}
}
