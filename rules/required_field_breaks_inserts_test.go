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
		"only a longer name":            {"OrderLine.objects.create(qty=1)\n", false},
		"name in a dotted path":         {"x = shop.Order\ny.save()\n", true},
		"name without a write":          {"from shop.models import Order\nOrder.objects.filter(pk=1)\n", false},
		"write without the name":        {"Customer.objects.create(name='a')\n", false},
		"name as a suffix":              {"PreOrder.objects.create()\n", false},
		"user model through a getter":   {"get_user_model().objects.create(username='a')\n", true},
		"name at the end of the file":   {"x.save()\nOrder", true},
		"name at the start of the file": {"Order.objects.create()", true},
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
