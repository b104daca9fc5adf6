package rules

import (
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// migModule writes a migration module with the given dependencies and
// operations, one per line.
func migModule(deps string, ops ...string) string {
	return "import uuid\n\nfrom django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n" +
		"    dependencies = [" + deps + "]\n\n" +
		"    operations = [\n        " + strings.Join(ops, ",\n        ") + ",\n    ]\n"
}

// migBase is an app whose tables exist before every change below.
var migBase = map[string]string{
	"shop/__init__.py":            "",
	"shop/migrations/__init__.py": "",
	"shop/models.py": `from django.db import models


class Customer(models.Model):
    email = models.EmailField()


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    note = models.CharField(max_length=50, null=True)
    total = models.IntegerField()
`,
	"shop/migrations/0001_initial.py": migModule(``,
		`migrations.CreateModel(name="Customer", fields=[("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)), ("email", models.EmailField(max_length=254))])`,
		`migrations.CreateModel(name="Order", fields=[("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)), ("customer", models.ForeignKey(on_delete=models.CASCADE, to="shop.customer")), ("note", models.CharField(max_length=50, null=True)), ("total", models.IntegerField())])`),
}

// migWith returns migBase with files replaced or added.
func migWith(files map[string]string) map[string]string {
	out := maps.Clone(migBase)
	maps.Copy(out, files)
	return out
}

// migRun runs one rule over the change from base to head, without the
// review's changed-line filter, and lists "path:start-end" per finding.
func migRun(t *testing.T, r *Rule, base, head map[string]string) ([]string, []Finding) {
	t.Helper()
	_, pass := migAnalyze(t, base, head)
	var at []string
	fs := r.check(r, pass)
	for _, f := range fs {
		at = append(at, fmt.Sprintf("%s:%d-%d", f.Path, f.StartLine, f.EndLine))
	}
	return at, fs
}

const mig2 = "shop/migrations/0002_change.py"

type migRuleCase struct {
	base map[string]string // nil: migBase
	head map[string]string
	want []string
	// message, when set, must appear in the first finding's message.
	message string
}

func migRunCases(t *testing.T, r *Rule, cases map[string]migRuleCase) {
	t.Helper()
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			base := tc.base
			if base == nil {
				base = migBase
			}
			got, fs := migRun(t, r, base, tc.head)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				for _, f := range fs {
					t.Log(f.Message)
				}
				t.Fatalf("findings (-want +got):\n%s", diff)
			}
			if tc.message != "" && !strings.Contains(fs[0].Message, tc.message) {
				t.Errorf("message lacks %q:\n%s", tc.message, fs[0].Message)
			}
		})
	}
}

const migDep = `("shop", "0001_initial")`

