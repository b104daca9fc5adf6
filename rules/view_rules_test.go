package rules

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/rules/django"
)

// viewTestModels are the models the unit tests' views use.
var viewTestModels = map[string]string{
	// The apps are packages: a suggestion imports a model only by a name
	// that a chain of packages makes sure of.
	"accounts/__init__.py": "",
	"shop/__init__.py":     "",
	"accounts/models.py": `from django.db import models


class User(models.Model):
    username = models.CharField(max_length=150, unique=True)
    email = models.EmailField()
    token = models.CharField(max_length=64, unique=True, null=True)
`,
	"shop/models/__init__.py": `from .catalog import *
from .orders import Customer, Order
`,
	"shop/models/catalog.py": `from django.db import models


class Tag(models.Model):
    name = models.CharField(max_length=50)


class Product(models.Model):
    sku = models.CharField(max_length=32, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        constraints = [models.UniqueConstraint(models.functions.Lower("name"), name="shop_product_lower_name")]
`,
	"shop/models/orders.py": `from django.db import models


class Customer(models.Model):
    email = models.EmailField(unique=True)
    code = models.CharField(max_length=8, unique=True)


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    by_code = models.ForeignKey(Customer, on_delete=models.CASCADE, to_field="code", related_name="+", null=True)
    loose = models.ForeignKey(Customer, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+", null=True)
    number = models.IntegerField()
    total = models.DecimalField(max_digits=9, decimal_places=2)

    class Meta:
        unique_together = [("customer", "number")]
`,
	"config/settings.py": `DATABASES = {"default": {"ENGINE": "django.db.backends.postgresql", "ATOMIC_REQUESTS": True}}`,
}

// viewTestForms are the ModelForms and ModelSerializer of the narrowing
// tests.
var viewTestForms = map[string]string{
	"accounts/forms.py": `from django import forms
from accounts.models import User


class UserForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["username", "email"]


class EmailForm(forms.ModelForm):
    class Meta:
        model = User
        exclude = ["username", "token"]
`,
	"shop/api/serializers.py": `from rest_framework import serializers
from shop.models import Customer


class CustomerSerializer(serializers.ModelSerializer):
    class Meta:
        model = Customer
        fields = "__all__"

    def create(self, validated_data):
        return Customer.objects.create(email=validated_data["email"], code=validated_data["code"])
`,
}

// viewRun indexes the test models plus files, all of them changed, and
// returns the findings of rule r.
func viewRun(t *testing.T, r *Rule, files map[string]string, atomicRequests bool) []Finding {
	t.Helper()
	var src []django.SourceFile
	change := Change{}
	add := func(p, s string) {
		src = append(src, django.SourceFile{Path: p, Src: []byte(s)})
		change[p] = &ChangedFile{Added: true}
	}
	for p, s := range viewTestModels {
		if p == "config/settings.py" && !atomicRequests {
			continue
		}
		add(p, s)
	}
	for p, s := range files {
		add(p, s)
	}
	proj, err := django.Build(t.Context(), src)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	out, _, err := Analyze(t.Context(), &Pass{Project: proj, Change: change}, func(slug string) bool { return slug == r.Slug })
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// viewGot is what a rule test compares of a finding.
type viewGot struct {
	Lines      [2]int
	Suggestion string // "" when none
}

type viewCase struct {
	name           string
	views          string // shop/views.py
	atomicRequests bool
	want           []viewGot
	// mentions are substrings the first finding's message must hold.
	mentions []string
	// models are more files of the case (forms, models).
	models map[string]string
}

// viewRunCases runs rule r over each case's shop/views.py, with the files
// of models added (nil: none beyond viewTestModels).
func viewRunCases(t *testing.T, r *Rule, models map[string]string, cases []viewCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"shop/views.py": tc.views}
			for p, s := range models {
				files[p] = s
			}
			for p, s := range tc.models {
				files[p] = s
			}
			fs := viewRun(t, r, files, tc.atomicRequests)
			var got []viewGot
			for _, f := range fs {
				g := viewGot{Lines: [2]int{f.StartLine, f.EndLine}}
				if f.Suggestion != nil {
					g.Suggestion = *f.Suggestion
				}
				got = append(got, g)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			for _, m := range tc.mentions {
				if len(fs) == 0 || !strings.Contains(fs[0].Message, m) {
					t.Errorf("message does not mention %q:\n%v", m, fs)
				}
			}
		})
	}
}

