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

class SharedManager(models.Manager):
    def touch(self):
        return self.create()

class Ticket(models.Model):
    code = models.CharField(max_length=10, unique=True)
    objects = TicketQuerySet.as_manager()
    issued = TicketManager()

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