func TestMigNotNullWithoutDefault(t *testing.T) {
	migRunCases(t, notNullWithoutDefault, map[string]migRuleCase{
		"default=None fills nothing": {
			head:    migWith(map[string]string{mig2: migModule(migDep, `migrations.AddField(model_name="order", name="qty", field=models.IntegerField(default=None))`)}),
			want:    []string{mig2 + ":10-10"},
			message: "NOT NULL constraint failed: new__shop_order.qty",
		},
		"database operation of SeparateDatabaseAndState": {
			head: migWith(map[string]string{mig2: migModule(migDep, `migrations.SeparateDatabaseAndState(
            database_operations=[
                migrations.AddField(model_name="order", name="qty", field=models.IntegerField()),
            ],
        )`)}),
			want: []string{mig2 + ":12-12"},
		},
		"state operation only": {
			head: migWith(map[string]string{mig2: migModule(migDep, `migrations.SeparateDatabaseAndState(state_operations=[migrations.AddField(model_name="order", name="qty", field=models.IntegerField())])`)}),
		},
		"auto_now_add fills existing rows": {
			head: migWith(map[string]string{mig2: migModule(migDep, `migrations.AddField(model_name="order", name="at", field=models.DateTimeField(auto_now_add=True))`)}),
		},
		"null given as an expression": {
			head: migWith(map[string]string{mig2: migModule(migDep, `migrations.AddField(model_name="order", name="qty", field=models.IntegerField(null=NULLABLE))`)}),
		},
		"many-to-many has no column": {
			head: migWith(map[string]string{mig2: migModule(migDep, `migrations.AddField(model_name="order", name="tags", field=models.ManyToManyField(to="shop.customer"))`)}),
		},
		"table altered by RunSQL: the replay gives up": {
			head: migWith(map[string]string{mig2: migModule(migDep,
				`migrations.RunSQL("ALTER TABLE shop_order RENAME COLUMN note TO memo")`,
				`migrations.AddField(model_name="order", name="qty", field=models.IntegerField())`)}),
		},
		"squashed migration replays history": {
			head: migWith(map[string]string{"shop/migrations/0001_squashed.py": strings.Replace(migModule(``,
				`migrations.CreateModel(name="Order", fields=[("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False))])`,
				`migrations.AddField(model_name="order", name="qty", field=models.IntegerField())`), "    dependencies", "    replaces = [(\"shop\", \"0001_initial\")]\n    dependencies", 1)}),
		},
		"old migration edited elsewhere": {
			base: migWith(map[string]string{mig2: migModule(migDep, `migrations.AddField(model_name="order", name="qty", field=models.IntegerField())`)}),
			head: migWith(map[string]string{mig2: "# touched\n" + migModule(migDep, `migrations.AddField(model_name="order", name="qty", field=models.IntegerField())`)}),
		},
		"model unknown to the replay": {
			head: migWith(map[string]string{mig2: migModule(migDep, `migrations.AddField(model_name="ghost", name="qty", field=models.IntegerField())`)}),
		},
		"broken migration does not crash": {
			head: migWith(map[string]string{mig2: "from django.db import migrations\nclass Migration(migrations.Migration):\n    dependencies = [(\"shop\", \"0001_initial\")]\n    operations = [migrations.AddField(model_name='order', name='x', field=models.IntegerField(\n"}),
		},
	})
}

func TestMigUniqueOnPopulatedTable(t *testing.T) {
	alter := `migrations.AlterField(model_name="customer", name="email", field=models.EmailField(max_length=254, unique=True))`
	migRunCases(t, uniqueOnPopulatedTable, map[string]migRuleCase{
		"a data step of an old migration does not count": {
			base: migWith(map[string]string{mig2: migModule(migDep, `migrations.RunPython(forwards)`)}),
			head: migWith(map[string]string{mig2: migModule(migDep, `migrations.RunPython(forwards)`),
				"shop/migrations/0003_unique.py": migModule(`("shop", "0002_change")`, alter)}),
			want: []string{"shop/migrations/0003_unique.py:10-10"},
		},
		"a data step of a new migration it depends on": {
			head: migWith(map[string]string{mig2: migModule(migDep, `migrations.RunSQL("DELETE FROM shop_customer WHERE id > 1")`),
				"shop/migrations/0003_unique.py": migModule(`("shop", "0002_change")`, alter)}),
		},
		"a data step after it is too late": {
			head: migWith(map[string]string{mig2: migModule(migDep, alter, `migrations.RunPython(forwards)`)}),
			want: []string{mig2 + ":10-10"},
		},
		"unique kept as it was": {
			base: migWith(map[string]string{mig2: migModule(migDep, alter)}),
			head: migWith(map[string]string{mig2: migModule(migDep, alter), "shop/migrations/0003_again.py": migModule(`("shop", "0002_change")`, alter)}),
		},
		"unique given as an expression": {
			head: migWith(map[string]string{mig2: migModule(migDep, `migrations.AlterField(model_name="customer", name="email", field=models.EmailField(unique=UNIQUE))`)}),
		},
		"ForeignKey becomes OneToOneField": {
			head:    migWith(map[string]string{mig2: migModule(migDep, `migrations.AlterField(model_name="order", name="customer", field=models.OneToOneField(on_delete=models.CASCADE, to="shop.customer"))`)}),
			want:    []string{mig2 + ":10-10"},
			message: "Key (customer_id)=(…) is duplicated",
		},
		"conditional UniqueConstraint is an index on SQLite": {
			head:    migWith(map[string]string{mig2: migModule(migDep, `migrations.AddConstraint(model_name="customer", constraint=models.UniqueConstraint(fields=["email"], condition=models.Q(email__gt=""), name="uniq_email"))`)}),
			want:    []string{mig2 + ":10-10"},
			message: "UNIQUE constraint failed: shop_customer.email`",
		},
		"unique_together written in another order": {
			base: migWith(map[string]string{mig2: migModule(migDep, `migrations.AlterUniqueTogether(name="order", unique_together={("customer", "total"), ("note", "total")})`)}),
			head: migWith(map[string]string{mig2: migModule(migDep, `migrations.AlterUniqueTogether(name="order", unique_together={("customer", "total"), ("note", "total")})`),
				"shop/migrations/0003_x.py": migModule(`("shop", "0002_change")`, `migrations.AlterUniqueTogether(name="order", unique_together={("note", "total"), ("customer", "total")})`)}),
		},
		"AddField unique with a default on a blank given as an expression": {
			head: migWith(map[string]string{mig2: migModule(migDep, `migrations.AddField(model_name="order", name="code", field=models.CharField(blank=BLANK, max_length=5, unique=True))`)}),
		},
		"AddField unique with blank=True gives every row an empty string": {
			head:    migWith(map[string]string{mig2: migModule(migDep, `migrations.AddField(model_name="order", name="code", field=models.CharField(blank=True, max_length=5, unique=True))`)}),
			want:    []string{mig2 + ":10-10"},
			message: `"" (blank=True)`,
		},
		"AddField unique and NOT NULL without default: the not-null rule's": {
			head: migWith(map[string]string{mig2: migModule(migDep, `migrations.AddField(model_name="order", name="code", field=models.IntegerField(unique=True))`)}),
		},
	})
}

