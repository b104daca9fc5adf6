package migstate

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/rules/django"
)

// build indexes an in-memory tree given as path -> source.
func build(t *testing.T, tree map[string]string) *django.Project {
	t.Helper()
	var files []django.SourceFile
	for p, src := range tree {
		files = append(files, django.SourceFile{Path: p, Src: []byte(src)})
	}
	p, err := django.Build(t.Context(), files)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return p
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// migration writes a migration module with the given dependencies and
// operations (Python source, one per entry).
func migration(deps string, ops ...string) string {
	return "from django.conf import settings\nfrom django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n" +
		"    dependencies = [" + deps + "]\n" +
		"    operations = [\n        " + strings.Join(ops, ",\n        ") + ",\n    ]\n"
}

func planNames(h *History) []string {
	var out []string
	for _, m := range h.Plan {
		out = append(out, m.App+"."+m.Name)
	}
	return out
}

func TestPlan(t *testing.T) {
	for _, tc := range []struct {
		name string
		tree map[string]string
		want []string
	}{
		{
			name: "cross-app dependency orders apps",
			tree: map[string]string{
				"accounts/migrations/0001_initial.py": migration(``, `migrations.CreateModel(name="Customer", fields=[])`),
				"accounts/migrations/0002_more.py":    migration(`("accounts", "0001_initial")`),
				"shop/migrations/0001_initial.py":     migration(`("accounts", "0002_more")`),
				"aaa/migrations/0001_initial.py":      migration(`("shop", "0001_initial")`),
			},
			want: []string{"accounts.0001_initial", "accounts.0002_more", "shop.0001_initial", "aaa.0001_initial"},
		},
		{
			name: "__first__ and __latest__",
			tree: map[string]string{
				"shop/migrations/0001_initial.py":  migration(`("lib", "__latest__")`),
				"lib/migrations/0001_initial.py":   migration(``),
				"lib/migrations/0002_second.py":    migration(`("lib", "0001_initial")`),
				"shop/migrations/0002_product.py":  migration(`("shop", "0001_initial")`),
				"other/migrations/0001_initial.py": migration(`("shop", "__first__")`),
			},
			want: []string{"lib.0001_initial", "lib.0002_second", "shop.0001_initial", "other.0001_initial", "shop.0002_product"},
		},
		{
			name: "squashed migration stands in for its members",
			tree: map[string]string{
				"shop/migrations/0001_initial.py":              migration(``),
				"shop/migrations/0002_sku.py":                  migration(`("shop", "0001_initial")`),
				"shop/migrations/0001_squashed_0002_sku.py":    strings.Replace(migration(``), "    dependencies", "    replaces = [(\"shop\", \"0001_initial\"), (\"shop\", \"0002_sku\")]\n    dependencies", 1),
				"shop/migrations/0003_price.py":                migration(`("shop", "0002_sku")`),
				"billing/migrations/0001_initial.py":           migration(`("shop", "0001_initial")`),
				"shop/migrations/0004_unknown_dependencies.py": migration(`("shop", "0003_price"), ("nowhere", "0001_initial"), ("shop", "9999_missing")`),
			},
			want: []string{"shop.0001_squashed_0002_sku", "billing.0001_initial", "shop.0003_price", "shop.0004_unknown_dependencies"},
		},
		{
			name: "cycle does not stop the plan",
			tree: map[string]string{
				"shop/migrations/0001_a.py": migration(`("shop", "0002_b")`),
				"shop/migrations/0002_b.py": migration(`("shop", "0001_a")`),
				"shop/migrations/0003_c.py": migration(``),
			},
			want: []string{"shop.0003_c", "shop.0001_a", "shop.0002_b"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := Replay(build(t, tc.tree))
			if diff := cmp.Diff(tc.want, planNames(h)); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanFirstResolvesToRoot(t *testing.T) {
	// __first__ must name the root of the app, not merely its first name.
	h := Replay(build(t, map[string]string{
		"lib/migrations/0001_initial.py":  migration(``),
		"lib/migrations/0002_more.py":     migration(`("lib", "0001_initial")`),
		"shop/migrations/0001_initial.py": migration(`("lib", "__first__")`),
	}))
	shop := h.Plan[len(h.Plan)-1]
	if shop.Name != "0001_initial" || shop.App != "shop" {
		t.Fatalf("plan = %v", planNames(h))
	}
	var got []string
	for _, a := range h.Ancestors(shop) {
		got = append(got, a.App+"."+a.Name)
	}
	if diff := cmp.Diff([]string{"lib.0001_initial"}, got); diff != "" {
		t.Errorf("ancestors (-want +got):\n%s", diff)
	}
}

var replayTree = map[string]string{
	"accounts/migrations/0001_initial.py": migration(``,
		`migrations.CreateModel(name="Customer", fields=[("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)), ("email", models.EmailField(max_length=254, unique=True))])`),
	"shop/migrations/0001_initial.py": migration(`("accounts", "0001_initial")`,
		`migrations.CreateModel(name="Product", fields=[("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)), ("sku", models.CharField(max_length=32))], options={"unique_together": {("sku", "id")}})`,
		`migrations.CreateModel(name="Order", fields=[("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False)), ("product", models.ForeignKey(on_delete=models.CASCADE, to="shop.product")), ("buyer", models.ForeignKey(on_delete=models.CASCADE, to="accounts.Customer")), ("parent", models.ForeignKey(null=True, on_delete=models.CASCADE, to="self")), ("owner", models.ForeignKey(on_delete=models.CASCADE, to=settings.AUTH_USER_MODEL))])`),
	"shop/migrations/0002_changes.py": migration(`("shop", "0001_initial")`,
		`migrations.AddField(model_name="product", name="code", field=models.CharField(default="x", max_length=8), preserve_default=False)`,
		`migrations.AlterField(model_name="product", name="sku", field=models.CharField(max_length=32, unique=True))`,
		`migrations.RenameField(model_name="product", old_name="sku", new_name="ref")`,
		`migrations.AddConstraint(model_name="order", constraint=models.CheckConstraint(check=models.Q(id__gte=0), name="id_positive"))`,
		`migrations.AddConstraint(model_name="order", constraint=models.UniqueConstraint(fields=["product", "buyer"], name="one_per_buyer"))`,
		`migrations.RemoveConstraint(model_name="order", name="id_positive")`,
		`migrations.RenameModel(old_name="Product", new_name="Item")`,
		`migrations.AlterModelTable(name="order", table="orders")`,
		`migrations.SeparateDatabaseAndState(state_operations=[migrations.RemoveField(model_name="order", name="owner")], database_operations=[])`,
		`migrations.CreateModel(name="Temp", fields=[])`,
		`migrations.DeleteModel(name="Temp")`,
		`migrations.AddIndex(model_name="order", index=models.Index(fields=["buyer"], name="buyer_idx"))`),
}

func TestReplay(t *testing.T) {
	p := build(t, replayTree)
	h := Replay(p)
	if got := h.Model("shop", "Temp"); got != nil {
		t.Errorf("deleted model still in state: %+v", got)
	}
	if h.Model("shop", "Product") != nil {
		t.Error("renamed model kept under its old name")
	}
	item := h.Model("shop", "item")
	if item == nil {
		t.Fatalf("renamed model missing; models: %v", keys(h.Models))
	}
	if item.Name != "Item" || item.Table() != "shop_item" || item.Opaque {
		t.Errorf("Item = %+v", item)
	}
	if item.Created == nil || item.Created.Name != "0001_initial" {
		t.Errorf("Item created in %+v, want 0001_initial (a rename keeps the table)", item.Created)
	}
	var fields []string
	for _, f := range item.Fields {
		fields = append(fields, f.Name)
	}
	if diff := cmp.Diff([]string{"id", "ref", "code"}, fields); diff != "" {
		t.Errorf("Item fields (-want +got):\n%s", diff)
	}
	if ref := item.Field("ref"); ref == nil || !ref.Unique {
		t.Errorf("ref = %+v, want the altered unique field renamed", ref)
	}
	if code := item.Field("code"); code == nil || code.HasDefault {
		t.Errorf("code = %+v, want the default dropped by preserve_default=False", code)
	}
	if diff := cmp.Diff([][]string{{"ref", "id"}}, item.Options.UniqueTogether); diff != "" {
		t.Errorf("unique_together after RenameField (-want +got):\n%s", diff)
	}

	order := h.Model("shop", "Order")
	if order == nil {
		t.Fatal("Order missing")
	}
	if order.Table() != "orders" {
		t.Errorf("Order table = %q", order.Table())
	}
	if order.Field("owner") != nil {
		t.Error("state_operations of SeparateDatabaseAndState not applied")
	}
	targets := map[string]string{}
	for _, f := range order.Fields {
		targets[f.Name] = f.To
	}
	if diff := cmp.Diff(map[string]string{"id": "", "product": "shop.item", "buyer": "accounts.customer", "parent": "shop.order"}, targets); diff != "" {
		t.Errorf("relation targets (-want +got):\n%s", diff)
	}
	var names []string
	for _, c := range order.Constraints() {
		names = append(names, c.Name)
	}
	if diff := cmp.Diff([]string{"one_per_buyer"}, names); diff != "" {
		t.Errorf("constraints (-want +got):\n%s", diff)
	}
	if order.Opaque || h.OpaqueApps["shop"] {
		t.Error("AddIndex made the model opaque")
	}
}

// Constraints is a test shorthand.
func (s *ModelState) Constraints() []*django.Constraint { return s.Options.Constraints }

func TestBeforeIsASnapshot(t *testing.T) {
	p := build(t, replayTree)
	h := Replay(p)
	m := p.Apps["shop"].Migrations["0002_changes"]
	alter := m.Operations[1]
	before := h.Before(alter)
	if before == nil {
		t.Fatal("no state before AlterField")
	}
	sku := before.Field("sku")
	if sku == nil || sku.Unique {
		t.Errorf("sku before AlterField = %+v, want the field as 0001 made it (not unique)", sku)
	}
	if before.Field("code") == nil {
		t.Error("state before AlterField lacks the field AddField made just before it")
	}
	if before.Name != "Product" {
		t.Errorf("state before the rename = %q, later operations leaked into the snapshot", before.Name)
	}
	if h.Before(m.Operations[0]).Field("code") != nil {
		t.Error("state before AddField already has the field")
	}
	if got := h.Before(p.Apps["shop"].Migrations["0001_initial"].Operations[0]); got != nil {
		t.Errorf("state before CreateModel = %+v, want nil", got)
	}
}

func TestReplayOpaque(t *testing.T) {
	for _, tc := range []struct {
		name      string
		op        string
		opaque    []string // models whose state is not trusted afterwards
		opaqueApp bool
	}{
		{name: "RunSQL altering a table", op: `migrations.RunSQL("ALTER TABLE shop_product ADD CONSTRAINT x CHECK (1)")`, opaque: []string{"shop.product"}},
		{name: "RunSQL on rows only", op: `migrations.RunSQL("UPDATE shop_product SET sku = id")`},
		{name: "RunSQL whose table name is a prefix", op: `migrations.RunSQL("DROP TABLE shop_product_old")`},
		{name: "RunSQL from a variable", op: `migrations.RunSQL(SQL)`, opaque: []string{"shop.product", "shop.order"}, opaqueApp: true},
		{name: "RunSQL noop", op: `migrations.RunSQL(migrations.RunSQL.noop)`},
		{name: "unknown operation on a model", op: `pgtrigger.migrations.AddTrigger(model_name="order", trigger=None)`, opaque: []string{"shop.order"}},
		{name: "unknown operation on no model", op: `CustomOperation()`, opaque: []string{"shop.product", "shop.order"}, opaqueApp: true},
		{name: "AlterField of an unreadable field", op: `migrations.AlterField(model_name="product", name="sku", field=make_field())`, opaque: []string{"shop.product"}},
		{name: "AlterField of a field never added", op: `migrations.AlterField(model_name="product", name="ghost", field=models.IntegerField())`, opaque: []string{"shop.product"}},
		{name: "AddField to a model never created", op: `migrations.AddField(model_name="ghost", name="x", field=models.IntegerField())`, opaque: []string{"shop.ghost"}},
		{name: "RunPython", op: `migrations.RunPython(forwards)`},
		{name: "RemoveField of a name in a variable", op: `migrations.RemoveField(model_name="product", name=LEGACY)`, opaque: []string{"shop.product"}},
		{name: "RemoveField of a model in a variable", op: `migrations.RemoveField(model_name=MODEL, name="sku")`, opaque: []string{"shop.product", "shop.order"}, opaqueApp: true},
		{name: "RemoveConstraint of a computed name", op: `migrations.RemoveConstraint(model_name="order", name=PREFIX + "_uniq")`, opaque: []string{"shop.order"}},
		{name: "AddField of a field in a variable", op: `migrations.AddField(model_name="order", name="total", field=TOTAL)`, opaque: []string{"shop.order"}},
		{name: "AlterUniqueTogether from a variable", op: `migrations.AlterUniqueTogether(name="order", unique_together=TOGETHER)`, opaque: []string{"shop.order"}},
		{name: "state operations built by code", op: `migrations.SeparateDatabaseAndState(state_operations=STATE_OPS)`, opaque: []string{"shop.product", "shop.order"}, opaqueApp: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := Replay(build(t, map[string]string{
				"shop/migrations/0001_initial.py": migration(``,
					`migrations.CreateModel(name="Product", fields=[("sku", models.CharField(max_length=32))])`,
					`migrations.CreateModel(name="Order", fields=[("n", models.IntegerField())])`),
				"shop/migrations/0002_x.py": migration(`("shop", "0001_initial")`, tc.op),
			}))
			var got []string
			for _, k := range []string{"shop.product", "shop.order", "shop.ghost"} {
				if s := h.Models[k]; s != nil && s.Opaque {
					got = append(got, k)
				}
			}
			if diff := cmp.Diff(tc.opaque, got); diff != "" {
				t.Errorf("opaque models (-want +got):\n%s", diff)
			}
			if h.OpaqueApps["shop"] != tc.opaqueApp {
				t.Errorf("app opaque = %v, want %v", h.OpaqueApps["shop"], tc.opaqueApp)
			}
		})
	}
}

// TestReplayDistrusts: what the replay cannot follow whole leaves apps
// opaque: a migration whose operations are built by code, and both apps
// of a dependency on a migration the tree does not hold.
func TestReplayDistrusts(t *testing.T) {
	initial := migration(``, `migrations.CreateModel(name="Product", fields=[("sku", models.CharField(max_length=32))])`)
	const noop = `migrations.RunPython(migrations.RunPython.noop)`
	for _, tc := range []struct {
		name string
		tree map[string]string
		want []string
	}{
		{
			name: "operations built by code",
			tree: map[string]string{
				"shop/migrations/0001_initial.py": initial,
				"shop/migrations/0002_x.py": `from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("shop", "0001_initial")]
    operations = [migrations.RemoveField(model_name="product", name=n) for n in OLD]
`,
			},
			want: []string{"shop"},
		},
		{
			name: "dangling dependency",
			tree: map[string]string{
				"shop/migrations/0001_initial.py":     initial,
				"shop/migrations/0003_x.py":           migration(`("shop", "0002_gone")`, `migrations.AddField(model_name="product", name="n", field=models.IntegerField())`),
				"accounts/migrations/0001_initial.py": migration(``, noop),
				"billing/migrations/0001_initial.py":  migration(`("accounts", "0002_gone"), ("taggit", "0003_x")`, noop),
				"other/migrations/0001_initial.py":    migration(``, noop),
			},
			want: []string{"accounts", "billing", "shop"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := Replay(build(t, tc.tree))
			got := keys(h.OpaqueApps)
			slices.Sort(got)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("opaque apps (-want +got):\n%s", diff)
			}
			if s := h.Model("shop", "Product"); s == nil || !s.Opaque {
				t.Errorf("shop.Product = %+v, want opaque", s)
			}
		})
	}
}

func TestReplayBrokenInput(t *testing.T) {
	h := Replay(build(t, map[string]string{
		"shop/migrations/0001_initial.py": "from django.db import migrations\nclass Migration(migrations.Migration):\n    dependencies = [(\n    operations = [migrations.CreateModel(\n",
		"shop/migrations/0002_x.py":       migration(`("shop", "0001_initial")`, `migrations.RenameModel(old_name="Nope", new_name="Other")`, `migrations.RenameField(model_name="nope", old_name="a", new_name="b")`, `migrations.CreateModel(fields=[])`),
	}))
	if len(h.Plan) != 2 {
		t.Errorf("plan = %v", planNames(h))
	}
	if !h.OpaqueApps["shop"] {
		t.Error("a rename of an unknown model should leave the app untrusted")
	}
}

func TestNormalizeRef(t *testing.T) {
	for _, tc := range []struct{ ref, want string }{
		{"self", "shop.order"},
		{"Customer", "shop.customer"},
		{"accounts.Customer", "accounts.customer"},
		{"project.accounts.models.Customer", ""},
		{"settings.AUTH_USER_MODEL", "settings.AUTH_USER_MODEL"},
		{"", ""},
	} {
		if got := NormalizeRef("shop", "Order", tc.ref); got != tc.want {
			t.Errorf("NormalizeRef(%q) = %q, want %q", tc.ref, got, tc.want)
		}
	}
}

// FuzzHistory replays fuzzed migration modules: broken Python must never
// stop or crash the replay.
func FuzzHistory(f *testing.F) {
	for _, src := range replayTree {
		f.Add(src)
	}
	f.Add(migration(`("shop", "0001_initial"), ("shop", "__latest__")`, `migrations.RenameModel("A", "A")`, `migrations.RenameField("a", "b", "b")`))
	f.Fuzz(func(t *testing.T, src string) {
		files := []django.SourceFile{
			{Path: "shop/migrations/0001_initial.py", Src: []byte(replayTree["shop/migrations/0001_initial.py"])},
			{Path: "shop/migrations/0002_fuzz.py", Src: []byte(src)},
			{Path: "shop/migrations/0003_next.py", Src: []byte(migration(`("shop", "0002_fuzz")`, `migrations.AddField("product", "x", models.IntegerField())`))},
		}
		p, err := django.Build(t.Context(), files)
		if err != nil {
			t.Fatal(err)
		}
		h := Replay(p)
		for _, m := range h.Plan {
			h.Ancestors(m)
			for _, op := range m.Operations {
				h.Before(op)
			}
		}
	})
}
