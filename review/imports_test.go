package review

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestImportSite(t *testing.T) {
	type site struct {
		Start, End int
		OK         bool
	}
	tests := map[string]struct {
		src  string
		want site
	}{
		"imports then code":      {"import json\nfrom django.db import models\n\nX = 1\n", site{2, 2, true}},
		"after the docstring":    {"\"\"\"Views.\"\"\"\n\nfrom __future__ import annotations\nimport json\n\n\ndef v():\n    pass\n", site{4, 4, true}},
		"a parenthesized import": {"from django.db import (\n    IntegrityError,\n    models,\n)\n\nX = 1\n", site{1, 4, true}},
		"comments between":       {"import json\n# the models\nfrom shop.models import Coupon\nX = 1\n", site{3, 3, true}},
		"no import":              {"X = 1\n", site{}},
		"an import after code":   {"X = 1\nimport json\n", site{}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			start, end, ok := importSite([]byte(tc.src))
			if diff := cmp.Diff(tc.want, site{start, end, ok}); diff != "" {
				t.Errorf("importSite (-want +got):\n%s", diff)
			}
		})
	}
}
