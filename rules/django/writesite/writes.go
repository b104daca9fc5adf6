package writesite

import (
	"slices"
	"strings"
)

// WriteKind is what a write site does: the ORM method it calls, which is
// also its text in messages and keys.
type WriteKind string

// Kinds of write site.
const (
	WriteCreate         WriteKind = "create"
	WriteGetOrCreate    WriteKind = "get_or_create"
	WriteUpdateOrCreate WriteKind = "update_or_create"
	WriteBulkCreate     WriteKind = "bulk_create"
	WriteSave           WriteKind = "save"
	WriteUpdate         WriteKind = "update"
)

// CheckForm is the shape of an existence check before a write.
type CheckForm string

// Forms of existence check before a write.
const (
	// CheckIfAbsent: the write sits in the branch taken when no row
	// matched: `if not X.objects.filter(..).exists(): <write>`, or the
	// else branch of `if X.objects.filter(..).exists(): ... else: <write>`.
	CheckIfAbsent CheckForm = "if-absent"
	// CheckEarlyExit: `if X.objects.filter(..).exists(): return ...`
	// followed, in the same block, by the write.
	CheckEarlyExit CheckForm = "early-exit"
	// CheckDoesNotExist: `try: X.objects.get(..) except X.DoesNotExist: <write>`.
	CheckDoesNotExist CheckForm = "does-not-exist"
)

// HandlerExit is how an except clause's body ends.
type HandlerExit string

// Ways an except clause's body ends; "" when it falls through.
const (
	ExitRaise  HandlerExit = "raise"
	ExitReturn HandlerExit = "return"
)

// Span is a piece of source: a statement or a run of statements.
type Span struct {
	Line, EndLine int
	Start, End    uint   // byte offsets in File.Src
	Indent        string // leading white space of the line Line
	// OwnLines is true when the span starts its first line and nothing but
	// a comment follows it on its last: whole lines can be replaced.
	OwnLines bool
}

// ModelRef names a model by app label and name, as apps.get_model does,
// or, with User set, as get_user_model() does: whichever model the
// project's AUTH_USER_MODEL names. Class and ManagerClass name it from
// inside a class of the file. Only one of the four ways is set.
type ModelRef struct {
	App, Name string
	User      bool
	// Class is the enclosing class, for self in its methods and cls in
	// its classmethods: the model, when the class is one.
	Class string
	// ManagerClass is the enclosing manager or queryset class, for self
	// and self.model in its methods: the model whose manager it makes.
	ManagerClass string
}

// Named reports whether the reference names its model by app label.
func (r *ModelRef) Named() bool { return r != nil && r.App != "" }

// Kwarg is one keyword argument of a call (or one attribute assignment
// `obj.field = value` before a save).
type Kwarg struct {
	Name  string
	Value string // source text of the value
	Line  int
	// Start and End delimit `name=value` in File.Src; both are 0 for an
	// attribute assignment.
	Start, End uint
	// Request says which request data the value derives from
	// ("request.POST", "URL parameter customer_id"); "" when none.
	Request string
	// Validated is set instead when the value derives from a DRF
	// serializer's validated data (ValidatedData, then the key read:
	// `serializer.validated_data["price"]`, or `[?]` when the key is not
	// a string literal or the value is nested inside it). It passed the
	// serializer's validation, so it is request data only for what that
	// validation does not check: the rule that uses it says what.
	Validated string
	// Idents are the local names the value mentions.
	Idents []string
	// Fresh: the value is one no other request can hold yet: a name for
	// an instance created earlier in the function (X.objects.create() or
	// X(...)) or its id or pk, or a name bound to a generated value
	// (uuid4(), a random token).
	Fresh bool
}

// ValidatedData is the source of a value that derives from a serializer's
// validated_data (Kwarg.Validated).
const ValidatedData = "serializer.validated_data"

// ValidatedKey returns the key of validated_data a value of that source
// reads ("price" for `serializer.validated_data["price"]`); ok is false
// when the key is not known.
func ValidatedKey(validated string) (key string, ok bool) {
	rest, found := strings.CutPrefix(validated, ValidatedData+"[\"")
	if !found {
		return "", false
	}
	key, found = strings.CutSuffix(rest, "\"]")
	return key, found && !strings.ContainsAny(key, "[]\"")
}

