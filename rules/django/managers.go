package django

import (
	"slices"
	"strings"
)

// ManagerFilter returns the keyword terms that the manager attribute attr
// of model m ("objects") filters every query by: a soft-delete manager
// whose get_queryset() returns `.filter(deleted_at__isnull=True)` gives
// [["deleted_at__isnull", "True"]]; a plain models.Manager gives none.
// A manager of a known base from outside the repository (model_utils'
// SoftDeletableModel) has the filter ExternalBase.Filters gives it.
// known is false when the manager or its get_queryset() cannot be read: a
// class outside the repository, a get_queryset() that does more than one
// filter(), an attribute the index does not find.
func (p *Project) ManagerFilter(m *Model, attr string) (terms [][2]string, known bool) {
	f, callee, found := p.managerCallee(m, attr, 0)
	if !found {
		// A manager that a base from outside the repository declares.
		if terms, ok := externalManagerFilter(m, attr); ok {
			return terms, true
		}
	}
	switch {
	case !found && attr == "objects" && !p.declaresManager(m, 0) && p.BasesKnown(m):
		return nil, true // Django's automatic `objects`
	case !found:
		return nil, false
	}
	return p.managerClassFilter(f, callee, 0)
}

// managerCallee finds the assignment of manager attr on m or, as Python's
// attribute lookup does, on its bases in order.
func (p *Project) managerCallee(m *Model, attr string, depth int) (*File, string, bool) {
	if m == nil || m.class == nil || depth > 20 {
		return nil, "", false
	}
	if callee, ok := m.class.ManagerClasses[attr]; ok {
		return p.owner[m.class], callee, true
	}
	for _, b := range m.Bases {
		if f, callee, ok := p.managerCallee(b, attr, depth+1); ok {
			return f, callee, true
		}
	}
	return nil, "", false
}

// declaresManager reports whether m or a base declares any manager: then
// Django adds no automatic `objects`.
func (p *Project) declaresManager(m *Model, depth int) bool {
	if m == nil || m.class == nil || depth > 20 {
		return false
	}
	if len(m.class.Managers) > 0 {
		return true
	}
	for _, b := range m.Bases {
		if p.declaresManager(b, depth+1) {
			return true
		}
	}
	return false
}

// djangoManagers are Django's own manager and queryset classes: they
// filter nothing.
var djangoManagers = map[string]bool{
	"django.db.models.Manager": true, "django.db.models.manager.Manager": true,
	"django.db.models.QuerySet": true, "django.db.models.query.QuerySet": true,
	"django.db.models.manager.BaseManager": true,
}

// managerClassFilter reads the filter of the manager class callee (as
// written in file f): its own get_queryset(), else the first one its bases
// define, depth first from the left as Python's method lookup mostly
// finds it, within the repository.
func (p *Project) managerClassFilter(f *File, callee string, depth int) ([][2]string, bool) {
	terms, known, decided := p.managerLookup(f, callee, depth)
	return terms, known && decided
}

// managerLookup is managerClassFilter's search; decided is false when
// neither a get_queryset() nor Django's own manager was found on the way.
func (p *Project) managerLookup(f *File, callee string, depth int) (terms [][2]string, known, decided bool) {
	if f == nil || depth > 10 {
		return nil, false, true
	}
	// QS.as_manager(): a QuerySet class has no get_queryset() of its own,
	// so the manager sees every row.
	name, asManager := strings.CutSuffix(callee, ".as_manager")
	q := p.qualify(f, name, 0)
	switch {
	case djangoManagers[q]:
		return nil, true, true
	case q == "object":
		return nil, true, false
	}
	cf, c := p.classByName(q)
	switch {
	case c == nil:
		return nil, false, true // outside the repository: unknown
	case c.QuerysetOpaque:
		return nil, false, true
	case c.QuerysetFilter != nil:
		return c.QuerysetFilter, true, true
	case asManager:
		return nil, true, true
	}
	for _, b := range c.Bases {
		if terms, known, decided := p.managerLookup(cf, b, depth+1); decided {
			return terms, known, true
		}
	}
	return nil, true, false
}

// singletonBases are classes from outside the repository whose save()
// stores every instance under one primary key (django-solo).
var singletonBases = map[string]bool{"solo.models.SingletonModel": true}

