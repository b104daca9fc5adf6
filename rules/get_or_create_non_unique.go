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
	Demoted:  "on the judged findings of the ecosystem check it was right once in 5: it does not yet see soft-delete managers that match a partial unique constraint, singletons, or callers that never run concurrently; it speaks in the check run until it does",
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
		if opaque || viewCovering(sets, lookup, false) != nil || viewPinned(sets, lookup, created) {
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
		fmt.Fprintf(&b, " Constraint %q covers the lookup only when %s", u.name, u.condition)
		pairs, ok := viewConditionPairs(u.condition)
		if !ok {
			b.WriteString(".")
			break
		}
		args := make([]string, 0, len(pairs))
		for _, kv := range pairs {
			args = append(args, kv[0]+"="+kv[1])
		}
		fmt.Fprintf(&b, ": add `%s` to the lookup, so that it matches only rows the constraint covers, or", strings.Join(args, ", "))
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

// viewPinned reports whether a conditional unique constraint covers the
// lookup and the values of a created row pin its condition (`active=True`
// for Q(active=True), in the lookup or the defaults): every row the call
// inserts is then under the constraint, so the losing INSERT of a race
// fails on it and Django's get_or_create reads the winner's row instead.
func viewPinned(sets []viewUnique, lookup []string, kws []writesite.Kwarg) bool {
	for _, u := range sets {
		if u.condition == "" || viewCovering([]viewUnique{u}, lookup, true) == nil {
			continue
		}
		pairs, ok := viewConditionPairs(u.condition)
		if !ok {
			continue
		}
		pinned := true
		for _, kv := range pairs {
			if !slices.ContainsFunc(kws, func(kw writesite.Kwarg) bool {
				return strings.TrimSuffix(kw.Name, "__exact") == kv[0] && kw.Value == kv[1]
			}) {
				pinned = false
			}
		}
		if pinned {
			return true
		}
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
