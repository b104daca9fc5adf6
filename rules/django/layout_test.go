package django

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLayout(t *testing.T) {
	tests := map[string]struct {
		paths     []string
		wantRoots []string
		modules   map[string]string // file path -> its module name
		files     map[string]string // module name -> the file it resolves to ("": none)
	}{
		"src layout": {
			paths: []string{"src/manage.py", "src/pretalx/__init__.py", "src/pretalx/event/__init__.py",
				"src/pretalx/event/models/__init__.py", "src/pretalx/event/models/event.py", "doc/conf.py"},
			wantRoots: []string{".", "src"},
			modules: map[string]string{
				"src/pretalx/event/models/event.py":    "pretalx.event.models.event",
				"src/pretalx/event/models/__init__.py": "pretalx.event.models",
				"doc/conf.py":                          "doc.conf",
			},
			files: map[string]string{
				"pretalx.event.models":     "src/pretalx/event/models/__init__.py",
				"src.pretalx.event.models": "src/pretalx/event/models/__init__.py", // from the repository root: still that file
				"event.models":             "src/pretalx/event/models/__init__.py", // a suffix of one file only
				"models":                   "",                                     // a single name is never a suffix
			},
		},
		"src convention without manage.py": {
			paths:     []string{"src/shop/__init__.py", "src/shop/models.py", "src/orders/views.py"},
			wantRoots: []string{".", "src"},
			modules:   map[string]string{"src/shop/models.py": "shop.models"},
			files:     map[string]string{"shop.models": "src/shop/models.py", "shop": "src/shop/__init__.py"},
		},
		"a src package is no root": {
			paths:     []string{"lib/src/__init__.py", "lib/src/util.py"},
			wantRoots: []string{"."},
			modules:   map[string]string{"lib/src/util.py": "lib.src.util"},
			files:     map[string]string{"lib.src.util": "lib/src/util.py", "util": ""},
		},
		"backend with manage.py": {
			paths:     []string{"backend/manage.py", "backend/shop/__init__.py", "backend/shop/models.py", "scripts/seed.py"},
			wantRoots: []string{".", "backend"},
			modules:   map[string]string{"backend/shop/models.py": "shop.models", "scripts/seed.py": "scripts.seed"},
			files:     map[string]string{"shop.models": "backend/shop/models.py", "backend.shop.models": "backend/shop/models.py"},
		},
		"manage.py in a package is still a root": {
			paths:     []string{"manage.py", "tabbycat/__init__.py", "tabbycat/manage.py", "tabbycat/results/models.py"},
			wantRoots: []string{".", "tabbycat"},
			modules:   map[string]string{"tabbycat/results/models.py": "results.models"},
			files:     map[string]string{"results.models": "tabbycat/results/models.py", "manage": ""},
		},
		"two roots claim one name: neither": {
			paths:     []string{"backend/manage.py", "backend/shop/models.py", "shop/models.py"},
			wantRoots: []string{".", "backend"},
			files:     map[string]string{"shop.models": "", "backend.shop.models": "backend/shop/models.py"},
		},
		"a deeper root's name beats a name from a shallower root": {
			paths:     []string{"netbox/manage.py", "netbox/netbox/__init__.py", "netbox/netbox/settings.py", "netbox/settings.py"},
			wantRoots: []string{".", "netbox"},
			files:     map[string]string{"netbox.settings": "netbox/netbox/settings.py", "settings": "netbox/settings.py"},
		},
		"an undetected root: a suffix of one file": {
			paths:     []string{"deploy/app/shop/models.py", "deploy/app/shop/views.py", "other/blog/models.py"},
			wantRoots: []string{"."},
			files:     map[string]string{"shop.models": "deploy/app/shop/models.py", "app.shop.views": "deploy/app/shop/views.py", "blog.models": "other/blog/models.py"},
		},
		"a suffix of two files: neither": {
			paths: []string{"a/shop/models.py", "b/shop/models.py"},
			files: map[string]string{"shop.models": "", "a.shop.models": "a/shop/models.py"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			l := newLayout(tc.paths)
			if tc.wantRoots != nil {
				if diff := cmp.Diff(tc.wantRoots, l.roots); diff != "" {
					t.Errorf("roots (-want +got):\n%s", diff)
				}
			}
			for p, want := range tc.modules {
				if got := l.module(p); got != want {
					t.Errorf("module(%q) = %q, want %q", p, got, want)
				}
			}
			for mod, want := range tc.files {
				if got := l.file(mod); got != want {
					t.Errorf("file(%q) = %q, want %q", mod, got, want)
				}
			}
			// The same tree listed in another order gives the same layout.
			rev := slices.Clone(tc.paths)
			slices.Reverse(rev)
			if diff := cmp.Diff(l, newLayout(rev), cmp.AllowUnexported(layout{})); diff != "" {
				t.Errorf("layout depends on the order of the paths (-sorted +reversed):\n%s", diff)
			}
		})
	}
}

func TestModulePath(t *testing.T) {
	p := build(t, map[string]string{
		"backend/manage.py":           "",
		"backend/shop/__init__.py":    "",
		"backend/shop/models.py":      "from django.db import models\n\nclass Customer(models.Model):\n    pass\n",
		"backend/api/views.py":        "from shop.models import Customer\n",
		"shop/models.py":              "",
		"backend/billing/models.py":   "from django.db import models\n\nclass Invoice(models.Model):\n    pass\n",
		"backend/billing/__init__.py": "",
		"deploy/app/shop/__init__.py": "",
		"deploy/app/shop/models.py":   "",
	})
	tests := map[string]string{
		"backend/billing/models.py": "billing.models",
		"backend/shop/models.py":    "", // shop.models is shop/models.py's too: no name leads back
		"backend/api/views.py":      "", // api is no package: its root may be another
		"backend/manage.py":         "manage",
		"deploy/app/shop/models.py": "", // deploy.app.shop.models would be a guess: deploy is no package
	}
	for path, want := range tests {
		if got := p.ModulePath(path); got != want {
			t.Errorf("ModulePath(%q) = %q, want %q", path, got, want)
		}
	}
	if m := p.ResolveModel(p.Files["backend/api/views.py"], "Customer"); m != nil {
		t.Errorf("Customer resolved to %s through a name two files claim", m.Path)
	}
	if m := p.Models["shop.Customer"]; m == nil {
		t.Error("shop.Customer, in a file whose module name is ambiguous, is not indexed")
	}
}
