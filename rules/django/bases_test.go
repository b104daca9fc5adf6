package django

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// modelSum is what a test compares of a model: its fields (name, with
// "!" for unique, "?" for null, "=" for a default, "~" for opaque), and
// what the index claims about its bases.
type modelSum struct {
	Fields     []string
	BasesKnown bool
	Partial    bool
	Fills      bool
}

func sumModel(p *Project, m *Model) *modelSum {
	if m == nil {
		return nil
	}
	s := &modelSum{BasesKnown: p.BasesKnown(m), Partial: m.Partial(), Fills: m.Fills()}
	for _, f := range m.Fields {
		name := f.Name
		if f.Unique {
			name += "!"
		}
		if f.Null {
			name += "?"
		}
		if f.HasDefault {
			name += "="
		}
		if f.Opaque {
			name += "~"
		}
		s.Fields = append(s.Fields, name)
	}
	return s
}

// TestExternalBases: a class whose base is a known one from outside the
// repository is a model with the base's fields; an unknown base still
// makes no model, and next to a known one makes the model partial.
func TestExternalBases(t *testing.T) {
	for name, tc := range map[string]struct {
		src  string // blog/models.py
		want *modelSum
	}{
		"model_utils TimeStampedModel": {
			src:  "from model_utils.models import TimeStampedModel\nfrom django.db import models\n\nclass Post(TimeStampedModel):\n    slug = models.SlugField(unique=True)\n",
			want: &modelSum{Fields: []string{"created=", "modified=", "slug!"}, BasesKnown: true},
		},
		"model_utils through a module alias": {
			src:  "from model_utils import models as mu\n\nclass Post(mu.SoftDeletableModel, mu.UUIDModel):\n    pass\n",
			want: &modelSum{Fields: []string{"is_removed=", "id!="}, BasesKnown: true},
		},
		"django_extensions TitleSlugDescriptionModel": {
			src:  "from django_extensions.db.models import TitleSlugDescriptionModel, TimeStampedModel\n\nclass Post(TitleSlugDescriptionModel, TimeStampedModel):\n    pass\n",
			want: &modelSum{Fields: []string{"title", "description?", "slug~", "created", "modified"}, BasesKnown: true},
		},
		"polymorphic": {
			src:  "from polymorphic.models import PolymorphicModel\n\nclass Post(PolymorphicModel):\n    pass\n",
			want: &modelSum{Fields: []string{"polymorphic_ctype?"}, BasesKnown: true},
		},
		"mptt fills its tree columns": {
			src:  "from django.db import models\nfrom mptt.models import MPTTModel, TreeForeignKey\n\nclass Category(MPTTModel):\n    parent = TreeForeignKey('self', null=True, on_delete=models.CASCADE)\n",
			want: &modelSum{Fields: []string{"lft", "rght", "tree_id", "level", "parent?~"}, BasesKnown: true, Fills: true},
		},
		"mptt with MPTTMeta renaming a column": {
			src:  "from mptt.models import MPTTModel\n\nclass Category(MPTTModel):\n    class MPTTMeta:\n        left_attr = 'left'\n",
			want: &modelSum{Fields: []string{"lft", "rght", "tree_id", "level"}, Partial: true, Fills: true},
		},
		"mptt with MPTTMeta ordering only": {
			src:  "from mptt.models import MPTTModel\n\nclass Category(MPTTModel):\n    class MPTTMeta:\n        order_insertion_by = ['name']\n",
			want: &modelSum{Fields: []string{"lft", "rght", "tree_id", "level"}, BasesKnown: true, Fills: true},
		},
		"treebeard MP_Node": {
			src:  "from treebeard.mp_tree import MP_Node\n\nclass Category(MP_Node):\n    pass\n",
			want: &modelSum{Fields: []string{"path!", "depth", "numchild="}, BasesKnown: true, Fills: true},
		},
		"safedelete is partial": {
			src:  "from safedelete.models import SafeDeleteModel\n\nclass Post(SafeDeleteModel):\n    pass\n",
			want: &modelSum{Fields: []string{"deleted?"}, Partial: true},
		},
		"custom user from AbstractUser, username dropped": {
			src: "from django.contrib.auth.models import AbstractUser\nfrom django.db import models\n\nclass User(AbstractUser):\n    username = None\n    email = models.EmailField(unique=True)\n",
			want: &modelSum{Fields: []string{"password", "last_login?", "is_superuser=", "groups", "user_permissions",
				"first_name", "last_name", "is_staff=", "is_active=", "date_joined=", "email!"}, BasesKnown: true},
		},
		"custom user from AbstractBaseUser and PermissionsMixin": {
			src:  "from django.contrib.auth.base_user import AbstractBaseUser\nfrom django.contrib.auth.models import PermissionsMixin\n\nclass User(AbstractBaseUser, PermissionsMixin):\n    pass\n",
			want: &modelSum{Fields: []string{"password", "last_login?", "is_superuser=", "groups", "user_permissions"}, BasesKnown: true},
		},
		"unknown base: no model, as before": {
			src: "from somepackage.models import TimeStampedModel\n\nclass Post(TimeStampedModel):\n    pass\n",
		},
		"known base beside an unknown one: partial": {
			src:  "from model_utils.models import TimeStampedModel\nfrom somepackage.models import Sluggable\n\nclass Post(TimeStampedModel, Sluggable):\n    pass\n",
			want: &modelSum{Fields: []string{"created=", "modified="}, Partial: true},
		},
		"Django's Model beside an unknown base: as before": {
			src:  "from django.db import models\nfrom somepackage.models import Sluggable\n\nclass Post(Sluggable, models.Model):\n    pass\n",
			want: &modelSum{},
		},
		"GeoDjango": {
			src:  "from django.contrib.gis.db import models\n\nclass Place(models.Model):\n    location = models.PointField(srid=4326)\n    area = models.MultiPolygonField(null=True)\n",
			want: &modelSum{Fields: []string{"location", "area?"}, BasesKnown: true},
		},
	} {
		t.Run(name, func(t *testing.T) {
			p := build(t, map[string]string{"blog/models.py": tc.src})
			var m *Model
			for _, c := range p.Files["blog/models.py"].Classes {
				m = p.ModelOfClass(c)
			}
			got := sumModel(p, m)
			if got != nil && got.Fields == nil {
				got.Fields = []string{}
			}
			if tc.want != nil && tc.want.Fields == nil {
				tc.want.Fields = []string{}
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("model (-want +got):\n%s", diff)
			}
		})
	}
}

