package rules

import (
	"bytes"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/djintegrity/djintegrity/rules/django"
	"github.com/djintegrity/djintegrity/rules/django/writesite"
	"github.com/djintegrity/djintegrity/rules/pyast"
)

// integrityErrorWithoutSavepoint reports `except IntegrityError` (or
// `with suppress(IntegrityError):`) around a write inside an atomic block
// (explicit, decorator, ATOMIC_REQUESTS, or the transaction of an atomic
// migration around its RunPython functions) with no inner atomic(): after
// the error the transaction is broken, and the next query raises
// TransactionManagementError. It checks migrations whatever paths.views
// says: there the broken transaction fails the deploy's migrate.
var integrityErrorWithoutSavepoint = &Rule{
	Slug:       "integrity-error-without-savepoint",
	Severity:   Error,
	Views:      true,
	Migrations: true,
	Summary:    "except IntegrityError inside an atomic block with no savepoint around the write.",
	check:      checkIntegrityErrorWithoutSavepoint,
}

func checkIntegrityErrorWithoutSavepoint(rule *Rule, p *Pass) []Finding {
	var out []Finding
	seen := map[*writesite.Try]bool{}
	for _, s := range viewSites(p) {
		w, m, tr := s.w, s.m, s.w.Guard.Try
		if m == nil || tr == nil || w.Guard.InnerAtomic || seen[tr] {
			continue
		}
		switch w.Kind {
		case writesite.WriteCreate, writesite.WriteSave, writesite.WriteBulkCreate, writesite.WriteUpdate:
			// get_or_create and update_or_create run their INSERT in a
			// savepoint of their own.
		default:
			continue
		}
		ctx, ctxLine := viewTryAtomic(p, s.f, w.Func, tr)
		viaCaller := false
		if ctx == "" && viewHandlerContinues(tr) {
			// One level up: a caller in the repository that holds a
			// transaction around the call.
			ctx, viaCaller = atomicCaller(p, s.f, w.Func), true
		}
		if ctx == "" || !viewHandlerContinues(tr) {
			continue
		}
		start, end := tr.Body.Line, tr.Body.EndLine
		if start == 0 || !viewTouches(p, s.f.Path, start, end, ctxLine, ctxLine, tr.Line, tr.EndLine) {
			continue
		}
		seen[tr] = true
		fix, names := viewSavepointFix(s, tr)
		caught, inside := "is caught", "the try"
		if tr.Suppress {
			caught, inside = fmt.Sprintf("is suppressed (`with suppress(...)` at line %d)", tr.Line), "the `with suppress(...)` block"
		}
		msg := fmt.Sprintf("IntegrityError from %s %s inside an atomic block (%s) with no savepoint around the write. "+
			"Django then marks the whole transaction for rollback: the next query in the block raises TransactionManagementError "+
			"(\"An error occurred in the current transaction. You can't execute queries until the end of the 'atomic' block.\"), "+
			"and the block's other writes are rolled back when it ends; raw SQL on PostgreSQL fails with "+
			"\"current transaction is aborted, commands ignored until end of transaction block\". "+
			"Wrap the write in its own `with transaction.atomic():` inside %s, so that only that savepoint is rolled back.",
			viewWhat(w), caught, ctx, inside)
		if s.f.Migration != nil {
			msg += " In a migration, the error stops `migrate`, and the deploy with it."
		}
		if fix != nil {
			msg += viewImportNote(names.imports)
		}
		f := rule.finding(s.f.Path, start, end, viewKey(w, m, "savepoint"), msg)
		f.Suggestion = fix
		if fix != nil {
			f.Imports = names.imports
		}
		if viaCaller && f.Severity > Warning {
			// The transaction is the caller's: other callers may hold
			// none, and the call may be resolved wrongly.
			f.Severity = Warning
		}
		out = append(out, f)
	}
	return out
}

// viewTryAtomic says why a try statement of function fn of file f runs
// inside a transaction, with the line that makes it so; "" when it does
// not.
func viewTryAtomic(p *Pass, f *django.File, fn *writesite.Function, tr *writesite.Try) (string, int) {
	switch {
	case tr.Atomic > 0:
		return fmt.Sprintf("`with transaction.atomic()` at line %d", tr.Atomic), tr.Atomic
	case fn.Atomic:
		return fmt.Sprintf("`@transaction.atomic` on `%s`", fn.Name), fn.AtomicLine
	case p.Project.AtomicRequests && fn.View && !fn.NonAtomicRequests:
		return "ATOMIC_REQUESTS, which runs every view in one transaction", 0
	}
	if op := runPythonInTransaction(f.Migration, fn); op != nil {
		m := f.Migration
		return fmt.Sprintf("the transaction of migration %s.%s, which is atomic: `RunPython(%s)` at line %d runs `%s` inside it", m.App, m.Name, op.Code, op.Line, fn.Name), op.Line
	}
	return "", 0
}