func TestMigNullToNotNull(t *testing.T) {
	migRunCases(t, nullToNotNull, map[string]migRuleCase{
		"blank text field: only PostgreSQL fails": {
			head:    migWith(map[string]string{mig2: migModule(migDep, `migrations.AlterField(model_name="order", name="note", field=models.CharField(blank=True, max_length=50))`)}),
			want:    []string{mig2 + ":10-10"},
			message: `SQLite copies the table and fills them with "" (blank=True)`,
		},
		"db_default fills the NULL rows": {
			head: migWith(map[string]string{mig2: migModule(migDep, `migrations.AlterField(model_name="order", name="note", field=models.CharField(db_default="", max_length=50))`)}),
		},
		"default=None fills them with NULL": {
			head: migWith(map[string]string{mig2: migModule(migDep, `migrations.AlterField(model_name="order", name="note", field=models.CharField(default=None, max_length=50))`)}),
			want: []string{mig2 + ":10-10"},
		},
		"was NOT NULL already": {
			head: migWith(map[string]string{mig2: migModule(migDep, `migrations.AlterField(model_name="order", name="total", field=models.BigIntegerField())`)}),
		},
		"data step earlier in the migration": {
			head: migWith(map[string]string{mig2: migModule(migDep, `migrations.RunPython(fill_notes)`, `migrations.AlterField(model_name="order", name="note", field=models.CharField(max_length=50))`)}),
		},
		"table created in this change": {
			head: migWith(map[string]string{mig2: migModule(migDep,
				`migrations.CreateModel(name="Refund", fields=[("reason", models.TextField(null=True))])`,
				`migrations.AlterField(model_name="refund", name="reason", field=models.TextField())`)}),
		},
	})
}