// SingletonPK returns the primary key every row of m is saved under when
// m is a singleton: its save() (or a base's, within the repository) sets
// self.pk to a literal, or it derives from django-solo's SingletonModel
// (which saves under pk 1). "" otherwise.
func (p *Project) SingletonPK(m *Model) string {
	return p.singletonPK(m, 0)
}

func (p *Project) singletonPK(m *Model, depth int) string {
	if m == nil || m.class == nil || depth > 20 {
		return ""
	}
	if m.class.SavePK != "" {
		return m.class.SavePK
	}
	if f := p.owner[m.class]; f != nil {
		for _, b := range m.class.Bases {
			if singletonBases[p.qualify(f, b, 0)] {
				return "1"
			}
		}
	}
	for _, b := range m.Bases {
		if pk := p.singletonPK(b, depth+1); pk != "" {
			return pk
		}
	}
	return ""
}

// managedBy returns the model whose manager the class named class (a
// manager or queryset class of file f) makes: the one concrete model that
// assigns a manager made from it (`objects = OrderManager()`,
// `OrderQuerySet.as_manager()`). nil when no model, or more than one, or
// an abstract one that others inherit it from, does.
func (p *Project) managedBy(f *File, class string) *Model {
	want := p.qualify(f, class, 0)
	var found *Model
	for c, m := range p.classes {
		if m == nil {
			continue
		}
		for _, callee := range c.ManagerClasses {
			callee, _, _ = strings.Cut(callee, ".as_manager")
			callee, _, _ = strings.Cut(callee, ".from_queryset")
			if p.qualify(p.owner[c], callee, 0) != want {
				continue
			}
			if m.Abstract || found != nil && found != m {
				return nil
			}
			found = m
		}
	}
	return found
}

// djangoUserManager is the qualified name of Django's UserManager.
const djangoUserManager = "django.contrib.auth.models.UserManager"

// userManagerMethods are the methods of UserManager through which
// create_user and create_superuser reach the INSERT: a class that
// overrides one of them writes what its own code says.
var userManagerMethods = []string{"create_user", "create_superuser", "_create_user", "normalize_email"}

// DjangoUserManager reports whether manager attr of m ("objects") is
// Django's UserManager, or a class of the repository deriving from it that
// overrides none of the methods create_user and create_superuser go
// through: then those calls insert the fields Django's code sets (see
// UserManager._create_user in django/contrib/auth/models.py). It is true
// for auth.User's objects, and for a model that takes `objects` from
// AbstractUser without declaring a manager; false whenever the manager is
// not known.
func (p *Project) DjangoUserManager(m *Model, attr string) bool {
	if m == nil {
		return false
	}
	if m.builtin {
		return attr == "objects"
	}
	f, callee, found := p.managerCallee(m, attr, 0)
	if !found {
		// AbstractUser declares `objects = UserManager()`; another base
		// from outside the repository that declares one may come first.
		abstractUser := externalBases["django.contrib.auth.models.AbstractUser"]
		other := slices.ContainsFunc(m.External, func(b *ExternalBase) bool { return b.Filters != nil })
		return attr == "objects" && !other && !p.declaresManager(m, 0) && p.BasesKnown(m) && slices.Contains(m.External, abstractUser)
	}
	return p.userManagerClass(f, callee, 0)
}

// userManagerClass reports whether the manager class callee (as written
// in file f) is Django's UserManager or derives from it, within the
// repository, without overriding userManagerMethods.
func (p *Project) userManagerClass(f *File, callee string, depth int) bool {
	if f == nil || depth > 10 || strings.Contains(callee, ".as_manager") || strings.Contains(callee, "from_queryset") {
		return false
	}
	q := p.qualify(f, callee, 0)
	if q == djangoUserManager {
		return true
	}
	cf, c := p.classByName(q)
	if c == nil || slices.ContainsFunc(c.Methods, func(n string) bool { return slices.Contains(userManagerMethods, n) }) {
		return false
	}
	// The first base that leads to UserManager decides; a base before it
	// that defines one of the methods would come first in Python's lookup,
	// so any other base of the repository must not define them either.
	for _, b := range c.Bases {
		if p.userManagerClass(cf, b, depth+1) {
			return true
		}
		if _, bc := p.classByName(p.qualify(cf, b, 0)); bc != nil {
			return false
		}
	}
	return false
}