func TestCheckThenInsert(t *testing.T) {
	viewRunCases(t, checkThenInsert, nil, []viewCase{
		{
			name: "seed form becomes get_or_create",
			views: `from accounts.models import User

def register_user(username, email):
    if not User.objects.filter(username=username).exists():
        User.objects.create(username=username, email=email)
`,
			want:     []viewGot{{[2]int{4, 5}, `    User.objects.get_or_create(username=username, defaults={"email": email})`}},
			mentions: []string{"`UNIQUE constraint failed: accounts_user.username`", "get_or_create"},
		},
		{
			name: "else branch and statements after the insert",
			views: `from django.db import IntegrityError, transaction
from django.shortcuts import redirect
from accounts.models import User

def signup(request):
    if User.objects.filter(username=request.POST["u"]).first() is not None:
        messages.error(request, "taken")
    else:
        user = User(username=request.POST["u"])
        user.save()
        login(request, user)
        return redirect("home")
    return redirect("signup")
`,
			want: []viewGot{{[2]int{6, 12}, `    try:
        with transaction.atomic():
            user = User(username=request.POST["u"])
            user.save()
    except IntegrityError:
        messages.error(request, "taken")
    else:
        login(request, user)
        return redirect("home")`}},
		},
		{
			name:  "tabs, does-not-exist form, imports named",
			views: "from shop.models import Customer\n\ndef f(request):\n\ttry:\n\t\tc = Customer.objects.get(email=request.POST[\"e\"])\n\t\tsend_welcome_back(c)\n\texcept Customer.DoesNotExist:\n\t\tc = Customer.objects.create(email=request.POST[\"e\"], code=new_code())\n\t\tsend_welcome(c)\n\treturn c\n",
			want: []viewGot{{[2]int{4, 9}, "\ttry:\n\t\twith transaction.atomic():\n\t\t\tc = Customer.objects.create(email=request.POST[\"e\"], code=new_code())\n" +
				"\texcept IntegrityError:\n\t\tc = Customer.objects.get(email=request.POST[\"e\"])\n\t\tsend_welcome_back(c)\n\telse:\n\t\tsend_welcome(c)"}},
			mentions: []string{"`from django.db import IntegrityError, transaction`"},
		},
		{
			name: "variable form is reported without a rewrite",
			views: `from accounts.models import User

def f(username):
    taken = User.objects.filter(username=username).exists()
    if not taken:
        User.objects.create(username=username)
`,
			want: []viewGot{{[2]int{4, 6}, ""}},
		},
		{
			name: "lookup not unique but the insert writes a unique field",
			views: `from accounts.models import User

def f(email, username):
    if User.objects.filter(email=email).count() == 0:
        User.objects.create(email=email, username=username)
`,
			want:     []viewGot{{[2]int{4, 5}, "    try:\n        with transaction.atomic():\n            User.objects.create(email=email, username=username)\n    except IntegrityError:\n        pass"}},
			mentions: []string{"The lookup (email) is not unique, but the insert writes User.username"},
		},
		{
			name: "no unique constraint: duplicates even with a handler",
			views: `from django.db import IntegrityError
from shop.models import Tag

def f(name):
    if not Tag.objects.filter(name=name).exists():
        try:
            Tag.objects.create(name=name)
        except IntegrityError:
            pass
`,
			want:     []viewGot{{[2]int{5, 7}, ""}},
			mentions: []string{"silently creates duplicate rows", `models.UniqueConstraint(fields=["name"], name="shop_tag_name_uniq")`},
		},
		{
			name: "model through apps.get_model and an import alias",
			views: `from django.apps import apps
from shop import models as shop_models

def f(sku):
    Product = apps.get_model("shop", "Product")
    if not shop_models.Product.objects.filter(sku=sku).exists():
        Product.objects.create(sku=sku)
`,
			want: []viewGot{{[2]int{6, 7}, "    Product.objects.get_or_create(sku=sku)"}},
		},
		{
			name: "guarded by a handler",
			views: `from django.db import IntegrityError
from accounts.models import User

def f(username):
    if not User.objects.filter(username=username).exists():
        try:
            User.objects.create(username=username)
        except IntegrityError:
            pass
`,
		},
		{
			name: "serialised by select_for_update",
			views: `from accounts.models import User
from shop.models import Customer

def f(pk, username):
    Customer.objects.select_for_update().get(pk=pk)
    if not User.objects.filter(username=username).exists():
        User.objects.create(username=username)
`,
		},
		{
			name: "never guess: **kwargs, Q objects, unknown model, transforms",
			views: `from django.db.models import Q
from accounts.models import User

def f(username, data):
    if not User.objects.filter(username=username).exists():
        User.objects.create(**data)
    if not User.objects.filter(Q(username=username)).exists():
        User.objects.create(username=username)
    if not Unknown.objects.filter(username=username).exists():
        Unknown.objects.create(username=username)
    if not User.objects.filter(username__iexact=username).exists():
        User.objects.create(username=username)
`,
		},
		{
			name:  "broken Python",
			views: "from accounts.models import User\n\ndef f(u):\n    if not User.objects.filter(username=u).exists(:\n        User.objects.create(username=u\n",
		},
	})
}

