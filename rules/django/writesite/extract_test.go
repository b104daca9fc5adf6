package writesite_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/rules/django"
	"github.com/djintegrity/djintegrity/rules/django/writesite"
)

// parseFile indexes one file as the index does, which hands the
// extraction the file's tree and imports.
func parseFile(path string, src []byte) *django.File {
	p, err := django.Build(context.Background(), []django.SourceFile{{Path: path, Src: src}})
	if err != nil {
		panic(err)
	}
	return p.Files[path]
}

// writeSum is what a test compares of a Write.
type writeSum struct {
	Kind   string
	Model  string // "app.Name" for an apps.get_model reference, "get_user_model()" for that one
	Fields []string
	Line   int
	Stmt   [2]int
	Func   string
	// Guard lines: the try statement, the broad try, the with atomic.
	Try, Broad, Atomic int
	InnerAtomic        bool
	Checks             []string // form@line
	Insert             bool
}

func summarize(w *writesite.Write) writeSum {
	s := writeSum{Kind: string(w.Kind), Model: w.Model, Line: w.Line, Stmt: [2]int{w.Stmt.Line, w.Stmt.EndLine},
		Atomic: w.Guard.Atomic, InnerAtomic: w.Guard.InnerAtomic, Insert: w.Insert}
	switch {
	case w.Ref != nil && w.Ref.User:
		s.Model = "get_user_model()"
	case w.Ref != nil:
		s.Model = w.Ref.App + "." + w.Ref.Name
	}
	for _, kw := range w.Kwargs {
		f := kw.Name
		if kw.Request != "" {
			f += "<-" + kw.Request
		}
		if kw.Validated != "" {
			f += "<=" + kw.Validated
		}
		s.Fields = append(s.Fields, f)
	}
	if w.StarArgs {
		s.Fields = append(s.Fields, "**")
	}
	if w.Func != nil {
		s.Func = w.Func.Name
	}
	if w.Guard.Try != nil {
		s.Try = w.Guard.Try.Line
	}
	if w.Guard.Broad != nil {
		s.Broad = w.Guard.Broad.Line
	}
	for _, c := range w.Checks {
		s.Checks = append(s.Checks, fmt.Sprintf("%s@%d", c.Form, c.Line))
	}
	return s
}

