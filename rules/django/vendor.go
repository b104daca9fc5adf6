package django

import (
	"path"
	"strings"
)

// installDirs are directories of installed packages and tool environments:
// whatever they hold is someone else's code, never the project's.
var installDirs = map[string]bool{
	"site-packages": true, "dist-packages": true, "__pypackages__": true,
	".venv": true, "venv": true, ".tox": true, ".nox": true,
	"node_modules": true, "bower_components": true,
}

// copiedDirs are directories where projects keep copies of third-party
// packages. A directory of that name that is itself a Django app (a
// marketplace's vendor app) is the project's: see ProjectFiles.
var copiedDirs = map[string]bool{
	"vendor": true, "vendored": true, "_vendor": true,
	"third_party": true, "thirdparty": true, "third-party": true,
}

// ProjectFiles returns the paths of all, in order, that are the project's
// own code: it leaves out third-party packages the repository carries, so
// that their models and migrations never join the project's apps (a
// vendored app's migrations are not the project's history, and a model
// there is not the project's to migrate). Left out are files
//   - under a directory of installed packages or tool environments:
//     site-packages, dist-packages, __pypackages__, .venv, venv, .tox, .nox,
//     node_modules, bower_components;
//   - under a virtualenv of any name (env/, .env/, py3/): a directory with
//     a pyvenv.cfg, or with lib/python*/site-packages or Lib/site-packages
//     below it;
//   - under vendor, vendored, _vendor, third_party, thirdparty or
//     third-party, unless that directory is itself an app (it holds
//     models.py, apps.py, a models or a migrations package).
//
// Directories such as external/, lib/ or static/ are left alone: projects
// keep their own apps there.
func ProjectFiles(all []string) []string {
	envs := map[string]bool{}
	apps := map[string]bool{}
	for _, p := range all {
		if root, ok := virtualenvRoot(p); ok {
			envs[root] = true
		}
		if dir, ok := appDir(p); ok {
			apps[dir] = true
		} else if path.Base(p) == "apps.py" {
			apps[path.Dir(p)] = true
		}
	}
	out := make([]string, 0, len(all))
	for _, p := range all {
		if !vendored(p, envs, apps) {
			out = append(out, p)
		}
	}
	return out
}

// virtualenvRoot returns the directory of the virtualenv that path p
// shows: the directory of a pyvenv.cfg, or the one above
// lib/pythonX.Y/site-packages or Lib/site-packages. A virtualenv at the
// repository's root is not one: the whole tree would go.
func virtualenvRoot(p string) (string, bool) {
	if path.Base(p) == "pyvenv.cfg" {
		dir := path.Dir(p)
		return dir, dir != "."
	}
	segs := strings.Split(p, "/")
	for i, s := range segs {
		if s != "site-packages" {
			continue
		}
		switch {
		case i >= 3 && segs[i-2] == "lib" && strings.HasPrefix(segs[i-1], "python"):
			return strings.Join(segs[:i-2], "/"), true
		case i >= 2 && segs[i-1] == "Lib":
			return strings.Join(segs[:i-1], "/"), true
		}
	}
	return "", false
}

// vendored reports whether path p is third-party code (see ProjectFiles).
func vendored(p string, envs, apps map[string]bool) bool {
	for start := 0; ; {
		i := strings.IndexByte(p[start:], '/')
		if i < 0 {
			return false
		}
		end := start + i
		dir, name := p[:end], p[start:end]
		if installDirs[name] || envs[dir] || copiedDirs[name] && !apps[dir] {
			return true
		}
		start = end + 1
	}
}
