package django

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRole(t *testing.T) {
	const create = "Order.objects.create(number=n)"
	tree := map[string]string{
		"shop/__init__.py": "",
		"shop/models.py": `from django.db import models

class OrderQuerySet(models.QuerySet):
    def open(self, n):
        return self.create(number=n)

class Order(models.Model):
    number = models.CharField(max_length=10, unique=True)
    objects = OrderQuerySet.as_manager()

    def reopen(self):
        self.save()
`,
		"shop/views.py": `from django.views import View
from .models import Order

def place(request, n):
    ` + create + `

class PlaceView(View):
    def post(self, request):
        ` + create + `
`,
		"shop/viewsets.py": `from .base import ShopViewSet
from .models import Order

class OrderViewSet(ShopViewSet):
    def perform_create(self, serializer):
        ` + create + `
`,
		"shop/base.py": `from rest_framework import viewsets

class ShopViewSet(viewsets.ModelViewSet):
    pass
`,
		"shop/serializers.py": `from rest_framework import serializers
from .models import Order

class OrderSerializer(serializers.ModelSerializer):
    def create(self, validated_data):
        return ` + create + `
`,
		"shop/forms.py": `from django import forms
from .models import Order

class OrderForm(forms.ModelForm):
    def save(self, commit=True):
        return ` + create + `
`,
		"shop/services.py": `from .models import Order

def place_order(n):
    return ` + create + `

class Checkout:
    def run(self, n):
        return ` + create + `
`,
		"shop/tasks.py": `from celery import shared_task
from .models import Order

@shared_task
def import_order(n):
    ` + create + `
`,
		"shop/signals.py": `from django.db.models.signals import post_save
from django.dispatch import receiver
from .models import Order

@receiver(post_save, sender=Order)
def on_save(sender, instance, **kwargs):
    ` + create + `

def on_delete(sender, instance, **kwargs):
    ` + create + `

post_save.connect(on_delete, sender=Order)
`,
		"shop/middleware.py": `from .models import Order

class OrderMiddleware:
    def __call__(self, req):
        ` + create + `
`,
		"shop/schema.py": `import graphene
from .models import Order

class PlaceOrder(graphene.Mutation):
    def mutate(root, info, n):
        ` + create + `
`,
		"shop/management/commands/seed.py": `from django.core.management.base import BaseCommand
from shop.models import Order

class Command(BaseCommand):
    def handle(self, *args, **options):
        ` + create + `
`,
		"shop/migrations/__init__.py": "",
		"shop/migrations/0002_seed.py": `from django.db import migrations

def seed(apps, schema_editor):
    apps.get_model("shop", "Order").objects.create(number="1")

class Migration(migrations.Migration):
    dependencies = []
    operations = [migrations.RunPython(seed)]
`,
		"shop/tests/test_orders.py": `from shop.models import Order

def test_place():
    ` + create + `
`,
		"shop/checks.py": `import pytest
from .models import Order

@pytest.fixture
def order():
    return ` + create + `

class TestOrders:
    def test_place(self):
        ` + create + `
`,
	}
	p := build(t, tree)
	got := map[string]Role{}
	for path, f := range p.Files {
		for _, fn := range f.Functions {
			name := fn.Name
			if fn.Class != "" {
				name = fn.Class + "." + name
			}
			got[path+":"+name] = p.Role(f, fn)
		}
	}
	want := map[string]Role{
		"shop/models.py:OrderQuerySet.open":               RoleManager,
		"shop/models.py:Order.reopen":                     RoleModel,
		"shop/views.py:place":                             RoleRequest,
		"shop/views.py:PlaceView.post":                    RoleRequest,
		"shop/viewsets.py:OrderViewSet.perform_create":    RoleRequest,
		"shop/serializers.py:OrderSerializer.create":      RoleSerializer,
		"shop/forms.py:OrderForm.save":                    RoleForm,
		"shop/services.py:place_order":                    RoleService,
		"shop/services.py:Checkout.run":                   RoleService,
		"shop/tasks.py:import_order":                      RoleTask,
		"shop/signals.py:on_save":                         RoleReceiver,
		"shop/signals.py:on_delete":                       RoleReceiver,
		"shop/middleware.py:OrderMiddleware.__call__":     RoleRequest,
		"shop/schema.py:PlaceOrder.mutate":                RoleRequest,
		"shop/management/commands/seed.py:Command.handle": RoleCommand,
		"shop/migrations/0002_seed.py:seed":               RoleMigration,
		"shop/tests/test_orders.py:test_place":            RoleTest,
		"shop/checks.py:order":                            RoleTest,
		"shop/checks.py:TestOrders.test_place":            RoleTest,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
}

// TestRoleBy: a request handler decided by a name alone says which name;
// one decided by a base the index knows (Django's, graphene's, through
// the repository's own bases) or by a request parameter does not.
func TestRoleBy(t *testing.T) {
	const create = "Order.objects.create(number=n)"
	tree := map[string]string{
		"shop/__init__.py": "",
		"shop/models.py": `from django.db import models

class Order(models.Model):
    number = models.CharField(max_length=10, unique=True)
`,
		"shop/admin.py": `from django.contrib import admin
from import_export.admin import ImportExportModelAdmin
from .models import Order

class ShopAdmin(admin.ModelAdmin):
    pass

class OrderAdmin(ShopAdmin):
    def place(self, n):
        ` + create + `

class ImportAdmin(ImportExportModelAdmin):
    def place(self, n):
        ` + create + `
`,
		"shop/middleware.py": `from django.utils.deprecation import MiddlewareMixin
from .models import Order

class OrderMiddleware:
    def place(self, n):
        ` + create + `

    def __call__(self, request):
        ` + create + `

class MixinMiddleware(MiddlewareMixin):
    def place(self, n):
        ` + create + `
`,
		"shop/schema.py": `import graphene
from .models import Order

class PlaceOrder(graphene.Mutation):
    def mutate(root, info, n):
        ` + create + `

class Other:
    def mutate(self, n):
        ` + create + `
`,
	}
	p := build(t, tree)
	type roleHow struct {
		Role Role
		How  string
	}
	got := map[string]roleHow{}
	for path, f := range p.Files {
		for _, fn := range f.Functions {
			r, how := p.RoleBy(f, fn)
			got[path+":"+fn.Class+"."+fn.Name] = roleHow{r, how}
		}
	}
	want := map[string]roleHow{
		"shop/admin.py:OrderAdmin.place":              {RoleRequest, ""},
		"shop/admin.py:ImportAdmin.place":             {RoleRequest, "a base of `ImportAdmin` is named `ImportExportModelAdmin`"},
		"shop/middleware.py:OrderMiddleware.place":    {RoleRequest, "the class is named `OrderMiddleware`, as middleware is"},
		"shop/middleware.py:OrderMiddleware.__call__": {RoleRequest, ""},
		"shop/middleware.py:MixinMiddleware.place":    {RoleRequest, ""},
		"shop/schema.py:PlaceOrder.mutate":            {RoleRequest, ""},
		"shop/schema.py:Other.mutate":                 {RoleRequest, "the method is named `mutate`, as a GraphQL mutation's resolver is"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("roles (-want +got):\n%s", diff)
	}
}