// TestExternalBaseThroughRepositoryBase: an abstract base of the repository
// passes on what a base from outside it adds, and its managers' filters
// unless the model assigns the manager again.
func TestExternalBaseThroughRepositoryBase(t *testing.T) {
	p := build(t, map[string]string{
		"core/models.py": "from model_utils.models import SoftDeletableModel\n\nclass Base(SoftDeletableModel):\n    class Meta:\n        abstract = True\n",
		"blog/models.py": strings.Join([]string{
			"from django.db import models",
			"from core.models import Base",
			"",
			"class Post(Base):",
			"    slug = models.SlugField()",
			"",
			"class Page(Base):",
			"    objects = models.Manager()",
		}, "\n"),
	})
	post, page := p.Models["blog.Post"], p.Models["blog.Page"]
	if post == nil || page == nil {
		t.Fatalf("models: %v", keys(p.Models))
	}
	if diff := cmp.Diff([]string{"is_removed=", "slug"}, sumModel(p, post).Fields); diff != "" {
		t.Errorf("Post fields (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		m       *Model
		manager string
		want    [][2]string
		known   bool
	}{
		{post, "objects", [][2]string{{"is_removed", "False"}}, true},
		{post, "available_objects", [][2]string{{"is_removed", "False"}}, true},
		{post, "all_objects", nil, true},
		{post, "deleted_objects", nil, false},
		{page, "objects", nil, true},
	} {
		terms, known := p.ManagerFilter(tc.m, tc.manager)
		if diff := cmp.Diff(tc.want, terms); diff != "" || known != tc.known {
			t.Errorf("%s.%s filter known=%v, want %v (-want +got):\n%s", tc.m.Name, tc.manager, known, tc.known, diff)
		}
	}
}

// TestVendoredBaseReadAsWritten: a repository that holds its own copy of a
// package's module is read, not the table.
func TestVendoredBaseReadAsWritten(t *testing.T) {
	p := build(t, map[string]string{
		"model_utils/models.py": "from django.db import models\n\nclass TimeStampedModel(models.Model):\n    stamp = models.DateTimeField()\n\n    class Meta:\n        abstract = True\n",
		"blog/models.py":        "from model_utils.models import TimeStampedModel\n\nclass Post(TimeStampedModel):\n    pass\n",
	})
	want := &modelSum{Fields: []string{"stamp"}, BasesKnown: true}
	if diff := cmp.Diff(want, sumModel(p, p.Models["blog.Post"])); diff != "" {
		t.Errorf("Post (-want +got):\n%s", diff)
	}
}

// TestUserModel: get_user_model(), settings.AUTH_USER_MODEL and
// django.contrib.auth.models.User name the model the settings choose.
func TestUserModel(t *testing.T) {
	views := strings.Join([]string{
		"from django.conf import settings",
		"from django.contrib.auth import get_user_model",
		"from django.contrib.auth.models import User as AuthUser",
		"from django.db import models",
		"",
		"User = get_user_model()",
		"",
		"class Order(models.Model):",
		"    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)",
		"    buyer = models.ForeignKey(User, on_delete=models.CASCADE)",
		"    clerk = models.ForeignKey('auth.User', on_delete=models.CASCADE)",
		"",
		"def signup(request):",
		"    get_user_model().objects.create(username=request.POST['u'])",
	}, "\n")
	accounts := "from django.contrib.auth.models import AbstractUser\n\nclass Member(AbstractUser):\n    pass\n"
	const installed = "INSTALLED_APPS = ['shop']\n"
	type resolved struct {
		User, GetUserModel, Setting, AuthUser, AuthRef string
	}
	for name, tc := range map[string]struct {
		tree map[string]string
		want resolved
	}{
		"default": {
			tree: map[string]string{"config/settings.py": installed},
			want: resolved{"auth.User", "auth.User", "auth.User", "auth.User", "auth.User"},
		},
		"AUTH_USER_MODEL names a model of the repository": {
			tree: map[string]string{
				"config/settings.py":  installed + "AUTH_USER_MODEL = 'accounts.Member'\n",
				"accounts/models.py":  accounts,
				"config/settings2.py": "from .settings import *\nAUTH_USER_MODEL = 'accounts.Member'\n",
			},
			want: resolved{"accounts.Member", "accounts.Member", "accounts.Member", "", ""},
		},
		"AUTH_USER_MODEL names a model the index has not read": {
			tree: map[string]string{"config/settings.py": installed + "AUTH_USER_MODEL = 'accounts.Member'\n"},
		},
		"AUTH_USER_MODEL computed": {
			tree: map[string]string{"config/settings.py": installed + "import os\nAUTH_USER_MODEL = os.environ['USER_MODEL']\n"},
		},
		"settings modules disagree": {
			tree: map[string]string{
				"config/settings.py": installed + "AUTH_USER_MODEL = 'accounts.Member'\n",
				"tests/settings.py":  installed + "AUTH_USER_MODEL = 'auth.User'\n",
				"accounts/models.py": accounts,
			},
		},
		"a user model of the project's own, no setting read": {
			tree: map[string]string{"config/settings.py": installed, "accounts/models.py": accounts},
		},
		"no settings module: a reusable app": {
			tree: map[string]string{},
			want: resolved{AuthUser: "auth.User", AuthRef: "auth.User"},
		},
		"AUTH_USER_MODEL = 'auth.User' said out loud": {
			tree: map[string]string{"config/settings.py": installed + "AUTH_USER_MODEL = 'auth.User'\n"},
			want: resolved{"auth.User", "auth.User", "auth.User", "auth.User", "auth.User"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			tree := map[string]string{"shop/models.py": views}
			for k, v := range tc.tree {
				tree[k] = v
			}
			p := build(t, tree)
			f := p.Files["shop/models.py"]
			order := p.Models["shop.Order"]
			if order == nil {
				t.Fatalf("shop.Order not indexed: %v", keys(p.Models))
			}
			key := func(m *Model) string {
				if m == nil {
					return ""
				}
				return m.Key()
			}
			var gum string
			for _, w := range f.Writes {
				gum = key(p.WriteModel(f, w.Model, w.Ref))
			}
			got := resolved{
				User:         key(p.RelatedModel(order, order.Field("buyer"))),
				GetUserModel: gum,
				Setting:      key(p.RelatedModel(order, order.Field("owner"))),
				AuthUser:     key(p.ResolveModel(f, "AuthUser")),
				AuthRef:      key(p.RelatedModel(order, order.Field("clerk"))),
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("resolved (-want +got):\n%s", diff)
			}
		})
	}
}

// TestAuthUserFields: auth.User as Django defines it: username unique and
// at most 150 characters, email neither unique nor required, password
// NOT NULL with no default; table auth_user.
func TestAuthUserFields(t *testing.T) {
	p := build(t, map[string]string{"config/settings.py": "INSTALLED_APPS = []\n"})
	u := p.UserModel()
	if u == nil || u.Table != "auth_user" || !u.Builtin() || u.Key() != "auth.User" {
		t.Fatalf("user model = %+v", u)
	}
	want := &modelSum{Fields: []string{"password", "last_login?", "is_superuser=", "groups", "user_permissions",
		"username!", "first_name", "last_name", "email", "is_staff=", "is_active=", "date_joined="}}
	if diff := cmp.Diff(want, sumModel(p, u)); diff != "" {
		t.Errorf("auth.User (-want +got):\n%s", diff)
	}
	if got := u.Field("username").Kwargs["max_length"]; got != "150" {
		t.Errorf("username max_length = %q", got)
	}
	if slices.ContainsFunc(u.Fields, func(f *Field) bool { return f.Path != "" || f.Line != 0 }) {
		t.Error("auth.User fields have a place in the repository")
	}
	if _, ok := p.Models["auth.User"]; ok {
		t.Error("auth.User listed among the repository's models")
	}
}
