package django

import "strings"

// Registered reports whether Django's app registry can know the model:
// false only when it is defined in a module of its app's models package
// (app/models/x.py) that no indexed file imports, while the index read
// the package's __init__.py. Django imports an app's models package, not
// the modules in it; a module nothing imports (dead code, a file restored
// by mistake) defines models no migration is needed for. When in doubt it
// says true.
func (p *Project) Registered(m *Model) bool {
	if m.App == nil || m.App.Dir == "" {
		return true
	}
	pkg := m.App.Dir + "/models/"
	rest, ok := strings.CutPrefix(m.Path, pkg)
	if !ok || strings.Contains(rest, "/") || rest == "__init__.py" {
		return true
	}
	if p.Files[pkg+"__init__.py"] == nil {
		return true // the package's imports are not known
	}
	f := p.Files[m.Path]
	if f == nil || f.Module == "" {
		return true
	}
	mod := f.Module
	names := func(v string) bool { return v == mod || strings.HasPrefix(v, mod+".") }
	for _, g := range p.Files {
		if g == f {
			continue
		}
		for _, v := range g.Imports {
			if names(v) {
				return true
			}
		}
		for _, v := range g.StarImports {
			if names(v) {
				return true
			}
		}
		for _, v := range g.dottedImports {
			if names(v) {
				return true
			}
		}
	}
	return false
}
