package rules

import (
	"fmt"
	"slices"
	"strings"

	"github.com/djintegrity/djintegrity/rules/django"
	"github.com/djintegrity/djintegrity/rules/django/migstate"
	"github.com/djintegrity/djintegrity/rules/django/writesite"
)

// constraintBreaksWrites reports a new unique or check constraint while
// writes the change does not touch, elsewhere in the repository, store
// request data in its columns with nothing that checks the value first
// and no IntegrityError handling: a value the database used to accept
// now fails, and the view answers 500 instead of storing the row. The
// finding sits on the constraint and lists the writes, each also a
// related location.
//
// Whether such a write breaks depends on the values users send, which the
// code does not show; the rule therefore keeps to writes of request data
// (the value comes from request.POST, request.data, a URL parameter), and
// speaks in the check run only.
var constraintBreaksWrites = &Rule{
	Slug:     constraintBreaksWritesSlug,
	Severity: Notice,
	Summary:  "A new unique or check constraint on columns that unchanged writes elsewhere fill with unchecked request data.",
	Demoted:  "not judged on real projects yet, and whether a write breaks depends on the values users send: it speaks in the check run until judged findings show it right often enough to comment",
	check:    checkConstraintBreaksWrites,
}

const constraintBreaksWritesSlug = "constraint-breaks-writes"

// impactConstraint is a constraint the change adds to a model that had
// rows before it.
type impactConstraint struct {
	model *django.Model // the concrete model, in Pass.Project
	x     migOp         // the operation that adds it
	// unique holds the field names of a new unique set; check the new
	// CheckConstraint (as the model declares it) otherwise.
	unique []string
	check  *django.Constraint
	// what names the constraint for a message; error quotes what the
	// databases raise.
	what, error string
	// path, start and end are where the model declares it ("" when it
	// cannot be told).
	path       string
	start, end int
}

// impactConstraints lists the unique and check constraints the change's
// migrations add to a model whose table existed before (a new table has
// no writers yet), as the model at head declares them: AddConstraint of a
// UniqueConstraint without a condition or of a CheckConstraint,
// AlterUniqueTogether with a new set, AlterField that makes a field
// unique.
func impactConstraints(p *Pass) []impactConstraint {
	if p.Project == nil {
		return nil
	}
	var out []impactConstraint
	ops := migChangedOps(p)
	for i, x := range ops {
		op := x.op
		if op.Unread || impactLaterOp(ops[i+1:], x) {
			continue
		}
		// A table this change creates has no writers yet.
		if s := x.before; s == nil || s.Created == nil || s.Created == x.mig || p.Change.IsNew(s.Created.Path) && len(s.Created.Replaces) == 0 {
			continue
		}
		m := p.Project.FindModel(x.mig.App, op.Model)
		if m == nil || m.Abstract || m.Proxy || !m.Managed || m.App == nil || m.App.Ambiguous || m.Partial() {
			continue
		}
		// What was unique when the deploy starts: a new set that holds one
		// of those adds nothing a write could break (name unique, then
		// (space, name) unique together, is less strict, not more).
		start := migChangeStartState(p, x)
		if start == nil || start.Opaque {
			continue
		}
		stricter := func(set []string) bool {
			return !slices.ContainsFunc(impactUniqueSets(start), func(old []string) bool {
				return !slices.ContainsFunc(old, func(f string) bool { return !slices.Contains(set, f) })
			})
		}
		switch op.Kind {
		case "AddConstraint":
			if c := impactModelConstraint(m, op.Constraint); c != nil && (c.Kind == "check" || stricter(viewFieldNames(m, c.Fields))) {
				out = append(out, impactConstraintOf(p, m, x, c))
			}
		case "AlterUniqueTogether":
			for _, set := range op.UniqueTogether {
				if !impactHasSet(m.UniqueTogether, set) || !stricter(viewFieldNames(m, set)) {
					continue
				}
				u := viewUnique{fields: viewFieldNames(m, set), kind: "unique_together"}
				ic := impactConstraint{model: m, x: x, unique: u.fields, what: fmt.Sprintf("unique_together (%s) on %s", strings.Join(u.fields, ", "), m.Name),
					error: viewUniqueError(m, &u), path: m.Path}
				if cls := m.ClassOf(); cls != nil {
					ic.start, ic.end, _ = migMetaLine(p, m.Path, cls, "unique_together")
				}
				out = append(out, ic)
			}
		case "AlterField":
			fl := m.Field(op.Name)
			if op.Field == nil || !op.Field.Unique || op.Field.PrimaryKey || fl == nil || !fl.Unique || fl.PrimaryKey || fl.Name != op.Name {
				continue
			}
			if start.Field(op.Name) == nil || !stricter([]string{fl.Name}) {
				continue
			}
			u := viewUnique{fields: []string{fl.Name}, kind: "unique field"}
			out = append(out, impactConstraint{model: m, x: x, unique: u.fields, what: fmt.Sprintf("unique=True on %s.%s", m.Name, fl.Name),
				error: viewUniqueError(m, &u), path: fl.Path, start: fl.Line, end: fl.EndLine})
		}
	}
	return out
}

