package rules

import (
	"path"
	"strings"

	"github.com/djintegrity/djintegrity/rules/django"
)

// ContextFiles picks, from every path of the head tree, the files a review
// of the changed paths starts from: the changed Python files themselves,
// the model modules and apps.py (or, without one, the package's
// __init__.py) of the apps the change touches, the
// migrations of the apps whose models or migrations it changes (view rules
// never read migrations), and settings modules (ATOMIC_REQUESTS). It decides from paths alone, so a GitHub review can
// choose what to fetch before fetching it; django.Load then follows imports
// and model references to the rest.
func ContextFiles(all, changed []string) []string {
	touched := map[string]bool{} // apps with a changed file: their models
	schema := map[string]bool{}  // apps whose schema may have changed: their migrations
	for _, p := range changed {
		if dir := appDirOf(p); dir != "" {
			touched[dir] = true
			if parent := path.Base(path.Dir(p)); parent == "migrations" || parent == "models" || path.Base(p) == "models.py" {
				schema[dir] = true
			}
		}
	}
	want := map[string]bool{}
	for _, p := range changed {
		if strings.HasSuffix(p, ".py") {
			want[p] = true
		}
	}
	hasAppsPy := map[string]bool{}
	for _, p := range all {
		if path.Base(p) == "apps.py" {
			hasAppsPy[path.Dir(p)] = true
		}
	}
	for _, p := range all {
		if !strings.HasSuffix(p, ".py") {
			continue
		}
		dir, base := path.Split(p)
		dir = strings.TrimSuffix(dir, "/")
		switch {
		case (base == "models.py" || base == "apps.py") && touched[dir]:
			want[p] = true
		case base == "__init__.py" && touched[dir] && !hasAppsPy[dir]:
			want[p] = true // an app without apps.py may set its label there
		case path.Base(dir) == "models" && touched[path.Dir(dir)]:
			want[p] = true
		case strings.HasPrefix(base, "settings") || path.Base(dir) == "settings":
			want[p] = true
		case path.Base(dir) == "migrations" && schema[path.Dir(dir)]:
			want[p] = true
		}
	}
	out := make([]string, 0, len(want))
	for _, p := range all {
		if want[p] {
			out = append(out, p)
			delete(want, p)
		}
	}
	// Changed paths missing from all (deleted at head) are left out.
	return out
}

// appDirOf returns the app directory a path belongs to by Django's layout
// (the parent of models/ or migrations/, or the directory of models.py,
// views.py, apps.py ...), or "" at the repository root.
func appDirOf(p string) string {
	dir := path.Dir(p)
	for d := dir; d != "." && d != "/"; d = path.Dir(d) {
		switch path.Base(d) {
		case "migrations", "models", "views", "api", "management", "tests":
			return path.Dir(d)
		}
	}
	if dir == "." {
		return ""
	}
	return dir
}

// PlainTest reports whether p is a test module (django.IsTestPath) with
// no part in the project's structure: not a model module, migration,
// apps.py, package __init__.py or settings module. No rule reports on it
// and none reads it from elsewhere (the caller and impact searches skip
// tests), so a review that only changes it need not index it, unless an
// indexed file imports it.
func PlainTest(p string) bool {
	if !django.IsTestPath(p) {
		return false
	}
	dir, base := path.Split(p)
	dir = path.Base(strings.TrimSuffix(dir, "/"))
	switch {
	case base == "models.py", base == "apps.py", base == "__init__.py",
		dir == "models", dir == "migrations", dir == "settings", strings.HasPrefix(base, "settings"):
		return false
	}
	return true
}
