package django

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// build indexes an in-memory tree given as path -> source.
func build(t *testing.T, tree map[string]string) *Project {
	t.Helper()
	var files []SourceFile
	for p, src := range tree {
		files = append(files, SourceFile{Path: p, Src: []byte(src)})
	}
	p, err := Build(t.Context(), files)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return p
}

var shopTree = map[string]string{
	"core/base.py": `from django.db import models as m

class TimeStamped(m.Model):
    created = m.DateTimeField(auto_now_add=True)
    code = m.CharField(max_length=10, unique=True)

    class Meta:
        abstract = True
        constraints = [m.UniqueConstraint(fields=["code", "created"], name="uniq_code_created")]
`,
	"shop/apps.py": `from django.apps import AppConfig

class ShopConfig(AppConfig):
    name = "project.shop"
    label = "store"
`,
	"shop/models/__init__.py": `from .product import *
from .order import Order
`,
	"shop/models/product.py": `from django.db import models
from core.base import TimeStamped

class Product(TimeStamped):
    sku = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=100)
`,
	"shop/models/order.py": `from django.db import models
from .product import Product

class Order(models.Model):
    product = models.ForeignKey(Product, on_delete=models.DO_NOTHING, db_constraint=True)
    customer = models.ForeignKey("accounts.Customer", models.CASCADE, null=True)
    total = models.DecimalField(max_digits=9, decimal_places=2)

    class Meta:
        db_table = "orders"
        unique_together = ("product", "customer")
        constraints = [
            models.CheckConstraint(check=models.Q(total__gte=0), name="total_non_negative"),
        ]
`,
	"accounts/models.py": `from django.db import models

class Customer(models.Model):
    email = models.EmailField(unique=True)
`,
	"shop/migrations/__init__.py": ``,
	"shop/migrations/0001_initial.py": `from django.db import migrations, models

class Migration(migrations.Migration):
    initial = True
    dependencies = [("accounts", "0001_initial")]
    operations = [
        migrations.CreateModel(
            name="Product",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True)),
                ("sku", models.CharField(max_length=32)),
            ],
            options={"unique_together": {("sku", "id")}},
        ),
        migrations.AddField(model_name="product", name="name", field=models.CharField(max_length=100), preserve_default=False),
        migrations.RunPython(migrations.RunPython.noop),
        migrations.SeparateDatabaseAndState(state_operations=[migrations.RemoveField("product", "name")]),
    ]
`,
	"views.py": `from shop.models import Product, Order
from shop import models as shop_models
from shop.models.order import *
`,
	"settings.py": `DATABASES = {"default": {"ENGINE": "x", "ATOMIC_REQUESTS": True}}`,
}

func TestBuildModels(t *testing.T) {
	p := build(t, shopTree)
	if _, ok := p.Apps["store"]; !ok {
		t.Fatalf("app label from apps.py not used; apps: %v", keys(p.Apps))
	}
	prod := p.Models["store.Product"]
	if prod == nil {
		t.Fatalf("store.Product not indexed; models: %v", keys(p.Models))
	}
	var names []string
	for _, f := range prod.Fields {
		names = append(names, f.Name)
	}
	if diff := cmp.Diff([]string{"created", "code", "sku", "name"}, names); diff != "" {
		t.Errorf("Product fields (-want +got):\n%s", diff)
	}
	if prod.Table != "store_product" {
		t.Errorf("Product table = %q", prod.Table)
	}
	if len(prod.Constraints) != 1 || prod.Constraints[0].Name != "uniq_code_created" {
		t.Errorf("abstract Meta constraints not inherited: %+v", prod.Constraints)
	}
	order := p.Models["store.Order"]
	if order == nil {
		t.Fatal("store.Order not indexed")
	}
	if order.Table != "orders" {
		t.Errorf("Order table = %q", order.Table)
	}
	fk := order.Field("product_id")
	if fk == nil || fk.OnDelete != "DO_NOTHING" || !fk.DBConstraint {
		t.Errorf("product FK = %+v", fk)
	}
	if got := p.RelatedModel(order, fk); got != prod {
		t.Errorf("product FK target = %v", got)
	}
	if c := order.Field("customer"); c.OnDelete != "CASCADE" || !c.Null || p.RelatedModel(order, c) != p.Models["accounts.Customer"] {
		t.Errorf("customer FK = %+v", c)
	}
	if diff := cmp.Diff([][]string{{"product", "customer"}}, order.UniqueTogether); diff != "" {
		t.Errorf("unique_together (-want +got):\n%s", diff)
	}
	if len(order.Constraints) != 1 || order.Constraints[0].Kind != "check" || order.Constraints[0].Check != "models.Q(total__gte=0)" {
		t.Errorf("check constraint = %+v", order.Constraints)
	}
	if !p.AtomicRequests {
		t.Error("ATOMIC_REQUESTS not found in settings")
	}
}

