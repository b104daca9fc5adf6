package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/djintegrity/djintegrity/rules/django"
	"github.com/djintegrity/djintegrity/rules/django/writesite"
)

// checkThenInsert reports an existence check (`.exists()`, `.count() == 0`,
// `.first() is None`, `get` + `DoesNotExist`) followed by an insert of the
// same model: two concurrent requests can both pass the check, and the
// second insert fails on a unique constraint or, without one, duplicates
// the row.
var checkThenInsert = &Rule{
	Slug:     "check-then-insert",
	Severity: Notice,
	Views:    true,
	Summary:  "An existence check followed by an insert races under concurrent requests.",
	Demoted:  "on the judged findings of the ecosystem check it was right 0 times in 9: the races it saw were in code the change only touched, in background jobs keyed by a fresh uuid, or behind checks it does not follow; it speaks in the check run until it tells them apart",
	check:    checkCheckThenInsert,
}

// viewRace is a check-then-insert: an existence check, then an insert of
// the same model, with nothing that serialises the two.
type viewRace struct {
	viewSite
	check  *writesite.Check
	lookup []string // field names of the check's lookup
	// cover is the unique set the lookup covers; when nil, fallback is one
	// that the insert's own fields cover. With neither, the race makes
	// duplicate rows rather than an IntegrityError.
	cover, fallback *viewUnique
}

// viewCheckThenInsert returns the race a write is the second half of, or
// nil. unguarded-unique-create asks it too, so that one hazard gets one
// finding.
func viewCheckThenInsert(p *django.Project, s viewSite) *viewRace {
	w, m := s.w, s.m
	if m == nil || w.StarArgs || w.Func == nil {
		return nil
	}
	switch {
	case w.Kind == writesite.WriteCreate, w.Kind == writesite.WriteBulkCreate:
	case w.Kind == writesite.WriteSave && w.Insert:
	default:
		return nil
	}
	var check *writesite.Check
	for i := len(w.Checks) - 1; i >= 0; i-- {
		c := w.Checks[i]
		if p.WriteModel(s.f, c.Model, c.Ref) == m {
			check = c
			break
		}
	}
	if check == nil || check.LookupUnknown || w.Func.LocksBefore(w.Line) {
		return nil
	}
	return viewRaceOf(p, s, check)
}

// viewCheckedUnderLock reports whether a write follows an existence check
// of its model with a lock taken first: the lock serialises the requests.
func viewCheckedUnderLock(p *django.Project, s viewSite) bool {
	if s.m == nil || s.w.Func == nil || !s.w.Func.LocksBefore(s.w.Line) {
		return false
	}
	for _, c := range s.w.Checks {
		if p.WriteModel(s.f, c.Model, c.Ref) == s.m {
			return true
		}
	}
	return false
}

// viewRaceOf judges the race between check and the insert of s.
func viewRaceOf(p *django.Project, s viewSite, check *writesite.Check) *viewRace {
	w, m := s.w, s.m
	lookup, ok := viewLookupFields(m, check.Lookup)
	if !ok || len(lookup) == 0 {
		return nil
	}
	sets, opaque := viewUniqueSets(m)
	r := &viewRace{viewSite: s, check: check, lookup: lookup}
	r.cover = viewCovering(sets, lookup, false)
	filter, _ := p.ManagerFilter(m, check.Manager)
	if r.cover == nil {
		// A partial constraint covers the check when the lookup, or the
		// soft-delete manager it reads through, keeps to its condition.
		r.cover = viewPinned(m, sets, lookup, check.Lookup, filter, w.Kwargs)
	}
	if r.cover == nil {
		if pk := p.SingletonPK(m); pk != "" {
			i := slices.IndexFunc(sets, func(u viewUnique) bool { return u.kind == "primary key" })
			u := sets[i]
			u.singleton = pk
			r.cover = &u
		}
	}
	if r.cover == nil {
		r.fallback = viewColliding(m, sets, viewWritten(m, w), w.Kwargs)
	}
	unique := r.cover != nil || r.fallback != nil
	if !unique && opaque {
		return nil // an expression constraint may cover it: never guess
	}
	if unique && (w.Guard.Try != nil || w.Guard.Broad != nil) {
		return nil // the losing request's IntegrityError is handled
	}
	return r
}