func TestUnguardedUniqueCreate(t *testing.T) {
	viewRunCases(t, unguardedUniqueCreate, nil, []viewCase{
		{
			name: "view answers 409 with the JsonResponse it imports",
			views: `from django.http import JsonResponse
from accounts.models import User

def create_user_view(request):
    user = User.objects.create(username=request.POST["username"])
    return JsonResponse({"id": user.id}, status=201)
`,
			want: []viewGot{{[2]int{5, 5}, `    try:
        user = User.objects.create(username=request.POST["username"])
    except IntegrityError:
        return JsonResponse({"error": "User with this username already exists."}, status=409)`}},
			mentions: []string{"`UNIQUE constraint failed: accounts_user.username`", "`from django.db import IntegrityError`"},
		},
		{
			name: "DRF view answers with Response",
			views: `from django.db import IntegrityError
from rest_framework.response import Response
from rest_framework.views import APIView
from shop.models import Order

class Orders(APIView):
    def post(self, request):
        Order.objects.create(customer_id=request.user.customer_id, number=request.data["number"], total=1)
        return Response(status=201)
`,
			want: []viewGot{{[2]int{8, 8}, `        try:
            Order.objects.create(customer_id=request.user.customer_id, number=request.data["number"], total=1)
        except IntegrityError:
            return Response({"detail": "Order with this customer and number already exists."}, status=status.HTTP_409_CONFLICT)`}},
			mentions: []string{"`UNIQUE constraint failed: shop_order.customer_id, shop_order.number`", "`from rest_framework import status`", "409 Conflict with a Response"},
		},
		{
			name: "DRF view that raises ValidationError raises it",
			views: `from rest_framework import serializers, status
from rest_framework.decorators import api_view
from rest_framework.response import Response
from accounts.models import User

@api_view(["POST"])
def signup(request):
    if "@" not in request.data["email"]:
        raise serializers.ValidationError({"email": ["Not an e-mail address."]})
    User.objects.create(username=request.data["username"], email=request.data["email"])
    return Response(status=status.HTTP_201_CREATED)
`,
			want: []viewGot{{[2]int{10, 10}, `    try:
        User.objects.create(username=request.data["username"], email=request.data["email"])
    except IntegrityError:
        raise serializers.ValidationError({"username": ["User with this username already exists."]})`}},
			mentions: []string{"raise ValidationError, as the view does"},
		},
		{
			name: "page with messages and redirects: messages.error and the redirect that follows",
			views: `from django.contrib import messages
from django.shortcuts import redirect
from accounts.models import User

def invite(request):
    if not request.user.is_staff:
        messages.error(request, "Only staff can invite.")
        return redirect("/users/")
    user = User.objects.create(username=request.POST["username"])
    messages.success(request, "Invited.")
    return redirect("/users/")
`,
			want: []viewGot{{[2]int{9, 9}, `    try:
        user = User.objects.create(username=request.POST["username"])
    except IntegrityError:
        messages.error(request, "User with this username already exists.")
        return redirect("/users/")`}},
			mentions: []string{"tell the user with `messages.error()` and redirect"},
		},
		{
			name: "redirect to the row just written cannot answer its failure",
			views: `from django.contrib import messages
from django.shortcuts import redirect
from accounts.models import User

def invite(request):
    user = User.objects.create(username=request.POST["username"])
    messages.success(request, "Invited.")
    return redirect("user-detail", pk=user.pk)
`,
			want:     []viewGot{{[2]int{6, 6}, ""}},
			mentions: []string{"answer the request as the view answers its other errors"},
		},
		{
			name: "form view: add_error on the form's field and its own render",
			models: map[string]string{"accounts/forms.py": `from django import forms


class InviteForm(forms.Form):
    username = forms.CharField(max_length=150)
    email = forms.EmailField()
`},
			views: `from django.shortcuts import redirect
from django.template.response import TemplateResponse
from accounts.forms import InviteForm
from accounts.models import User

def invite(request, team):
    form = InviteForm(request.POST or None)
    if form.is_valid():
        User.objects.create(username=form.cleaned_data["username"])
        return redirect("/users/")
    return TemplateResponse(
        request,
        "accounts/invite.html",
        {"form": form, "team": team},
    )
`,
			want: []viewGot{{[2]int{9, 9}, `        try:
            User.objects.create(username=form.cleaned_data["username"])
        except IntegrityError:
            form.add_error("username", "User with this username already exists.")
            return TemplateResponse(
                request,
                "accounts/invite.html",
                {"form": form, "team": team},
            )`}},
			mentions: []string{"`form.add_error()` and render the form again"},
		},
		{
			name:   "values through a ModelForm or ModelSerializer that validates the unique field: a race only",
			models: viewTestForms,
			views: `from django.shortcuts import redirect, render
from accounts.forms import EmailForm, UserForm
from accounts.models import User

def signup(request):
    form = UserForm(request.POST)
    if form.is_valid():
        User.objects.create(username=form.cleaned_data["username"], email=form.cleaned_data["email"])
        return redirect("/")
    return render(request, "signup.html", {"form": form})

def rename(request):
    form = EmailForm(request.POST)
    if not form.is_valid():
        return render(request, "email.html", {"form": form})
    User.objects.create(username=request.POST["username"], email=form.cleaned_data["email"])
    return redirect("/")
`,
			want: []viewGot{
				{[2]int{11, 11}, ""}, // shop/api/serializers.py
				{[2]int{8, 8}, `        try:
            User.objects.create(username=form.cleaned_data["username"], email=form.cleaned_data["email"])
        except IntegrityError:
            form.add_error("username", "User with this username already exists.")
            return render(request, "signup.html", {"form": form})`},
				{[2]int{16, 16}, `    try:
        User.objects.create(username=request.POST["username"], email=form.cleaned_data["email"])
    except IntegrityError:
        form.add_error(None, "User with this username already exists.")
        return render(request, "email.html", {"form": form})`},
			},
			mentions: []string{"Customer.email, which is unique, from CustomerSerializer, a ModelSerializer that checks the email is not taken before the write: only two concurrent submissions of the same email get past that check"},
		},
		{
			name: "form view whose render needs a name bound after the write: no suggestion",
			views: `from django.shortcuts import redirect, render
from accounts.models import User

def invite(request, form_class):
    form = form_class(request.POST)
    if form.is_valid():
        User.objects.create(username=form.cleaned_data["username"])
        return redirect("/users/")
    users = User.objects.all()
    return render(request, "accounts/invite.html", {"form": form, "users": users})
`,
			want: []viewGot{{[2]int{7, 7}, ""}},
		},
		{
			name: "FormView.form_valid: add_error, then form_invalid",
			views: `from django.views.generic import FormView
from accounts.models import User
from shop.forms import InviteForm

class Invite(FormView):
    form_class = InviteForm

    def form_valid(self, form):
        User.objects.create(username=form.cleaned_data["username"])
        return super().form_valid(form)
`,
			models: map[string]string{"shop/forms.py": `from django import forms

class InviteForm(forms.Form):
    username = forms.CharField()
`},
			want: []viewGot{{[2]int{9, 9}, `        try:
            User.objects.create(username=form.cleaned_data["username"])
        except IntegrityError:
            form.add_error(None, "User with this username already exists.")
            return self.form_invalid(form)`}},
			mentions: []string{"a second request with the same username fails"},
		},
		{
			name: "CreateView.form_valid: the view's ModelForm checks the username; a form the view picks itself is not known",
			views: `from django.views.generic import CreateView
from accounts.models import User
from shop.forms import UserForm

class Invite(CreateView):
    form_class = UserForm

    def form_valid(self, form):
        User.objects.create(username=form.cleaned_data["username"])
        return super().form_valid(form)

class Picked(CreateView):
    form_class = UserForm

    def get_form(self):
        return pick()

    def form_valid(self, form):
        User.objects.create(username=form.cleaned_data["username"])
        return super().form_valid(form)
`,
			models: map[string]string{"shop/forms.py": `from django import forms
from accounts.models import User

class UserForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["username"]
`},
			want: []viewGot{{[2]int{9, 9}, `        try:
            User.objects.create(username=form.cleaned_data["username"])
        except IntegrityError:
            form.add_error(None, "User with this username already exists.")
            return self.form_invalid(form)`}},
			mentions: []string{"from UserForm, a ModelForm that checks the username is not taken before the write: only two concurrent submissions"},
		},
		{
			name: "a view that answers nothing the rule can tell: no suggestion",
			views: `from accounts.models import User

def f(request):
    u = User.objects.get(pk=1)
    u.username = request.POST["u"]
    u.save()
`,
			want:     []viewGot{{[2]int{6, 6}, ""}},
			mentions: []string{"`u.save()` updates User.username", "answer the request as the view answers its other errors: 409 Conflict from an API, a form error or a message from a page"},
		},
		{
			name: "explicit primary key",
			views: `from shop.models import Tag

def restore(pk, name):
    Tag.objects.create(id=pk, name=name)
`,
			want:     []viewGot{{[2]int{4, 4}, `    Tag.objects.get_or_create(id=pk, defaults={"name": name})`}},
			mentions: []string{`PostgreSQL: ` + "`" + `duplicate key value violates unique constraint "shop_tag_pkey"`},
		},
		{
			name: "generated values, fresh rows, handlers, conflicts ignored",
			views: `import uuid
from django.db import IntegrityError
from accounts.models import User
from shop.models import Customer, Order, Product

def f(request, names):
    User.objects.create(username=uuid.uuid4().hex, email=request.POST["e"])
    customer = Customer(email=uuid.uuid4().hex, code=uuid.uuid4().hex[:8])
    customer.save()
    Order.objects.create(customer=customer, number=1, total=1)
    try:
        User.objects.create(username=request.POST["u"])
    except Exception:
        pass
    Product.objects.bulk_create([Product(sku=n, name=n) for n in names], ignore_conflicts=True)
`,
		},
		{
			name: "one finding per hazard: the race is check-then-insert's",
			views: `from accounts.models import User

def f(username):
    if not User.objects.filter(username=username).exists():
        User.objects.create(username=username)
`,
		},
	})
}

