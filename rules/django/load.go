package django

import (
	"bytes"
	"context"
	"fmt"
	"path"
	"slices"
	"strings"
)

// Reader reads files of the head tree; files it must skip (binary, too
// large) it leaves out of its answer.
type Reader func(ctx context.Context, paths []string) ([]SourceFile, error)

// Load indexes the files of start, then follows imports until nothing new
// is needed, so that the rules see what Build would give them for the whole
// tree while only a fraction of it is read. Imports are followed from model
// modules and from every file they pull in (abstract bases and re-exported
// models resolve wherever they live), and one level from changed files.
// all lists every path of the head tree; only those are read, less the
// third-party code ProjectFiles leaves out.
func Load(ctx context.Context, all, start, changed []string, read Reader) (*Project, error) {
	return load(ctx, all, start, changed, read, nil)
}

// load is Load, parsing through cache (nil for none).
func load(ctx context.Context, all, start, changed []string, read Reader, cache *Cache) (*Project, error) {
	l := newLoader(ProjectFiles(all), changed, read, cache)
	start = slices.DeleteFunc(slices.Clone(start), func(p string) bool { return !l.exists[p] })
	for pending := start; len(pending) > 0; pending = l.wanted() {
		if err := l.load(ctx, pending); err != nil {
			return nil, err
		}
		l.growChain()
	}
	p := l.index()

	// A change to a model module can change models of other apps (an
	// abstract base, a mixin): their migrations are needed too.
	more := l.changedModelMigrations(p)
	if len(more) == 0 {
		return p, nil
	}
	if err := l.load(ctx, more); err != nil {
		return nil, err
	}
	return l.index(), nil
}

// Extend returns a project of p's files and paths, and of the modules
// through which those files can name one of names: the module an import
// of the name comes from (`from shop.models import Order`, `from . import
// Order as O`), a module imported whole, a star import, and so on through
// re-exports. The write sites of a file the review did not otherwise read
// then resolve their models as in a review of the whole tree, reading
// only what that takes. The head tree is the one p was loaded from; p is
// left as it was.
func (p *Project) Extend(ctx context.Context, paths, names []string, read Reader) (*Project, error) {
	// p's layout and tree are the head tree's already: building them again
	// from its paths costs about as much as parsing a few of the files.
	l := loaderOf(p.layout, p.tree, read, p.cache)
	for path, f := range p.Files {
		l.parsed[path], l.tried[path] = f, true
	}
	var pending []string
	for _, path := range paths {
		if l.exists[path] && !l.tried[path] {
			pending = append(pending, path)
		}
	}
	if len(pending) == 0 {
		return p, nil
	}
	for len(pending) > 0 {
		if err := l.load(ctx, pending); err != nil {
			return nil, err
		}
		loaded := pending
		pending = nil
		for _, path := range loaded {
			f := l.parsed[path]
			if f == nil {
				continue
			}
			for _, q := range namingPaths(f, l.layout, names) {
				if !l.tried[q] {
					l.tried[q] = true
					pending = append(pending, q)
				}
			}
		}
		slices.Sort(pending)
	}
	return l.index(), nil
}

// namingPaths lists the files of the tree through which file f can name
// one of names: the module each import of such a name comes from, a
// module it imports whole and takes such a name from (`from shop import
// models` then `models.Order`), and its star imports.
func namingPaths(f *File, lay *layout, names []string) []string {
	var mods []string
	for local, target := range f.Imports {
		switch {
		case slices.Contains(names, target[strings.LastIndexByte(target, '.')+1:]):
			mods = append(mods, parentModule(target))
		case lay.file(target) != "" && slices.ContainsFunc(names, func(n string) bool { return bytes.Contains(f.Src, []byte(local+"."+n)) }):
			mods = append(mods, target)
		}
	}
	mods = append(mods, f.StarImports...)
	var out []string
	for _, m := range mods {
		if m == "" || m == "django" || strings.HasPrefix(m, "django.") {
			continue
		}
		if q := lay.file(m); q != "" && q != f.Path && !slices.Contains(out, q) {
			out = append(out, q)
		}
	}
	return out
}

// loader is the state of one Load.
type loader struct {
	all     []string
	exists  map[string]bool // all, as a set
	changed map[string]bool
	read    Reader
	cache   *Cache  // nil for none
	layout  *layout // of all

	parsed map[string]*File
	tried  map[string]bool // read or asked for: a skipped file is not asked for again
	// onChain marks the files that model modules import, transitively.
	onChain       map[string]bool
	wideModels    bool                // every app's model modules asked for
	models        map[string][]string // app directory to its model modules, see modelModules
	allAppConfigs bool                // every apps.py asked for
}

func newLoader(all, changed []string, read Reader, cache *Cache) *loader {
	exists := make(map[string]bool, len(all))
	for _, p := range all {
		exists[p] = true
	}
	l := loaderOf(newLayout(all), exists, read, cache)
	l.all = all
	for _, p := range changed {
		l.changed[p] = true
	}
	return l
}

