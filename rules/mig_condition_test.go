package rules

import "testing"

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
