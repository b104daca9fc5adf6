package rules

import (
	"testing"

	"github.com/djintegrity/djintegrity/rules/django"
)

// mrfTestModels are models, besides viewTestModels, that the tests of the
// two write-value rules need.
var mrfTestModels = map[string]string{
	"billing/models.py": `from django.contrib.contenttypes.fields import GenericForeignKey
from django.db import models
from django.db.models import F, Q

from audit.mixins import LogMixin


class Plan(models.Model):
    name = models.CharField(max_length=50)
    notes = models.TextField()
    price = models.DecimalField(max_digits=9, decimal_places=2)
    seats = models.PositiveIntegerField(default=1)
    active = models.BooleanField()
    created = models.DateTimeField(auto_now_add=True)
    starts = models.DateField(null=True)
    ends = models.DateField(null=True)
    level = models.IntegerField(db_default=1)

    class Meta:
        constraints = [
            models.CheckConstraint(check=Q(price__gte=0), name="plan_price_gte_0"),
            models.CheckConstraint(
                check=Q(ends__gt=F("starts")) | Q(ends__isnull=True),
                name="plan_ends_after_starts",
            ),
        ]


class PlanProxy(Plan):
    class Meta:
        proxy = True


class Invoice(models.Model):
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, db_column="plan_ref")
    number = models.IntegerField()

    def save(self, *args, **kwargs):
        if not self.number:
            self.number = next_number()
        super().save(*args, **kwargs)


class Tagged(models.Model):
    content_type = models.ForeignKey("contenttypes.ContentType", on_delete=models.CASCADE)
    object_id = models.PositiveIntegerField()
    content_object = GenericForeignKey()


class Audited(LogMixin, models.Model):
    amount = models.IntegerField()


class LedgerManager(models.Manager):
    def create(self, **kwargs):
        kwargs.setdefault("amount", 0)
        return super().create(**kwargs)


class Ledger(models.Model):
    amount = models.IntegerField()
    objects = LedgerManager()
    plain = models.Manager()
`,
}

// mrfProject indexes the test models.
func mrfProject(t *testing.T) *django.Project {
	t.Helper()
	var src []django.SourceFile
	for _, files := range []map[string]string{viewTestModels, mrfTestModels} {
		for p, s := range files {
			src = append(src, django.SourceFile{Path: p, Src: []byte(s)})
		}
	}
	p, err := django.Build(t.Context(), src)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return p
}

