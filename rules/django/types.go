package django

import (
	"regexp"
	"strings"
	"sync"

	"github.com/djintegrity/djintegrity/internal/srclines"
	"github.com/djintegrity/djintegrity/rules/django/writesite"
)

// Project is the index of a tree of Python files.
type Project struct {
	Files  map[string]*File // by slash path relative to the repository root
	Apps   map[string]*App  // by app label
	Models map[string]*Model
	// AtomicRequests is true when a settings module sets ATOMIC_REQUESTS:
	// every view then runs inside one transaction.
	AtomicRequests bool

	layout    *layout
	tree      map[string]bool // every path of the tree, read or not (see index); Extend's too
	appsByDir map[string]*App
	classes   map[*Class]*Model // nil value: resolved, not a model
	owner     map[*Class]*File
	cache     *Cache // what Extend parses through, as the project was built

	authUser  *Model // Django's auth.User, built by the index
	userModel *Model // see UserModel
	// authUsable is false when auth.User is, or may be, swapped out for
	// another model: a reference to it then names no model the index knows.
	authUsable bool
}

// File is one indexed Python file.
type File struct {
	Path      string
	Module    string // dotted module path from its import root (see layout)
	Src       []byte
	HasErrors bool // the tree had syntax errors; intact parts were indexed

	// Imports maps a local name to what it names: "shop.models.Product",
	// or a module ("shop.models") for `import shop.models as m`.
	Imports     map[string]string
	StarImports []string // modules imported with *
	// Relative imports are resolved against Module before they are stored.

	Classes   []*Class              // top-level class definitions
	Migration *Migration            // set when the file is a migration
	Writes    []*writesite.Write    // ORM write sites, in source order
	Functions []*writesite.Function // functions and methods that may write, in source order
	// SouthMigration marks a module of a migrations package whose
	// Migration class is South's, not Django's (see isDjangoMigration):
	// Migration is nil, and the migration rules and the replay ignore it.
	SouthMigration bool

	atomicRequests bool // a DATABASES entry sets ATOMIC_REQUESTS = True
	// dottedImports are the modules of `import a.b` statements, which bind
	// only a: Load reads a.b too.
	dottedImports []string
	// authUserModel holds the values the file assigns AUTH_USER_MODEL at
	// module level ("" for one that is not a string); installedApps is
	// set when it assigns INSTALLED_APPS (see findSettings).
	authUserModel []string
	installedApps bool
	// userModelNames are the module-level names assigned get_user_model().
	userModelNames map[string]bool

	linesOnce sync.Once
	lines     []string
	indexOnce sync.Once
	index     *srclines.Index
}

// Lines returns the file's text cut into lines by srclines.Split, which
// the caller must not modify. It is computed once: rules quote the lines
// of each finding, and splitting the file again for each of a hostile
// file's thousands of findings is quadratic.
func (f *File) Lines() []string {
	f.linesOnce.Do(func() { f.lines = srclines.Split(string(f.Src)) })
	return f.lines
}

// LineText returns lines first..last of the file as written, line ends
// between them included (srclines.Span), from an index of the lines made
// once; ok is false when the lines are not all in the file.
func (f *File) LineText(first, last int) (string, bool) {
	f.indexOnce.Do(func() { f.index = srclines.NewIndex(f.Src) })
	start, end, ok := f.index.Span(first, last)
	if !ok {
		return "", false
	}
	return string(f.Src[start:end]), true
}

// Class is a class definition as written, before model resolution.
type Class struct {
	Name    string
	Bases   []string // dotted names as written ("models.Model", "TimeStamped")
	Line    int
	EndLine int
	Fields  []*Field
	Meta    Meta
	HasMeta bool
	// MetaBases are the bases of the inner Meta as written
	// ("Base.Meta" in `class Meta(Base.Meta):`).
	MetaBases []string
	Managers  []string // attribute names assigned a manager (objects = ...)
	// ManagerClasses maps each of Managers to the callee that made it, as
	// written ("SoftDeletionManager", "models.Manager", "QS.as_manager").
	ManagerClasses map[string]string
	// Removed are the names the body assigns None: Django then drops the
	// field of that name an abstract base declares (username = None).
	Removed []string
	// Inner maps the inner classes other than Meta (mptt's MPTTMeta) to
	// the names their bodies assign.
	Inner   map[string][]string
	Methods []string // names of the methods defined in the class body
	// Attrs maps the class attributes of a generic view that name a class,
	// `model` and `form_class`, to the dotted name assigned, as written.
	Attrs map[string]string
	// Patched names the fields whose attributes the module sets after the
	// class (see patchedFields), own or inherited: opaque in this class
	// and in the classes that inherit them from it.
	Patched []string
	// QuerysetFilter holds the keyword terms of a get_queryset() that
	// returns `<queryset>.filter(k=v, ...)`: the rows a manager of this
	// class sees. QuerysetOpaque is set when get_queryset() does anything
	// else.
	QuerysetFilter [][2]string
	QuerysetOpaque bool
	// SavePK is the literal a save() method assigns to self.pk or self.id
	// ("1" for `self.pk = 1`): every row the model inserts has that key.
	SavePK string
	// SaveReads are the attributes of self a save() method reads before it
	// calls the save() it overrides (`self.project` in
	// `self.workspace = self.project.workspace`): reading a foreign key
	// fetches the parent, so an unknown id fails there, with DoesNotExist,
	// before any INSERT.
	SaveReads []string
	// HandlesIntegrity marks a class whose handle_exception() (DRF's hook
	// for every exception a view raises) names IntegrityError: the views
	// of that class answer it themselves, with no 500.
	HandlesIntegrity bool
	AppConfig        string // for AppConfig subclasses: the label or name set
	// AppConfigLabel is set when AppConfig comes from `label = "..."`.
	AppConfigLabel bool
}