func TestMigCheckConstraint(t *testing.T) {
	check := `migrations.AddConstraint(model_name="order", constraint=models.CheckConstraint(check=models.Q(total__gte=0), name="total_gte_0"))`
	migRunCases(t, checkConstraintOnPopulatedTable, map[string]migRuleCase{
		"no data step": {
			head:    migWith(map[string]string{mig2: migModule(migDep, check)}),
			want:    []string{mig2 + ":10-10"},
			message: `check constraint "total_gte_0" of relation "shop_order" is violated by some row`,
		},
		"unique constraint is the other rule's": {
			head: migWith(map[string]string{mig2: migModule(migDep, `migrations.AddConstraint(model_name="order", constraint=models.UniqueConstraint(fields=["note"], name="u"))`)}),
		},
		"data step in SeparateDatabaseAndState before it": {
			head: migWith(map[string]string{mig2: migModule(migDep, `migrations.SeparateDatabaseAndState(database_operations=[migrations.RunSQL("UPDATE shop_order SET total = 0 WHERE total < 0")])`, check)}),
		},
		"data step earlier in the same SeparateDatabaseAndState": {
			head: migWith(map[string]string{mig2: migModule(migDep, `migrations.SeparateDatabaseAndState(database_operations=[
            migrations.RunSQL("UPDATE shop_order SET total = 0 WHERE total < 0"),
            migrations.AddConstraint(model_name="order", constraint=models.CheckConstraint(check=models.Q(total__gte=0), name="total_gte_0")),
        ])`)}),
		},
		"data step later in the same SeparateDatabaseAndState": {
			head: migWith(map[string]string{mig2: migModule(migDep, `migrations.SeparateDatabaseAndState(database_operations=[
            migrations.AddConstraint(model_name="order", constraint=models.CheckConstraint(check=models.Q(total__gte=0), name="total_gte_0")),
            migrations.RunSQL("UPDATE shop_order SET total = 0 WHERE total < 0"),
        ])`)}),
			want: []string{mig2 + ":11-11"},
		},
		"table with a db_table": {
			base: migWith(map[string]string{mig2: migModule(migDep, `migrations.AlterModelTable(name="order", table="orders")`)}),
			head: migWith(map[string]string{mig2: migModule(migDep, `migrations.AlterModelTable(name="order", table="orders")`),
				"shop/migrations/0003_check.py": migModule(`("shop", "0002_change")`, check)}),
			want:    []string{"shop/migrations/0003_check.py:10-10"},
			message: `of relation "orders"`,
		},
	})
}

func TestMigFKDoNothing(t *testing.T) {
	abstract := `from django.db import models


class Customer(models.Model):
    email = models.EmailField()


class Owned(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.DO_NOTHING)

    class Meta:
        abstract = True


class Order(Owned):
    total = models.IntegerField()


class Invoice(Owned):
    number = models.IntegerField()
`
	migRunCases(t, fkDoNothing, map[string]migRuleCase{
		"inherited by two models: reported once, on the base": {
			head: migWith(map[string]string{"shop/models.py": abstract}),
			want: []string{"shop/models.py:9-9"},
		},
		"unmanaged model": {
			head: migWith(map[string]string{"shop/models.py": strings.Replace(migBase["shop/models.py"], "on_delete=models.CASCADE)", "on_delete=models.DO_NOTHING)\n\n    class Meta:\n        managed = False", 1)}),
		},
		"db_constraint from an expression": {
			head: migWith(map[string]string{"shop/models.py": strings.Replace(migBase["shop/models.py"], "on_delete=models.CASCADE)", "on_delete=models.DO_NOTHING, db_constraint=KEEP)", 1)}),
		},
		"unchanged field": {
			base: migWith(map[string]string{"shop/models.py": strings.Replace(migBase["shop/models.py"], "models.CASCADE", "models.DO_NOTHING", 1)}),
			head: migWith(map[string]string{"shop/models.py": strings.Replace(migBase["shop/models.py"], "models.CASCADE", "models.DO_NOTHING", 1) + "# touched\n"}),
		},
		"swappable user model": {
			head:    migWith(map[string]string{"shop/models.py": strings.Replace(migBase["shop/models.py"], "models.ForeignKey(Customer, on_delete=models.CASCADE)", "models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING)", 1)}),
			want:    []string{"shop/models.py:9-9"},
			message: "the user model's table",
		},
	})
}