func TestGetOrCreateNonUnique(t *testing.T) {
	viewRunCases(t, getOrCreateNonUnique, nil, []viewCase{
		{
			name: "lookup on a plain field",
			views: `from shop.models import Tag

def f(request):
    tag, _ = Tag.objects.get_or_create(name=request.POST["name"], defaults={"x": 1})
`,
			want:     []viewGot{{[2]int{4, 4}, ""}},
			mentions: []string{"Tag.MultipleObjectsReturned", `models.UniqueConstraint(fields=["name"], name="shop_tag_name_uniq")`},
		},
		{
			name: "filter() before the call joins the lookup",
			views: `from shop.models import Order

def f(customer, total):
    Order.objects.filter(customer=customer).update_or_create(total=total, defaults={"number": 1})
`,
			want:     []viewGot{{[2]int{4, 4}, ""}},
			mentions: []string{"(customer, total) on shop_order"},
		},
		{
			name: "covered lookups",
			views: `from shop.models import Customer, Order
from accounts.models import User

def f(c, n, e, pk):
    Order.objects.get_or_create(customer_id=c, number=n, defaults={"total": 1})
    Order.objects.get_or_create(customer__pk=c, number=n, defaults={"total": 1})
    Customer.objects.get_or_create(email=e)
    User.objects.update_or_create(pk=pk, defaults={"email": e})
`,
		},
		{
			name: "never guess: expression constraints, unknown fields, **kwargs",
			views: `from shop.models import Product, Tag

def f(name, lookup):
    Product.objects.get_or_create(name=name)
    Tag.objects.get_or_create(name__iexact=name)
    Tag.objects.get_or_create(**lookup)
`,
		},
		{
			name: "serialised by a lock taken first",
			views: `from shop.models import Customer, Tag

def f(pk, name):
    Customer.objects.select_for_update().get(pk=pk)
    Tag.objects.get_or_create(name=name)
`,
		},
	})
}