func checkCheckThenInsert(rule *Rule, p *Pass) []Finding {
	var out []Finding
	for _, s := range viewRaceSites(p) {
		r := viewCheckThenInsert(p.Project, s)
		if r == nil {
			continue
		}
		start := min(r.check.Line, r.check.Stmt.Line)
		end := r.w.Stmt.EndLine
		if !viewTouches(p, s.f.Path, start, end) {
			continue
		}
		fixStart, fixEnd, fix, names := viewRaceFix(r)
		msg := viewRaceMessage(r, names, fix != nil)
		f := rule.finding(s.f.Path, start, end, viewKey(s.w, s.m, strings.Join(r.lookup, ",")), msg)
		if fix != nil {
			f.StartLine, f.EndLine, f.Suggestion, f.Imports = fixStart, fixEnd, fix, names.imports
		}
		out = append(out, f)
	}
	return out
}

func viewRaceMessage(r *viewRace, names viewNames, fixed bool) string {
	m, w, c := r.m, r.w, r.check
	var b strings.Builder
	what := "insert"
	if w.Kind == writesite.WriteBulkCreate {
		what = "bulk insert"
	}
	fmt.Fprintf(&b, "Check-then-insert race: the existence check on %s (line %d) and the %s %s (line %d) are separate queries, so two concurrent requests can both find no row and both insert.",
		m.Name, c.Line, what, viewWhat(w), w.Line)
	switch {
	case r.cover != nil:
		fmt.Fprintf(&b, " The second INSERT fails on %s, with IntegrityError %s.", viewDescribe(m, r.cover), viewUniqueError(m, r.cover))
	case r.fallback != nil && viewCovering([]viewUnique{*r.fallback}, r.lookup, true) != nil:
		// A partial constraint over the lookup's fields whose condition
		// the check does not keep to: it reads rows the constraint does
		// not cover, but the rows inserted fall under it.
		fmt.Fprintf(&b, " The insert writes %s, so the second INSERT fails with IntegrityError %s.",
			viewDescribe(m, r.fallback), viewUniqueError(m, r.fallback))
	case r.fallback != nil:
		fmt.Fprintf(&b, " The lookup (%s) is not unique, but the insert writes %s, so the second INSERT fails with IntegrityError %s.",
			strings.Join(r.lookup, ", "), viewDescribe(m, r.fallback), viewUniqueError(m, r.fallback))
	default:
		fields := make([]string, 0, len(r.lookup))
		for _, f := range r.lookup {
			fields = append(fields, fmt.Sprintf("%q", f))
		}
		fmt.Fprintf(&b, " No unique constraint covers (%s) on %s, so the race silently creates duplicate rows: there is no IntegrityError to catch, "+
			"and from then on a get() with this lookup raises %s.MultipleObjectsReturned. "+
			"Add `models.UniqueConstraint(fields=[%s], name=%q)` to %s.Meta.constraints, with a migration that removes existing duplicates first; "+
			"then insert inside `with transaction.atomic():` and catch IntegrityError instead of checking first.",
			strings.Join(r.lookup, ", "), m.Table, m.Name, strings.Join(fields, ", "), m.Table+"_"+strings.Join(r.lookup, "_")+"_uniq", m.Name)
		return b.String()
	}
	b.WriteString(" Don't check first: try the insert inside `with transaction.atomic():` (a savepoint, so it is safe inside ATOMIC_REQUESTS too) and catch IntegrityError")
	if r.cover != nil {
		b.WriteString(", or use get_or_create(), which does the same")
	}
	b.WriteString(".")
	if fixed {
		b.WriteString(viewImportNote(names.imports))
	}
	return b.String()
}

