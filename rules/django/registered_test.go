package django

import "testing"

// TestRegistered: a model in a module of its app's models package is known
// to Django only when something imports that module.
func TestRegistered(t *testing.T) {
	const loan = "from django.db import models\n\nclass Loan(models.Model):\n    who = models.CharField(max_length=9)\n\n    class Meta:\n        app_label = 'library'\n"
	for name, tc := range map[string]struct {
		tree map[string]string
		want bool
	}{
		"imported by the package": {tree: map[string]string{
			"library/models/__init__.py": "from .loan import Loan\n", "library/models/loan.py": loan}, want: true},
		"module imported by the package": {tree: map[string]string{
			"library/models/__init__.py": "from . import loan\n", "library/models/loan.py": loan}, want: true},
		"star import": {tree: map[string]string{
			"library/models/__init__.py": "from .loan import *\n", "library/models/loan.py": loan}, want: true},
		"imported elsewhere": {tree: map[string]string{
			"library/models/__init__.py": "", "library/models/loan.py": loan, "library/admin.py": "import library.models.loan\n"}, want: true},
		"imported nowhere": {tree: map[string]string{
			"library/models/__init__.py": "from .book import Book\n", "library/models/loan.py": loan, "library/models/book.py": ""}, want: false},
		"models.py module": {tree: map[string]string{
			"library/__init__.py": "", "library/models.py": loan}, want: true},
		"package init not read": {tree: map[string]string{
			"library/models/loan.py": loan, "library/apps.py": "from django.apps import AppConfig\n\nclass C(AppConfig):\n    name = 'library'\n"}, want: true},
	} {
		t.Run(name, func(t *testing.T) {
			p := build(t, tc.tree)
			m := p.Models["library.Loan"]
			if m == nil {
				t.Fatalf("library.Loan not indexed: %v", p.Models)
			}
			if got := p.Registered(m); got != tc.want {
				t.Errorf("Registered = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestDanglingOnce: Load indexes the same parsed files again after it
// reads more; a dangling dependency is still recorded once.
func TestDanglingOnce(t *testing.T) {
	mig := func(deps string) string {
		return "from django.db import migrations\n\nclass Migration(migrations.Migration):\n    dependencies = [" + deps + "]\n    operations = []\n"
	}
	tree := map[string]string{
		"shop/__init__.py":                "",
		"shop/migrations/__init__.py":     "",
		"shop/migrations/0001_initial.py": mig(""),
		"shop/migrations/0003_order.py":   mig(`("shop", "0002_gone")`),
		"shop/models.py":                  "from django.db import models\n",
	}
	p := build(t, tree)
	paths := map[string]bool{}
	for path := range tree {
		paths[path] = true
	}
	p.findDangling(paths) // as a second index pass does
	m := p.Files["shop/migrations/0003_order.py"].Migration
	if len(m.Dangling) != 1 {
		t.Errorf("Dangling = %v, want the one missing dependency once", m.Dangling)
	}
}
