package rules

import (
	"testing"

	"github.com/djintegrity/djintegrity/rules/pyast"
)

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

// TestShape: two spellings of one program that formatters turn into each
// other have one shape; a change of meaning does not.
func TestShape(t *testing.T) {
	for name, tc := range map[string]struct {
		a, b string
		same bool
	}{
		"layout and quotes":        {a: "f(x= 'a',\n  y=2)\n", b: "f(x=\"a\", y=2)\n", same: true},
		"parentheses black adds":   {a: "x = (\n    Model.objects.filter(a=1)\n)\n", b: "x = Model.objects.filter(a=1)\n", same: true},
		"parenthesized target":     {a: "(ENABLED,) = get()\n", b: "ENABLED, = get()\n", same: true},
		"parenthesized for target": {a: "for (k, v) in d:\n    pass\n", b: "for k, v in d:\n    pass\n", same: true},
		"dict split over lines":    {a: "r = f({\n    \"error\": \"x\",\n})\n", b: "r = f({\"error\": \"x\"})\n", same: true},
		"comment":                  {a: "f(a)  # why\n", b: "f(a)\n", same: true},
		"precedence":               {a: "x = (a + b) * c\n", b: "x = a + b * c\n", same: false},
		"one-element tuple":        {a: "x = (a,)\n", b: "x = (a)\n", same: false},
		"nested targets":           {a: "(a, b), c = x\n", b: "a, b, c = x\n", same: false},
		"one-element target":       {a: "(a,) = x\n", b: "a = x\n", same: false},
		"operator":                 {a: "x = a + b\n", b: "x = a - b\n", same: false},
		"argument":                 {a: "f(a, b)\n", b: "f(a, c)\n", same: false},
		"tuple argument":           {a: "f((a, b))\n", b: "f(a, b)\n", same: false},
		"trailing comma in a call": {a: "f(a, b,)\n", b: "f(a, b)\n", same: true},
		"number spelling":          {a: "x = 1.\n", b: "x = 1.0\n", same: true},
	} {
		t.Run(name, func(t *testing.T) {
			ta, tb := pyast.Parse([]byte(tc.a)), pyast.Parse([]byte(tc.b))
			defer ta.Close()
			defer tb.Close()
			sa, sb := shape(ta, ta.Root()), shape(tb, tb.Root())
			if got := sa == sb; got != tc.same {
				t.Errorf("shape(%q) = %q\nshape(%q) = %q\nequal %v, want %v", tc.a, sa, tc.b, sb, got, tc.same)
			}
		})
	}
}

// TestChangeEdits: a deletion inside a statement edits it; one just above
// it only touches it.
func TestChangeEdits(t *testing.T) {
	c := Change{
		"m.py":   {Lines: map[int]bool{3: true}, Removed: map[int]bool{5: true, 9: true}},
		"new.py": {Added: true},
	}
	for name, tc := range map[string]struct {
		path          string
		start, end    int
		touches, edit bool
	}{
		"changed line":               {path: "m.py", start: 3, end: 3, touches: true, edit: true},
		"deleted above":              {path: "m.py", start: 5, end: 6, touches: true, edit: false},
		"deleted inside":             {path: "m.py", start: 8, end: 10, touches: true, edit: true},
		"untouched":                  {path: "m.py", start: 6, end: 8},
		"new file":                   {path: "new.py", start: 1, end: 1, touches: true, edit: true},
		"file not in the change":     {path: "other.py", start: 1, end: 9},
		"one line, deleted above it": {path: "m.py", start: 9, end: 9, touches: true, edit: false},
	} {
		t.Run(name, func(t *testing.T) {
			if got := c.Touches(tc.path, tc.start, tc.end); got != tc.touches {
				t.Errorf("Touches = %v, want %v", got, tc.touches)
			}
			if got := c.Edits(tc.path, tc.start, tc.end); got != tc.edit {
				t.Errorf("Edits = %v, want %v", got, tc.edit)
			}
		})
	}
}
