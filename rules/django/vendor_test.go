package django

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestProjectFiles(t *testing.T) {
	tests := map[string]struct {
		all, want []string
	}{
		"installed packages and tool environments": {
			all: []string{
				"shop/models.py",
				".venv/lib/python3.12/site-packages/taggit/models.py",
				"venv/src/django-foo/foo/migrations/0001_initial.py",
				"build/lib/site-packages/x/models.py",
				"frontend/node_modules/node-gyp/gyp/pylib/gyp/input.py",
				".tox/py312/lib/python3.12/site-packages/django/contrib/auth/models.py",
			},
			want: []string{"shop/models.py"},
		},
		"a virtualenv of any name, by pyvenv.cfg or its site-packages": {
			all: []string{
				"env/pyvenv.cfg",
				"env/bin/django-admin.py",
				"py3/lib/python3.11/site-packages/django/db/models/base.py",
				"py3/src/editable/editable/models.py",
				"win/Lib/site-packages/taggit/models.py",
				"win/Scripts/activate_this.py",
				"env2/models.py",
				"shop/env/settings.py",
			},
			want: []string{"env2/models.py", "shop/env/settings.py"},
		},
		"copied packages, unless the directory is itself an app": {
			all: []string{
				"vendor/taggit/models.py",
				"vendor/taggit/migrations/0001_initial.py",
				"app/vendor/validate_geotiff.py",
				"third_party/south/db.py",
				"marketplace/vendor/models.py",
				"marketplace/vendor/views.py",
				"shop/vendored/apps.py",
				"shop/vendored/signals.py",
			},
			want: []string{"marketplace/vendor/models.py", "marketplace/vendor/views.py", "shop/vendored/apps.py", "shop/vendored/signals.py"},
		},
		"directories projects keep their own code in": {
			all: []string{
				"temba/channels/types/external/views.py",
				"plane/app/views/external/base.py",
				"hc/lib/emails.py",
				"static/admin/models.py",
				"lib/python3.11/site-packages/x.py",
			},
			want: []string{"temba/channels/types/external/views.py", "plane/app/views/external/base.py", "hc/lib/emails.py", "static/admin/models.py"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, ProjectFiles(tc.all)); diff != "" {
				t.Errorf("project files (-want +got):\n%s", diff)
			}
		})
	}
}

// TestVendoredAppsStayOutOfTheIndex: a vendored app's models and
// migrations are not the project's, even when its label is one of the
// project's.
func TestVendoredAppsStayOutOfTheIndex(t *testing.T) {
	p := build(t, map[string]string{
		"shop/models.py":                                      "from django.db import models\n\nclass Product(models.Model):\n    pass\n",
		"shop/migrations/0001_initial.py":                     "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    operations = []\n",
		"vendor/shop/models.py":                               "from django.db import models\n\nclass Basket(models.Model):\n    pass\n",
		"vendor/shop/migrations/0001_initial.py":              "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    operations = []\n",
		".venv/lib/python3.12/site-packages/taggit/models.py": "from django.db import models\n\nclass Tag(models.Model):\n    pass\n",
	})
	if diff := cmp.Diff([]string{"shop.Product"}, keys(p.Models)); diff != "" {
		t.Errorf("models (-want +got):\n%s", diff)
	}
	app := p.Apps["shop"]
	if app == nil || app.Dir != "shop" || app.Ambiguous {
		t.Errorf("app shop = %+v, want the project's only", app)
	}
}
