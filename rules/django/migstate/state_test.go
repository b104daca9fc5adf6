package migstate

import (
	"context"
	"errors"
	"fmt"
	"runtime"
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

// replay is Replay to the end.
func replay(t *testing.T, p *django.Project) *History {
	t.Helper()
	h, err := Replay(t.Context(), p)
	if err != nil {
		t.Fatal(err)
	}
	return h
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
			h := replay(t, build(t, tc.tree))
			if diff := cmp.Diff(tc.want, planNames(h)); diff != "" {
				t.Errorf("plan (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPlanFirstResolvesToRoot(t *testing.T) {
	// __first__ must name the root of the app, not merely its first name.
	h := replay(t, build(t, map[string]string{
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
	h := replay(t, p)
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
	h := replay(t, p)
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
			h := replay(t, build(t, map[string]string{
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
			h := replay(t, build(t, tc.tree))
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
	h := replay(t, build(t, map[string]string{
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
		h := replay(t, p)
		for _, m := range h.Plan {
			h.Ancestors(m)
			for _, op := range m.Operations {
				h.Before(op)
			}
		}
	})
}

// TestSnapshotsSurviveEveryChange: the copies the replay makes share
// their slices with the state they copy, so every change in place must
// leave the earlier snapshots as they were. Each operation's snapshot is
// compared with what it held when it was taken.
func TestSnapshotsSurviveEveryChange(t *testing.T) {
	p := build(t, map[string]string{
		"shop/__init__.py": "", "shop/migrations/__init__.py": "",
		"shop/migrations/0001_initial.py": migration("",
			"migrations.CreateModel(name='Product', fields=[('id', models.BigAutoField(primary_key=True)), ('sku', models.CharField(max_length=9))], options={'unique_together': {('sku', 'id')}})",
			"migrations.CreateModel(name='Line', fields=[('id', models.BigAutoField(primary_key=True)), ('product', models.ForeignKey(on_delete=models.CASCADE, to='shop.product'))])",
			"migrations.AddField(model_name='product', name='a', field=models.IntegerField(null=True))",
			"migrations.AddField(model_name='product', name='b', field=models.IntegerField(null=True))",
			"migrations.AddConstraint(model_name='product', constraint=models.UniqueConstraint(fields=['a'], name='u'))",
			"migrations.AddConstraint(model_name='product', constraint=models.UniqueConstraint(fields=['b'], name='u'))",
			"migrations.AlterField(model_name='product', name='a', field=models.IntegerField(unique=True))",
			"migrations.RenameField(model_name='product', old_name='sku', new_name='code')",
			"migrations.RemoveField(model_name='product', name='b')",
			"migrations.RemoveConstraint(model_name='product', name='u')",
			"migrations.AddField(model_name='product', name='c', field=models.IntegerField(null=True))",
			"migrations.RenameModel(old_name='Product', new_name='Item')",
			"migrations.AddField(model_name='line', name='d', field=models.IntegerField(null=True))",
		),
	})
	type view struct {
		Name                string
		Fields, Constraints []string
		Together            [][]string
	}
	see := func(s *ModelState) view {
		if s == nil {
			return view{}
		}
		v := view{Name: s.Name}
		for _, f := range s.Fields {
			v.Fields = append(v.Fields, fmt.Sprintf("%s unique=%v to=%s", f.Name, f.Unique, f.To))
		}
		for _, c := range s.Options.Constraints {
			v.Constraints = append(v.Constraints, c.Name+":"+strings.Join(c.Fields, ","))
		}
		for _, set := range s.Options.UniqueTogether {
			v.Together = append(v.Together, slices.Clone(set))
		}
		return v
	}
	// Replay again, noting each snapshot as soon as the operation after it
	// has run: what it must still show at the end.
	ops := p.Apps["shop"].Migrations["0001_initial"].Operations
	h := &History{Models: map[string]*ModelState{}, OpaqueApps: map[string]bool{}, before: map[*django.Operation]*ModelState{}}
	m := p.Apps["shop"].Migrations["0001_initial"]
	var want []view
	for _, op := range ops {
		h.record(m.App, op)
		want = append(want, see(h.Before(op)))
		h.apply(m, op)
	}
	var got []view
	for _, op := range ops {
		got = append(got, see(h.Before(op)))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("snapshots changed by later operations (-when taken +at the end):\n%s", diff)
	}
	if want[len(want)-1].Name == "" || len(want[8].Fields) != 4 {
		t.Fatalf("the snapshots are not what the test means to check: %+v", want)
	}
}

// TestReplayManyFieldsLinear: a migration that adds thousands of fields
// to one model costs memory in proportion to them, not their square (each
// operation copied the model's fields for the snapshot before it).
func TestReplayManyFieldsLinear(t *testing.T) {
	alloc := func(n int) uint64 {
		var ops []string
		for i := range n {
			ops = append(ops, fmt.Sprintf("migrations.AddField('product', 'f%d', models.IntegerField(null=True))", i))
		}
		p := build(t, map[string]string{
			"shop/__init__.py": "", "shop/migrations/__init__.py": "",
			"shop/migrations/0001_initial.py": migration("", append([]string{"migrations.CreateModel(name='Product', fields=[('id', models.BigAutoField(primary_key=True))])"}, ops...)...),
		})
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		replay(t, p)
		runtime.ReadMemStats(&after)
		return after.TotalAlloc - before.TotalAlloc
	}
	small, large := alloc(2000), alloc(8000)
	if ratio := float64(large) / float64(small); ratio > 7 {
		t.Errorf("4x the fields allocated %.1fx the memory (%d then %d bytes): not linear", ratio, small, large)
	}
}

// TestReplayStopsWithContext: the replay stops between operations when
// its context ends, and says its history is partial.
func TestReplayStopsWithContext(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Replay(ctx, build(t, replayTree)); !errors.Is(err, context.Canceled) {
		t.Errorf("Replay with an ended context: %v, want context.Canceled", err)
	}
}