// viewRaceFix rewrites the check and the insert into the safe form: the
// insert in a savepoint, IntegrityError taking the "already exists" path
// (or get_or_create when that says the same). fix is nil when the code
// cannot be rewritten cleanly.
func viewRaceFix(r *viewRace) (start, end int, fix *string, names viewNames) {
	c, w, fn := r.check, r.w, r.w.Func
	if r.cover == nil && r.fallback == nil || !c.Exact || c.Var != "" || !c.Stmt.OwnLines || !w.Stmt.OwnLines {
		return 0, 0, nil, names
	}
	if w.StmtKind != "expression_statement" && w.StmtKind != "return_statement" {
		return 0, 0, nil, names
	}
	i := slices.IndexFunc(c.Absent, func(s writesite.Span) bool { return s.Start == w.Stmt.Start && s.End == w.Stmt.End })
	if i < 0 || !viewAllOwnLines(c.Absent) || !viewAllOwnLines(c.Present) {
		return 0, 0, nil, names
	}
	pre := c.Absent[:i]
	if len(pre) > 0 && fn.DBCallIn(pre[0].Line, pre[len(pre)-1].EndLine) {
		return 0, 0, nil, names // other queries would join the savepoint
	}
	ind := c.Stmt.Indent
	var inner []writesite.Span // the branch one level below the check
	if c.Form == writesite.CheckEarlyExit {
		inner = c.Present
	} else {
		inner = c.Absent
	}
	if len(inner) == 0 || !strings.HasPrefix(inner[0].Indent, ind) || len(inner[0].Indent) == len(ind) {
		return 0, 0, nil, names
	}
	unit := inner[0].Indent[len(ind):]

	// get_or_create says the same in one line when the lookup is unique
	// and the branch is nothing but the create.
	if r.cover != nil && w.Kind == writesite.WriteCreate && w.Method == "" && w.Direct && w.StmtKind == "expression_statement" &&
		i == 0 && len(c.Absent) == 1 {
		simple := false
		switch c.Form {
		case writesite.CheckIfAbsent:
			simple = len(c.Present) == 0
		case writesite.CheckDoesNotExist:
			simple = len(c.Present) == 1 && c.Target != "" && c.Target == w.Target
		}
		if simple {
			if call, ok := viewGetOrCreate(w, c.Lookup); ok {
				if fix := viewFix([]string{ind + call}); fix != nil {
					return c.Stmt.Line, c.Stmt.EndLine, fix, names
				}
			}
		}
	}

	names = viewFixNames(r.f, true, true)
	lines := []string{ind + "try:", ind + unit + "with " + names.transaction + ".atomic():"}
	switch c.Form {
	case writesite.CheckEarlyExit:
		// The statements between the check and the insert move into the
		// savepoint; the early exit becomes the handler.
		first := c.Stmt.EndLine + 1
		if !viewMovable(fn, first, w.Stmt.EndLine) {
			return 0, 0, nil, names
		}
		lines = append(lines, viewShift(viewLines(r.f, first, w.Stmt.EndLine), unit+unit)...)
		lines = append(lines, ind+"except "+names.integrity+":")
		lines = append(lines, viewLines(r.f, c.Present[0].Line, c.Present[len(c.Present)-1].EndLine)...)
		start, end = c.Stmt.Line, w.Stmt.EndLine
	default:
		// if/else and try/except DoesNotExist: the branch up to the insert
		// goes into the savepoint, the "exists" branch becomes the
		// handler, and what followed the insert runs in the else clause.
		if !viewMovable(fn, c.Absent[0].Line, w.Stmt.EndLine) {
			return 0, 0, nil, names
		}
		lines = append(lines, viewShift(viewLines(r.f, c.Absent[0].Line, w.Stmt.EndLine), unit)...)
		lines = append(lines, ind+"except "+names.integrity+":")
		if len(c.Present) > 0 {
			lines = append(lines, viewLines(r.f, c.Present[0].Line, c.Present[len(c.Present)-1].EndLine)...)
		} else {
			lines = append(lines, ind+unit+"pass")
		}
		if rest := c.Absent[i+1:]; len(rest) > 0 {
			lines = append(lines, ind+"else:")
			lines = append(lines, viewLines(r.f, w.Stmt.EndLine+1, rest[len(rest)-1].EndLine)...)
		}
		start, end = c.Stmt.Line, c.Stmt.EndLine
	}
	return start, end, viewFix(lines), names
}

func viewAllOwnLines(spans []writesite.Span) bool {
	return !slices.ContainsFunc(spans, func(s writesite.Span) bool { return !s.OwnLines })
}