// Write is an ORM write site.
type Write struct {
	Kind WriteKind
	// Model is the model expression as written ("Product",
	// "shop_models.Product"); the index resolves it (django's
	// Project.WriteModel). Ref is
	// set instead for a model from apps.get_model("shop", "Product").
	Model    string
	Ref      *ModelRef
	Manager  string // "objects" or a custom manager; "" for save
	Receiver string // source text of the manager expression ("Product.objects")
	// Kwargs are the fields written: the call's keyword arguments; for
	// bulk_create those of the model constructors in the list; for save
	// those of the constructor and the attribute assignments before it.
	Kwargs []Kwarg
	// Lookup holds the filter() keyword arguments of an update() chain.
	Lookup []Kwarg
	// Options are keyword arguments that are not fields: bulk_create's
	// ignore_conflicts, save's update_fields, by name -> source text.
	Options map[string]string
	// StarArgs: *args or **kwargs in the call or constructor, so the
	// fields written are unknown.
	StarArgs bool
	// Positional: a model constructor of the write passes positional
	// arguments, which set fields by their order.
	Positional bool
	// Method is set for an insert through a user manager's own method
	// ("create_user", "create_superuser"; Kind is WriteCreate): what it
	// writes depends on the manager, which the index resolves. Kwargs are
	// then the call's keyword arguments and Args its positional ones
	// (Name empty), in order; Positional is set when there are any.
	// It is "form_valid" for `super().form_valid(form)` in a form_valid()
	// override (Kind WriteSave, Instance the form, StarArgs set, Model
	// empty): a generic editing view's form_valid saves the form, and what
	// it saves is the view's model, which the index resolves from the
	// class.
	Method string
	Args   []Kwarg
	// Insert is true for a save of an instance built with X(...) in the
	// function (an INSERT), false for one fetched by a query (an UPDATE).
	Insert bool
	// Escaped: before the save, the instance went into another call, or a
	// method of its own ran (setattr(obj, ...), fill(obj), obj.apply(...)),
	// which may set fields where the index cannot see.
	Escaped      bool
	Instance     string   // save: the variable saved
	UpdateFields []string // save(update_fields=[...]); nil when absent

	Line, EndLine int // the call
	// Stmt is the statement holding the call; StmtKind its node type
	// ("expression_statement", "return_statement", ...).
	Stmt     Span
	StmtKind string
	// ArgsStmt is the statement holding Kwargs: Stmt, or for a save the
	// statement of the constructor call.
	ArgsStmt Span
	// Direct is true when the call is the statement's whole expression:
	// `X.objects.create(..)`, `obj = X.objects.create(..)`, `return ...`.
	Direct bool
	Target string // `obj` in `obj = X.objects.create(...)`

	Func   *Function // nil at module level
	Guard  Guard
	Checks []*Check // existence checks that precede the write, outermost first
}

// Guard is what surrounds a write in its function.
type Guard struct {
	// Try is the innermost try whose handlers catch IntegrityError (or
	// DatabaseError, its parent) around the write.
	Try *Try
	// Broad is the innermost try with a bare `except:` or `except
	// Exception:` around the write.
	Broad *Try
	// Atomic is the line of the innermost `with transaction.atomic()`
	// around the write in its function; 0 when none.
	Atomic int
	// InnerAtomic: a savepoint (`with transaction.atomic()`, savepoint not
	// disabled) lies between Try and the write.
	InnerAtomic bool
}

// Try is a try statement.
type Try struct {
	Line, EndLine int
	Body          Span // the try body, first statement to last
	Handlers      []*Handler
	Else, Finally bool
	// Atomic is the line of a `with transaction.atomic()` around the try
	// in its function; 0 when none.
	Atomic int
	// Suppress marks a `with suppress(...)` block (contextlib) read as the
	// try it stands for: one handler that falls through.
	Suppress bool
}

// CatchesIntegrityError reports whether a handler catches IntegrityError.
func (t *Try) CatchesIntegrityError() bool {
	return slices.ContainsFunc(t.Handlers, func(h *Handler) bool { return h.IntegrityError })
}

// Handler is one except clause.
type Handler struct {
	Line, EndLine  int
	Types          []string // the exception names as written; empty for a bare except
	IntegrityError bool     // catches IntegrityError or DatabaseError
	Broad          bool     // bare except, Exception or BaseException
	DoesNotExist   bool     // X.DoesNotExist or ObjectDoesNotExist
	// Exit is how the handler's body ends: ExitRaise, ExitReturn or "".
	Exit HandlerExit
	// DBCall: the handler body queries the database.
	DBCall bool
	Body   Span
}

// Check is an existence check that a write depends on.
type Check struct {
	Form CheckForm
	// Model and Ref name the model checked, as for Write; Manager is the
	// manager attribute the read goes through ("objects"), "" when the
	// chain starts at a queryset variable whose manager is unknown.
	Model   string
	Ref     *ModelRef
	Manager string
	// Lookup holds the filter()/get() keyword arguments. LookupUnknown is
	// set when the lookup also uses Q objects, exclude() or **kwargs.
	Lookup        []Kwarg
	LookupUnknown bool
	// Line and EndLine delimit the read: the condition, the get() call,
	// or the assignment of Var.
	Line, EndLine int
	// Var is set when the condition tests a variable assigned the read
	// earlier (`exists = X.objects...exists()`; `if not exists:`).
	Var string
	// Stmt is the if or try statement.
	Stmt Span
	// Exact: the condition is the check alone (no `and`, no elif), or the
	// try has one handler and no else or finally.
	Exact bool
	// Absent are the statements run when no row matched (the write is
	// among them or inside one of them); for CheckEarlyExit, the
	// statements after the if in the same block.
	Absent []Span
	// Present are the statements run when a row matched: the other
	// branch, the early exit, or the try body.
	Present []Span
	// Target is `obj` in `obj = X.objects.get(...)` (CheckDoesNotExist).
	Target string
}

