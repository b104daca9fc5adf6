package rules

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUnvalidatedCheckWrite(t *testing.T) {
	viewRunCases(t, unvalidatedCheckWrite, mrfTestModels, []viewCase{
		{
			name: "update from request.POST answers 400 with the JsonResponse it imports",
			views: `from decimal import Decimal
from django.http import JsonResponse
from billing.models import Plan

def set_price(request, pk):
    Plan.objects.filter(pk=pk).update(price=Decimal(request.POST["price"]))
    return JsonResponse({"ok": True})
`,
			want: []viewGot{{[2]int{6, 6}, `    try:
        Plan.objects.filter(pk=pk).update(price=Decimal(request.POST["price"]))
    except IntegrityError:
        return JsonResponse({"error": "Invalid price (constraint plan_price_gte_0)."}, status=400)`}},
			mentions: []string{
				"`Plan.objects.update()` writes `price=Decimal(request.POST[\"price\"])`, taken from request.POST, to Plan.price, which CheckConstraint \"plan_price_gte_0\" (`Q(price__gte=0)`) covers",
				"`CHECK constraint failed: plan_price_gte_0`",
				"`new row for relation \"billing_plan\" violates check constraint \"plan_price_gte_0\"`",
				"the view answers 500", "`from django.db import IntegrityError`",
			},
		},
		{
			name: "save of an instance with a value from the JSON body; F() names the other field",
			views: `import json
from django.db import IntegrityError
from rest_framework.decorators import api_view
from rest_framework.response import Response
from billing.models import Plan

@api_view(["POST"])
def extend(request, pk):
    data = json.loads(request.body)
    plan = Plan.objects.get(pk=pk)
    plan.ends = data["ends"]
    plan.save()
    return Response(status=204)
`,
			want: []viewGot{{[2]int{12, 12}, `    try:
        plan.save()
    except IntegrityError:
        return Response({"detail": "Invalid ends (constraint plan_ends_after_starts)."}, status=status.HTTP_400_BAD_REQUEST)`}},
			mentions: []string{"`plan.save()` writes `ends=data[\"ends\"]`, taken from request.body", "`Q(ends__gt=F(\"starts\")) | Q(ends__isnull=True)`", "`from rest_framework import status`"},
		},
		{
			name: "create from a URL parameter; a presence check is no validation",
			views: `from django.http import JsonResponse
from billing.models import Plan

def create_plan(request, price):
    if price is None:
        return JsonResponse({"error": "price is required"}, status=400)
    plan = Plan.objects.create(
        price=price,
        active=True,
    )
    return JsonResponse({"id": plan.id}, status=201)
`,
			want: []viewGot{{[2]int{7, 10}, `    try:
        plan = Plan.objects.create(
            price=price,
            active=True,
        )
    except IntegrityError:
        return JsonResponse({"error": "Invalid price (constraint plan_price_gte_0)."}, status=400)`}},
			mentions: []string{"taken from URL parameter price", "`from django.db import IntegrityError` at the top"},
		},
		{
			name: "a page with messages: messages.error and its redirect",
			views: `from django.contrib import messages
from django.http import HttpResponseRedirect
from billing.models import Plan

def reprice(request, pk):
    plan = Plan.objects.get(pk=pk)
    plan.price = request.POST["price"]
    plan.save()
    messages.success(request, "Price changed.")
    return HttpResponseRedirect("/plans/")
`,
			want: []viewGot{{[2]int{8, 8}, `    try:
        plan.save()
    except IntegrityError:
        messages.error(request, "Invalid price (constraint plan_price_gte_0).")
        return HttpResponseRedirect("/plans/")`}},
			mentions: []string{"or catch IntegrityError, tell the user with `messages.error()` and redirect"},
		},
		{
			name: "a write that may also be a duplicate: no suggestion",
			views: `from billing.models import Plan

def rename(request, pk):
    Plan.objects.filter(pk=pk).update(pk=request.POST["new_pk"], price=request.POST["price"])
`,
			want:     []viewGot{{Lines: [2]int{4, 4}}},
			mentions: []string{"CHECK constraint failed: plan_price_gte_0"},
		},
		{
			name: "outside a view: no suggestion",
			views: `from billing.models import Plan

class Pricing:
    def apply(self, pk):
        Plan.objects.filter(pk=pk).update(price=self.request.POST["price"])
`,
			want:     []viewGot{{Lines: [2]int{5, 5}}},
			mentions: []string{"or catch IntegrityError."},
		},
		{
			name: "validated: a comparison, is_valid(), full_clean(), validate_*()",
			views: `from decimal import Decimal
from django.core.exceptions import ValidationError
from billing.forms import PlanForm
from billing.models import Plan

def a(request, pk):
    price = Decimal(request.POST["price"])
    if price < 0:
        return HttpResponseBadRequest()
    Plan.objects.filter(pk=pk).update(price=price)

def b(request, pk):
    if Decimal(request.GET["price"]) >= 0:
        Plan.objects.filter(pk=pk).update(price=Decimal(request.GET["price"]))

def c(request, pk):
    form = PlanForm(request.POST)
    if form.is_valid():
        Plan.objects.filter(pk=pk).update(price=request.POST["price"])

def d(request, pk):
    plan = Plan.objects.get(pk=pk)
    plan.price = request.POST["price"]
    try:
        plan.full_clean()
    except ValidationError as e:
        return JsonResponse(e.message_dict, status=400)
    plan.save()

def e(request, pk, price):
    validate_price(price)
    Plan.objects.filter(pk=pk).update(price=price)
`,
		},
		{
			name: "not covered, handled, or not written",
			views: `from django.db import IntegrityError
from billing.models import Plan

def a(request, pk):
    Plan.objects.filter(pk=pk).update(name=request.POST["name"], level=request.POST["level"])

def b(request, pk):
    try:
        Plan.objects.filter(pk=pk).update(price=request.POST["price"])
    except IntegrityError:
        return HttpResponseBadRequest()

def c(request, pk):
    plan = Plan.objects.get(pk=pk)
    plan.price = request.POST["price"]
    plan.name = request.POST["name"]
    plan.save(update_fields=["name"])

def d(request, pk):
    plan = Plan.objects.get(pk=pk)
    plan.price = request.POST["price"]
    plan.price = plan.price.quantize(CENTS) if plan.price > 0 else 0
    plan.save()

def e(pk, price):
    Plan.objects.filter(pk=pk).update(price=price)
`,
		},
	})
}

// A CheckConstraint names its fields through Q keywords, F() and
// expressions; anything else covers nothing.
func TestUCWCheckFields(t *testing.T) {
	p := mrfProject(t)
	m := p.FindModel("billing", "Plan")
	if m == nil {
		t.Fatal("no billing.Plan")
	}
	for name, tc := range map[string]struct {
		check string
		want  []string
	}{
		"keyword lookup":       {`models.Q(price__gte=0)`, []string{"price"}},
		"F on the right":       {`Q(ends__gt=F("starts"))`, []string{"ends", "starts"}},
		"negated and combined": {"~Q(level=0) &\n    Q(seats__lte=F(\"level\") * 10)", []string{"level", "seats"}},
		"tuple argument":       {`Q(("price__lt", 1000))`, []string{"price"}},
		"lookup expression":    {`GreaterThan(Length("name"), 2)`, []string{"name"}},
		"private keywords":     {`Q(price__gte=0, _negated=True)`, []string{"price"}},
		"unknown names":        {`Q(nope__gt=1) & Q(Value("price"))`, nil},
		"not Python":           {`Q(price__gte=`, nil},
		"empty":                {``, nil},
	} {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ucwCheckFields(m, tc.check)); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}
