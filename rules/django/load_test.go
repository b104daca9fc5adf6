package django

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestLoadFollowsImports(t *testing.T) {
	tree := map[string]string{
		"core/base.py":                    "from django.db import models\nfrom core.mixins import Coded\n\nclass Stamped(Coded):\n    created = models.DateTimeField(auto_now_add=True)\n\n    class Meta:\n        abstract = True\n",
		"core/mixins.py":                  "from django.db import models\n\nclass Coded(models.Model):\n    code = models.CharField(max_length=8, unique=True)\n\n    class Meta:\n        abstract = True\n",
		"core/utils.py":                   "import os\n",
		"shop/models.py":                  "from django.db import models\nfrom core.base import Stamped\n\nclass Product(Stamped):\n    sku = models.CharField(max_length=8)\n",
		"shop/migrations/0001_initial.py": "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    operations = []\n",
		"shop/views.py":                   "from core import utils\nfrom shop.models import Product\n",
		"blog/models.py":                  "from django.db import models\nfrom core.base import Stamped\n\nclass Post(Stamped):\n    pass\n",
		"blog/migrations/0001_initial.py": "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    operations = []\n",
		"blog/views.py":                   "import core.utils\n",
		"config/settings.py":              "INSTALLED_APPS = ['shop', 'blog', 'accounts']\nAUTH_USER_MODEL = 'accounts.Member'\n",
		"accounts/models.py":              "from django.contrib.auth.models import AbstractUser\n\nclass Member(AbstractUser):\n    pass\n",
	}
	all := make([]string, 0, len(tree))
	for p := range tree {
		all = append(all, p)
	}
	slices.Sort(all)
	tests := map[string]struct {
		start, changed []string
		wantRead       []string
		wantUser       string // the user model's key, when the settings were read
	}{
		"view change: models, their bases, the view's imports, its app's migrations": {
			start:   []string{"shop/views.py", "shop/models.py", "blog/models.py", "shop/migrations/0001_initial.py"},
			changed: []string{"shop/views.py"},
			wantRead: []string{"blog/models.py", "core/base.py", "core/mixins.py", "core/utils.py",
				"shop/migrations/0001_initial.py", "shop/models.py", "shop/views.py"},
		},
		"abstract base change: migrations of every app that inherits it": {
			start:   []string{"core/base.py", "shop/models.py", "blog/models.py"},
			changed: []string{"core/base.py"},
			wantRead: []string{"accounts/models.py", "blog/migrations/0001_initial.py", "blog/models.py", "core/base.py", "core/mixins.py",
				"shop/migrations/0001_initial.py", "shop/models.py"},
		},
		"settings: the models of the app AUTH_USER_MODEL names": {
			start:   []string{"config/settings.py", "shop/views.py", "shop/models.py"},
			changed: []string{"shop/views.py"},
			wantRead: []string{"accounts/models.py", "config/settings.py", "core/base.py", "core/mixins.py", "core/utils.py",
				"shop/models.py", "shop/views.py"},
			wantUser: "accounts.Member",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var read []string
			reader := func(_ context.Context, paths []string) ([]SourceFile, error) {
				var out []SourceFile
				for _, p := range paths {
					read = append(read, p)
					out = append(out, SourceFile{Path: p, Src: []byte(tree[p])})
				}
				return out, nil
			}
			p, err := Load(t.Context(), all, tc.start, tc.changed, reader)
			if err != nil {
				t.Fatal(err)
			}
			slices.Sort(read)
			if diff := cmp.Diff(tc.wantRead, read); diff != "" {
				t.Errorf("files read (-want +got):\n%s", diff)
			}
			prod := p.Models["shop.Product"]
			if prod == nil {
				t.Fatal("shop.Product not indexed")
			}
			if f := prod.Field("code"); f == nil || !f.Unique {
				t.Errorf("Product.code from the base's base = %+v", f)
			}
			if tc.wantUser != "" && (p.UserModel() == nil || p.UserModel().Key() != tc.wantUser) {
				t.Errorf("user model = %+v, want %s", p.UserModel(), tc.wantUser)
			}
		})
	}
}