// impactModelConstraint returns the constraint of m that an AddConstraint
// adds, when the rule can read it: a UniqueConstraint on fields without a
// condition, or a CheckConstraint.
func impactModelConstraint(m *django.Model, added *django.Constraint) *django.Constraint {
	if added == nil || added.Opaque {
		return nil
	}
	for _, c := range m.Constraints {
		if c.Opaque || migConstraintName(m, c.Name) != added.Name {
			continue
		}
		switch {
		case c.Kind == "unique" && len(c.Fields) > 0 && c.Condition == "":
			return c
		case c.Kind == "check" && strings.TrimSpace(c.Check) != "":
			return c
		}
	}
	return nil
}

// impactConstraintOf describes a constraint of m's Meta.
func impactConstraintOf(p *Pass, m *django.Model, x migOp, c *django.Constraint) impactConstraint {
	name := migConstraintName(m, c.Name)
	ic := impactConstraint{model: m, x: x, path: migConstraintPath(p, m, c), start: c.Line, end: c.EndLine}
	if c.Kind == "check" {
		ic.check = c
		ic.what = fmt.Sprintf("CheckConstraint %q (`%s`) on %s", name, strings.Join(strings.Fields(c.Check), " "), m.Name)
		ic.error = fmt.Sprintf("`CHECK constraint failed: %s` (PostgreSQL: `new row for relation \"%s\" violates check constraint \"%s\"`)", name, m.Table, name)
		return ic
	}
	u := viewUnique{fields: viewFieldNames(m, c.Fields), kind: "constraint", name: name}
	ic.unique, ic.error = u.fields, viewUniqueError(m, &u)
	ic.what = fmt.Sprintf("UniqueConstraint %q on %s (%s)", name, m.Name, strings.Join(u.fields, ", "))
	return ic
}

// impactUniqueSets lists the field names of the unique sets of a model
// state: unique fields and the primary key, unique_together, and
// UniqueConstraints on fields without a condition.
func impactUniqueSets(st *migstate.ModelState) [][]string {
	var out [][]string
	for _, f := range st.Fields {
		if f.Unique || f.PrimaryKey {
			out = append(out, []string{f.Name})
		}
	}
	out = append(out, st.Options.UniqueTogether...)
	for _, c := range st.Options.Constraints {
		if c.Kind == "unique" && len(c.Fields) > 0 && c.Condition == "" {
			out = append(out, c.Fields)
		}
	}
	return out
}

// impactHasSet reports whether sets holds set, in any order.
func impactHasSet(sets [][]string, set []string) bool {
	return slices.ContainsFunc(sets, func(s []string) bool {
		return len(s) == len(set) && !slices.ContainsFunc(set, func(f string) bool { return !slices.Contains(s, f) })
	})
}

func checkConstraintBreaksWrites(rule *Rule, p *Pass) []Finding {
	cons := impactConstraints(p)
	if len(cons) == 0 {
		return nil
	}
	sp := p.sitesPass()
	var out []Finding
	for _, c := range cons {
		m := sp.Project.FindModel(c.model.App.Label, c.model.Name)
		if m == nil {
			continue
		}
		var sites []impactSite
		impactWrites(sp, m, func(s viewSite) {
			if site, ok := impactConstraintSite(sp, c, s); ok {
				sites = append(sites, site)
			}
		})
		if len(sites) > 0 {
			out = append(out, impactConstraintFinding(rule, p, c, sites))
		}
	}
	return out
}

