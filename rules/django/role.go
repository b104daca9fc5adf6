package django

import (
	"bytes"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/djintegrity/djintegrity/rules/django/writesite"
)

// Role is what a function is to the application, decided from its code:
// who calls it, and so whether two runs of it can overlap and what it can
// answer when a write fails.
type Role string

// Roles of a function. The application-code rules say which they apply to.
const (
	RoleRequest    Role = "request handler"    // takes a request: views, viewsets, admin, middleware, GraphQL mutations
	RoleSerializer Role = "serializer method"  // a method of a DRF serializer
	RoleForm       Role = "form method"        // a method of a Django form
	RoleModel      Role = "model method"       // a method of a model
	RoleManager    Role = "manager method"     // a method of a manager or queryset
	RoleReceiver   Role = "signal receiver"    // @receiver or connected to a signal
	RoleTask       Role = "task"               // under a task decorator (Celery, Huey, RQ, Dramatiq)
	RoleService    Role = "function"           // any other function or method: services, utilities
	RoleCommand    Role = "management command" // in management/commands: run by hand, one at a time
	RoleMigration  Role = "data migration"     // in a migration module: runs once, in the deploy
	RoleTest       Role = "test"               // tests, fixtures and test helpers: not reviewed
)

// Roles lists every role, the reviewed ones first.
func Roles() []Role {
	return []Role{RoleRequest, RoleSerializer, RoleForm, RoleModel, RoleManager, RoleReceiver, RoleTask, RoleService, RoleCommand, RoleMigration, RoleTest}
}

// Concurrent reports whether two runs of a function of this role can
// overlap, so that a race between its reads and writes can happen: a
// management command runs by hand, a data migration once in the deploy,
// and tests are not production code.
func (r Role) Concurrent() bool {
	return r != RoleCommand && r != RoleMigration && r != RoleTest
}

// taskDecorators are the last names of the decorators that make a
// function a background task.
var taskDecorators = []string{"task", "shared_task", "periodic_task", "db_task", "db_periodic_task", "actor", "job", "huey_task"}

// Role decides the role of fn, a function of file f.
func (p *Project) Role(f *File, fn *writesite.Function) Role {
	r, _ := p.RoleBy(f, fn)
	return r
}

// certainBases are the packages whose classes, when a base's qualified
// name is one of theirs, make a class what the base's name says:
// Django's admin and middleware, graphene's mutations, Channels'
// consumers.
var certainBases = []string{"django.", "graphene.", "graphene_django.", "channels.", "strawberry."}

// RoleBy decides the role of fn, a function of file f, as Role does, and
// says how when it rests on a name alone, not on a base the index knows:
// a class named like middleware, a base named like an admin class or a
// mutation that is neither the repository's nor Django's or graphene's, a
// method named mutate. how is "" when the role is decided by the code.
func (p *Project) RoleBy(f *File, fn *writesite.Function) (r Role, how string) {
	switch {
	case f.Migration != nil || f.SouthMigration || isMigrationPath(f.Path):
		return RoleMigration, ""
	case IsTestPath(f.Path) || isTestFunction(fn):
		return RoleTest, ""
	case strings.Contains("/"+f.Path, "/management/commands/"):
		return RoleCommand, ""
	}
	if slices.ContainsFunc(fn.Decorators, func(d string) bool { return slices.Contains(taskDecorators, lastName(d)) }) {
		return RoleTask, ""
	}
	if slices.ContainsFunc(fn.Decorators, func(d string) bool { return lastName(d) == "receiver" }) || connected(f, fn) {
		return RoleReceiver, ""
	}
	if fn.View {
		return RoleRequest, ""
	}
	if fn.Class == "" {
		return RoleService, ""
	}
	cf, c := p.classIn(f, fn.Class, p.qualify(f, fn.Class, 0))
	lineage := p.lineage(f, c, fn.ClassBases)
	has := func(suffixes ...string) bool {
		return slices.ContainsFunc(lineage, func(b string) bool {
			return slices.ContainsFunc(suffixes, func(s string) bool { return strings.HasSuffix(b, s) })
		})
	}
	switch {
	case has("TestCase", "TestMixin") || strings.HasPrefix(fn.Class, "Test"):
		return RoleTest, ""
	case has("View", "ViewSet", "Viewset", "Mutation", "Middleware", "Admin", "Consumer") || fn.Name == "mutate" || fn.Name == "mutate_and_get_payload" ||
		strings.HasSuffix(fn.Class, "Middleware"):
		// Views through a base of the project's own, GraphQL mutations,
		// middleware, admin classes and Channels consumers answer requests
		// without taking one by that name.
		return RoleRequest, p.requestHow(f, c, fn)
	case has("Serializer"):
		return RoleSerializer, ""
	case has("Form", "FormSet"):
		return RoleForm, ""
	case has("Task"):
		return RoleTask, ""
	case has("Command"):
		return RoleCommand, ""
	case has("Manager", "QuerySet"):
		return RoleManager, ""
	}
	if c != nil && p.model(cf, c, 0) != nil {
		return RoleModel, ""
	}
	return RoleService, ""
}