// TestLoadFollowsImportsFromSourceRoots reads what a changed view imports
// by absolute name from below an import root (src/, a directory with
// manage.py), as Build resolves it for the whole tree.
func TestLoadFollowsImportsFromSourceRoots(t *testing.T) {
	base := "from django.db import models\n\nclass Stamped(models.Model):\n    ref = models.CharField(max_length=8, unique=True)\n\n    class Meta:\n        abstract = True\n"
	tests := map[string]struct {
		tree     map[string]string
		changed  string
		wantRead []string
		model    string
	}{
		"src layout": {
			tree: map[string]string{
				"src/core/__init__.py":   "",
				"src/core/models.py":     base,
				"src/shop/__init__.py":   "",
				"src/shop/models.py":     "from core.models import Stamped\n\nclass Product(Stamped):\n    pass\n",
				"src/orders/__init__.py": "",
				"src/orders/views.py":    "from shop.models import Product\n",
			},
			changed:  "src/orders/views.py",
			wantRead: []string{"src/core/models.py", "src/orders/views.py", "src/shop/models.py"},
			model:    "shop.Product",
		},
		"backend with manage.py": {
			tree: map[string]string{
				"backend/manage.py":        "",
				"backend/core/models.py":   base,
				"backend/shop/models.py":   "from core import models as core\n\nclass Product(core.Stamped):\n    pass\n",
				"backend/api/views.py":     "import shop.models\n\nshop.models.Product.objects.create(ref='x')\n",
				"backend/api/__init__.py":  "",
				"backend/shop/__init__.py": "",
			},
			changed:  "backend/api/views.py",
			wantRead: []string{"backend/api/views.py", "backend/core/models.py", "backend/shop/__init__.py", "backend/shop/models.py"},
			model:    "shop.Product",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			p, read := loadTree(t, tc.tree, []string{tc.changed})
			if diff := cmp.Diff(tc.wantRead, read); diff != "" {
				t.Errorf("files read (-want +got):\n%s", diff)
			}
			m := p.Models[tc.model]
			if m == nil {
				t.Fatalf("%s not indexed", tc.model)
			}
			if f := m.Field("ref"); f == nil || !f.Unique {
				t.Errorf("%s.ref from the imported base = %+v", tc.model, f)
			}
		})
	}
}

// TestLoadReadsWhatADependencyNeeds: a migration's dependency on a
// migration file the tree lacks makes Load read that app's migrations and
// apps.py (a squash may replace it; apps.py may give the directory another
// label), so that a dangling dependency is told as Build tells it; one on
// a file the tree has reads nothing more.
func TestLoadReadsWhatADependencyNeeds(t *testing.T) {
	mig := func(deps string) string {
		return "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    dependencies = [" + deps + "]\n    operations = []\n"
	}
	tests := map[string]struct {
		tree         map[string]string
		wantRead     []string
		wantDangling []MigrationRef
	}{
		"missing file: the app's migrations and apps.py": {
			tree: map[string]string{
				"shop/migrations/0002_order.py":       mig(`("accounts", "0003_gone")`),
				"accounts/apps.py":                    "from django.apps import AppConfig\n\nclass AccountsConfig(AppConfig):\n    name = \"accounts\"\n",
				"accounts/migrations/0001_initial.py": mig(``),
				"accounts/migrations/0002_email.py":   mig(`("accounts", "0001_initial")`),
				"accounts/models.py":                  "from django.db import models\n",
			},
			wantRead:     []string{"accounts/apps.py", "accounts/migrations/0001_initial.py", "accounts/migrations/0002_email.py", "shop/migrations/0002_order.py"},
			wantDangling: []MigrationRef{{"accounts", "0003_gone"}},
		},
		"file present: nothing more": {
			tree: map[string]string{
				"shop/migrations/0002_order.py":       mig(`("accounts", "0001_initial")`),
				"accounts/migrations/0001_initial.py": mig(``),
			},
			wantRead: []string{"shop/migrations/0002_order.py"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			start := []string{"shop/migrations/0002_order.py"}
			p, read := loadTree(t, tc.tree, start)
			if diff := cmp.Diff(tc.wantRead, read); diff != "" {
				t.Errorf("files read (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantDangling, p.Files[start[0]].Migration.Dangling); diff != "" {
				t.Errorf("dangling (-want +got):\n%s", diff)
			}
		})
	}
}

// loadTree runs Load over tree with start as the changed files, and
// returns the project and the files it read, sorted.
func loadTree(t *testing.T, tree map[string]string, start []string) (*Project, []string) {
	t.Helper()
	var read []string
	reader := func(_ context.Context, paths []string) ([]SourceFile, error) {
		var out []SourceFile
		for _, p := range paths {
			read = append(read, p)
			out = append(out, SourceFile{Path: p, Src: []byte(tree[p])})
		}
		return out, nil
	}
	p, err := Load(t.Context(), slices.Sorted(maps.Keys(tree)), start, start, reader)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(read)
	return p, read
}