// Meta is a model's inner Meta class.
type Meta struct {
	Abstract       bool
	Proxy          bool
	Managed        *bool
	DBTable        string
	AppLabel       string
	UniqueTogether [][]string
	Constraints    []*Constraint
	// HasConstraints is set when constraints is assigned, even to an empty
	// list: it then replaces what an inherited Meta had.
	HasConstraints bool
	// Model, Fields and Exclude are a ModelForm's or ModelSerializer's
	// Meta: the model as written, the field names listed (AllFields for
	// "__all__"), and those excluded.
	Model     string
	Fields    []string
	AllFields bool
	Exclude   []string
}

// App is a Django application: a directory with models or migrations.
type App struct {
	Label      string
	Dir        string // slash path relative to the repository root
	Models     []*Model
	Migrations map[string]*Migration // by name ("0002_product_sku")
	// Ambiguous marks an app whose label another app of the tree claims
	// too: which of them a reference means is not known.
	Ambiguous bool
}

// Model is a resolved model class.
type Model struct {
	App      *App
	Name     string
	Path     string
	Line     int
	Abstract bool
	Proxy    bool
	Managed  bool
	// Table is the database table: Meta.db_table, or app_label_modelname.
	Table          string
	Fields         []*Field // own and inherited (abstract bases) in order
	UniqueTogether [][]string
	Constraints    []*Constraint
	Bases          []*Model // resolved model bases within the repository
	// External are the bases from outside the repository that the index
	// knows (see ExternalBase), the model's own and its repository bases',
	// with the bases they derive from, each once.
	External []*ExternalBase
	class    *Class
	partial  bool // see Partial
	// viaExternal: the class is a model only through a base from outside
	// the repository (ExternalBase), not through Django's Model.
	viaExternal bool
	// builtin marks a model of Django's own that the index builds without
	// a class of the repository: auth.User.
	builtin bool
}

// Key is "app_label.ModelName".
func (m *Model) Key() string { return m.App.Label + "." + m.Name }

// Field is a model field, in a models file or a migration.
type Field struct {
	Name    string
	Type    string // "CharField", "ForeignKey", ...
	Path    string
	Line    int
	EndLine int

	PrimaryKey   bool
	Unique       bool // unique=True, OneToOneField, or primary_key
	Null         bool
	HasDefault   bool // default= given
	HasDBDefault bool // db_default= given
	AutoNow      bool // auto_now or auto_now_add
	DBColumn     string
	// Relation fields.
	To           string // target as written: "Customer", "shop.Customer", "self"
	OnDelete     string // "CASCADE", "DO_NOTHING", ... (last name of the expression)
	DBConstraint bool   // db_constraint, true unless False is given
	// Kwargs holds every keyword argument's source text, for messages and
	// for comparing a model with its migrations.
	Kwargs map[string]string

	// Opaque marks a field whose class is not one of Django's own (see
	// isDjangoField): its nullability, default and columns are unknown, so
	// no rule makes a claim about them.
	Opaque bool

	// Inherited is the abstract base the field came from, or "".
	Inherited string
}

// IsRelation reports whether the field is a ForeignKey or OneToOneField.
func (f *Field) IsRelation() bool {
	return f.Type == "ForeignKey" || f.Type == "OneToOneField" || f.Type == "ParentalKey"
}

// Column is the database column: db_column, or name_id for a relation.
func (f *Field) Column() string {
	if f.DBColumn != "" {
		return f.DBColumn
	}
	if f.IsRelation() {
		return f.Name + "_id"
	}
	return f.Name
}

// ConstraintKind says which constraint class a Constraint is.
type ConstraintKind string

// Kinds of constraint.
const (
	ConstraintUnique ConstraintKind = "unique" // UniqueConstraint
	ConstraintCheck  ConstraintKind = "check"  // CheckConstraint
)