func TestExtractWrites(t *testing.T) {
	for _, tc := range []struct {
		name string
		src  string
		want []writeSum
	}{
		{
			name: "seed check then insert",
			src: `from accounts.models import User

def register_user(username, email):
    if not User.objects.filter(username=username).exists():
        User.objects.create(username=username, email=email)
`,
			want: []writeSum{{Kind: "create", Model: "User", Fields: []string{"username", "email"}, Line: 5, Stmt: [2]int{5, 5},
				Func: "register_user", Checks: []string{"if-absent@4"}}},
		},
		{
			name: "custom managers, aliases and apps.get_model",
			src: `from django.apps import apps
from shop import models as shop_models

def seed(sku):
    shop_models.Product.active.create(sku=sku)
    Product = apps.get_model("shop", "Product")
    Product.objects.bulk_create([Product(sku="a"), Product(sku="b", name="B")], ignore_conflicts=True)
    apps.get_model("shop.Tag").objects.update_or_create(name="x", defaults={"n": 1})
`,
			want: []writeSum{
				{Kind: "create", Model: "shop_models.Product", Fields: []string{"sku"}, Line: 5, Stmt: [2]int{5, 5}, Func: "seed"},
				{Kind: "bulk_create", Model: "shop.Product", Fields: []string{"sku", "name"}, Line: 7, Stmt: [2]int{7, 7}, Func: "seed"},
				{Kind: "update_or_create", Model: "shop.Tag", Fields: []string{"name", "defaults"}, Line: 8, Stmt: [2]int{8, 8}, Func: "seed"},
			},
		},
		{
			name: "get_user_model(), called and bound",
			src: `from django.contrib import auth
from django.contrib.auth import get_user_model

User = get_user_model()

def signup(username, email):
    get_user_model().objects.create(username=username)
    User.objects.get_or_create(email=email)
    Other = auth.get_user_model()
    Other.objects.create(username=username)
    get_model().objects.create(username=username)
`,
			want: []writeSum{
				{Kind: "create", Model: "get_user_model()", Fields: []string{"username"}, Line: 7, Stmt: [2]int{7, 7}, Func: "signup"},
				{Kind: "get_or_create", Model: "get_user_model()", Fields: []string{"email"}, Line: 8, Stmt: [2]int{8, 8}, Func: "signup"},
				{Kind: "create", Model: "get_user_model()", Fields: []string{"username"}, Line: 10, Stmt: [2]int{10, 10}, Func: "signup"},
			},
		},
		{
			name: "saves of new and fetched instances, queryset update",
			src: `from shop.models import Product

def edit(request, pk):
    p = Product(sku=request.POST["sku"])
    p.name = "x"
    p.save()
    q = Product.objects.get(pk=pk)
    q.sku = "new"
    q.save(update_fields=["sku"])
    Product.objects.filter(pk=pk).update(name=request.GET.get("n"))
    form.save()
`,
			want: []writeSum{
				{Kind: "save", Model: "Product", Fields: []string{"sku<-request.POST", "name"}, Line: 6, Stmt: [2]int{6, 6}, Func: "edit", Insert: true},
				{Kind: "save", Model: "Product", Fields: []string{"sku"}, Line: 9, Stmt: [2]int{9, 9}, Func: "edit"},
				{Kind: "update", Model: "Product", Fields: []string{"name<-request.GET"}, Line: 10, Stmt: [2]int{10, 10}, Func: "edit"},
			},
		},
		{
			name: "request data and URL parameters",
			src: `import json
from shop.models import Order, Customer

def create(request, customer_id, **kwargs):
    data = json.loads(request.body)
    cid = int(data.get("customer"))
    c = Customer.objects.get(pk=customer_id)
    Order.objects.create(a=customer_id, b=cid, c=kwargs["x"], d=request.user, e=c.id, f=request.data["f"], g=3)

class V(View):
    def post(self, *args, **kwargs):
        Order.objects.create(a=self.kwargs["pk"], b=self.request.POST["b"])

def helper(customer_id):
    Order.objects.create(a=customer_id)
`,
			want: []writeSum{
				{Kind: "create", Model: "Order", Fields: []string{"a<-URL parameter customer_id", "b<-request.body", "c<-URL kwargs", "d", "e", "f<-request.data", "g"},
					Line: 8, Stmt: [2]int{8, 8}, Func: "create"},
				{Kind: "create", Model: "Order", Fields: []string{"a<-URL kwargs", "b<-request.POST"}, Line: 12, Stmt: [2]int{12, 12}, Func: "post"},
				{Kind: "create", Model: "Order", Fields: []string{"a"}, Line: 15, Stmt: [2]int{15, 15}, Func: "helper"},
			},
		},
		{
			name: "guards",
			src: `from django import db
from django.db import transaction as tx
from django.db.utils import IntegrityError as IE
from shop.models import Tag

def f():
    try:
        Tag.objects.create(name="a")
    except (ValueError, IE):
        pass
    try:
        Tag.objects.create(name="b")
    except db.IntegrityError:
        raise
    try:
        Tag.objects.create(name="c")
    except Exception:
        pass
    with tx.atomic():
        try:
            Tag.objects.create(name="d")
            with tx.atomic():
                Tag.objects.create(name="e")
            with tx.atomic(savepoint=False):
                Tag.objects.create(name="f")
        except:
            pass
        except IE:
            Tag.objects.create(name="g")
`,
			want: []writeSum{
				{Kind: "create", Model: "Tag", Fields: []string{"name"}, Line: 8, Stmt: [2]int{8, 8}, Func: "f", Try: 7},
				{Kind: "create", Model: "Tag", Fields: []string{"name"}, Line: 12, Stmt: [2]int{12, 12}, Func: "f", Try: 11},
				{Kind: "create", Model: "Tag", Fields: []string{"name"}, Line: 16, Stmt: [2]int{16, 16}, Func: "f", Broad: 15},
				{Kind: "create", Model: "Tag", Fields: []string{"name"}, Line: 21, Stmt: [2]int{21, 21}, Func: "f", Try: 20, Broad: 20, Atomic: 19},
				{Kind: "create", Model: "Tag", Fields: []string{"name"}, Line: 23, Stmt: [2]int{23, 23}, Func: "f", Try: 20, Broad: 20, Atomic: 22, InnerAtomic: true},
				{Kind: "create", Model: "Tag", Fields: []string{"name"}, Line: 25, Stmt: [2]int{25, 25}, Func: "f", Try: 20, Broad: 20, Atomic: 24},
				{Kind: "create", Model: "Tag", Fields: []string{"name"}, Line: 29, Stmt: [2]int{29, 29}, Func: "f", Atomic: 19},
			},
		},
		{
			name: "contextlib.suppress",
			src: `import contextlib
from contextlib import suppress
from django.db import IntegrityError, transaction
from shop.models import Tag

def f():
    with suppress(IntegrityError):
        Tag.objects.create(name="a")
    with transaction.atomic():
        with contextlib.suppress(ValueError, IntegrityError):
            Tag.objects.create(name="b")
        with suppress(IntegrityError), transaction.atomic():
            Tag.objects.create(name="c")
        with suppress(IntegrityError):
            with transaction.atomic():
                Tag.objects.create(name="d")
    with suppress(Exception):
        Tag.objects.create(name="e")
    with suppress(KeyError):
        Tag.objects.create(name="f")
`,
			want: []writeSum{
				{Kind: "create", Model: "Tag", Fields: []string{"name"}, Line: 8, Stmt: [2]int{8, 8}, Func: "f", Try: 7},
				{Kind: "create", Model: "Tag", Fields: []string{"name"}, Line: 11, Stmt: [2]int{11, 11}, Func: "f", Try: 10, Atomic: 9},
				{Kind: "create", Model: "Tag", Fields: []string{"name"}, Line: 13, Stmt: [2]int{13, 13}, Func: "f", Try: 12, Atomic: 12, InnerAtomic: true},
				{Kind: "create", Model: "Tag", Fields: []string{"name"}, Line: 16, Stmt: [2]int{16, 16}, Func: "f", Try: 14, Atomic: 15, InnerAtomic: true},
				{Kind: "create", Model: "Tag", Fields: []string{"name"}, Line: 18, Stmt: [2]int{18, 18}, Func: "f", Broad: 17},
				{Kind: "create", Model: "Tag", Fields: []string{"name"}, Line: 20, Stmt: [2]int{20, 20}, Func: "f"},
			},
		},
		{
			name: "existence checks",
			src: `from shop.models import Tag, Product

def f(name):
    if Tag.objects.filter(name=name).count() == 0:
        Tag.objects.create(name=name)
    if Tag.objects.filter(name=name).first() is None:
        Tag.objects.create(name=name)
    if Tag.objects.filter(name=name).exists():
        pass
    else:
        Tag.objects.create(name=name)
    exists = Tag.objects.filter(name=name).exists()
    if not exists:
        Tag.objects.create(name=name)
    if request.method == "POST" and not Tag.objects.filter(name=name).exists():
        Tag.objects.create(name=name)
    try:
        tag = Tag.objects.get(name=name)
    except Tag.DoesNotExist:
        tag = Tag.objects.create(name=name)
    try:
        tag = Tag.objects.get(name=name)
    except Product.DoesNotExist:
        tag = Tag.objects.create(name=name)
    if Tag.objects.filter(name=name).exists():
        return None
    Tag.objects.create(name=name)
`,
			want: []writeSum{
				{Kind: "create", Model: "Tag", Fields: []string{"name"}, Line: 5, Stmt: [2]int{5, 5}, Func: "f", Checks: []string{"if-absent@4"}},
				{Kind: "create", Model: "Tag", Fields: []string{"name"}, Line: 7, Stmt: [2]int{7, 7}, Func: "f", Checks: []string{"if-absent@6"}},
				{Kind: "create", Model: "Tag", Fields: []string{"name"}, Line: 11, Stmt: [2]int{11, 11}, Func: "f", Checks: []string{"if-absent@8"}},
				{Kind: "create", Model: "Tag", Fields: []string{"name"}, Line: 14, Stmt: [2]int{14, 14}, Func: "f", Checks: []string{"if-absent@12"}},
				{Kind: "create", Model: "Tag", Fields: []string{"name"}, Line: 16, Stmt: [2]int{16, 16}, Func: "f", Checks: []string{"if-absent@15"}},
				{Kind: "create", Model: "Tag", Fields: []string{"name"}, Line: 20, Stmt: [2]int{20, 20}, Func: "f", Checks: []string{"does-not-exist@18"}},
				{Kind: "create", Model: "Tag", Fields: []string{"name"}, Line: 24, Stmt: [2]int{24, 24}, Func: "f"},
				{Kind: "create", Model: "Tag", Fields: []string{"name"}, Line: 27, Stmt: [2]int{27, 27}, Func: "f", Checks: []string{"early-exit@25"}},
			},
		},
		{
			name: "module level and nested functions",
			src: `from shop.models import Tag
Tag.objects.create(name="boot")

def outer():
    def inner(request):
        Tag.objects.create(name=request.POST["n"])
    return inner
`,
			want: []writeSum{
				{Kind: "create", Model: "Tag", Fields: []string{"name"}, Line: 2, Stmt: [2]int{2, 2}},
				{Kind: "create", Model: "Tag", Fields: []string{"name<-request.POST"}, Line: 6, Stmt: [2]int{6, 6}, Func: "inner"},
			},
		},
		{
			name: "validated data",
			src: `class ProductSerializer(serializers.ModelSerializer):
    def create(self, validated_data):
        price = validated_data.get("price")
        items = validated_data.pop("items")
        return Product.objects.create(name=validated_data["name"], price=price, item=items[0], kind=validated_data[k])

    def save(self, **kwargs):
        Product.objects.create(name=self.validated_data["name"])

def add(request):
    serializer.is_valid()
    User.objects.create_user(serializer.validated_data["username"], note=request.POST["note"])
`,
			// The key read is kept; a read inside a value already keyed,
			// or by a key that is not a literal, is [?].
			want: []writeSum{
				{Kind: "create", Model: "Product", Line: 5, Stmt: [2]int{5, 5}, Func: "create", Fields: []string{
					`name<=serializer.validated_data["name"]`, `price<=serializer.validated_data["price"]`,
					`item<=serializer.validated_data[?]`, `kind<=serializer.validated_data[?]`,
				}},
				{Kind: "create", Model: "Product", Line: 8, Stmt: [2]int{8, 8}, Func: "save", Fields: []string{`name<=serializer.validated_data["name"]`}},
				{Kind: "create", Model: "User", Line: 12, Stmt: [2]int{12, 12}, Func: "add", Fields: []string{"note<-request.POST"}},
			},
		},
		{
			name: "not writes",
			src: `def f(request, d):
    d.update({"a": 1})
    serializer.create(validated_data)
    obj.save()
    request.session.save()
`,
			// A dict's update(), a serializer's create(), the save() of a
			// name bound to no model: none is a model write.
			want: nil,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := parseFile("shop/views.py", []byte(tc.src))
			var got []writeSum
			for _, w := range f.Writes {
				got = append(got, summarize(w))
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("writes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestExtractFunctions(t *testing.T) {
	type fnSum struct {
		Name, Class             string
		Params                  []string
		View, HasRequest        bool
		Atomic, NonAtomic       bool
		AtomicLine, LocksBefore int
		IndentUnit              string
	}
	src := `from django.db import transaction
from django.db.transaction import atomic
from django.utils.decorators import method_decorator
from django.views import View

@transaction.atomic
def a(request, pk):
    Tag.objects.select_for_update().get(pk=pk)
    Tag.objects.create()

@atomic(using="other")
def b(x):
	Tag.objects.create()

@transaction.non_atomic_requests
def c(request):
    with cache.lock("k"):
        Tag.objects.create()

@method_decorator(transaction.atomic, name="dispatch")
class V(View):
    def post(self, *args, **kwargs):
        Tag.objects.create()

def helper(x, *rest, y=1, **kw):
    Tag.objects.create()
`
	f := parseFile("shop/views.py", []byte(src))
	var got []fnSum
	for _, fn := range f.Functions {
		s := fnSum{Name: fn.Name, Class: fn.Class, Params: fn.Params, View: fn.View, HasRequest: fn.HasRequest,
			Atomic: fn.Atomic, NonAtomic: fn.NonAtomicRequests, AtomicLine: fn.AtomicLine, IndentUnit: fn.IndentUnit}
		if len(fn.Locks) > 0 {
			s.LocksBefore = fn.Locks[0]
		}
		got = append(got, s)
	}
	want := []fnSum{
		{Name: "a", Params: []string{"request", "pk"}, View: true, HasRequest: true, Atomic: true, AtomicLine: 6, LocksBefore: 8, IndentUnit: "    "},
		{Name: "b", Params: []string{"x"}, Atomic: true, AtomicLine: 11, IndentUnit: "\t"},
		{Name: "c", Params: []string{"request"}, View: true, HasRequest: true, NonAtomic: true, LocksBefore: 17, IndentUnit: "    "},
		{Name: "post", Class: "V", Params: []string{"self"}, View: true, Atomic: true, AtomicLine: 20, IndentUnit: "    "},
		{Name: "helper", Params: []string{"x", "y"}, IndentUnit: "    "},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("functions (-want +got):\n%s", diff)
	}
}

func TestExtractCheckShape(t *testing.T) {
	src := `def signup(request):
    if User.objects.filter(username=request.POST["u"]).exists():
        messages.error(request, "taken")
        return redirect("signup")
    user = User(username=request.POST["u"])
    user.save()
    return redirect("home")
`
	f := parseFile("accounts/views.py", []byte(src))
	if len(f.Writes) != 1 || len(f.Writes[0].Checks) != 1 {
		t.Fatalf("writes = %+v", f.Writes)
	}
	c := f.Writes[0].Checks[0]
	type shape struct {
		Form          writesite.CheckForm
		Exact         bool
		Stmt          [2]int
		Present       [][2]int
		Absent        [][2]int
		Lookup        []string
		LookupUnknown bool
	}
	lines := func(spans []writesite.Span) [][2]int {
		var out [][2]int
		for _, s := range spans {
			out = append(out, [2]int{s.Line, s.EndLine})
		}
		return out
	}
	got := shape{Form: c.Form, Exact: c.Exact, Stmt: [2]int{c.Stmt.Line, c.Stmt.EndLine}, Present: lines(c.Present), Absent: lines(c.Absent), LookupUnknown: c.LookupUnknown}
	for _, kw := range c.Lookup {
		got.Lookup = append(got.Lookup, kw.Name+"="+kw.Value)
	}
	want := shape{Form: writesite.CheckEarlyExit, Exact: true, Stmt: [2]int{2, 4}, Present: [][2]int{{3, 3}, {4, 4}},
		Absent: [][2]int{{5, 5}, {6, 6}, {7, 7}}, Lookup: []string{`username=request.POST["u"]`}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("check (-want +got):\n%s", diff)
	}
	if w := f.Writes[0]; w.ArgsStmt.Line != 5 || !w.Stmt.OwnLines || w.Stmt.Indent != "    " {
		t.Errorf("save spans: args %+v stmt %+v", w.ArgsStmt, w.Stmt)
	}
}

func TestExtractLookupsAndStrings(t *testing.T) {
	src := `def create_order(request, customer_id):
    customer = get_object_or_404(Customer, pk=customer_id)
    note = """two
lines"""
    Order.objects.create(customer=customer, note=note)
`
	f := parseFile("shop/views.py", []byte(src))
	if len(f.Functions) != 1 {
		t.Fatalf("functions = %d", len(f.Functions))
	}
	fn := f.Functions[0]
	if len(fn.Lookups) != 1 || fn.Lookups[0].Model != "Customer" || fn.Lookups[0].Func != "get_object_or_404" ||
		!cmp.Equal(fn.Lookups[0].Values, []string{"customer_id"}) || !cmp.Equal(fn.Lookups[0].Idents, []string{"customer_id"}) {
		t.Errorf("lookups = %+v", fn.Lookups)
	}
	if !fn.StringLines[4] || fn.StringLines[3] {
		t.Errorf("string lines = %v, want only line 4", fn.StringLines)
	}
	if !fn.Names["customer"] || !fn.Names["note"] || !fn.Names["customer_id"] {
		t.Errorf("names = %v", fn.Names)
	}
}

func TestExtractBrokenPython(t *testing.T) {
	for name, src := range map[string]string{
		"unclosed call":    "def f(request):\n    X.objects.create(a=request.POST['a'],\n\ndef g(:\n    y.save(\n",
		"dangling try":     "def f():\n    try:\n        X.objects.create(a=1)\n    except (\n",
		"garbage":          "if not X.objects.filter(.exists():\n  X.objects.create(\n@@@ save( update(",
		"empty with":       "with :\n    X.objects.create()\n",
		"decorator only":   "@transaction.atomic\n",
		"lambda and async": "f = lambda: X.objects.create()\nasync def g(request):\n    async with transaction.atomic():\n        await X.objects.acreate()\n        X.objects.create()\n",
	} {
		t.Run(name, func(t *testing.T) {
			f := parseFile("shop/views.py", []byte(src))
			for _, w := range f.Writes {
				if w.Line < 1 || w.Stmt.Line < 1 {
					t.Errorf("write with bad lines: %+v", w)
				}
			}
		})
	}
}

func TestExtractSkipsFilesWithoutWrites(t *testing.T) {
	f := parseFile("shop/views.py", []byte("def index(request):\n    return render(request, 'x.html')\n"))
	if len(f.Functions) != 0 || len(f.Writes) != 0 {
		t.Errorf("functions %d, writes %d; want none for a file without write calls", len(f.Functions), len(f.Writes))
	}
}

func FuzzExtractWrites(f *testing.F) {
	f.Add([]byte("def f(request):\n    if not X.objects.filter(a=1).exists():\n        X.objects.create(a=request.POST['a'])\n"))
	f.Add([]byte("@transaction.atomic\ndef f():\n    try:\n        with transaction.atomic():\n            o.save()\n    except IntegrityError:\n        pass\n"))
	f.Add([]byte("try:\n    x = X.objects.get(a=1)\nexcept X.DoesNotExist:\n    x = X.objects.create(a=1)\n"))
	f.Fuzz(func(t *testing.T, src []byte) {
		parseFile("shop/views.py", src) // must not panic
	})
}

// TestAnswers checks how a function's answers and the lines that first
// bind its names are recorded.
func TestAnswers(t *testing.T) {
	src := `from django.contrib import messages
from django.shortcuts import redirect, render
from rest_framework.exceptions import ValidationError

from shop.forms import TagForm
from shop.models import Tag


def new_tag(request):
    if request.method == "POST":
        form = TagForm(request.POST)
        if form.is_valid():
            Tag.objects.create(name=form.cleaned_data["name"])
            messages.success(request, "Saved.")
            return redirect("/tags/")
        form.add_error(None, "Check the form.")
    else:
        form = TagForm()
    tags = Tag.objects.all()
    if not tags:
        raise ValidationError("no tags")
    return render(request, "tags/new.html", {"form": form, "tags": tags})
`
	f := parseFile("shop/views.py", []byte(src))
	if len(f.Functions) != 1 {
		t.Fatalf("functions: %d", len(f.Functions))
	}
	fn := f.Functions[0]
	var got []string
	for _, a := range fn.Answers {
		got = append(got, fmt.Sprintf("%d %s %s %v", a.Line, a.Kind, a.Func, a.Idents))
	}
	want := []string{
		"14 call django.contrib.messages.success [messages request]",
		"15 return django.shortcuts.redirect [redirect]",
		"16 call form.add_error [form]",
		"21 raise rest_framework.exceptions.ValidationError [ValidationError]",
		"22 return django.shortcuts.render [render request form tags]",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("answers (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"request": 9, "form": 11, "tags": 19}, fn.Bound); diff != "" {
		t.Errorf("bound (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"form": "shop.forms.TagForm"}, fn.Made); diff != "" {
		t.Errorf("made (-want +got):\n%s", diff)
	}
}

// TestExtractSuppressTry: `with suppress(IntegrityError):` is read as the
// try it stands for: its block the body, one handler that falls through.
func TestExtractSuppressTry(t *testing.T) {
	src := `from contextlib import suppress
from django.db import IntegrityError, transaction

def apply(order, code):
    with transaction.atomic():
        with suppress(IntegrityError, ValueError):
            Coupon.objects.create(code=code, order=order)
            order.note = code
        Tag.objects.create(name=code)
`
	f := parseFile("shop/views.py", []byte(src))
	if len(f.Writes) == 0 || f.Writes[0].Guard.Try == nil {
		t.Fatalf("writes = %+v", f.Writes)
	}
	tr := f.Writes[0].Guard.Try
	type handler struct {
		Types          []string
		IntegrityError bool
		Exit           writesite.HandlerExit
		DBCall         bool
	}
	type try struct {
		Line, EndLine, Atomic int
		Body                  [2]int
		BodyIndent            string
		OwnLines              bool
		Handlers              []handler
	}
	got := try{Line: tr.Line, EndLine: tr.EndLine, Atomic: tr.Atomic, Body: [2]int{tr.Body.Line, tr.Body.EndLine}, BodyIndent: tr.Body.Indent, OwnLines: tr.Body.OwnLines}
	for _, h := range tr.Handlers {
		got.Handlers = append(got.Handlers, handler{Types: h.Types, IntegrityError: h.IntegrityError, Exit: h.Exit, DBCall: h.DBCall})
	}
	want := try{Line: 6, EndLine: 8, Atomic: 5, Body: [2]int{7, 8}, BodyIndent: "            ", OwnLines: true,
		Handlers: []handler{{Types: []string{"IntegrityError", "ValueError"}, IntegrityError: true}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("try (-want +got):\n%s", diff)
	}
	if w := f.Writes[len(f.Writes)-1]; w.Line != 9 || w.Guard.Try != nil {
		t.Errorf("the save after the block = %+v, want no try around it", w)
	}
}
