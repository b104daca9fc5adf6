package rules

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/djintegrity/djintegrity/rules/django"
	"github.com/djintegrity/djintegrity/rules/django/writesite"
)

// The impact rules (required-field-breaks-inserts, constraint-breaks-writes)
// report a model change at the change, for the write sites elsewhere in the
// repository that it breaks. What they share: the search that adds to the
// review the files naming the models (ImpactSearch, ImpactFile,
// ImpactSkipped; Pass.Sites), the walk over those files' writes, and the
// naming of a site in a message.

// impactMaxListed bounds the sites a message lists; the rest are counted.
const impactMaxListed = 10

// impactBaseField returns field fl as class declared it before the change,
// or nil.
func impactBaseField(p *Pass, fl *django.Field, class string) *django.Field {
	f, ok := p.baseParsed(fl.Path)
	if !ok {
		return nil
	}
	for _, c := range f.Classes {
		if c.Name != class {
			continue
		}
		for _, f := range c.Fields {
			if f.Name == fl.Name {
				return f
			}
		}
	}
	return nil
}

// impactLaterOp reports whether an operation of later (the change's
// operations after x, in plan order) works on x's field again, or on its
// model as a whole.
func impactLaterOp(later []migOp, x migOp) bool {
	return slices.ContainsFunc(later, func(y migOp) bool {
		if y.mig.App != x.mig.App {
			return false
		}
		switch y.op.Kind {
		case "DeleteModel", "RenameModel":
			return strings.EqualFold(y.op.Model, x.op.Model) || strings.EqualFold(y.op.OldName, x.op.Model)
		}
		return strings.EqualFold(y.op.Model, x.op.Model) && (y.op.Name == x.op.Name || y.op.OldName == x.op.Name)
	})
}

// ImpactSearch returns what a review must add to Pass.Sites for the rules
// that look past the change: byte strings, one of which every file that
// names a model the change makes stricter contains (the model's class
// name; for the user model, get_user_model and AUTH_USER_MODEL too). Nil
// when the change makes no model stricter or those rules are off: the
// review then reads nothing more. enabled is Analyze's; ctx bounds the
// migration replay the answer needs (the pass keeps it for the rules):
// when ctx ends, Analyze runs no rule on what it left.
func ImpactSearch(ctx context.Context, p *Pass, enabled func(slug string) bool) []string {
	p.ctx = ctx
	on := func(slug string) bool { return enabled == nil || enabled(slug) }
	var models []*django.Model
	if on(requiredFieldBreaksInsertsSlug) {
		for _, r := range impactRequiredFields(p) {
			models = append(models, r.model)
		}
	}
	if on(constraintBreaksWritesSlug) {
		for _, c := range impactConstraints(p) {
			models = append(models, c.model)
		}
	}
	set := map[string]bool{}
	for _, m := range models {
		set[m.Name] = true
		if m == p.Project.UserModel() {
			set["get_user_model"], set["AUTH_USER_MODEL"] = true, true
		}
	}
	return slices.Sorted(maps.Keys(set))
}

// ImpactFile reports whether a file a search for needles found matters to
// the impact rules, so that the review indexes it: it uses a needle as a
// whole word the way a write does (Order.objects..., Order(...), a quoted
// "Order" for apps.get_model, an import of it under another name; not
// OrderLine, not a type hint), and it calls create(), save() or update(),
// as every write does (or a user manager's create_user()), or uses a
// signal that may fill fields before an insert.
func ImpactFile(src []byte, needles []string) bool {
	if impactSignals(src) {
		return slices.ContainsFunc(needles, func(n string) bool { return ContainsWord(src, n) })
	}
	if !writesite.HasWriteMarker(src) {
		return false
	}
	return slices.ContainsFunc(needles, func(n string) bool { return impactWord(src, n, impactUse) })
}