// loaderOf returns a loader of the tree whose layout is lay and whose
// paths are the keys of exists, with nothing read and nothing changed; it
// keeps exists, which no loader writes.
func loaderOf(lay *layout, exists map[string]bool, read Reader, cache *Cache) *loader {
	return &loader{
		cache:   cache,
		exists:  exists,
		changed: map[string]bool{},
		read:    read,
		layout:  lay,
		parsed:  map[string]*File{},
		tried:   map[string]bool{},
		onChain: map[string]bool{},
	}
}

// load reads and parses paths.
func (l *loader) load(ctx context.Context, paths []string) error {
	for _, p := range paths {
		l.tried[p] = true
	}
	srcs, err := l.read(ctx, paths)
	if err != nil {
		return fmt.Errorf("read context: %w", err)
	}
	files, err := parseAll(ctx, srcs, l.layout, l.cache)
	if err != nil {
		return err
	}
	for _, f := range files {
		l.parsed[f.Path] = f
	}
	return nil
}

// index indexes every file parsed so far.
func (l *loader) index() *Project {
	p := index(values(l.parsed), l.layout, l.exists)
	p.cache = l.cache
	return p
}

// growChain extends the model chain: model modules and whatever they
// import, transitively, over every file parsed so far.
func (l *loader) growChain() {
	for grew := true; grew; {
		grew = false
		for _, f := range l.parsed {
			if isModelModule(f.Path) || l.onChain[f.Path] {
				for _, p := range importedPaths(f, l.layout) {
					if !l.onChain[p] {
						l.onChain[p], grew = true, true
					}
				}
			}
		}
	}
}

// wanted returns, sorted, the files not yet tried that the files parsed so
// far need: what the model chain and the changed files import, the model
// modules of the apps they name by label, and every app's model modules
// once a changed file defines an abstract base.
func (l *loader) wanted() []string {
	var pending []string
	want := func(p string) {
		if !l.tried[p] {
			l.tried[p] = true
			pending = append(pending, p)
		}
	}
	labels := appLabels(l.all, l.parsed)
	if !l.wideModels && changesAbstractBase(l.parsed, l.changed) {
		// Models anywhere may inherit from it: read them all.
		l.wideModels = true
		for _, dirs := range labels {
			for _, p := range l.modelModules(dirs) {
				want(p)
			}
		}
	}
	for _, f := range l.parsed {
		// The user model is named by label in a settings module.
		userLabels := settingsLabels(f)
		follow := isModelModule(f.Path) || l.onChain[f.Path] || l.changed[f.Path]
		if !follow && len(userLabels) == 0 {
			continue
		}
		var refs []string
		if follow {
			for _, p := range importedPaths(f, l.layout) {
				want(p)
			}
			// Models named by app label rather than imported:
			// ForeignKey("accounts.Customer"), apps.get_model("shop", ...).
			refs = referencedLabels(f)
		}
		for _, label := range append(refs, userLabels...) {
			l.wantLabel(labels, label, want)
			for _, p := range l.modelModules(labels[label]) {
				want(p)
			}
		}
	}
	for _, f := range l.parsed {
		if f.Migration != nil {
			l.wantDependencies(labels, f.Migration, want)
		}
	}
	slices.Sort(pending)
	return pending
}

// wantLabel asks, once, for every file that may set an app label when no
// directory has the name label: an apps.py may set it.
func (l *loader) wantLabel(labels map[string][]string, label string, want func(string)) {
	if _, ok := labels[label]; ok || l.allAppConfigs {
		return
	}
	l.allAppConfigs = true
	for _, p := range l.all {
		if path.Base(p) == "apps.py" {
			want(p)
		} else if path.Base(p) == "__init__.py" && isAppDir(labels, path.Dir(p)) {
			want(p) // an AppConfig may sit in the app's package
		}
	}
}

// wantDependencies asks, for each dependency of m on a migration file the
// tree does not hold, for what tells whether it dangles (see
// Project.dangling): the apps.py of the app directory named by its label,
// which may give the app another label, and that app's migrations, one of
// which may be a squash that replaces it. A label no directory has is not
// looked for in every apps.py, as a model reference's is: dependencies on
// Django's own apps (auth, contenttypes) are in most migrations, and a
// GitHub review reads each file with a request. A dependency on an app
// whose apps.py alone gives it its label may then dangle unseen.
func (l *loader) wantDependencies(labels map[string][]string, m *Migration, want func(string)) {
	for _, d := range m.Dependencies {
		if d.Name == "__first__" || d.Name == "__latest__" {
			continue
		}
		for _, dir := range labels[d.App] {
			if l.exists[dir+"/migrations/"+d.Name+".py"] {
				continue
			}
			for _, p := range l.all {
				if p == dir+"/apps.py" || p == dir+"/__init__.py" || isMigrationPath(p) && path.Dir(path.Dir(p)) == dir {
					want(p)
				}
			}
		}
	}
}