func TestMigMissingMigration(t *testing.T) {
	models := migBase["shop/models.py"]
	edit := func(old, new string) map[string]string {
		if !strings.Contains(models, old) {
			t.Fatalf("%q not in the base models", old)
		}
		return migWith(map[string]string{"shop/models.py": strings.Replace(models, old, new, 1)})
	}
	migRunCases(t, missingMigration, map[string]migRuleCase{
		"NOT NULL field removed from the model": {
			head:    edit("    total = models.IntegerField()\n", ""),
			want:    []string{"shop/models.py:8-8"},
			message: "RemoveField shop.Order.total",
		},
		"nullable field removed: inserts still work": {
			head: edit("    note = models.CharField(max_length=50, null=True)\n", ""),
		},
		"foreign key pointed elsewhere": {
			head: edit("class Order(models.Model):\n    customer = models.ForeignKey(Customer,", "class Order(models.Model):\n    customer = models.ForeignKey(\"Order\","),
			want: []string{"shop/models.py:9-9"}, message: `AlterField shop.Order.customer to="shop.order"`,
		},
		"db_constraint dropped": {
			head: edit("on_delete=models.CASCADE)", "on_delete=models.CASCADE, db_constraint=False)"),
			want: []string{"shop/models.py:9-9"}, message: "db_constraint=False",
		},
		"db_default added": {
			head: edit("total = models.IntegerField()", "total = models.IntegerField(db_default=0)"),
			want: []string{"shop/models.py:11-11"}, message: "db_default=0",
		},
		"on_delete changed: no schema change": {
			head: edit("on_delete=models.CASCADE)", "on_delete=models.PROTECT)"),
		},
		"new nullable plain field": {
			head: edit("    total = models.IntegerField()\n", "    total = models.IntegerField()\n    memo = models.TextField(null=True)\n"),
		},
		"unique from an expression": {
			head: edit("email = models.EmailField()", "email = models.EmailField(unique=UNIQUE)"),
		},
		"base class from outside the repository": {
			head: edit("class Customer(models.Model):\n    email = models.EmailField()", "class Customer(TimeStampedModel):\n    email = models.EmailField(unique=True)"),
		},
		"multi-table inheritance with its migration": {
			head: migWith(map[string]string{
				"shop/models.py": models + "\n\nclass GiftOrder(Order):\n    message = models.TextField()\n",
				mig2:             migModule(migDep, `migrations.CreateModel(name="GiftOrder", fields=[("order_ptr", models.OneToOneField(auto_created=True, on_delete=models.CASCADE, parent_link=True, primary_key=True, serialize=False, to="shop.order")), ("message", models.TextField())], bases=("shop.order",))`),
			}),
		},
		"multi-table inheritance without its migration": {
			head: migWith(map[string]string{"shop/models.py": models + "\n\nclass GiftOrder(Order):\n    message = models.TextField()\n"}),
			want: []string{"shop/models.py:14-14"}, message: "CreateModel shop.GiftOrder",
		},
		"proxy model": {
			head: migWith(map[string]string{"shop/models.py": models + "\n\nclass BigOrder(Order):\n    class Meta:\n        proxy = True\n"}),
		},
		"unknown operation leaves the app untrusted": {
			base: migWith(map[string]string{mig2: migModule(migDep, `CustomOperation()`)}),
			head: migWith(map[string]string{mig2: migModule(migDep, `CustomOperation()`), "shop/models.py": strings.Replace(models, "email = models.EmailField()", "email = models.EmailField(unique=True)", 1)}),
		},
		"a migration that does not parse": {
			base: migWith(map[string]string{mig2: migModule(migDep)}),
			head: migWith(map[string]string{mig2: migModule(migDep) + "def (:\n", "shop/models.py": strings.Replace(models, "email = models.EmailField()", "email = models.EmailField(unique=True)", 1)}),
		},
		"constraint removed from the model": {
			base: migWith(map[string]string{
				"shop/models.py": models + "\n    class Meta:\n        constraints = [\n            models.CheckConstraint(check=models.Q(total__gte=0), name=\"total_gte_0\"),\n        ]\n",
				mig2:             migModule(migDep, `migrations.AddConstraint(model_name="order", constraint=models.CheckConstraint(check=models.Q(("total__gte", 0)), name="total_gte_0"))`),
			}),
			head: migWith(map[string]string{
				"shop/models.py": models + "\n    class Meta:\n        constraints = [\n        ]\n",
				mig2:             migModule(migDep, `migrations.AddConstraint(model_name="order", constraint=models.CheckConstraint(check=models.Q(("total__gte", 0)), name="total_gte_0"))`),
			}),
			want: []string{"shop/models.py:14-15"}, message: "CHECK constraint failed: total_gte_0",
		},
		"unique constraint over other fields": {
			base: migWith(map[string]string{
				"shop/models.py": models + "\n    class Meta:\n        constraints = [models.UniqueConstraint(fields=[\"customer\"], name=\"one\")]\n",
				mig2:             migModule(migDep, `migrations.AddConstraint(model_name="order", constraint=models.UniqueConstraint(fields=("customer",), name="one"))`),
			}),
			head: migWith(map[string]string{
				"shop/models.py": models + "\n    class Meta:\n        constraints = [models.UniqueConstraint(fields=[\"customer\", \"note\"], name=\"one\")]\n",
				mig2:             migModule(migDep, `migrations.AddConstraint(model_name="order", constraint=models.UniqueConstraint(fields=("customer",), name="one"))`),
			}),
			want: []string{"shop/models.py:14-14"}, message: "UNIQUE constraint failed: shop_order.customer_id",
		},
		"model renamed with its migration": {
			head: migWith(map[string]string{
				"shop/models.py": strings.Replace(strings.Replace(models, "class Customer(", "class Client(", 1), "ForeignKey(Customer,", "ForeignKey(Client,", 1),
				mig2:             migModule(migDep, `migrations.RenameModel(old_name="Customer", new_name="Client")`),
			}),
		},
		"model renamed without its migration": {
			head: migWith(map[string]string{"shop/models.py": strings.Replace(strings.Replace(models, "class Customer(", "class Client(", 1), "ForeignKey(Customer,", "ForeignKey(Client,", 1)}),
			want: []string{"shop/models.py:4-4", "shop/models.py:9-9"}, message: "CreateModel shop.Client",
		},
	})
}