// impactConstraintSite reports whether a write the change does not touch
// stores request data in the constraint's columns, unchecked and
// unguarded: every field of a unique set, one of them from the request
// and none generated to be unique, with no form or serializer that checks
// the set first and no existence check; or a value from the request in a
// column the CheckConstraint covers, not validated (see
// unvalidated-check-write).
func impactConstraintSite(p *Pass, c impactConstraint, s viewSite) (impactSite, bool) {
	w, m := s.w, s.m
	site := impactSite{viewSite: s, start: w.ArgsStmt.Line, end: w.Stmt.EndLine}
	if w.StarArgs || w.Guard.Try != nil || w.Guard.Broad != nil || viewTouches(p, s.f.Path, site.start, site.end) ||
		impactIgnored(s.f, site.start, constraintBreaksWritesSlug) {
		return site, false
	}
	switch w.Kind {
	case writesite.WriteCreate, writesite.WriteSave:
	case writesite.WriteBulkCreate:
		if c.check != nil || viewTrue(w.Options["ignore_conflicts"]) || viewTrue(w.Options["update_conflicts"]) {
			return site, false
		}
	case writesite.WriteUpdate:
		if c.unique != nil {
			return site, false // one value for many rows: a different hazard
		}
	default:
		return site, false
	}
	if c.check != nil {
		hits := ucwHits(p.Project, s, map[*django.Constraint][]string{})
		return site, slices.ContainsFunc(hits, func(h ucwHit) bool { return slices.Contains(h.checks, c.check) })
	}
	var written []string
	for _, name := range viewWritten(m, w) {
		if !viewIsGenerated(w, m, name) {
			written = append(written, name)
		}
	}
	u := &viewUnique{fields: c.unique, kind: "constraint"}
	if viewCovering([]viewUnique{*u}, written, false) == nil {
		return site, false
	}
	fromRequest := slices.ContainsFunc(w.Kwargs, func(kw writesite.Kwarg) bool {
		n, ok := viewFieldName(m, kw.Name)
		return ok && kw.Request != "" && slices.Contains(c.unique, n)
	})
	if !fromRequest || ucwFormValidated(w) {
		return site, false
	}
	if name, _ := viewValidatedBy(p.Project, s, u); name != "" || viewCheckThenInsert(p.Project, s) != nil {
		return site, false
	}
	return site, true
}

// impactConstraintFinding reports the constraint where the model declares
// it when the change touches that, else at the migration's operation.
func impactConstraintFinding(rule *Rule, p *Pass, c impactConstraint, sites []impactSite) Finding {
	path, start, end := c.path, c.start, c.end
	if path == "" || start == 0 || !p.Change.Touches(path, start, end) {
		path, start, end = c.x.mig.Path, c.x.op.Line, c.x.op.EndLine
	}
	var b strings.Builder
	fmt.Fprintf(&b, "The change adds %s to a table that already has rows", c.what)
	if len(sites) == 1 {
		b.WriteString(", but a write the change does not touch stores")
	} else {
		fmt.Fprintf(&b, ", but %d writes the change does not touch store", len(sites))
	}
	if c.check != nil {
		b.WriteString(" request data in a column it covers with nothing that validates the value first: a value it refuses, which the database stored before,")
	} else {
		b.WriteString(" request data in the columns it covers with nothing that checks the value is free first: a value that is taken, which the database stored before,")
	}
	fmt.Fprintf(&b, " now fails with IntegrityError %s: a 500 where the write used to succeed.\n\n", c.error)
	related := make([]Location, 0, len(sites))
	for i, s := range sites {
		what := impactWhat(s)
		if i < impactMaxListed {
			fmt.Fprintf(&b, "- `%s:%d`: %s in %s `%s`\n", s.f.Path, s.start, what, s.role, impactFuncName(s.w.Func))
		}
		related = append(related, Location{Path: s.f.Path, StartLine: s.start, EndLine: s.end,
			Message: fmt.Sprintf("%s writes request data, unchecked, to the columns of %s (added by the change at %s:%d): IntegrityError %s.", what, c.what, path, start, c.error)})
	}
	if len(sites) > impactMaxListed {
		fmt.Fprintf(&b, "- and %d more\n", len(sites)-impactMaxListed)
	}
	if c.check != nil {
		b.WriteString("\nValidate the value before each write (a bound form or serializer and `is_valid()`, or a comparison) and answer 400 Bad Request, or catch IntegrityError there.")
	} else {
		b.WriteString("\nCheck the value before each write (a ModelForm or ModelSerializer validates uniqueness) and answer 409 Conflict or a form error, or catch IntegrityError there (`get_or_create()` when an existing row will do).")
	}
	key := c.model.Table + ":" + strings.Join(c.unique, ",")
	if c.check != nil {
		key = c.model.Table + ":check:" + migConstraintName(c.model, c.check.Name)
	}
	f := rule.finding(path, start, end, key, b.String())
	f.Related = related
	return f
}