func TestUnvalidatedFKID(t *testing.T) {
	viewRunCases(t, unvalidatedFKID, nil, []viewCase{
		{
			name: "seed: URL parameter to a foreign key id",
			views: `from django.shortcuts import get_object_or_404
from shop.models import Order

def create_order(request, customer_id):
    order = Order.objects.create(customer_id=customer_id, number=1, total=49.99)
    return order
`,
			want: []viewGot{{[2]int{5, 5}, `    customer = get_object_or_404(Customer, pk=customer_id)
    order = Order.objects.create(customer=customer, number=1, total=49.99)`}},
			mentions: []string{"`FOREIGN KEY constraint failed`", `insert or update on table "shop_order" violates foreign key constraint`, "`from shop.models import Customer`"},
		},
		{
			name: "raw id to the relation itself, taken name, to_field",
			views: `from django.shortcuts import get_object_or_404 as g404
from shop.models import Customer, Order

def f(request):
    customer = request.POST["customer"]
    Order.objects.create(customer=customer, by_code_id=request.POST["code"], number=1, total=1)
`,
			want: []viewGot{{[2]int{6, 6}, `    customer_obj = g404(Customer, pk=customer)
    by_code = g404(Customer, code=request.POST["code"])
    Order.objects.create(customer=customer_obj, by_code=by_code, number=1, total=1)`}},
			mentions: []string{"Django raises ValueError", `"Order.customer" must be a "Customer" instance.`},
		},
		{
			name: "validated, handled, unconstrained or not request data",
			views: `from django.db import IntegrityError
from shop.models import Customer, Order

def a(request, customer_id):
    Customer.objects.get(pk=customer_id)
    Order.objects.create(customer_id=customer_id, number=1, total=1)

def b(request, customer_id):
    try:
        Order.objects.create(customer_id=customer_id, number=1, total=1)
    except IntegrityError:
        pass

def c(request, customer_id):
    Order.objects.create(loose_id=customer_id, customer=request.user.customer, number=1, total=1)

def d(customer_id):
    Order.objects.create(customer_id=customer_id, number=1, total=1)
`,
		},
	})
}