// TestMigBrokenInputDoesNotCrash feeds the rules operations with missing or
// odd arguments, as hand-written or half-typed migrations have.
func TestMigBrokenInputDoesNotCrash(t *testing.T) {
	ops := []string{
		`migrations.AddField()`, `migrations.AlterField(model_name=1)`, `migrations.AddField("order", "x", None)`,
		`migrations.AlterField("order", "note")`, `migrations.RenameField()`, `migrations.RenameModel("Order")`,
		`migrations.AddConstraint("order")`, `migrations.AddConstraint("order", models.CheckConstraint())`,
		`migrations.AlterUniqueTogether("order", None)`, `migrations.RemoveConstraint()`, `migrations.DeleteModel()`,
		`migrations.CreateModel("X", fields=None)`, `migrations.SeparateDatabaseAndState(None, None)`,
		`migrations.RunSQL()`, `migrations.RunPython()`, `migrations.AlterModelTable("order")`,
		`migrations.AddField(model_name="order", name="y", field=models.IntegerField(**kw))`,
	}
	head := migWith(map[string]string{
		mig2:                            migModule(migDep, ops...),
		"shop/migrations/0003_cycle.py": migModule(`("shop", "0004_cycle"), ("shop", "__latest__"), ("nope", "__first__")`),
		"shop/migrations/0004_cycle.py": migModule(`("shop", "0003_cycle")`),
		"shop/models.py":                migBase["shop/models.py"] + "\nclass Broken(models.Model:\n    x = models.ForeignKey(on_delete=models.DO_NOTHING\n",
	})
	for _, r := range []*Rule{missingMigration, notNullWithoutDefault, uniqueOnPopulatedTable, nullToNotNull, checkConstraintOnPopulatedTable, fkDoNothing} {
		migRun(t, r, migBase, head)
	}
}