// impactUse reports whether what surrounds a model's name is what a use of
// it in a write takes: a call, an attribute, the end of a string or of a
// call's arguments, the first argument of a call
// (get_object_or_404(Order, ...)), or " as " (an import under another
// name).
func impactUse(before, after []byte) bool {
	after = bytes.TrimLeft(after, " \t")
	before = bytes.TrimRight(before, " \t")
	switch {
	case len(after) == 0:
		return false
	case bytes.IndexByte([]byte("(.)\"'"), after[0]) >= 0, bytes.HasPrefix(after, []byte("as ")):
		return true
	}
	return after[0] == ',' && len(before) > 0 && before[len(before)-1] == '('
}

// impactWord reports whether src holds word with no identifier character
// on either side, where use accepts what comes before and after it.
func impactWord(src []byte, word string, use func(before, after []byte) bool) bool {
	w := []byte(word)
	for i := 0; ; {
		j := bytes.Index(src[i:], w)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(w)
		i = start + 1
		if (start == 0 || !isWordByte(src[start-1])) && (end == len(src) || !isWordByte(src[end])) && use(src[:start], src[end:]) {
			return true
		}
	}
}

// ContainsWord reports whether src holds word with no identifier
// character (letter, digit, underscore) on either side, as `git grep -w`
// matches it.
func ContainsWord(src []byte, word string) bool {
	return impactWord(src, word, func(_, _ []byte) bool { return true })
}

// impactSignals reports whether src uses a signal that can fill a field
// before an insert: a pre_save or post_init receiver.
func impactSignals(src []byte) bool {
	return bytes.Contains(src, []byte("pre_save")) || bytes.Contains(src, []byte("post_init"))
}

// ImpactSkipped reports whether a path is one the impact rules never
// report a site in, so that a review need not search it: tests, fixtures
// and migrations (a data migration's historical models predate the
// change).
func ImpactSkipped(path string) bool {
	return django.IsTestPath(path) || strings.Contains("/"+path, "/migrations/")
}

// impactSite is a write the change does not touch that the change breaks:
// its lines, and for an insert, the keyword that passes None.
type impactSite struct {
	viewSite
	start, end int
	explicit   string // the keyword that passes None, when it does
}

// impactWrites calls visit, in path and line order, for each write site
// of model m (or of a proxy of it) in p.Project inside a function, outside
// tests, migrations and what paths.views and paths.exclude leave out.
func impactWrites(p *Pass, m *django.Model, visit func(s viewSite)) {
	for _, path := range slices.Sorted(maps.Keys(p.Project.Files)) {
		f := p.Project.Files[path]
		if len(f.Writes) == 0 || ImpactSkipped(path) || p.IsWritePath != nil && !p.IsWritePath(path) {
			continue
		}
		for _, w := range f.Writes {
			if w.Func == nil {
				continue
			}
			role := p.Project.Role(f, w.Func)
			if role == django.RoleTest || role == django.RoleMigration {
				continue
			}
			if w, sm := viewResolve(p, f, w); sm != nil && mrfConcrete(sm, 0) == m {
				visit(viewSite{f: f, w: w, m: sm, role: role})
			}
		}
	}
}

// impactIgnored reports whether an ignore comment for one of rules (or
// for every rule) sits on line or the line above, or an ignore-file
// comment for one of them in the file: the site is known to be safe where
// the tool cannot see.
func impactIgnored(f *django.File, line int, rules ...string) bool {
	if !bytes.Contains(f.Src, []byte("djintegrity:")) {
		return false
	}
	return slices.ContainsFunc(rules, func(r string) bool { return SuppressedAt(f.Lines(), line, r) })
}

// impactWhat names an insert for a message.
func impactWhat(s impactSite) string {
	if s.w.Kind == writesite.WriteSave && s.w.Insert {
		return fmt.Sprintf("`%s(...)` then `%s.save()`", cmp.Or(s.w.Model, s.m.Name), s.w.Instance)
	}
	return viewWhat(s.w)
}

// impactFuncName is "Class.method" or "function".
func impactFuncName(fn *writesite.Function) string {
	if fn.Class != "" {
		return fn.Class + "." + fn.Name
	}
	return fn.Name
}