// Constraint is a Meta.constraints entry or an AddConstraint operation.
type Constraint struct {
	Kind      ConstraintKind
	Name      string
	Fields    []string // UniqueConstraint fields
	Condition string   // UniqueConstraint condition, source text
	Check     string   // CheckConstraint check (or condition, Django 5.1+), source text
	Line      int
	EndLine   int
	// Opaque marks a constraint the index cannot read: another kind
	// (ExclusionConstraint, a project's own class) or a name computed
	// rather than written (a subclass that names itself).
	Opaque bool
}

// Migration is one migration module.
type Migration struct {
	App          string // app label (the directory's app)
	Name         string
	Path         string
	Dependencies []MigrationRef
	Replaces     []MigrationRef
	Initial      bool
	Atomic       *bool
	Operations   []*Operation
	// Opaque marks a migration whose operations the index could not all
	// read (built by code, or not calls): rules that need to know all it
	// does say nothing about its app.
	Opaque bool
	// Dangling are the dependencies on a migration of an app of the index
	// that the tree does not hold and no squashed migration of that app
	// replaces: Django refuses to build the migration graph
	// (NodeNotFoundError), so migrate, makemigrations and the test runner
	// stop. A dependency on an app the index does not know (a third-party
	// app's migration) is never dangling.
	Dangling []MigrationRef

	depLines map[MigrationRef]int // see DependencyLine
}

// DependencyLine returns the line of the dependency ref, or 0.
func (m *Migration) DependencyLine(ref MigrationRef) int { return m.depLines[ref] }

// MigrationRef names a migration ("shop", "0001_initial"). Name may be
// "__first__" or "__latest__".
type MigrationRef struct{ App, Name string }

// Operation is one entry of Migration.operations.
type Operation struct {
	Kind    string // "CreateModel", "AddField", ... as written (last name)
	Line    int
	EndLine int

	Model string // model_name (AddField, ...) or name (CreateModel), as written
	Name  string // field name (AddField, AlterField, RemoveField)
	Field *Field // AddField, AlterField

	Fields  []*Field // CreateModel
	Options Meta     // CreateModel options (db_table, unique_together, constraints, abstract, proxy)
	Bases   []string // CreateModel bases, as written

	OldName, NewName string // RenameField, RenameModel

	Constraint     *Constraint // AddConstraint
	ConstraintName string      // RemoveConstraint
	UniqueTogether [][]string  // AlterUniqueTogether
	Preserve       bool        // AddField preserve_default=False

	// RunSQL and RunPython: the code or function name, and whether the
	// step is a no-op (migrations.RunPython.noop).
	Code string
	Noop bool
	// Atomic is RunPython's atomic= as written (True or False); nil when
	// not given, and the migration's atomic decides.
	Atomic *bool

	// Unread marks an operation of Django's whose arguments the index
	// could not all read (a name, a field or a constraint given by a
	// variable or built by code): what it does to its model, or to which
	// model, is not known.
	Unread bool

	// SeparateDatabaseAndState.
	StateOperations    []*Operation
	DatabaseOperations []*Operation
	partial            bool // one of the two lists was not read whole
}

// IsDataStep reports whether the operation can change rows: RunPython or
// RunSQL that is not a no-op, and for RunSQL, SQL that is not schema
// statements only (ALTER TABLE ... DROP CONSTRAINT, CREATE INDEX: they fix
// no row).
func (o *Operation) IsDataStep() bool {
	switch {
	case o.Noop:
		return false
	case o.Kind == "RunPython":
		return true
	case o.Kind == "RunSQL":
		return !ddlOnly(o.Code)
	}
	return false
}

// ddlOnly reports whether sql, the source text of RunSQL's argument, is a
// string literal (or a list of them) whose every statement changes the
// schema, not rows. Anything else (a name, an f-string, DML) may change rows.
func ddlOnly(sql string) bool {
	s := strings.TrimSpace(sql)
	s = strings.Trim(s, "[]()")
	var stmts []string
	for _, lit := range stringLiterals.FindAllString(s, -1) {
		body := strings.Trim(lit, `"'`)
		stmts = append(stmts, strings.Split(body, ";")...)
	}
	if len(stmts) == 0 || strings.ContainsAny(stringLiterals.ReplaceAllString(s, ""), "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") {
		return false // not only literals: a name, a call, a concatenation of them
	}
	seen := false
	for _, st := range stmts {
		st = strings.ToUpper(strings.TrimSpace(st))
		if st == "" {
			continue
		}
		seen = true
		if !strings.HasPrefix(st, "ALTER ") && !strings.HasPrefix(st, "CREATE ") && !strings.HasPrefix(st, "DROP ") && !strings.HasPrefix(st, "COMMENT ") {
			return false
		}
	}
	return seen
}

// stringLiterals matches Python string literals without prefixes, single
// or triple quoted (no escapes of the quote inside).
var stringLiterals = regexp.MustCompile(`(?s)"""(.*?)"""|'\''\''(.*?)'\''\''|"[^"\n]*"|'[^'\n]*'`)