func TestMissingRequiredField(t *testing.T) {
	viewRunCases(t, missingRequiredField, mrfTestModels, []viewCase{
		{
			name: "seed: an order created without its customer",
			views: `from shop.models import Order

def create_order(request):
    order = Order.objects.create(number=1, total=49.99)
`,
			want: []viewGot{{Lines: [2]int{4, 4}}},
			mentions: []string{
				"`Order.objects.create()` gives no value for Order.customer, a NOT NULL column with no default",
				"`NOT NULL constraint failed: shop_order.customer_id`",
				"`null value in column \"customer_id\" of relation \"shop_order\" violates not-null constraint`",
				"the view answers 500", "Pass `customer=` (an instance) or `customer_id=`",
			},
		},
		{
			name: "several columns: each error is quoted",
			views: `from shop.models import Order

def f(c):
    Order.objects.create(
        customer=c,
    )
`,
			want: []viewGot{{Lines: [2]int{4, 6}}},
			mentions: []string{
				"Order.number, Order.total, NOT NULL columns",
				"`NOT NULL constraint failed: shop_order.number` or `NOT NULL constraint failed: shop_order.total`",
				"for the first of them in the table.",
			},
		},
		{
			name: "constructor, attributes, then save: the span runs from the constructor",
			views: `from shop.models import Order

def f(request, c):
    order = Order(customer=c)
    order.number = 3
    log(order.number)
    order.save()
`,
			want:     []viewGot{{Lines: [2]int{4, 7}}},
			mentions: []string{"`order.save()` of the Order built at line 4 gives no value for Order.total", "or set the attribute before `order.save()`"},
		},
		{
			name: "bulk_create of constructors",
			views: `from shop.models import Order

def f(customers):
    Order.objects.bulk_create([Order(customer=c, total=1) for c in customers])
    Order.objects.bulk_create([Order(customer=c, total=1) for c in customers], ignore_conflicts=True)
`,
			want:     []viewGot{{Lines: [2]int{4, 4}}},
			mentions: []string{"`NOT NULL constraint failed: shop_order.number`"},
		},
		{
			name: "explicit None, also for a string field",
			views: `from accounts.models import User
from shop.models import Order

def f(c):
    Order.objects.create(customer=None, number=1, total=1)
    User.objects.create(username=None)
`,
			want:     []viewGot{{Lines: [2]int{5, 5}}, {Lines: [2]int{6, 6}}},
			mentions: []string{"passes `customer=None` to a NOT NULL column", "Pass a value instead of `customer=None`"},
		},
		{
			name: "boolean without default, through a proxy",
			views: `from billing.models import PlanProxy

def f():
    PlanProxy.objects.create(price=1)
`,
			want:     []viewGot{{Lines: [2]int{4, 4}}},
			mentions: []string{"Plan.active", "`NOT NULL constraint failed: billing_plan.active`"},
		},
		{
			name: "foreign keys by either name; strings, defaults, auto and nullable fields are filled",
			views: `from billing.models import Plan
from shop.models import Order

def f(c, request):
    Order.objects.create(customer_id=c, number=1, total=1)
    Order.objects.create(customer=c, pk=5, number=1, total=1)
    Plan.objects.create(price=1, active=True)
    plan = Plan(price=1)
    plan.active = False
    plan.save()
`,
		},
		{
			name: "code the rule cannot read may fill the field",
			views: `from billing.models import Audited, Invoice, Ledger, Tagged

def f(plan, obj):
    Invoice.objects.create(plan=plan)
    Invoice.objects.bulk_create([Invoice(plan=plan)])
    Tagged.objects.create(content_object=obj)
    Audited.objects.create()
    Ledger.objects.create()
    Ledger.plain.create()
`,
			want:     []viewGot{{Lines: [2]int{5, 5}}},
			mentions: []string{"Invoice.number"},
		},
		{
			name: "an instance handed to other code before the save may get the field there",
			views: `from shop.models import Order

def f(request, c, cart):
    a = Order(customer=c)
    fill_totals(a, cart)
    a.save()
    b = Order(customer=c)
    for k in ("total", "number"):
        setattr(b, k, request.POST[k])
    b.save()
    d = Order(customer=c)
    d.apply_cart(cart)
    d.save()
    e = Order(customer=c)
    prepare(orders=[e])
    e.save()
    g = Order(customer=c)
    g.save()
    fill_totals(g, cart)
    h = Order(customer=c)
    alias = h
    setattr(alias, "total", 1)
    h.save()
    i = Order(customer=c)
    def fill():
        i.total = 1
    fill()
    i.save()
    j = Order(customer=c)
    prepare(o for o in [j])
    j.save()
    k = Order(customer=c)
    prepare(k if cart else None)
    k.save()
    m = Order(customer=c)
    m.full_clean(exclude=["total"])
    m.save()
`,
			want:     []viewGot{{Lines: [2]int{17, 18}}},
			mentions: []string{"`g.save()` of the Order built at line 17"},
		},
		{
			name: "calls that only read the instance or point at it hand nothing on",
			views: `import logging

from shop.models import Customer, Order

logger = logging.getLogger(__name__)

def f(request, c):
    a = Order(customer=c)
    logger.info("saving %s", a)
    print(a, isinstance(a, Order), str(a))
    Order.objects.filter(customer=c).exclude(pk=a.pk).exists()
    a.save()
    b = Order(customer=c)
    Customer(code=b.number, last_order=b)
    Order.objects.filter(customer=c).exclude(pk__in=[b]).count()
    b.save()
`,
			want: []viewGot{{Lines: [2]int{8, 12}}, {Lines: [2]int{13, 16}}},
		},
		{
			name: "a foreign key with db_column, by its attname",
			views: `from billing.models import Invoice

def f(plan):
    Invoice.objects.bulk_create([Invoice(plan_id=plan.pk, number=1)])
    Invoice.objects.bulk_create([Invoice(number=1)])
`,
			want:     []viewGot{{Lines: [2]int{5, 5}}},
			mentions: []string{"`NOT NULL constraint failed: billing_invoice.plan_ref`"},
		},
		{
			name: "never guess: **kwargs, positional fields, unknown models, updates",
			views: `from shop.models import Order

def f(data, c, pk):
    Order.objects.create(**data)
    order = Order(None, c.pk, None, None, 1, 9)
    order.save()
    Order.objects.bulk_create([Order(None, c.pk, None, None, 1, 9)])
    Unknown.objects.create()
    order = Order.objects.get(pk=pk)
    order.save()
    Order(customer=c).save(update_fields=["customer"])
    Order.objects.filter(pk=pk).update(customer=None)
`,
		},
		{
			name:  "broken Python",
			views: "from shop.models import Order\n\ndef f(c):\n    Order.objects.create(customer=c\n",
		},
	})
}
