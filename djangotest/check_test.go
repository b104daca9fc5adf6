package djangotest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/rules"
)

func TestQuoteMatches(t *testing.T) {
	tests := map[string]struct {
		quote, observed string
		prefix          bool
		want            bool
	}{
		"equal": {
			quote:    "UNIQUE constraint failed: shop_coupon.code",
			observed: "UNIQUE constraint failed: shop_coupon.code",
			want:     true,
		},
		"other column": {
			quote:    "UNIQUE constraint failed: shop_coupon.code",
			observed: "UNIQUE constraint failed: shop_coupon.name",
		},
		"ellipsis stands for a name": {
			quote:    `could not create unique index "…"` + "\nDETAIL:  Key (sku)=(…) is duplicated.",
			observed: `could not create unique index "myapp_product_sku_c1c1877e_uniq"` + "\nDETAIL:  Key (sku)=(MUG-01) is duplicated.",
			want:     true,
		},
		"ellipsis does not excuse other text": {
			quote:    `could not create unique index "…"`,
			observed: `could not create index "x"`,
		},
		"whole text unless prefix": {
			quote:    "duplicate key value violates unique constraint",
			observed: `duplicate key value violates unique constraint "accounts_user_username_key"`,
		},
		"prefix at a word boundary": {
			quote:    "duplicate key value violates unique constraint",
			observed: `duplicate key value violates unique constraint "accounts_user_username_key"`,
			prefix:   true,
			want:     true,
		},
		"prefix inside a word": {
			quote:    "UNIQUE constraint failed: shop_coupon.co",
			observed: "UNIQUE constraint failed: shop_coupon.code",
			prefix:   true,
		},
		"row count of MultipleObjectsReturned": {
			quote:    "get() returned more than one Cart -- it returned 2!",
			observed: "get() returned more than one Cart -- it returned 5!",
			want:     true,
		},
		"other model of MultipleObjectsReturned": {
			quote:    "get() returned more than one Cart -- it returned 2!",
			observed: "get() returned more than one Tag -- it returned 2!",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := QuoteMatches(tt.quote, tt.observed, tt.prefix); got != tt.want {
				t.Errorf("QuoteMatches(%q, %q, %v) = %v, want %v", tt.quote, tt.observed, tt.prefix, got, tt.want)
			}
		})
	}
}

func TestMessageQuotes(t *testing.T) {
	msg := "fails with IntegrityError `UNIQUE constraint failed: accounts_user.username` (PostgreSQL: `duplicate key value violates unique constraint`); " +
		`the next query raises TransactionManagementError ("An error occurred in the current transaction."); see ` + "`\"…\"`."
	tests := map[string]struct {
		observed string
		want     bool
	}{
		"backticks":                      {"UNIQUE constraint failed: accounts_user.username", true},
		"backticks, prefix":              {`duplicate key value violates unique constraint "accounts_user_username_key"`, true},
		"double quotes":                  {"An error occurred in the current transaction.", true},
		"other table":                    {"UNIQUE constraint failed: accounts_profile.username", false},
		"a bare ellipsis is not a quote": {`update or delete on table "x" violates foreign key constraint`, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := MessageQuotes(msg, tt.observed); got != tt.want {
				t.Errorf("MessageQuotes(…, %q) = %v, want %v", tt.observed, got, tt.want)
			}
		})
	}
}

func TestErrorBlocks(t *testing.T) {
	page := "# x\n\n## Error on SQLite\n\ntext\n\n```text\na: one\n```\n\n```python\nnot this\n```\n\n" +
		"## Error on PostgreSQL\n\n```text\nb: two\nDETAIL:  three\n```\n\n## Failing example\n\n```text\nnot this either\n```\n"
	want := map[string][]string{"sqlite": {"a: one"}, "postgresql": {"b: two\nDETAIL:  three"}}
	if diff := cmp.Diff(want, errorBlocks(page)); diff != "" {
		t.Errorf("errorBlocks (-want +got):\n%s", diff)
	}
}

