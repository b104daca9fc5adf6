package rules

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/djintegrity/djintegrity/rules/django"
	"github.com/djintegrity/djintegrity/rules/django/writesite"
	"github.com/djintegrity/djintegrity/rules/pyast"
	sitter "github.com/tree-sitter/go-tree-sitter"
)

// getOrCreateNonUnique reports get_or_create and update_or_create whose
// lookup no unique constraint covers: Django's own race handling (catch
// IntegrityError, then get) needs the constraint, so without it concurrent
// calls insert duplicates and later ones raise MultipleObjectsReturned.
var getOrCreateNonUnique = &Rule{
	Slug:     "get-or-create-non-unique",
	Severity: Notice,
	Views:    true,
	Summary:  "get_or_create/update_or_create whose lookup no unique constraint covers.",
	Demoted:  "on the judged findings of the ecosystem check it was right once in 5: it does not yet see callers that never run concurrently (soft-delete managers that match a partial unique constraint, and singletons, it now reads); it speaks in the check run until it does",
	check:    checkGetOrCreateNonUnique,
}

func checkGetOrCreateNonUnique(rule *Rule, p *Pass) []Finding {
	var out []Finding
	for _, s := range viewRaceSites(p) {
		w, m := s.w, s.m
		if m == nil || w.StarArgs || (w.Kind != writesite.WriteGetOrCreate && w.Kind != writesite.WriteUpdateOrCreate) {
			continue
		}
		// The lookup is the filter() before the call and every keyword
		// but the defaults.
		lookupKw := append([]writesite.Kwarg(nil), w.Lookup...)
		for _, kw := range w.Kwargs {
			if kw.Name != "defaults" && kw.Name != "create_defaults" {
				lookupKw = append(lookupKw, kw)
			}
		}
		lookup, ok := viewLookupFields(m, lookupKw)
		if !ok || len(lookup) == 0 {
			continue
		}
		sets, opaque := viewUniqueSets(m)
		// The values a created row gets: the lookup's, and create_defaults
		// (Django 5) or else defaults. A condition they pin covers every
		// row the call can insert.
		created := slices.Concat(lookupKw, viewCreateDefaults(w.Kwargs))
		if opaque || viewCovering(sets, lookup, false) != nil || p.Project.SingletonPK(m) != "" {
			continue // a singleton's every insert collides on its one primary key
		}
		// A partial constraint over the lookup's fields makes the losing
		// INSERT fail when the row created falls under its condition (by
		// the values given, or by the defaults of fields not given, as a
		// new row of a soft-delete model has deleted_at NULL): Django then
		// reads the winner's row.
		if u := viewColliding(m, sets, lookup, created); u != nil {
			continue
		}
		if w.Func.LocksBefore(w.Line) {
			continue // a lock taken first serialises the callers
		}
		if !viewTouches(p, s.f.Path, w.Stmt.Line, w.Stmt.EndLine) {
			continue
		}
		out = append(out, rule.finding(s.f.Path, w.Stmt.Line, w.Stmt.EndLine,
			viewKey(w, m, string(w.Kind)+":"+strings.Join(lookup, ",")), viewNonUniqueMessage(w, m, lookup, sets)))
	}
	return out
}

func viewNonUniqueMessage(w *writesite.Write, m *django.Model, lookup []string, sets []viewUnique) string {
	quoted := make([]string, 0, len(lookup))
	for _, f := range lookup {
		quoted = append(quoted, fmt.Sprintf("%q", f))
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s is not race-safe: no unique constraint covers its lookup (%s) on %s. "+
		"It runs a SELECT, then an INSERT when nothing matched, so two concurrent requests can both miss and both insert: "+
		"duplicate rows appear silently, and from then on every %s with this lookup raises %s.MultipleObjectsReturned "+
		"(\"get() returned more than one %s -- it returned 2!\").",
		viewWhat(w), strings.Join(lookup, ", "), m.Table, w.Kind, m.Name, m.Name)
	add := "Add"
	for _, u := range sets {
		if u.condition == "" || viewCovering([]viewUnique{u}, lookup, true) == nil {
			continue
		}
		fmt.Fprintf(&b, " Constraint %q covers these fields only when %s, and the rows this call creates fall outside it", u.name, u.condition)
		pairs, ok := viewConditionPairs(u.condition)
		if !ok {
			b.WriteString(".")
			break
		}
		args := make([]string, 0, len(pairs))
		for _, kv := range pairs {
			args = append(args, kv[0]+"="+kv[1])
		}
		fmt.Fprintf(&b, ": add `%s` to the lookup, so that it creates and matches only rows the constraint covers, or", strings.Join(args, ", "))
		add = "add"
		break
	}
	fmt.Fprintf(&b, " %s `models.UniqueConstraint(fields=[%s], name=%q)` to %s.Meta.constraints, "+
		"with a migration that removes existing duplicates first; %s then catches the loser's IntegrityError and returns the winner's row.",
		add, strings.Join(quoted, ", "), m.Table+"_"+strings.Join(lookup, "_")+"_uniq", m.Name, w.Kind)
	return b.String()
}

// viewConditionRe matches a UniqueConstraint condition of plain keyword
// terms: Q(active=True) or models.Q(status="open", deleted=False).
var viewConditionRe = regexp.MustCompile(`^(?:[A-Za-z_][\w.]*\.)?Q\((.*)\)$`)

