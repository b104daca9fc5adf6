package django

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestDjangoUserManager: create_user() writes what Django's UserManager
// sets only on a manager that is Django's, unchanged; a manager of the
// project's own that overrides the way in writes what its code says.
func TestDjangoUserManager(t *testing.T) {
	tree := map[string]string{
		"config/settings.py":   "INSTALLED_APPS = []\nAUTH_USER_MODEL = \"accounts.Member\"\n",
		"accounts/__init__.py": "",
		"accounts/models.py": `from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.db import models

class PlainManager(UserManager):
    def active(self):
        return self.filter(is_active=True)

class OwnManager(UserManager):
    def create_user(self, username, email=None, password=None, **extra):
        return super().create_user(username, email, password, **extra)

class BaseManager(BaseUserManager):
    def create_user(self, email, password=None):
        user = self.model(email=email)
        user.save()
        return user

class Member(AbstractUser):
    pass

class Staff(AbstractUser):
    objects = PlainManager()
    own = OwnManager()

class Robot(AbstractBaseUser):
    email = models.EmailField(unique=True)
    objects = BaseManager()
    USERNAME_FIELD = "email"
`,
		"accounts/views.py": `from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from .models import Member

def join(request):
    get_user_model().objects.create_user(request.POST["name"], password=None)
    Member.objects.create_user(username="a")
    Member.objects.filter(x=1).create_user(username="a")
`,
	}
	p := build(t, tree)
	got := map[string]bool{}
	for _, c := range []struct{ model, attr string }{
		{"Member", "objects"}, {"Member", "other"}, {"Staff", "objects"}, {"Staff", "own"}, {"Robot", "objects"},
	} {
		got[c.model+"."+c.attr] = p.DjangoUserManager(p.FindModel("accounts", c.model), c.attr)
	}
	want := map[string]bool{
		"Member.objects": true, "Member.other": false, "Staff.objects": true, "Staff.own": false, "Robot.objects": false,
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("DjangoUserManager (-want +got):\n%s", d)
	}
	f := p.Files["accounts/views.py"]
	var writes []string
	for _, w := range f.Writes {
		m := p.WriteModel(f, w.Model, w.Ref)
		name := "<none>"
		if m != nil {
			name = m.Name
		}
		writes = append(writes, w.Method+" "+name+" "+w.Manager)
	}
	if d := cmp.Diff([]string{"create_user Member objects", "create_user Member objects"}, writes); d != "" {
		t.Errorf("writes (-want +got):\n%s", d)
	}
}