func TestResolveModel(t *testing.T) {
	p := build(t, shopTree)
	views := p.Files["views.py"]
	for _, tc := range []struct{ expr, want string }{
		{"Product", "store.Product"},
		{"Order", "store.Order"},
		{"shop_models.Product", "store.Product"},
		{"shop_models.Order", "store.Order"},
		{"Missing", ""},
	} {
		got := ""
		if m := p.ResolveModel(views, tc.expr); m != nil {
			got = m.Key()
		}
		if got != tc.want {
			t.Errorf("ResolveModel(%q) = %q, want %q", tc.expr, got, tc.want)
		}
	}
}

func TestMigrations(t *testing.T) {
	p := build(t, shopTree)
	m := p.Apps["store"].Migrations["0001_initial"]
	if m == nil {
		t.Fatalf("migration not attached: %+v", p.Apps["store"].Migrations)
	}
	if !m.Initial || m.App != "store" {
		t.Errorf("migration = %+v", m)
	}
	if diff := cmp.Diff([]MigrationRef{{"accounts", "0001_initial"}}, m.Dependencies); diff != "" {
		t.Errorf("dependencies (-want +got):\n%s", diff)
	}
	var kinds []string
	for _, op := range m.Operations {
		kinds = append(kinds, op.Kind)
	}
	if diff := cmp.Diff([]string{"CreateModel", "AddField", "RunPython", "SeparateDatabaseAndState"}, kinds); diff != "" {
		t.Errorf("operations (-want +got):\n%s", diff)
	}
	cm := m.Operations[0]
	if cm.Model != "Product" || len(cm.Fields) != 2 || !cm.Fields[0].PrimaryKey {
		t.Errorf("CreateModel = %+v", cm)
	}
	if diff := cmp.Diff([][]string{{"sku", "id"}}, cm.Options.UniqueTogether); diff != "" {
		t.Errorf("CreateModel unique_together (-want +got):\n%s", diff)
	}
	if af := m.Operations[1]; af.Model != "product" || af.Field == nil || !af.Preserve || af.Line != 15 {
		t.Errorf("AddField = %+v", af)
	}
	if !m.Operations[2].Noop || m.Operations[2].IsDataStep() {
		t.Errorf("RunPython.noop not seen as a no-op: %+v", m.Operations[2])
	}
	if s := m.Operations[3]; len(s.StateOperations) != 1 || s.StateOperations[0].Kind != "RemoveField" {
		t.Errorf("SeparateDatabaseAndState = %+v", s)
	}
}

func TestBrokenPython(t *testing.T) {
	p := build(t, map[string]string{
		"shop/models.py": "from django.db import models\n\nclass Product(models.Model):\n    sku = models.CharField(unique=True\n\ndef (:\n",
		"bin.py":         "\x00\x01\x02",
		"shop/empty.py":  "",
	})
	if !p.Files["shop/models.py"].HasErrors {
		t.Error("syntax error not recorded")
	}
}

