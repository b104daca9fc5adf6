package django

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestManagerFilter(t *testing.T) {
	p := build(t, map[string]string{
		"core/mixins.py": `from django.db import models


class SoftDeleteManager(models.Manager):
    def get_queryset(self):
        """Rows not deleted."""
        return super().get_queryset().filter(deleted_at__isnull=True)


class ActiveManager(SoftDeleteManager):
    pass


class Clever(models.Manager):
    def get_queryset(self):
        qs = super().get_queryset()
        return qs.exclude(hidden=True)


class SoftDeleteModel(models.Model):
    deleted_at = models.DateTimeField(null=True)
    objects = SoftDeleteManager()
    all_objects = models.Manager()

    class Meta:
        abstract = True
`,
		"shop/models.py": `from django.db import models
from core.mixins import ActiveManager, Clever, SoftDeleteModel
from elsewhere import VendorManager


class Tag(SoftDeleteModel):
    name = models.CharField(max_length=50)


class Label(models.Model):
    name = models.CharField(max_length=50)
    live = ActiveManager()
    clever = Clever()
    vendor = VendorManager()


class Plain(models.Model):
    name = models.CharField(max_length=50)
`,
	})
	deleted := [][2]string{{"deleted_at__isnull", "True"}}
	tests := map[string]struct {
		model, attr string
		terms       [][2]string
		known       bool
	}{
		"inherited soft-delete manager":       {"shop.Tag", "objects", deleted, true},
		"inherited plain manager":             {"shop.Tag", "all_objects", nil, true},
		"get_queryset of a base manager":      {"shop.Label", "live", deleted, true},
		"get_queryset that is not one filter": {"shop.Label", "clever", nil, false},
		"manager from outside the repository": {"shop.Label", "vendor", nil, false},
		"no objects beside declared managers": {"shop.Label", "objects", nil, false},
		"automatic objects":                   {"shop.Plain", "objects", nil, true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			m := p.Models[tt.model]
			if m == nil {
				t.Fatalf("no model %s", tt.model)
			}
			terms, known := p.ManagerFilter(m, tt.attr)
			if diff := cmp.Diff(tt.terms, terms); diff != "" || known != tt.known {
				t.Errorf("ManagerFilter(%s, %s) = %v, %v; want %v, %v (-want +got):\n%s", tt.model, tt.attr, terms, known, tt.terms, tt.known, diff)
			}
		})
	}
}

func TestSingletonPK(t *testing.T) {
	p := build(t, map[string]string{
		"site/models.py": `from django.db import models
from solo.models import SingletonModel


class Settings(models.Model):
    title = models.CharField(max_length=50)

    def save(self, *args, **kwargs):
        self.pk = self.id = 1
        super().save(*args, **kwargs)


class BaseConfig(models.Model):
    def save(self, *args, **kwargs):
        self.pk = 7
        return super().save(*args, **kwargs)

    class Meta:
        abstract = True


class Config(BaseConfig):
    theme = models.CharField(max_length=20)


class Stamped(models.Model):
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True


class Solo(SingletonModel, Stamped):
    banner = models.TextField()


class Page(models.Model):
    slug = models.SlugField()

    def save(self, *args, **kwargs):
        self.slug = self.slug.lower()
        super().save(*args, **kwargs)
`,
	})
	tests := map[string]string{"site.Settings": "1", "site.Config": "7", "site.Solo": "1", "site.Page": ""}
	for model, want := range tests {
		t.Run(model, func(t *testing.T) {
			if p.Models[model] == nil {
				t.Fatalf("no model %s", model)
			}
			if got := p.SingletonPK(p.Models[model]); got != want {
				t.Errorf("SingletonPK(%s) = %q, want %q", model, got, want)
			}
		})
	}
}
