package rules

import (
	"testing"

	"github.com/djintegrity/djintegrity/rules/django"
	"github.com/djintegrity/djintegrity/rules/django/migstate"
)

func TestMigConditionKey(t *testing.T) {
	for name, tc := range map[string]struct {
		a, b string
		same bool
	}{
		"keyword and pair":         {`models.Q(deleted_at__isnull=True)`, `models.Q(("deleted_at__isnull", True))`, true},
		"layout and quotes":        {`Q( state = 'open' )`, `Q(("state", "open"),)`, true},
		"nested value":             {`Q(("kind__in", ["a", "b"]))`, `Q(kind__in=['a', 'b'])`, true},
		"two lookups":              {`Q(("a", 1), ("b", 2))`, `Q(a=1, b=2)`, true},
		"different value":          {`Q(deleted_at__isnull=True)`, `Q(deleted_at__isnull=False)`, false},
		"different field":          {`Q(("left_at__isnull", True))`, `Q(("deleted_at__isnull", True))`, false},
		"call in value stays call": {`Q(("n__gt", F("m")))`, `Q(n__gt=F("m"))`, true},
	} {
		t.Run(name, func(t *testing.T) {
			if got := migConditionKey(tc.a) == migConditionKey(tc.b); got != tc.same {
				t.Errorf("%q vs %q: same = %v, want %v (%q, %q)", tc.a, tc.b, got, tc.same, migConditionKey(tc.a), migConditionKey(tc.b))
			}
		})
	}
}

func TestMigConditionUnmet(t *testing.T) {
	start := &migstate.ModelState{Name: "Preference", Fields: []*django.Field{
		{Name: "event", Type: "ForeignKey", Kwargs: map[string]string{}},
		{Name: "left_at", Type: "DateTimeField", Kwargs: map[string]string{"null": "True"}},
		{Name: "kind", Type: "CharField", Kwargs: map[string]string{"null": "flag"}},
	}}
	for name, tc := range map[string]struct {
		cond string
		want bool
	}{
		"not null column":           {`models.Q(event__isnull=True)`, true},
		"pair form":                 {`models.Q(("event__isnull", True))`, true},
		"and with another term":     {`Q(("event__isnull", True), ("theme", "dark"))`, true},
		"nullable column":           {`Q(left_at__isnull=True)`, false},
		"unknown nullability":       {`Q(kind__isnull=True)`, false},
		"not null, other lookup":    {`Q(event__isnull=False)`, false},
		"or":                        {`Q(event__isnull=True) | Q(left_at__isnull=True)`, false},
		"negation":                  {`~Q(event__isnull=True)`, false},
		"column not there at start": {`Q(venue__isnull=True)`, false},
		"no condition":              {``, false},
	} {
		t.Run(name, func(t *testing.T) {
			if got := migConditionUnmet(start, tc.cond); got != tc.want {
				t.Errorf("migConditionUnmet(%q) = %v, want %v", tc.cond, got, tc.want)
			}
		})
	}
}

func TestMigConditionImplies(t *testing.T) {
	for name, tc := range map[string]struct {
		cond, other string
		want        bool
	}{
		"same, other form":   {`Q(("deleted_at__isnull", True))`, `Q(deleted_at__isnull=True)`, true},
		"one lookup more":    {`models.Q(("deleted_at__isnull", True), ("project__isnull", False))`, `models.Q(("deleted_at__isnull", True))`, true},
		"one lookup fewer":   {`Q(deleted_at__isnull=True)`, `Q(deleted_at__isnull=True, project__isnull=False)`, false},
		"other value":        {`Q(deleted_at__isnull=False, active=True)`, `Q(deleted_at__isnull=True)`, false},
		"or is not read":     {`Q(a=1) | Q(b=2)`, `Q(a=1)`, false},
		"nested is not read": {`Q(Q(a=1), b=2)`, `Q(b=2)`, false},
	} {
		t.Run(name, func(t *testing.T) {
			if got := migConditionImplies(tc.cond, tc.other); got != tc.want {
				t.Errorf("migConditionImplies(%q, %q) = %v, want %v", tc.cond, tc.other, got, tc.want)
			}
		})
	}
}