func TestIntegrityErrorWithoutSavepoint(t *testing.T) {
	viewRunCases(t, integrityErrorWithoutSavepoint, nil, []viewCase{
		{
			name: "with block, tuple of exceptions, handler falls through, one finding per try",
			views: `from django.db import IntegrityError, transaction
from shop.models import Customer, Tag

def f(e):
    with transaction.atomic():
        try:
            Customer.objects.create(email=e)
            Tag.objects.create(name=e)
        except (IntegrityError, ValueError):
            pass
        Tag.objects.create(name="after")
`,
			want: []viewGot{{[2]int{7, 8}, `            with transaction.atomic():
                Customer.objects.create(email=e)
                Tag.objects.create(name=e)`}},
			mentions: []string{"TransactionManagementError", "current transaction is aborted, commands ignored until end of transaction block", "at line 5"},
		},
		{
			name: "ATOMIC_REQUESTS view whose handler queries",
			views: `from django import db
from shop.models import Customer

def v(request):
    try:
        c = Customer.objects.create(email=request.POST["e"])
    except db.IntegrityError:
        c = Customer.objects.get(email=request.POST["e"])
`,
			atomicRequests: true,
			want:           []viewGot{{[2]int{6, 6}, "        with transaction.atomic():\n            c = Customer.objects.create(email=request.POST[\"e\"])"}},
			mentions:       []string{"ATOMIC_REQUESTS", "`from django.db import transaction`"},
		},
		{
			name: "savepoint=False is no savepoint",
			views: `from django.db import IntegrityError, transaction
from shop.models import Customer

@transaction.atomic
def f(e):
    try:
        with transaction.atomic(savepoint=False):
            Customer.objects.create(email=e)
    except IntegrityError:
        return Customer.objects.get(email=e)
`,
			want: []viewGot{{[2]int{7, 8}, `        with transaction.atomic():
            with transaction.atomic(savepoint=False):
                Customer.objects.create(email=e)`}},
		},
		{
			name: "safe: re-raise, inner savepoint, non-atomic view, no transaction, get_or_create",
			views: `from django.db import IntegrityError, transaction
from shop.models import Customer

@transaction.atomic
def a(e):
    try:
        Customer.objects.create(email=e)
    except IntegrityError:
        log.warning("dup")
        raise

@transaction.atomic
def b(e):
    try:
        with transaction.atomic():
            Customer.objects.create(email=e)
    except IntegrityError:
        return Customer.objects.get(email=e)

@transaction.non_atomic_requests
def c(request):
    try:
        Customer.objects.create(email=request.POST["e"])
    except IntegrityError:
        return Customer.objects.get(email=request.POST["e"])

def d(e):
    try:
        Customer.objects.create(email=e)
    except IntegrityError:
        return Customer.objects.get(email=e)

@transaction.atomic
def g(e):
    try:
        Customer.objects.get_or_create(email=e)
    except IntegrityError:
        return Customer.objects.get(email=e)
`,
			atomicRequests: true,
		},
		{
			name: "super().form_valid(form) of a CreateView by model, an UpdateView by form_class, through a project base",
			views: `from django.db import IntegrityError, transaction
from django.contrib.auth.mixins import LoginRequiredMixin
from django.views.generic import CreateView, UpdateView
from django.views.generic.edit import ModelFormMixin
from shop.forms import TagForm
from shop.models import Customer

class TagCreate(CreateView):
    model = Customer
    fields = ["email"]

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except IntegrityError:
            form.add_error(None, "exists")
        return self.form_invalid(form)

class Base(LoginRequiredMixin, UpdateView):
    form_class = TagForm

class TagEdit(Base):
    @transaction.atomic
    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except IntegrityError:
            form.add_error(None, "exists")
        return self.form_invalid(form)
`,
			models: map[string]string{"shop/forms.py": `from django import forms
from shop.models import Tag

class TagForm(forms.ModelForm):
    class Meta:
        model = Tag
        fields = ["name"]
`},
			atomicRequests: true,
			want: []viewGot{
				{[2]int{14, 14}, "            with transaction.atomic():\n                return super().form_valid(form)"},
				{[2]int{26, 26}, "            with transaction.atomic():\n                return super().form_valid(form)"},
			},
			mentions: []string{"`super().form_valid(form)`, which saves the form,"},
		},
		{
			name: "safe: form_valid of a FormView, a base from a package, a base that overrides form_valid or picks its form, no model",
			views: `from django.db import IntegrityError, transaction
from django.views.generic import CreateView, FormView
from extra.views import AjaxCreateView
from shop.models import Customer

class Contact(FormView):
    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except IntegrityError:
            form.add_error(None, "exists")
        return self.form_invalid(form)

class Ajax(AjaxCreateView):
    model = Customer

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except IntegrityError:
            form.add_error(None, "exists")
        return self.form_invalid(form)

class Logged(CreateView):
    model = Customer

    def form_valid(self, form):
        log(form)
        return super().form_valid(form)

class LoggedChild(Logged):
    @transaction.atomic
    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except IntegrityError:
            form.add_error(None, "exists")
        return self.form_invalid(form)

class Picked(CreateView):
    model = Customer

    def get_form_class(self):
        return pick()

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except IntegrityError:
            form.add_error(None, "exists")
        return self.form_invalid(form)

class NoModel(CreateView):
    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except IntegrityError:
            form.add_error(None, "exists")
        return self.form_invalid(form)
`,
			atomicRequests: true,
		},
	})
}