// runPythonInTransaction returns the RunPython operation of migration m
// that runs fn, a function of m's module, inside a transaction, or nil.
// Django runs an atomic migration (the default) in one transaction on the
// databases that can roll back schema changes (PostgreSQL, SQLite; each
// operation in one of its own on the others), RunPython(atomic=False)
// included; in a migration with `atomic = False`, only a
// RunPython(atomic=True) gets one.
func runPythonInTransaction(m *django.Migration, fn *writesite.Function) *django.Operation {
	if m == nil || fn.Class != "" {
		return nil
	}
	atomic := m.Atomic == nil || *m.Atomic
	var found *django.Operation
	var walk func(ops []*django.Operation)
	walk = func(ops []*django.Operation) {
		for _, op := range ops {
			walk(op.DatabaseOperations)
			if found == nil && op.Kind == "RunPython" && op.Code == fn.Name && (atomic || op.Atomic != nil && *op.Atomic) {
				found = op
			}
		}
	}
	walk(m.Operations)
	return found
}

// viewHandlerContinues reports whether an IntegrityError handler of tr
// carries on in the broken transaction: it queries, or it falls through
// to the code after the try. A handler that re-raises, or returns without
// a query, leaves the block before anything else runs in it.
func viewHandlerContinues(tr *writesite.Try) bool {
	for _, h := range tr.Handlers {
		if !h.IntegrityError {
			continue
		}
		switch {
		case h.Exit == "raise" && !h.DBCall:
		case h.Exit == "return" && !h.DBCall:
		default:
			return true
		}
	}
	return false
}

// viewSavepointFix wraps the try body in `with transaction.atomic():`.
func viewSavepointFix(s viewSite, tr *writesite.Try) (*string, viewNames) {
	fn := s.w.Func
	names := viewFixNames(s.f, false, true)
	if !tr.Body.OwnLines || tr.Body.Line <= tr.Line || !viewMovable(fn, tr.Body.Line, tr.Body.EndLine) {
		return nil, names
	}
	tryIndent := ""
	if lines := viewLines(s.f, tr.Line, tr.Line); len(lines) == 1 {
		tryIndent = lines[0][:len(lines[0])-len(strings.TrimLeft(lines[0], " \t"))]
	}
	ind := tr.Body.Indent
	if len(ind) <= len(tryIndent) || !strings.HasPrefix(ind, tryIndent) {
		return nil, names
	}
	unit := ind[len(tryIndent):]
	lines := []string{ind + "with " + names.transaction + ".atomic():"}
	lines = append(lines, viewShift(viewLines(s.f, tr.Body.Line, tr.Body.EndLine), unit)...)
	return viewFix(lines), names
}

// atomicCaller says which caller of fn, a module-level function of file f,
// calls it inside a transaction, among the files the review read: a call
// by its name (in f, or through an import of f's module) inside `with
// transaction.atomic()`, in a function under @transaction.atomic, or in a
// view under ATOMIC_REQUESTS. "" when none does, or fn is a method (whose
// calls the index cannot resolve with certainty).
func atomicCaller(p *Pass, f *django.File, fn *writesite.Function) string {
	if fn.Class != "" || f.Module == "" {
		return ""
	}
	// A function with several tries asks once: the search parses files.
	key := f.Path + ":" + fn.Name
	if ctx, ok := p.callers[key]; ok {
		return ctx
	}
	if p.callers == nil {
		p.callers = map[string]string{}
	}
	ctx := findAtomicCaller(p, f, fn)
	p.callers[key] = ctx
	return ctx
}

// findAtomicCaller is atomicCaller's search.
func findAtomicCaller(p *Pass, f *django.File, fn *writesite.Function) string {
	want := f.Module + "." + fn.Name
	marker := []byte(fn.Name + "(")
	paths := slices.Sorted(maps.Keys(p.Project.Files))
	for _, path := range paths {
		g := p.Project.Files[path]
		if g.Migration != nil || django.IsTestPath(path) || !bytes.Contains(g.Src, marker) {
			continue
		}
		t := pyast.Parse(g.Src)
		calls := writesite.CallsOf(t, func(name string) (string, bool) {
			q := p.Project.Qualify(g, name)
			return q, q != name
		}, func(dotted string) bool {
			if g == f {
				return dotted == fn.Name
			}
			return p.Project.Qualify(g, dotted) == want
		})
		t.Close()
		for _, c := range calls {
			if c.Caller == fn.Name && g == f {
				continue // recursion
			}
			caller := "`" + c.Caller + "`"
			if c.CallerClass != "" {
				caller = "`" + c.CallerClass + "." + c.Caller + "`"
			}
			switch {
			case c.Caller == "":
			case c.AtomicWith:
				return fmt.Sprintf("its caller %s calls it at %s:%d inside `with transaction.atomic()` at line %d", caller, path, c.Line, c.AtomicLine)
			case c.AtomicLine > 0:
				return fmt.Sprintf("its caller %s, under `@transaction.atomic` (line %d), calls it at %s:%d", caller, c.AtomicLine, path, c.Line)
			case p.Project.AtomicRequests && c.View && !c.NonAtomicRequests:
				return fmt.Sprintf("its caller %s, a view under ATOMIC_REQUESTS, calls it at %s:%d", caller, path, c.Line)
			}
		}
	}
	return ""
}