func TestForVendor(t *testing.T) {
	tests := map[string]struct {
		raw    string
		vendor string
		want   any
		ok     bool
	}{
		"same for both":      {`"IntegrityError"`, "sqlite", "IntegrityError", true},
		"per database":       {`{"sqlite": "ok", "postgresql": "InternalError"}`, "postgresql", "InternalError", true},
		"other database":     {`{"sqlite": "ok"}`, "postgresql", nil, false},
		"an ordinary object": {`{"a": 1}`, "sqlite", map[string]any{"a": 1.0}, true},
		"null":               {`null`, "sqlite", nil, true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, ok, err := forVendor(json.RawMessage(tt.raw), tt.vendor)
			if err != nil {
				t.Fatal(err)
			}
			if ok != tt.ok || !cmp.Equal(got, tt.want) {
				t.Errorf("forVendor(%s, %s) = %v, %v; want %v, %v", tt.raw, tt.vendor, got, ok, tt.want, tt.ok)
			}
		})
	}
}

func TestCheckReportsDifferences(t *testing.T) {
	sc := &Scenario{Steps: []map[string]json.RawMessage{
		{"do": json.RawMessage(`"migrate"`), "want": json.RawMessage(`{"error": "IntegrityError"}`), "want_fixed": json.RawMessage(`{}`)},
		{"do": json.RawMessage(`"sql"`), "want": json.RawMessage(`{"rows": {"sqlite": [[1]], "postgresql": [[2]]}}`)},
	}}
	report := func(err string, rows []any) *Report {
		rep := &Report{Databases: map[string]*DBReport{}}
		for _, v := range Vendors {
			first := map[string]any{"do": "migrate"}
			if err != "" {
				first["error"] = map[string]any{"class": err, "text": "x." + err + ": boom"}
			}
			r := rows[0]
			if v == "postgresql" {
				r = rows[1]
			}
			rep.Databases[v] = &DBReport{Steps: []map[string]any{first, {"do": "sql", "rows": r}}}
		}
		return rep
	}
	one := []any{[]any{1.0}}
	two := []any{[]any{2.0}}
	tests := map[string]struct {
		v        Variant
		rep      *Report
		problems int
	}{
		"as wanted":                     {AsIs, report("IntegrityError", []any{one, two}), 0},
		"no error where one is wanted":  {AsIs, report("", []any{one, two}), 2},
		"fixed: no error":               {Fixed, report("", []any{one, two}), 0},
		"fixed: the error remains":      {Fixed, report("IntegrityError", []any{one, two}), 2},
		"rows differ on one database":   {AsIs, report("IntegrityError", []any{one, one}), 1},
		"another error than the wanted": {AsIs, report("OperationalError", []any{one, two}), 2},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Check(sc, tt.v, tt.rep); len(got) != tt.problems {
				t.Errorf("Check found %d problems, want %d: %q", len(got), tt.problems, got)
			}
		})
	}
}

func TestApplyFixesAddsNamedImports(t *testing.T) {
	tree := t.TempDir()
	file := filepath.Join(tree, "shop", "views.py")
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	src := "from shop.models import Order\n\n\ndef create(request, customer_id):\n    Order.objects.create(customer_id=customer_id)\n"
	if err := os.WriteFile(file, []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	fix := "    customer = get_object_or_404(Customer, pk=customer_id)\n    Order.objects.create(customer=customer)"
	err := ApplyFixes(tree, []rules.Finding{{
		Path: "shop/views.py", StartLine: 5, EndLine: 5, Suggestion: &fix,
		Imports: []string{"from django.shortcuts import get_object_or_404", "from shop.models import Customer"},
	}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// After the module's own imports, as --fix writes them.
	want := "from shop.models import Order\nfrom django.shortcuts import get_object_or_404\nfrom shop.models import Customer\n" +
		"\n\ndef create(request, customer_id):\n" + fix + "\n"
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Errorf("fixed file (-want +got):\n%s", diff)
	}
}