// viewConditionPairs takes apart a condition of keyword terms; ok is
// false for anything more complex (|, ~, F(), positional Q objects).
func viewConditionPairs(cond string) ([][2]string, bool) {
	sm := viewConditionRe.FindStringSubmatch(strings.TrimSpace(cond))
	if sm == nil {
		return nil, false
	}
	var out [][2]string
	for _, part := range strings.Split(sm[1], ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok || k == "" || strings.ContainsAny(k, " ()[]'\"") || strings.ContainsAny(v, "()[]{}") {
			return nil, false
		}
		out = append(out, [2]string{k, v})
	}
	return out, len(out) > 0
}

// viewPinned returns the conditional unique constraint that covers a
// lookup and every row the write can insert (see viewUnderCondition), or
// nil.
func viewPinned(m *django.Model, sets []viewUnique, fields []string, lookup []writesite.Kwarg, filter [][2]string, inserted []writesite.Kwarg) *viewUnique {
	for i := range sets {
		u := &sets[i]
		if u.condition != "" && viewCovering([]viewUnique{*u}, fields, true) != nil && viewUnderCondition(m, u, lookup, filter, inserted) {
			return u
		}
	}
	return nil
}

// viewUnderCondition reports whether a partial unique constraint's
// condition holds both for the rows a lookup reads and for the row an
// insert writes. Each term (`active=True`, `deleted_at__isnull=True`) must
// be pinned on the read side (by the lookup, by the filter of the manager
// it goes through, as a soft-delete manager's get_queryset() filters, or
// by the inserted values) and hold for the inserted row: given in its
// values, or, when it gives the field no value, by the field's default
// (NULL for a nullable field without one). Then the losing INSERT of a
// race fails on the constraint, and the constraint covers every row the
// check could have found.
func viewUnderCondition(m *django.Model, u *viewUnique, lookup []writesite.Kwarg, filter [][2]string, inserted []writesite.Kwarg) bool {
	pairs, ok := viewConditionPairs(u.condition)
	if !ok {
		return false
	}
	for _, term := range pairs {
		term = viewNormTerm(term)
		read := viewTermIn(term, lookup) || viewTermIn(term, inserted) ||
			slices.ContainsFunc(filter, func(f [2]string) bool { return viewNormTerm(f) == term })
		written := viewTermIn(term, inserted) || !viewGivesField(m, term, inserted) && viewTermByDefault(m, term)
		if !read || !written {
			return false
		}
	}
	return true
}

// viewNormTerm writes a keyword term in one form: `name__exact=v` as
// `name=v`, `name=None` as `name__isnull=True`.
func viewNormTerm(t [2]string) [2]string {
	k := strings.TrimSuffix(t[0], "__exact")
	if t[1] == "None" && !strings.Contains(k, "__") {
		return [2]string{k + "__isnull", "True"}
	}
	return [2]string{k, t[1]}
}

// viewTermIn reports whether keyword values give a term.
func viewTermIn(term [2]string, kws []writesite.Kwarg) bool {
	return slices.ContainsFunc(kws, func(kw writesite.Kwarg) bool { return viewNormTerm([2]string{kw.Name, kw.Value}) == term })
}

// viewGivesField reports whether keyword values give the field a term
// is about any value.
func viewGivesField(m *django.Model, term [2]string, kws []writesite.Kwarg) bool {
	base, _, _ := strings.Cut(term[0], "__")
	name, ok := viewFieldName(m, base)
	return !ok || slices.ContainsFunc(kws, func(kw writesite.Kwarg) bool {
		n, ok := viewFieldName(m, kw.Name)
		return !ok || n == name
	})
}

// viewTermByDefault reports whether a row that gives the field of a term
// no value satisfies it: `f__isnull=True` for a nullable field with no
// default (or default=None), `f=v` for a field whose default is v.
func viewTermByDefault(m *django.Model, term [2]string) bool {
	name, lookup, _ := strings.Cut(term[0], "__")
	f := m.Field(name)
	if f == nil || f.Opaque || f.HasDBDefault {
		return false
	}
	def, hasDefault := f.Kwargs["default"]
	switch lookup {
	case "isnull":
		return term[1] == "True" && f.Null && (!hasDefault || def == "None")
	case "":
		return hasDefault && def == term[1]
	}
	return false
}

// viewCreateDefaults returns the entries of the dict literal a created row
// takes its other values from: create_defaults when given, else defaults.
// A dict that is not a literal gives none.
func viewCreateDefaults(kws []writesite.Kwarg) []writesite.Kwarg {
	src := ""
	for _, kw := range kws {
		switch {
		case kw.Name == "create_defaults":
			src = kw.Value
		case kw.Name == "defaults" && src == "":
			src = kw.Value
		}
	}
	if src == "" {
		return nil
	}
	t := pyast.Parse([]byte("_ = " + src))
	defer t.Close()
	var out []writesite.Kwarg
	pyast.Walk(t.Root(), func(n *sitter.Node) bool {
		if pyast.Kind(n) != "dictionary" {
			return true
		}
		for _, pair := range pyast.Children(n) {
			if pyast.Kind(pair) != "pair" {
				continue
			}
			if key, ok := t.String(pyast.Field(pair, "key")); ok {
				out = append(out, writesite.Kwarg{Name: key, Value: t.Text(pyast.Field(pair, "value"))})
			}
		}
		return false // the outermost dict only
	})
	return out
}
