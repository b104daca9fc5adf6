package rules

import (
	"testing"
)

func TestImpactLiteral(t *testing.T) {
	tests := map[string]struct{ in, want string }{
		"integer":          {"1970", "1970"},
		"negative decimal": {"-2.5", "-2.5"},
		"boolean":          {"False", "False"},
		"string":           {`"normal"`, `"normal"`},
		"single quotes":    {"'x'", "'x'"},
		"escape in string": {`"a\"b"`, ""},
		"callable":         {"django.utils.timezone.now", ""},
		"name":             {"DEFAULT_LEVEL", ""},
		"call":             {"uuid.uuid4()", ""},
		"empty":            {"", ""},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := impactLiteral(tt.in); got != tt.want {
				t.Errorf("impactLiteral(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestImpactFile(t *testing.T) {
	tests := map[string]struct {
		src  string
		want bool
	}{
		"create of the model":           {"Order.objects.create(total=1)\n", true},
		"save of the model":             {"o = Order(total=1)\no.save()\n", true},
		"bulk_create":                   {"Order.objects.bulk_create([Order()])\n", true},
		"update through the model":      {"Order.objects.filter(pk=1).update(total=2)\n", true},
		"only a longer name":            {"OrderLine.objects.create(qty=1)\n", false},
		"name as a suffix":              {"PreOrder.objects.create()\n", false},
		"name without a write":          {"from shop.models import Order\nOrder.objects.filter(pk=1)\n", false},
		"write without the name":        {"Customer.objects.create(name='a')\n", false},
		"name in type hints only":       {"from shop.models import Order\n\ndef pay(order: Order, amount: int) -> Order:\n    order.save()\n", false},
		"first argument of a call":      {"order = get_object_or_404(Order, pk=pk)\norder.save()\n", true},
		"name as get_model's argument":  {"M = apps.get_model('shop', 'Order')\nM.objects.create()\n", true},
		"import under another name":     {"from shop.models import Order as ShopOrder\nShopOrder.objects.create()\n", true},
		"user model through a getter":   {"get_user_model().objects.create(username='a')\n", true},
		"name at the start of the file": {"Order.objects.create()", true},
		"signal receiver":               {"@receiver(pre_save, sender=Order, dispatch_uid='x')\ndef fill(sender, instance, **kw):\n    pass\n", true},
	}
	needles := []string{"Order", "get_user_model"}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := ImpactFile([]byte(tt.src), needles); got != tt.want {
				t.Errorf("ImpactFile(%q) = %v, want %v", tt.src, got, tt.want)
			}
		})
	}
}
