package django

import (
	"path"
	"slices"
	"strings"
)

// layout maps dotted module names to the files of a tree. It is computed
// from the tree's paths alone, so that Build (which has every file) and
// Load (which has every path but reads a few files) resolve an import to
// the same file, and the same tree always gives the same answer.
//
// A module is named from an import root: the repository root, a directory
// that holds manage.py (Django runs with it on sys.path) and a src
// directory (the src layout: src/pretalx/... is imported as pretalx). A
// file's module (File.Module) is its name from the deepest root above it;
// the names from shallower roots resolve too, as Python finds them when
// that root is on sys.path, but lose to a deeper root's name. A name that
// two files claim at the same rank resolves to neither: the index does not
// guess which one Python would import.
type layout struct {
	roots   []string          // sorted; "." first
	pkg     map[string]bool   // directories with an __init__.py
	modules map[string]string // module -> path, "" when two files claim it
	// suffix maps every dotted suffix of two names or more of the names
	// from the repository root to its file, "" when it is not one file's:
	// the fallback for a root the layout does not detect (a directory that
	// settings put on sys.path). A single name is left out: "celery" or
	// "utils" is more often a library than a project's nested module.
	suffix map[string]string
}

// Ranks of a module name.
const (
	rankAlias = iota + 1 // from a root with a deeper root between it and the file
	rankOwn              // from the deepest root above the file
)

func newLayout(paths []string) *layout {
	py := slices.DeleteFunc(slices.Clone(paths), func(p string) bool { return !strings.HasSuffix(p, ".py") })
	slices.Sort(py)
	pkg := map[string]bool{}
	for _, p := range py {
		if path.Base(p) == "__init__.py" {
			pkg[path.Dir(p)] = true
		}
	}
	l := &layout{roots: importRoots(py, pkg), pkg: pkg, modules: map[string]string{}, suffix: map[string]string{}}
	rank := map[string]int{}
	for _, p := range py {
		own := l.root(p)
		for _, r := range l.roots {
			rel, ok := under(p, r)
			if !ok {
				continue
			}
			name := modulePath(rel)
			if name == "" {
				continue
			}
			rk := rankAlias
			if r == own {
				rk = rankOwn
			}
			switch {
			case rk > rank[name]:
				rank[name], l.modules[name] = rk, p
			case rk == rank[name] && l.modules[name] != p:
				l.modules[name] = "" // claimed twice: ambiguous
			}
		}
		for m := modulePath(p); strings.Contains(m, "."); {
			if q, seen := l.suffix[m]; !seen {
				l.suffix[m] = p
			} else if q != p {
				l.suffix[m] = ""
			}
			_, m, _ = strings.Cut(m, ".")
		}
	}
	return l
}

// importRoots returns, sorted, the repository root, every directory that
// holds manage.py (even a package: Django runs with it first on sys.path)
// and every directory named src that is not a package (a src package is
// imported through its parent).
func importRoots(py []string, pkg map[string]bool) []string {
	set := map[string]bool{".": true}
	for _, p := range py {
		dir := path.Dir(p)
		if path.Base(p) == "manage.py" {
			set[dir] = true
		}
		for d := dir; d != "." && d != "/"; d = path.Dir(d) {
			if path.Base(d) == "src" && !pkg[d] {
				set[d] = true
			}
		}
	}
	roots := make([]string, 0, len(set))
	for r := range set {
		roots = append(roots, r)
	}
	slices.Sort(roots) // "." sorts before any directory name
	return roots
}

// under returns p relative to root r, and whether p lies below r.
func under(p, r string) (string, bool) {
	if r == "." {
		return p, true
	}
	return strings.CutPrefix(p, r+"/")
}

// root returns the deepest import root above p.
func (l *layout) root(p string) string {
	best := "."
	for _, r := range l.roots {
		if _, ok := under(p, r); ok && len(r) > len(best) {
			best = r
		}
	}
	return best
}

// module returns the dotted module name of file p: from its deepest root.
func (l *layout) module(p string) string {
	rel, _ := under(p, l.root(p))
	return modulePath(rel)
}

// importName returns the name to write in an import of file p: its module
// name, when that name leads back to p and every directory between p and
// its root is a package (has an __init__.py). Otherwise "": the root may be
// one the layout does not know (a directory that settings put on
// sys.path), and a name from the repository root would then be wrong.
func (l *layout) importName(p string) string {
	root := l.root(p)
	for d := path.Dir(p); d != root; d = path.Dir(d) {
		if !l.pkg[d] {
			return ""
		}
	}
	mod := l.module(p)
	if mod == "" || l.file(mod) != p {
		return ""
	}
	return mod
}

// file returns the path of the file that module mod names, or "" when no
// single file does.
func (l *layout) file(mod string) string {
	if p, ok := l.modules[mod]; ok {
		return p
	}
	return l.suffix[mod]
}
