package django

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestOwnReceivers: writes through self and cls inside a model's or a
// manager's methods resolve to the model.
func TestOwnReceivers(t *testing.T) {
	tree := map[string]string{
		"shop/__init__.py": "",
		"shop/models.py": `from django.db import models

class TicketQuerySet(models.QuerySet):
    def issue(self, code):
        if self.filter(code=code).exists():
            return None
        return self.create(code=code)

class TicketManager(models.Manager):
    def issue(self, code):
        return self.model.objects.create(code=code)

    def reissue(self, code):
        return self.get_queryset().get_or_create(code=code)

class OverridingManager(models.Manager):
    def create(self, code, note):
        obj = self.create(code, note)
        return obj

    def issue(self, code):
        return self.create(code, "")

class SharedManager(models.Manager):
    def touch(self):
        return self.create()

class Ticket(models.Model):
    code = models.CharField(max_length=10, unique=True)
    objects = TicketQuerySet.as_manager()
    issued = TicketManager()
    overriding = OverridingManager()

    @classmethod
    def open(cls, code):
        return cls.objects.create(code=code)

    def close(self):
        self.code = ""
        self.save()

    def save(self, *args, **kwargs):
        super().save(*args, **kwargs)

class Seat(models.Model):
    shared = SharedManager()

class Row(models.Model):
    shared = SharedManager()

class Helper:
    def run(self):
        self.save()
`,
	}
	p := build(t, tree)
	f := p.Files["shop/models.py"]
	got := map[string]string{}
	for _, w := range f.Writes {
		m := p.WriteModel(f, w.Model, w.Ref)
		name := "<none>"
		if m != nil {
			name = m.Name
		}
		got[fmt.Sprintf("%s.%s:%s", w.Func.Class, w.Func.Name, w.Kind)] = name
	}
	for _, w := range f.Writes {
		if w.Func.Class == "OverridingManager" {
			t.Errorf("%s.%s: self.%s() calls the manager's own method, read as a write of the ORM", w.Func.Class, w.Func.Name, w.Kind)
		}
	}
	want := map[string]string{
		"TicketQuerySet.issue:create":         "Ticket",
		"TicketManager.issue:create":          "Ticket",
		"TicketManager.reissue:get_or_create": "Ticket",
		"SharedManager.touch:create":          "<none>", // two models use it
		"Ticket.open:create":                  "Ticket",
		"Ticket.close:save":                   "Ticket",
		"Ticket.save:save":                    "Ticket",
		"Helper.run:save":                     "<none>", // not a model
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("models of writes (-want +got):\n%s", diff)
	}
	var checked bool
	for _, w := range f.Writes {
		if w.Func.Class == "TicketQuerySet" && len(w.Checks) == 1 {
			checked = p.WriteModel(f, w.Checks[0].Model, w.Checks[0].Ref) == p.WriteModel(f, w.Model, w.Ref)
		}
	}
	if !checked {
		t.Error("the queryset's existence check on self is not read as a check of Ticket")
	}
}

// TestPositionalCreate: the ORM's create() takes fields by keyword only, so
// positional arguments go to a manager's own create(): fields unknown.
func TestPositionalCreate(t *testing.T) {
	p := build(t, map[string]string{
		"shop/__init__.py": "",
		"shop/models.py":   "from django.db import models\n\nclass Ticket(models.Model):\n    code = models.CharField(max_length=10)\n",
		"shop/views.py":    "from shop.models import Ticket\n\ndef open_ticket(request):\n    Ticket.objects.create(request.POST['code'])\n    Ticket.objects.create(code=request.POST['code'])\n",
	})
	var got []bool
	for _, w := range p.Files["shop/views.py"].Writes {
		got = append(got, w.Positional)
	}
	if diff := cmp.Diff([]bool{true, false}, got); diff != "" {
		t.Errorf("Positional of the two creates (-want +got):\n%s", diff)
	}
}
