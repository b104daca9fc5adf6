package rules

import "testing"

// TestLayoutFree: two spellings a formatter turns into each other compare
// equal; a real change of value does not.
func TestLayoutFree(t *testing.T) {
	for name, tc := range map[string]struct {
		a, b string
		same bool
	}{
		"white space and quotes":  {a: "f(x= 'a',\n  y=2)", b: `f(x="a", y=2)`, same: true},
		"trailing comma":          {a: "f(a, b,)", b: "f(a, b)", same: true},
		"float without fraction":  {a: "FloatField(default=0.)", b: "FloatField(default=0.0)", same: true},
		"float without integer":   {a: "default=.5", b: "default=0.5", same: true},
		"exponent case":           {a: "x=1E5", b: "x=1e5", same: true},
		"hex case":                {a: "x=0XAB", b: "x=0xab", same: true},
		"hex not a float":         {a: "x=0xAB", b: "x=0xAB0", same: false},
		"u prefix":                {a: "verbose_name=u'Name'", b: `verbose_name="Name"`, same: true},
		"other value":             {a: "default=0.5", b: "default=0.6", same: false},
		"name ending in u":        {a: `menu"x"`, b: `men"x"`, same: false},
		"digit in a name":         {a: "field2=1.", b: "field2=1.0", same: true},
		"attribute, not a float":  {a: "a.b", b: "a.0b", same: false},
		"integer stays integer":   {a: "max_length=10", b: "max_length=10.0", same: false},
		"signed exponent":         {a: "x=1E-3", b: "x=1e-3", same: true},
		"subscript of a call":     {a: "f().x", b: "f().x", same: true},
		"method on a float value": {a: "x=(1.).real", b: "x=(1.0).real", same: true},
	} {
		t.Run(name, func(t *testing.T) {
			if got := layoutFree(tc.a) == layoutFree(tc.b); got != tc.same {
				t.Errorf("layoutFree(%q) = %q, layoutFree(%q) = %q: equal %v, want %v", tc.a, layoutFree(tc.a), tc.b, layoutFree(tc.b), got, tc.same)
			}
		})
	}
}
