package django

import (
	"testing"
)

func TestSaveReads(t *testing.T) {
	p := build(t, map[string]string{
		"core/models.py": `from django.db import models


class Project(models.Model):
    name = models.CharField(max_length=50)


class ProjectScoped(models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE)
    workspace = models.CharField(max_length=50)

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.workspace = self.project.name
        super().save(*args, **kwargs)


class Page(ProjectScoped):
    owner = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=50)

    def save(self, *args, **kwargs):
        self.title += "!"
        super().save(*args, **kwargs)
        self.owner.touch()


class Label(models.Model):
    owner = models.ForeignKey(Project, on_delete=models.CASCADE)
    note = models.CharField(max_length=50)

    def save(self, *args, **kwargs):
        self.owner_id = self.owner_id or 1
        self.note = "x"
        return super(Label, self).save(*args, **kwargs)
`,
	})
	tests := map[string]struct {
		model, attr string
		want        bool
	}{
		"read in a base's save":           {"Page", "project", true},
		"augmented assignment reads":      {"Page", "title", true},
		"read after the save":             {"Page", "owner", false},
		"assignment target only":          {"Page", "workspace", false},
		"the id, not the parent":          {"Label", "owner", false},
		"read of the id counts as the id": {"Label", "owner_id", true},
		"no save reads it":                {"Project", "name", false},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m := p.FindModel("core", tc.model)
			if m == nil {
				t.Fatalf("no model core.%s", tc.model)
			}
			if got := p.SaveReads(m, tc.attr); got != tc.want {
				t.Errorf("SaveReads(%s, %q) = %v, want %v", tc.model, tc.attr, got, tc.want)
			}
		})
	}
}

func TestHandlesIntegrityError(t *testing.T) {
	p := build(t, map[string]string{
		"api/base.py": `from django.db import IntegrityError
from rest_framework.views import APIView
from django.views import View


class BaseAPIView(APIView):
    def handle_exception(self, exc):
        if isinstance(exc, IntegrityError):
            return None
        return super().handle_exception(exc)


class Quiet(APIView):
    def handle_exception(self, exc):
        return super().handle_exception(exc)


class PlainView(View):
    def handle_exception(self, exc):
        if isinstance(exc, IntegrityError):
            return None
`,
		"api/views.py": `from api.base import BaseAPIView, PlainView, Quiet
from core.models import Project


class Child(BaseAPIView):
    def post(self, request):
        Project.objects.create(name=request.data["name"])


class Grandchild(Child):
    def post(self, request):
        Project.objects.create(name=request.data["name"])


class Other(Quiet):
    def post(self, request):
        Project.objects.create(name=request.data["name"])


class NotDRF(PlainView):
    def post(self, request):
        Project.objects.create(name=request.POST["name"])


def plain(request):
    Project.objects.create(name=request.POST["name"])
`,
		"core/models.py": `from django.db import models


class Project(models.Model):
    name = models.CharField(max_length=50, unique=True)
`,
	})
	f := p.Files["api/views.py"]
	want := map[string]bool{
		"Child.post":      true,
		"Grandchild.post": true,
		"Other.post":      false, // its handle_exception does not name IntegrityError
		"NotDRF.post":     false, // Django's View never calls handle_exception
		"plain":           false,
	}
	seen := map[string]bool{}
	for _, fn := range f.Functions {
		name := fn.Name
		if fn.Class != "" {
			name = fn.Class + "." + fn.Name
		}
		w, ok := want[name]
		if !ok {
			continue
		}
		seen[name] = true
		if got := p.HandlesIntegrityError(f, fn); got != w {
			t.Errorf("HandlesIntegrityError(%s) = %v, want %v", name, got, w)
		}
	}
	for name := range want {
		if !seen[name] {
			t.Errorf("no function %s in api/views.py", name)
		}
	}
}
