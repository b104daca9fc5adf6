package django

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"maps"
	"path"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"

	"github.com/djintegrity/djintegrity/rules/django/writesite"
)

// SourceFile is a file handed to Build.
type SourceFile struct {
	Path string // slash path relative to the repository root
	Src  []byte
}

// Build parses files in parallel and indexes them. Only .py files of the
// project's own code are indexed (see ProjectFiles); the caller has
// already dropped binary, oversized and non-UTF-8 files. It fails only
// when ctx is done.
func Build(ctx context.Context, files []SourceFile) (*Project, error) {
	return buildCached(ctx, files, nil)
}

// buildCached is Build, parsing through cache (nil for none).
func buildCached(ctx context.Context, files []SourceFile, cache *Cache) (*Project, error) {
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.Path
	}
	paths = ProjectFiles(paths)
	own := map[string]bool{}
	for _, p := range paths {
		own[p] = true
	}
	files = slices.DeleteFunc(slices.Clone(files), func(f SourceFile) bool { return !own[f.Path] })
	lay := newLayout(paths)
	parsed, err := parseAll(ctx, files, lay, cache)
	if err != nil {
		return nil, err
	}
	p := index(parsed, lay, own)
	p.cache = cache
	return p, nil
}

// parseAll parses the .py files of files across all cores, naming their
// modules from lay, through cache (nil for none).
func parseAll(ctx context.Context, files []SourceFile, lay *layout, cache *Cache) ([]*File, error) {
	parsed := make([]*File, len(files))
	work := make(chan int)
	var wg sync.WaitGroup
	for range max(1, min(len(files), runtime.GOMAXPROCS(0))) {
		wg.Go(func() {
			for i := range work {
				// An error is ctx's end, which the feed below reports.
				parsed[i], _ = cache.parse(ctx, files[i].Path, lay.module(files[i].Path), files[i].Src)
			}
		})
	}
	// The largest files first: a parse takes about as long as its file is
	// large, and a large file handed out last keeps one core busy while
	// the others wait.
	order := make([]int, 0, len(files))
	for i, sf := range files {
		if strings.HasSuffix(sf.Path, ".py") {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(len(files[b].Src), len(files[a].Src)) })
	var err error
feed:
	for _, i := range order {
		select {
		case work <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err == nil {
		err = ctx.Err() // ended while the last files were parsed
	}
	if err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	return slices.DeleteFunc(parsed, func(f *File) bool { return f == nil }), nil
}

// index links parsed files into a project: modules, apps, models and
// migrations. lay is the layout of the whole tree, of which parsed may be a
// part, and tree holds every path of it, read or not.
func index(parsed []*File, lay *layout, tree map[string]bool) *Project {
	p := &Project{
		Files:   map[string]*File{},
		Apps:    map[string]*App{},
		Models:  map[string]*Model{},
		layout:  lay,
		tree:    tree,
		classes: map[*Class]*Model{},
		owner:   map[*Class]*File{},
	}
	for _, f := range parsed {
		p.Files[f.Path] = f
		for _, c := range f.Classes {
			p.owner[c] = f
		}
		if f.atomicRequests {
			p.AtomicRequests = true
		}
	}
	p.findApps()
	p.resolveModels()
	p.resolveUserModel()
	p.attachMigrations()
	p.findDangling(tree)
	return p
}

// findApps makes an App of every directory that holds models.py, a models
// package or a migrations package. apps.py may rename the label.
func (p *Project) findApps() {
	p.appsByDir = map[string]*App{}
	for _, f := range p.sortedFiles() {
		dir, ok := appDir(f.Path)
		if !ok || dir == "." || dir == "" || p.appsByDir[dir] != nil {
			continue
		}
		p.appsByDir[dir] = &App{Label: path.Base(dir), Dir: dir, Migrations: map[string]*Migration{}}
	}
	// In directory order, so that the same tree always gives the same
	// index: two apps that claim one label are both marked ambiguous, and
	// the label keeps the first.
	for _, dir := range slices.Sorted(maps.Keys(p.appsByDir)) {
		app := p.appsByDir[dir]
		app.Label = appLabel(p.Files, dir)
		if other := p.Apps[app.Label]; other != nil {
			other.Ambiguous, app.Ambiguous = true, true
			continue
		}
		p.Apps[app.Label] = app
	}
}

// appLabel returns the label of the app in dir: what an AppConfig in its
// apps.py, or in its __init__.py (an AppConfig subclass with an explicit
// label), sets, else the directory's name.
func appLabel(files map[string]*File, dir string) string {
	label := appConfigLabel(files[dir+"/apps.py"], path.Base(dir))
	if f := files[dir+"/__init__.py"]; f != nil && label == path.Base(dir) {
		for _, c := range f.Classes {
			if c.AppConfigLabel && slices.ContainsFunc(c.Bases, func(b string) bool { return strings.HasSuffix(b, "AppConfig") }) {
				label = c.AppConfig
			}
		}
	}
	return label
}

// appDir returns the directory of the app that file p belongs to by
// Django's layout: the directory of models.py, or the parent of a models
// or migrations package. ok is false for any other file.
func appDir(p string) (dir string, ok bool) {
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	switch {
	case base == "models.py":
		return dir, true
	case path.Base(dir) == "models" || path.Base(dir) == "migrations":
		return path.Dir(dir), true
	}
	return "", false
}

// appConfigLabel returns the label that apps.py file f sets, or label when
// it sets none or f is nil.
func appConfigLabel(f *File, label string) string {
	if f != nil {
		for _, c := range f.Classes {
			if c.AppConfig != "" {
				label = c.AppConfig
			}
		}
	}
	return label
}

// AppOf returns the app whose directory holds path p, or nil.
func (p *Project) AppOf(filePath string) *App {
	for dir := path.Dir(filePath); dir != "." && dir != "/" && dir != ""; dir = path.Dir(dir) {
		if a := p.appsByDir[dir]; a != nil {
			return a
		}
	}
	return nil
}

func (p *Project) sortedFiles() []*File {
	out := make([]*File, 0, len(p.Files))
	for _, f := range p.Files {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// djangoModelBases are the fully qualified names of Django's Model class:
// GeoDjango's models module re-exports it.
var djangoModelBases = map[string]bool{
	"django.db.models.Model":             true,
	"django.db.models.base.Model":        true,
	"django.contrib.gis.db.models.Model": true,
}

// IsDjangoModel reports whether name, as written in file f (a base class),
// is django.db.models.Model.
func (p *Project) IsDjangoModel(f *File, name string) bool {
	return djangoModelBases[p.qualify(f, name, 0)]
}

// resolveModels finds every class that derives, within the repository, from
// django.db.models.Model, and computes its fields and table.
func (p *Project) resolveModels() {
	for _, f := range p.sortedFiles() {
		for _, c := range f.Classes {
			p.model(f, c, 0)
		}
	}
}

// model returns the Model for class c of file f, building it on first use,
// or nil when c is not a model.
func (p *Project) model(f *File, c *Class, depth int) *Model {
	if m, ok := p.classes[c]; ok {
		return m
	}
	if depth > 20 { // an inheritance cycle in broken code
		return nil
	}
	p.classes[c] = nil // guards against cycles while resolving
	var bases []*Model
	var parents []*Model // bases to inherit from, in order: bases and external ones
	var external []*ExternalBase
	partial := false
	isModel := false
	// viaExternal: the class is a model only through a base from outside
	// the repository; unknown: it has a base the index cannot read.
	viaExternal, unknown := true, false
	for _, b := range c.Bases {
		q := p.qualify(f, b, 0)
		if djangoModelBases[q] {
			isModel, viaExternal = true, false
			continue
		}
		bf, bc := p.classIn(f, b, q)
		if bc != nil {
			if bm := p.model(bf, bc, depth+1); bm != nil {
				isModel = true
				viaExternal = viaExternal && bm.viaExternal
				bases = append(bases, bm)
				parents = append(parents, bm)
				external = appendExternal(external, bm.External...)
				partial = partial || bm.partial
				continue
			}
		}
		// A class of the repository comes first: a vendored copy of the
		// package is read as written.
		if eb := externalBases[q]; eb != nil {
			isModel = true
			parents = append(parents, eb.model)
			external = appendExternal(external, eb.closure()...)
			continue
		}
		unknown = unknown || !plainMixin(bc)
	}
	if !isModel {
		return nil
	}
	// A class that was a model only through a base from outside the
	// repository was none before the index knew such bases; with another
	// base it cannot read, it stays silent where it was: partial.
	partial = partial || viaExternal && unknown
	for _, eb := range external {
		partial = partial || eb.Partial || eb.Options != "" && renamesFields(c, eb)
	}
	app := p.AppOf(f.Path)
	if c.Meta.AppLabel != "" {
		if a := p.Apps[c.Meta.AppLabel]; a != nil {
			app = a
		} else {
			app = &App{Label: c.Meta.AppLabel, Migrations: map[string]*Migration{}}
		}
	}
	if app == nil {
		app = &App{Dir: path.Dir(f.Path), Migrations: map[string]*Migration{}}
	}
	m := &Model{
		App:         app,
		Name:        c.Name,
		Path:        f.Path,
		Line:        c.Line,
		Abstract:    c.Meta.Abstract,
		Proxy:       c.Meta.Proxy,
		Managed:     c.Meta.Managed == nil || *c.Meta.Managed,
		Bases:       bases,
		External:    external,
		class:       c,
		partial:     partial,
		viaExternal: viaExternal,
	}
	inherit(m, c, parents)
	m.Fields = append(m.Fields, c.Fields...)
	if c.Meta.UniqueTogether != nil {
		m.UniqueTogether = c.Meta.UniqueTogether
	}
	m.Constraints = append(m.Constraints, c.Meta.Constraints...)
	m.Table = c.Meta.DBTable
	if m.Table == "" {
		m.Table = app.Label + "_" + strings.ToLower(c.Name)
	}
	p.classes[c] = m
	if !m.Abstract && app.Label != "" {
		p.Models[m.Key()] = m
		app.Models = append(app.Models, m)
	}
	return m
}

// inherit gives m what its abstract bases declare: their fields first, as
// in Django (a field of the child with the same name overrides), and their
// unique_together and constraints when the child has no Meta, or a Meta
// that subclasses theirs and does not assign them itself.
func inherit(m *Model, c *Class, bases []*Model) {
	own := map[string]bool{}
	for _, fl := range c.Fields {
		own[fl.Name] = true
	}
	for _, name := range c.Removed {
		own[name] = true // `name = None` drops the base's field
	}
	seen := map[string]bool{}
	for _, b := range bases {
		if !b.Abstract {
			continue // multi-table inheritance: the parent's fields live in its table
		}
		for _, fl := range b.Fields {
			if own[fl.Name] || seen[fl.Name] {
				continue
			}
			seen[fl.Name] = true
			inh := *fl
			if inh.Inherited == "" {
				inh.Inherited = b.Name
			}
			if slices.Contains(c.Patched, inh.Name) {
				inh.Opaque = true // changed after the class: this copy is the changed one
			}
			m.Fields = append(m.Fields, &inh)
		}
		switch {
		case !c.HasMeta: // Django inherits an abstract parent's Meta when the child has none
			m.UniqueTogether = append(m.UniqueTogether, b.UniqueTogether...)
			m.Constraints = append(m.Constraints, b.Constraints...)
		case slices.ContainsFunc(c.MetaBases, func(mb string) bool {
			return mb == b.Name+".Meta" || strings.HasSuffix(mb, "."+b.Name+".Meta")
		}):
			// `class Meta(Base.Meta):` inherits by Python's attribute lookup
			// what it does not assign itself.
			if c.Meta.UniqueTogether == nil {
				m.UniqueTogether = append(m.UniqueTogether, b.UniqueTogether...)
			}
			if !c.Meta.HasConstraints {
				m.Constraints = append(m.Constraints, b.Constraints...)
			}
		}
	}
}

// appendExternal adds to list the bases it does not hold yet.
func appendExternal(list []*ExternalBase, more ...*ExternalBase) []*ExternalBase {
	for _, b := range more {
		if !slices.Contains(list, b) {
			list = append(list, b)
		}
	}
	return list
}

// renamesFields reports whether class c has the inner options class of
// external base eb and assigns there a name that renames the fields eb
// adds (mptt's MPTTMeta.left_attr).
func renamesFields(c *Class, eb *ExternalBase) bool {
	return slices.ContainsFunc(c.Inner[eb.Options], func(n string) bool { return slices.Contains(eb.Renames, n) })
}

// qualify turns a dotted name used in file f into a fully qualified name
// through f's imports: "models.Model" -> "django.db.models.Model".
func (p *Project) qualify(f *File, name string, depth int) string {
	if q, ok := f.importedName(name); ok {
		return q
	}
	first, rest, _ := strings.Cut(name, ".")
	for _, c := range f.Classes {
		if c.Name == first {
			return joinModule(joinModule(f.Module, first), rest)
		}
	}
	// A star import may provide the name.
	if depth < 5 {
		for _, mod := range f.StarImports {
			if sf := p.findModule(mod); sf != nil {
				if q := p.qualify(sf, name, depth+1); q != name {
					return q
				}
			}
		}
	}
	return name
}

// findModule returns the file that a dotted module name means (see
// layout), or nil when no single file of the index does.
func (p *Project) findModule(mod string) *File {
	return p.Files[p.layout.file(mod)]
}

// ModulePath returns the dotted name under which the project imports the
// module of file path p ("shop.models" for backend/shop/models.py when
// backend holds manage.py), or "" when the index is not sure of one: the
// name would not lead back to p, or a directory on the way is not a
// package, so the import root may be one it does not know.
func (p *Project) ModulePath(filePath string) string { return p.layout.importName(filePath) }

// classIn returns the class that name, written in file f and qualified
// as q, points to: a class f defines and does not import over, found
// directly (f's own module name may be one that two files claim), else the
// class q leads to.
func (p *Project) classIn(f *File, name, q string) (*File, *Class) {
	if _, imported := f.importedName(name); !imported {
		for _, c := range f.Classes {
			if c.Name == name {
				return f, c
			}
		}
	}
	return p.classByName(q)
}

// classByName finds the class a fully qualified name points to, following
// re-exports (`from .product import Product` in models/__init__.py).
func (p *Project) classByName(q string) (*File, *Class) {
	return p.classByNameDepth(q, 0)
}

func (p *Project) classByNameDepth(q string, depth int) (*File, *Class) {
	if depth > 8 {
		return nil, nil
	}
	i := strings.LastIndexByte(q, '.')
	if i < 0 {
		return nil, nil
	}
	mod, name := q[:i], q[i+1:]
	f := p.findModule(mod)
	if f == nil {
		return nil, nil
	}
	for _, c := range f.Classes {
		if c.Name == name {
			return f, c
		}
	}
	if next := p.qualify(f, name, 0); next != name && next != q {
		return p.classByNameDepth(next, depth+1)
	}
	return nil, nil
}

// Class finds the class that expr, a dotted name used in file f, refers to
// within the repository, and the file that defines it.
func (p *Project) Class(f *File, expr string) (*File, *Class) {
	if f == nil || expr == "" {
		return nil, nil
	}
	return p.classByName(p.qualify(f, expr, 0))
}

// QualifiedClass finds the class a fully qualified name refers to within
// the repository.
func (p *Project) QualifiedClass(q string) (*File, *Class) { return p.classByName(q) }

// Qualify turns a dotted name used in file f into the fully qualified
// name its imports (or its own classes) give it.
func (p *Project) Qualify(f *File, name string) string { return p.qualify(f, name, 0) }

// ResolveModel returns the model that expr, a dotted name used in file f
// ("Product", "models.Product", "shop.models.Product"), refers to.
func (p *Project) ResolveModel(f *File, expr string) *Model {
	if f == nil || expr == "" {
		return nil
	}
	if f.userModelNames[expr] {
		return p.userModel // User = get_user_model()
	}
	q := p.qualify(f, expr, 0)
	if _, c := p.classIn(f, expr, q); c != nil {
		return p.classes[c]
	}
	switch q {
	case authUserModelName:
		if p.authUsable {
			return p.authUser
		}
	case "django.conf.settings.AUTH_USER_MODEL":
		return p.userModel
	}
	return nil
}

// ResolveRef resolves a string model reference as Django does: "app.Model",
// or a bare "Model" or "self" relative to model from.
func (p *Project) ResolveRef(from *Model, ref string) *Model {
	switch {
	case ref == "self":
		return from
	case strings.Contains(ref, "."):
		label, name, _ := strings.Cut(ref, ".")
		return p.FindModel(label, name)
	case from != nil:
		return p.FindModel(from.App.Label, ref)
	}
	return nil
}

// FindModel finds a concrete model by app label and name, ignoring case as
// migrations write model names in lower case.
func (p *Project) FindModel(label, name string) *Model {
	if m := p.Models[label+"."+name]; m != nil {
		return m
	}
	app := p.Apps[label]
	if app == nil {
		if isAuthUserRef(label, name) && p.authUsable {
			return p.authUser
		}
		return nil
	}
	for _, m := range app.Models {
		if strings.EqualFold(m.Name, name) {
			return m
		}
	}
	return nil
}

// RelatedModel resolves the target of relation field fl of model m. A
// target given as a class name is resolved through the imports of m's file.
func (p *Project) RelatedModel(m *Model, fl *Field) *Model {
	if fl.To == "" {
		return nil
	}
	if r := p.ResolveRef(m, fl.To); r != nil {
		return r
	}
	return p.ResolveModel(p.Files[m.Path], fl.To)
}

// Field returns the field of m named name (or whose column is name), or nil.
func (m *Model) Field(name string) *Field {
	for _, f := range m.Fields {
		if f.Name == name {
			return f
		}
	}
	for _, f := range m.Fields {
		if f.Column() == name {
			return f
		}
	}
	return nil
}

// WriteModel resolves the model a write (or check) names in file f: the
// expression as written, or an apps.get_model reference.
func (p *Project) WriteModel(f *File, expr string, ref *writesite.ModelRef) *Model {
	switch {
	case ref != nil && ref.User:
		return p.userModel
	case ref != nil && ref.Class != "":
		if _, c := p.classIn(f, ref.Class, p.qualify(f, ref.Class, 0)); c != nil {
			return p.model(f, c, 0)
		}
		return nil
	case ref != nil && ref.ManagerClass != "":
		return p.managedBy(f, ref.ManagerClass)
	case ref != nil:
		return p.FindModel(ref.App, ref.Name)
	}
	return p.ResolveModel(f, expr)
}

// ModelOfClass returns the model defined by class c, or nil.
func (p *Project) ModelOfClass(c *Class) *Model { return p.classes[c] }

// attachMigrations files every migration under its app and sets its label.
func (p *Project) attachMigrations() {
	for _, f := range p.sortedFiles() {
		if f.Migration == nil {
			continue
		}
		appDir := path.Dir(path.Dir(f.Path))
		app := p.appsByDir[appDir]
		if app == nil {
			continue
		}
		f.Migration.App = app.Label
		app.Migrations[f.Migration.Name] = f.Migration
	}
}

// findDangling sets the Dangling dependencies of every migration.
func (p *Project) findDangling(tree map[string]bool) {
	for _, f := range p.sortedFiles() {
		if m := f.Migration; m != nil && m.App != "" {
			m.Dangling = nil // Load indexes the same parsed files more than once
			for _, d := range m.Dependencies {
				if p.dangling(d, tree) {
					m.Dangling = append(m.Dangling, d)
				}
			}
		}
	}
}

// dangling reports whether dependency d names a migration the tree does
// not hold, of an app of the index with Django migrations of its own (so
// that the label is surely this app's, not a third-party app's of the same
// name), which no squashed migration of that app replaces: Django then
// repoints the dependency to the squash.
func (p *Project) dangling(d MigrationRef, tree map[string]bool) bool {
	if d.Name == "__first__" || d.Name == "__latest__" {
		return false
	}
	app := p.Apps[d.App]
	if app == nil || app.Ambiguous || app.Dir == "" || len(app.Migrations) == 0 || app.Migrations[d.Name] != nil ||
		tree[app.Dir+"/migrations/"+d.Name+".py"] {
		return false
	}
	for _, m := range app.Migrations {
		if slices.Contains(m.Replaces, d) {
			return false
		}
	}
	return true
}

// atomicRequestsMarker is looked for before a settings file is searched.
var atomicRequestsMarker = []byte("ATOMIC_REQUESTS")

func hasAtomicRequestsMarker(src []byte) bool { return bytes.Contains(src, atomicRequestsMarker) }

// BasesKnown reports whether every base class of m, followed through the
// repository, is django's Model, a model of the repository whose own bases
// are known, a base from outside the repository whose fields the index
// knows whole (ExternalBase, not partial), or a plain mixin without
// fields: then m's fields, as indexed, are all its fields. Any other base
// from outside the repository may add fields the index cannot see.
func (p *Project) BasesKnown(m *Model) bool { return p.basesKnown(m, 0) }

func (p *Project) basesKnown(m *Model, depth int) bool {
	if m == nil || m.class == nil || depth > 20 {
		return false
	}
	f := p.owner[m.class]
	if f == nil {
		return false
	}
	if m.partial {
		return false
	}
	for _, b := range m.class.Bases {
		q := p.qualify(f, b, 0)
		if djangoModelBases[q] {
			continue
		}
		_, bc := p.classIn(f, b, q)
		if bc == nil {
			if externalBases[q] != nil {
				continue // its fields are known (not partial: see above)
			}
			return false
		}
		if bm := p.classes[bc]; bm != nil {
			if !p.basesKnown(bm, depth+1) {
				return false
			}
		} else if !plainMixin(bc) {
			return false
		}
	}
	return true
}

// plainMixin reports whether c, a class of the repository that is not a
// model, is a plain mixin: no fields and no base but object. nil, a class
// from outside the repository, is none.
func plainMixin(c *Class) bool {
	return c != nil && len(c.Fields) == 0 && (len(c.Bases) == 0 || slices.Contains(c.Bases, "object"))
}

// ClassOf returns the class definition of m.
func (m *Model) ClassOf() *Class { return m.class }