// Lookup is a read in a function that may validate a value: a query
// (get, filter, exists, ...) or get_object_or_404.
type Lookup struct {
	Line   int
	Func   string   // "get_object_or_404", "get", "filter", ...
	Model  string   // the model expression as written
	Values []string // source text of every argument value
	Idents []string // local names the arguments mention
}

// Function is a function or method definition.
type Function struct {
	Name          string
	Class         string   // enclosing class, "" for a plain function
	ClassBases    []string // the enclosing class's bases as written
	Line, EndLine int      // `def` through the end of the body
	Params        []string // parameter names in order, without * and **
	KwargsParam   string   // the name of **kwargs, "" when none
	Decorators    []string // dotted names as written, without @ or arguments
	// Atomic is set when transaction.atomic decorates the function (also
	// through method_decorator on it or its class); AtomicLine is the
	// decorator's line.
	Atomic            bool
	AtomicLine        int
	NonAtomicRequests bool // @transaction.non_atomic_requests
	HasRequest        bool // takes a `request` parameter
	// View: takes a request, or is a method of a View/ViewSet class.
	View       bool
	IndentUnit string // one level of indentation in the body
	// Locks are the lines of select_for_update() calls and lock
	// acquisitions (advisory locks, cache.lock, ...).
	Locks   []int
	Lookups []Lookup
	// DBCalls are the lines of calls that query the database.
	DBCalls []int
	// StringLines are lines inside a multi-line string after its first:
	// re-indenting them would change the string.
	StringLines map[int]bool
	// Names are the local names bound in the function; Bound gives the
	// first line that binds each.
	Names map[string]bool
	Bound map[string]int
	// Made maps a local name to the class of the instance last assigned to
	// it (`form = TagForm(request.POST)`: "shop.forms.TagForm", qualified
	// through the file's imports when imported).
	Made map[string]string
	// Answers are the ways the function answers, in source order.
	Answers []Answer
	// Validations are the comparisons and validating calls of the
	// function, in source order.
	Validations []Validation
}

// Answer is a way a function answers its caller or the user: a return
// or raise of a call (render(), redirect(), JsonResponse(), Response(),
// ValidationError()), or a call of the messages framework
// (messages.error()) or of a form's add_error().
type Answer struct {
	Span
	Kind string // "return", "raise" or "call"
	// Func is the callee, qualified through the file's imports when its
	// first name is imported ("django.shortcuts.render"), else as written
	// ("form.add_error").
	Func   string
	Text   string   // the statement's source
	Idents []string // local names it mentions
}

// bind records that the function binds name at line.
func (fn *Function) bind(name string, line int) {
	if fn == nil {
		return
	}
	fn.Names[name] = true
	if l, ok := fn.Bound[name]; !ok || line < l {
		fn.Bound[name] = line
	}
}

// Validation is code that may check a value before a write: a comparison
// (`if price < 0:`) or a validating call (`form.is_valid()`,
// `obj.full_clean()`, `validate_price(price)`).
type Validation struct {
	Line int
	// Kind is "compare", or the name called: "is_valid", "full_clean",
	// "clean_fields", "validate_constraints", "validate_price", ...
	Kind   string
	Text   string   // source text
	Idents []string // local names it mentions
}

// LocksBefore reports whether a lock is taken before line.
func (fn *Function) LocksBefore(line int) bool {
	return slices.ContainsFunc(fn.Locks, func(l int) bool { return l <= line })
}

// DBCallIn reports whether a database call lies in lines [start, end].
func (fn *Function) DBCallIn(start, end int) bool {
	return slices.ContainsFunc(fn.DBCalls, func(l int) bool { return l >= start && l <= end })
}

// writeMarkers are looked for before a file is searched for writes.
var writeMarkers = [][]byte{[]byte("create("), []byte("save("), []byte("update("), []byte("create_user("), []byte("create_superuser("), []byte("form_valid(")}

// generatedCalls make values that do not repeat: a unique column written
// one cannot collide.
var generatedCalls = []string{"uuid1(", "uuid4(", "uuid7(", "token_hex(", "token_urlsafe(", "get_random_string(", "ulid(", "ULID("}

// GeneratedValue reports whether the source text of a value calls one of
// the generators of values that do not repeat (uuid4(), a random token).
func GeneratedValue(text string) bool {
	for _, g := range generatedCalls {
		if strings.Contains(text, g) {
			return true
		}
	}
	return false
}