// TestRaceScopeByRole: the race rules, demoted, review request handlers
// and plain functions of views modules (views.py, *views.py, views/ and
// api/ packages); not request handlers elsewhere (viewsets.py, a GraphQL
// schema), serializers, tasks, services, management commands or tests.
func TestRaceScopeByRole(t *testing.T) {
	const body = `    if not User.objects.filter(username=username).exists():
        User.objects.create(username=username)
`
	files := map[string]string{
		"shop/views.py":                    "from accounts.models import User\n\ndef helper(username):\n" + body,
		"shop/beer_views.py":               "from accounts.models import User\n\ndef signup(request, username):\n" + body,
		"shop/viewsets.py":                 "from rest_framework import viewsets\nfrom accounts.models import User\n\nclass UserViewSet(viewsets.ViewSet):\n    def claim(self, username):\n    " + strings.ReplaceAll(body, "\n    ", "\n        "),
		"shop/schema.py":                   "import graphene\nfrom accounts.models import User\n\nclass Claim(graphene.Mutation):\n    def mutate(root, info, username):\n    " + strings.ReplaceAll(body, "\n    ", "\n        "),
		"shop/serializers.py":              "from rest_framework import serializers\nfrom accounts.models import User\n\nclass UserSerializer(serializers.Serializer):\n    def create(self, username):\n    " + strings.ReplaceAll(body, "\n    ", "\n        "),
		"shop/services.py":                 "from accounts.models import User\n\ndef register(username):\n" + body,
		"shop/tasks.py":                    "from celery import shared_task\nfrom accounts.models import User\n\n@shared_task\ndef register(username):\n" + body,
		"shop/management/commands/seed.py": "from django.core.management.base import BaseCommand\nfrom accounts.models import User\n\ndef seed(username):\n" + body,
		"shop/tests/test_signup.py":        "from accounts.models import User\n\ndef test_signup(username):\n" + body,
	}
	got := map[string]bool{}
	for _, f := range viewRun(t, checkThenInsert, files, false) {
		got[f.Path] = true
	}
	want := map[string]bool{"shop/views.py": true, "shop/beer_views.py": true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("files with check-then-insert findings (-want +got):\n%s", diff)
	}
}