// changedModelMigrations returns, sorted, the migration modules not yet
// tried of every app with a model whose class or base sits in a changed
// file.
func (l *loader) changedModelMigrations(p *Project) []string {
	var more []string
	for _, m := range p.Models {
		if m.App.Dir == "" || !touchesModel(m, l.changed) {
			continue
		}
		prefix := m.App.Dir + "/migrations/"
		for _, q := range l.all {
			if strings.HasPrefix(q, prefix) && strings.HasSuffix(q, ".py") && !l.tried[q] {
				l.tried[q] = true // once, however many of the app's models changed
				more = append(more, q)
			}
		}
	}
	slices.Sort(more)
	return more
}

// touchesModel reports whether the model's class or one of its bases
// within the repository sits in a changed file.
func touchesModel(m *Model, changed map[string]bool) bool {
	if changed[m.Path] {
		return true
	}
	for _, b := range m.Bases {
		if touchesModel(b, changed) {
			return true
		}
	}
	return false
}

func values(m map[string]*File) []*File {
	out := make([]*File, 0, len(m))
	for _, f := range m {
		out = append(out, f)
	}
	return out
}

// isModelModule reports whether p is where Django looks for models:
// models.py or a module of a models package.
func isModelModule(p string) bool {
	dir, base := path.Split(p)
	return base == "models.py" || path.Base(strings.TrimSuffix(dir, "/")) == "models"
}

// importedPaths maps f's imports to files of the tree through the layout:
// for `from a.b import C`, the module a.b and, when C is a module, a.b.C;
// for `import a.b`, a and a.b; from whichever import root holds them.
func importedPaths(f *File, lay *layout) []string {
	var mods []string
	for _, target := range f.Imports {
		mods = append(mods, target, parentModule(target))
	}
	mods = append(mods, f.StarImports...)
	mods = append(mods, f.dottedImports...)
	var out []string
	seen := map[string]bool{}
	for _, m := range mods {
		if m == "" || strings.HasPrefix(m, "django.") || m == "django" {
			continue
		}
		if p := lay.file(m); p != "" && !seen[p] && p != f.Path {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// changesAbstractBase reports whether a changed file defines an abstract
// model class (or a class whose Meta says abstract): subclasses in any app
// take its fields.
func changesAbstractBase(parsed map[string]*File, changed map[string]bool) bool {
	for p := range changed {
		if f := parsed[p]; f != nil {
			for _, c := range f.Classes {
				if c.Meta.Abstract {
					return true
				}
			}
		}
	}
	return false
}

// appLabels maps app labels to app directories: a directory's name, unless
// its apps.py (when read) sets another label.
func appLabels(all []string, parsed map[string]*File) map[string][]string {
	dirs := map[string]bool{}
	for _, p := range all {
		if dir, ok := appDir(p); ok {
			dirs[dir] = true
		}
	}
	labels := map[string][]string{}
	for dir := range dirs {
		if dir == "." || dir == "" {
			continue
		}
		label := appLabel(parsed, dir)
		labels[label] = append(labels[label], dir)
	}
	return labels
}

// referencedLabels lists the app labels that f names models by: relation
// targets written "app.Model", and apps.get_model("app", "Model") in writes
// and checks.
func referencedLabels(f *File) []string {
	var out []string
	for _, c := range f.Classes {
		for _, fl := range c.Fields {
			if label, _, ok := strings.Cut(fl.To, "."); ok && !strings.Contains(fl.To, "settings") {
				out = append(out, label)
			}
		}
	}
	for _, w := range f.Writes {
		if w.Ref.Named() {
			out = append(out, w.Ref.App)
		}
		for _, c := range w.Checks {
			if c.Ref.Named() {
				out = append(out, c.Ref.App)
			}
		}
	}
	return out
}

// settingsLabels lists the app labels of the models a settings module
// names in AUTH_USER_MODEL.
func settingsLabels(f *File) []string {
	var out []string
	for _, v := range f.authUserModel {
		if label, _, ok := strings.Cut(v, "."); ok {
			out = append(out, label)
		}
	}
	return out
}

// modelModules lists the model modules of the app directories dirs, in
// the order of all.
func (l *loader) modelModules(dirs []string) []string {
	if l.models == nil {
		// Once per Load: wanted asks for every followed file.
		l.models = map[string][]string{}
		for _, p := range l.all {
			if !strings.HasSuffix(p, ".py") {
				continue
			}
			if dir, base := path.Split(p); base == "models.py" {
				l.models[strings.TrimSuffix(dir, "/")] = append(l.models[strings.TrimSuffix(dir, "/")], p)
			}
			// A module of a models package, however deep: dir/models/...
			for d := path.Dir(p); d != "." && d != "/"; d = path.Dir(d) {
				if path.Base(d) == "models" {
					l.models[path.Dir(d)] = append(l.models[path.Dir(d)], p)
				}
			}
		}
	}
	var out []string
	for _, dir := range dirs {
		out = append(out, l.models[dir]...)
	}
	return out
}

// isAppDir reports whether dir is the directory of an app in labels.
func isAppDir(labels map[string][]string, dir string) bool {
	for _, dirs := range labels {
		if slices.Contains(dirs, dir) {
			return true
		}
	}
	return false
}
