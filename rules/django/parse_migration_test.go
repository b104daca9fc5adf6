package django

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestUniqueTogetherForms reads the literal forms unique_together takes in
// migrations written by different Django versions.
func TestUniqueTogetherForms(t *testing.T) {
	for name, tc := range map[string]struct {
		value string
		want  [][]string
	}{
		"set of tuples":        {`{("owner", "number")}`, [][]string{{"owner", "number"}}},
		"set() call (old)":     {`set([("owner", "number"), ("iban",)])`, [][]string{{"owner", "number"}, {"iban"}}},
		"frozenset() call":     {`frozenset({("owner", "number")})`, [][]string{{"owner", "number"}}},
		"one flat tuple":       {`("owner", "number")`, [][]string{{"owner", "number"}}},
		"list of lists":        {`[["owner", "number"]]`, [][]string{{"owner", "number"}}},
		"empty set() (remove)": {`set()`, nil},
	} {
		t.Run(name, func(t *testing.T) {
			src := "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n" +
				"    operations = [\n        migrations.AlterUniqueTogether(name=\"account\", unique_together=" + tc.value + "),\n    ]\n"
			m := ParseMigrationSource("banking/migrations/0002_x.py", []byte(src))
			if m == nil || len(m.Operations) != 1 {
				t.Fatalf("parsed %+v, want one operation", m)
			}
			if diff := cmp.Diff(tc.want, m.Operations[0].UniqueTogether); diff != "" {
				t.Errorf("unique_together (-want +got):\n%s", diff)
			}
		})
	}
}