// byNameSuffixes are the ends of base names that make a class answer
// requests by its name alone (see RoleBy).
var byNameSuffixes = []string{"Mutation", "Middleware", "MiddlewareMixin", "Admin", "Consumer"}

// requestHow says how a method of class c was taken for a request
// handler when a name alone decided it, or "" when a base the index knows
// (one of the repository's leading to Django's, graphene's or Channels'
// class of that name, or theirs directly) did.
func (p *Project) requestHow(f *File, c *Class, fn *writesite.Function) string {
	var how string
	certain := false
	p.eachBaseIn(f, c, fn.ClassBases, func(bf *File, name string, bc *Class) bool {
		last := lastName(name)
		for _, sfx := range []string{"View", "ViewSet", "Viewset"} {
			if strings.HasSuffix(last, sfx) {
				certain = true // views are decided as before
				return false
			}
		}
		for _, sfx := range byNameSuffixes {
			if !strings.HasSuffix(last, sfx) {
				continue
			}
			q := p.qualify(bf, name, 0)
			if bc == nil && slices.ContainsFunc(certainBases, func(pkg string) bool { return strings.HasPrefix(q, pkg) }) {
				certain = true
				return false
			}
			if how == "" {
				how = fmt.Sprintf("a base of `%s` is named `%s`", fn.Class, name)
			}
		}
		return true
	})
	switch {
	case certain:
		return ""
	case how != "":
		return how
	case fn.Name == "mutate" || fn.Name == "mutate_and_get_payload":
		return fmt.Sprintf("the method is named `%s`, as a GraphQL mutation's resolver is", fn.Name)
	case strings.HasSuffix(fn.Class, "Middleware"):
		return fmt.Sprintf("the class is named `%s`, as middleware is", fn.Class)
	}
	return ""
}

// lineage returns the last names of the bases of class (nil when the index
// has none by that name), and of theirs as far as the repository defines
// them: a serializer may derive from the project's own base serializer.
func (p *Project) lineage(f *File, class *Class, bases []string) []string {
	var out []string
	p.eachBase(f, class, bases, func(name string, _ *Class) bool {
		out = append(out, lastName(name))
		return true
	})
	return out
}

// eachBase is eachBaseIn without the file each base is named in.
func (p *Project) eachBase(f *File, class *Class, bases []string, fn func(name string, c *Class) bool) {
	p.eachBaseIn(f, class, bases, func(_ *File, name string, c *Class) bool { return fn(name, c) })
}

// eachBase calls fn with each base of class as written, and the class the
// repository defines under that name (nil if none), then with theirs,
// depth first, until fn returns false.
func (p *Project) eachBaseIn(f *File, class *Class, bases []string, fn func(f *File, name string, c *Class) bool) {
	seen := map[*Class]bool{}
	var walk func(f *File, bases []string, depth int) bool
	walk = func(f *File, bases []string, depth int) bool {
		for _, b := range bases {
			bf, bc := p.classIn(f, b, p.qualify(f, b, 0))
			if bc != nil && seen[bc] {
				bc = nil
			}
			if !fn(f, b, bc) {
				return false
			}
			if bc != nil && depth <= 8 {
				seen[bc] = true
				if !walk(bf, bc.Bases, depth+1) {
					return false
				}
			}
		}
		return true
	}
	if class != nil {
		seen[class] = true
	}
	walk(f, bases, 0)
}

// connected reports whether the module connects fn to a signal by name
// (`post_save.connect(on_save, sender=Order)`).
func connected(f *File, fn *writesite.Function) bool {
	if fn.Class != "" {
		return false
	}
	for src := f.Src; ; {
		i := bytes.Index(src, []byte(".connect("))
		if i < 0 {
			return false
		}
		src = src[i+len(".connect("):]
		arg := bytes.TrimLeft(src, " \t\r\n")
		if rest, ok := bytes.CutPrefix(arg, []byte(fn.Name)); ok && len(rest) > 0 && !isIdentByte(rest[0]) {
			return true
		}
	}
}

func isIdentByte(c byte) bool {
	return c == '_' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

// isTestFunction reports whether fn is a test or a pytest fixture.
func isTestFunction(fn *writesite.Function) bool {
	return strings.HasPrefix(fn.Name, "test_") && (fn.Class == "" || strings.HasPrefix(fn.Class, "Test")) ||
		slices.ContainsFunc(fn.Decorators, func(d string) bool { return lastName(d) == "fixture" })
}

// IsTestPath reports whether a path holds tests, fixtures or test
// utilities by the conventions of Django and pytest.
func IsTestPath(p string) bool {
	p = "/" + p
	base := path.Base(p)
	return strings.Contains(p, "/tests/") || strings.Contains(p, "/test/") || strings.Contains(p, "/testing/") ||
		strings.Contains(p, "/fixtures/") || strings.Contains(p, "/factories/") ||
		strings.HasPrefix(base, "test_") || strings.HasSuffix(base, "_test.py") || strings.HasSuffix(base, "_tests.py") ||
		base == "tests.py" || base == "conftest.py" || base == "factories.py"
}

func lastName(dotted string) string { return dotted[strings.LastIndexByte(dotted, '.')+1:] }
