package django

import (
	"bytes"
	"strings"

	sitter "github.com/tree-sitter/go-tree-sitter"

	"github.com/djintegrity/djintegrity/rules/pyast"
)

// The user model: get_user_model(), settings.AUTH_USER_MODEL and
// django.contrib.auth.models.User name the model AUTH_USER_MODEL names,
// auth.User unless a settings module sets another. The index builds
// auth.User from Django's own definition (ExternalBase AbstractUser) and
// resolves the others through the settings it has read.

// authUserModelName is the qualified name of Django's auth.User class.
const authUserModelName = "django.contrib.auth.models.User"

// settingsMarkers are looked for before a file is searched for settings.
var settingsMarkers = [][]byte{[]byte("AUTH_USER_MODEL"), []byte("INSTALLED_APPS")}

func hasSettingsMarker(src []byte) bool {
	for _, m := range settingsMarkers {
		if bytes.Contains(src, m) {
			return true
		}
	}
	return false
}

// findSettings reads the module-level assignments of AUTH_USER_MODEL (its
// string value, or "" for anything else) and whether INSTALLED_APPS is
// assigned: then the file is a settings module of a Django project.
// Assignments in functions and classes do not count.
func findSettings(t *pyast.Tree) (userModel []string, installedApps bool) {
	pyast.Walk(t.Root(), func(n *sitter.Node) bool {
		switch pyast.Kind(n) {
		case "function_definition", "class_definition", "lambda":
			return false
		case "assignment", "augmented_assignment":
			left := pyast.Field(n, "left")
			if left == nil || pyast.Kind(left) != "identifier" {
				return true
			}
			switch t.Text(left) {
			case "INSTALLED_APPS":
				installedApps = true
			case "AUTH_USER_MODEL":
				v, ok := t.String(pyast.Field(n, "right"))
				if !ok || pyast.Kind(n) != "assignment" || !strings.Contains(v, ".") {
					v = "" // computed: the model is not known
				}
				userModel = append(userModel, v)
			}
		}
		return true
	})
	return userModel, installedApps
}

// userModelCall is the qualified name of get_user_model.
const userModelCall = "django.contrib.auth.get_user_model"

// findUserModelAliases returns the module-level names assigned
// get_user_model() (`User = get_user_model()`).
func (f *File) findUserModelAliases(t *pyast.Tree, root *sitter.Node) map[string]bool {
	var out map[string]bool
	eachAssignment(t, root, func(name string, right *sitter.Node) {
		call := t.Call(right)
		if call == nil || len(call.Args) > 0 {
			return
		}
		if q, ok := f.importedName(t.DottedName(call.Func)); ok && q == userModelCall {
			if out == nil {
				out = map[string]bool{}
			}
			out[name] = true
		}
	})
	return out
}

// newAuthUser builds Django's auth.User: AbstractUser's fields, table
// auth_user, the implicit id.
func newAuthUser() *Model {
	base := externalBases["django.contrib.auth.models.AbstractUser"]
	m := &Model{
		App:      &App{Label: "auth", Migrations: map[string]*Migration{}},
		Name:     "User",
		Managed:  true,
		Table:    "auth_user",
		External: base.closure(),
		builtin:  true,
	}
	for _, f := range base.model.Fields {
		g := *f
		m.Fields = append(m.Fields, &g)
	}
	return m
}

// resolveUserModel works out what the user model is from the settings
// modules read: the model AUTH_USER_MODEL names when they all agree on a
// string, auth.User when none sets it (and no concrete model of the
// repository derives from AbstractBaseUser, which would mean a setting
// the index did not read), and nothing known otherwise. A repository with
// no settings module (a reusable app) leaves the choice to the projects
// that install it: get_user_model() is then unknown, though a name that
// says auth.User still means Django's.
func (p *Project) resolveUserModel() {
	p.authUser = newAuthUser()
	var values []string
	settings := false
	for _, f := range p.sortedFiles() {
		values = append(values, f.authUserModel...)
		settings = settings || f.installedApps
	}
	setting, known := "", true
	for _, v := range values {
		if v == "" || setting != "" && v != setting {
			known = false
		}
		setting = v
	}
	switch {
	case !known:
	case setting != "" && !strings.EqualFold(setting, "auth.User"):
		label, name, _ := strings.Cut(setting, ".")
		p.userModel = p.FindModel(label, name)
	case setting == "" && p.customUserModel():
	case setting == "" && !settings:
		p.authUsable = true
	default:
		p.userModel, p.authUsable = p.authUser, true
	}
}

// customUserModel reports whether a concrete model of the index derives
// from AbstractBaseUser: a user model of the project's own.
func (p *Project) customUserModel() bool {
	abu := externalBases["django.contrib.auth.base_user.AbstractBaseUser"]
	for _, m := range p.Models {
		if !m.Abstract && !m.Proxy && !m.builtin {
			for _, b := range m.External {
				if b == abu {
					return true
				}
			}
		}
	}
	return false
}

// UserModel returns the model AUTH_USER_MODEL names, or nil when the
// index does not know it (a setting it cannot read, settings that
// disagree, a model it has not indexed, a reusable app with no settings).
func (p *Project) UserModel() *Model { return p.userModel }

// isAuthUserRef reports whether label.name is "auth.User", as Django
// compares model references (the model name case-insensitively).
func isAuthUserRef(label, name string) bool {
	return label == "auth" && strings.EqualFold(name, "User")
}

// Builtin reports whether m is a model of Django's own that the index
// builds without a class of the repository (auth.User).
func (m *Model) Builtin() bool { return m.builtin }