func TestWriteModelResolvesAcrossApps(t *testing.T) {
	p := build(t, map[string]string{
		"shop/models.py": "from django.db import models\n\nclass Product(models.Model):\n    sku = models.CharField(max_length=9, unique=True)\n",
		"web/views.py": strings.Join([]string{
			"from django.apps import apps",
			"from shop import models as m",
			"def f(request):",
			"    m.Product.objects.create(sku='a')",
			"    P = apps.get_model('shop', 'product')",
			"    P.objects.create(sku='b')",
			"    Missing.objects.create(sku='c')",
		}, "\n"),
	})
	f := p.Files["web/views.py"]
	var got []string
	for _, w := range f.Writes {
		m := p.WriteModel(f, w.Model, w.Ref)
		if m == nil {
			got = append(got, "")
			continue
		}
		got = append(got, m.Key())
	}
	if diff := cmp.Diff([]string{"shop.Product", "shop.Product", ""}, got); diff != "" {
		t.Errorf("resolved models (-want +got):\n%s", diff)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestAppLabels: an AppConfig in the package's __init__.py names the app;
// two apps that claim one label are both ambiguous, whatever the order the
// files come in.
func TestAppLabels(t *testing.T) {
	files := map[string]string{
		"store/core/__init__.py":   "from django.apps import AppConfig\n\n\nclass CoreConfig(AppConfig):\n    name = \"store.core\"\n    label = \"store\"\n",
		"store/core/models.py":     "from django.db import models\n\n\nclass Order(models.Model):\n    pass\n",
		"billing/models.py":        "from django.db import models\n\n\nclass Invoice(models.Model):\n    pass\n",
		"legacy/billing/models.py": "from django.db import models\n\n\nclass Invoice(models.Model):\n    pass\n",
	}
	for range 5 { // map order varies between runs
		var srcs []SourceFile
		for p, s := range files {
			srcs = append(srcs, SourceFile{Path: p, Src: []byte(s)})
		}
		p, err := Build(t.Context(), srcs)
		if err != nil {
			t.Fatal(err)
		}
		if app := p.Apps["store"]; app == nil || app.Dir != "store/core" {
			t.Fatalf("label store = %+v, want the app in store/core", app)
		}
		app := p.Apps["billing"]
		if app == nil || app.Dir != "billing" || !app.Ambiguous {
			t.Fatalf("label billing = %+v, want the first directory, marked ambiguous", app)
		}
	}
}

// TestDanglingDependencies: a dependency on a migration of an app of the
// tree that the tree does not hold dangles; one on an app the tree does
// not have (a third-party app), on a migration a squash replaces, or on
// __first__ does not.
func TestDanglingDependencies(t *testing.T) {
	mig := func(deps string, extra ...string) string {
		return "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n" + strings.Join(extra, "") +
			"    dependencies = [" + deps + "]\n    operations = []\n"
	}
	tests := map[string]struct {
		tree map[string]string
		want []MigrationRef
	}{
		"own app": {
			tree: map[string]string{"shop/migrations/0003_discount.py": mig(`("shop", "0002_price")`)},
			want: []MigrationRef{{"shop", "0002_price"}},
		},
		"other app of the tree": {
			tree: map[string]string{
				"shop/migrations/0003_discount.py":    mig(`("accounts", "0004_gone")`),
				"accounts/migrations/0001_initial.py": mig(``),
			},
			want: []MigrationRef{{"accounts", "0004_gone"}},
		},
		"present": {
			tree: map[string]string{
				"shop/migrations/0002_price.py":    mig(``),
				"shop/migrations/0003_discount.py": mig(`("shop", "0002_price")`),
			},
		},
		"third-party app": {
			tree: map[string]string{"shop/migrations/0003_discount.py": mig(`("taggit", "0003_taggeditem_add_unique_index"), ("auth", "0012_alter_user_first_name_max_length")`)},
		},
		"app of the tree without migrations of Django's": {
			tree: map[string]string{
				"shop/migrations/0003_discount.py": mig(`("legacy", "0002_x")`),
				"legacy/models.py":                 "from django.db import models\n",
			},
		},
		"replaced by a squash": {
			tree: map[string]string{
				"shop/migrations/0001_squashed_0002_price.py": mig(``, `    replaces = [("shop", "0001_initial"), ("shop", "0002_price")]`+"\n"),
				"shop/migrations/0003_discount.py":            mig(`("shop", "0002_price")`),
			},
		},
		"first and latest": {
			tree: map[string]string{"shop/migrations/0003_discount.py": mig(`("shop", "__first__"), ("other", "__latest__")`), "other/migrations/0001_initial.py": mig(``)},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p := build(t, tc.tree)
			m := p.Apps["shop"].Migrations["0003_discount"]
			if m == nil {
				t.Fatal("shop.0003_discount not indexed")
			}
			if diff := cmp.Diff(tc.want, m.Dangling); diff != "" {
				t.Errorf("dangling (-want +got):\n%s", diff)
			}
		})
	}
}
