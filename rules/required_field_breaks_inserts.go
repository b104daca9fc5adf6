package rules

import (
	"bytes"
	"cmp"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/djintegrity/djintegrity/rules/django"
	"github.com/djintegrity/djintegrity/rules/django/writesite"
)

// requiredFieldBreaksInserts reports a model change that makes a field
// required (a new NOT NULL field with no default, null=True removed, a
// default removed) while inserts the change does not touch, anywhere in
// the repository, give that field no value: each of them fails with
// IntegrityError on its first run after the deploy. The finding sits on
// the changed field and lists the inserts; each insert is also a related
// location of its own.
//
// It reads the repository beyond the review's context: ImpactSearch names
// the models, the review adds every file that names one (Pass.Sites). It
// is as conservative as missing-required-field, whose site checks it
// shares: an insert whose fields are not all known, a model whose save()
// or bases may fill fields, tests and data migrations are left out, and so
// is an insert that the index reads as failing already.
var requiredFieldBreaksInserts = &Rule{
	Slug:     requiredFieldBreaksInsertsSlug,
	Severity: Error,
	Summary:  "A field made required (NOT NULL, no default) that unchanged inserts elsewhere do not set.",
	check:    checkRequiredFieldBreaksInserts,
}

const requiredFieldBreaksInsertsSlug = "required-field-breaks-inserts"

// impactRequired is a field the change makes required: inserts that leave
// it out stored NULL or the default before the change, and fail after it.
type impactRequired struct {
	model *django.Model // the concrete model, in Pass.Project
	field *django.Field // its field at head
	x     migOp         // the operation of the change that makes it so; none for a default dropped from the model alone
	// was says what the field was before: "" for a new field, "nullable",
	// or the default it loses (source text, "default=0").
	was string
	// fill is the value a suggested default may take when it is known to
	// suit: the migration's one-off default, or the default the field
	// loses; "" when a placeholder must stand in.
	fill string
}

// impactRequiredFields lists the fields the change makes required, in
// plan order: from the AddField and AlterField operations of the change's
// migrations, checked against the head's models, which decide what an
// insert writes. A field whose migration is not in the change is left to
// missing-migration.
func impactRequiredFields(p *Pass) []impactRequired {
	if p.Project == nil {
		return nil
	}
	var out []impactRequired
	seen := map[*django.Field]bool{}
	ops := migChangedOps(p)
	for i, x := range ops {
		op := x.op
		if op.Kind != "AddField" && op.Kind != "AlterField" || op.Field == nil || op.Unread || impactLaterOp(ops[i+1:], x) {
			continue
		}
		m := p.Project.FindModel(x.mig.App, op.Model)
		if m == nil || m.Abstract || m.Proxy || !m.Managed || m.App == nil || m.App.Ambiguous || m.Partial() {
			continue
		}
		fl := m.Field(op.Name)
		if fl == nil || seen[fl] || fl.Name != op.Name || !impactRequiredAtHead(fl) || !migNotNull(op.Field) || migGiven(op.Field, "db_default") {
			continue
		}
		// The column as the head's migrations leave it must agree, when
		// the replay can tell (a RunSQL elsewhere may leave the model's
		// state opaque: no later operation of the change touches the field
		// then, which is all that matters here).
		st := p.History().Model(x.mig.App, op.Model)
		if st == nil || !st.Opaque && (st.Field(op.Name) == nil || !migNotNull(st.Field(op.Name)) || migGiven(st.Field(op.Name), "db_default")) {
			continue
		}
		r := impactRequired{model: m, field: fl, x: x}
		if op.Kind == "AddField" {
			if x.before != nil && !x.before.Opaque && x.before.Field(op.Name) != nil {
				continue
			}
			if op.Preserve && migGiven(op.Field, "default") {
				r.fill = impactLiteral(op.Field.Kwargs["default"])
			}
			seen[fl] = true
			out = append(out, r)
			continue
		}
		// What the field was when the deploy starts (the change may alter
		// it twice): the replayed state, or else the model as it was
		// before the change.
		var old *django.Field
		if start := migChangeStartState(p, x); start != nil && !start.Opaque {
			if old = start.Field(op.Name); old == nil {
				// Added by the change, nullable first and NOT NULL now,
				// as a backfill between wants it: new all the same.
				seen[fl] = true
				out = append(out, r)
				continue
			}
		} else {
			old = impactBaseField(p, fl, cmp.Or(fl.Inherited, m.Name))
		}
		if old == nil {
			continue
		}
		null, known := migFlag(old, "null")
		switch {
		case !known:
			continue
		case null:
			r.was = "nullable"
		case old.HasDefault && migGiven(old, "default"):
			r.was = "default=" + old.Kwargs["default"]
			r.fill = impactLiteral(old.Kwargs["default"])
		case old.HasDBDefault && migGiven(old, "db_default"):
			r.was = "db_default=" + old.Kwargs["db_default"]
		default:
			continue // required already
		}
		seen[fl] = true
		out = append(out, r)
	}
	return append(out, impactDefaultsDropped(p, seen)...)
}

// impactDefaultsDropped lists the fields whose default the change removes
// from the model with no migration of it in the change (seen holds the
// fields the migrations gave): a Python default is no part of the schema,
// so the column is NOT NULL already and nothing else changes. The field
// must be on a line the change edits, and its class must have declared it
// with a default before the change.
func impactDefaultsDropped(p *Pass, seen map[*django.Field]bool) []impactRequired {
	var out []impactRequired
	h := p.History()
	for _, key := range slices.Sorted(maps.Keys(p.Project.Models)) {
		m := p.Project.Models[key]
		if m.Abstract || m.Proxy || !m.Managed || m.App == nil || m.App.Ambiguous || m.Partial() {
			continue
		}
		for _, fl := range m.Fields {
			if seen[fl] || fl.Path == "" || !p.Change.Edits(fl.Path, fl.Line, fl.EndLine) || !impactRequiredAtHead(fl) {
				continue
			}
			st := h.Model(m.App.Label, m.Name)
			if st == nil || st.Opaque || st.Field(fl.Name) == nil || !migNotNull(st.Field(fl.Name)) || migGiven(st.Field(fl.Name), "db_default") {
				continue
			}
			old := impactBaseField(p, fl, cmp.Or(fl.Inherited, m.Name))
			if old == nil || old.Null || !old.HasDefault || !migGiven(old, "default") || old.Type != fl.Type {
				continue
			}
			seen[fl] = true
			out = append(out, impactRequired{model: m, field: fl, was: "default=" + old.Kwargs["default"], fill: impactLiteral(old.Kwargs["default"])})
		}
	}
	return out
}

// impactRequiredAtHead reports whether an insert that leaves the field out
// stores NULL in a NOT NULL column (see missing-required-field).
func impactRequiredAtHead(fl *django.Field) bool {
	return !fl.Null && !fl.Opaque && !fl.PrimaryKey && !fl.AutoNow && !fl.HasDefault && !fl.HasDBDefault &&
		mrfNullTypes[fl.Type] && fl.Kwargs["parent_link"] != "True"
}

// impactLiteral returns a default's source text when it is a literal that
// means the same in a models module as in a migration: a number, a string,
// True or False. "" for anything else (a callable, a name).
func impactLiteral(v string) string {
	v = strings.TrimSpace(v)
	switch {
	case v == "True" || v == "False":
		return v
	case len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] && !strings.ContainsAny(v[1:len(v)-1], `"'\`):
		return v
	}
	s := strings.TrimPrefix(v, "-")
	if s == "" {
		return ""
	}
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) && s[i] != '.' {
			return ""
		}
	}
	return v
}

// impactFilledBySignal reports whether one of the signalled files (see
// signalFiles), which use a signal that can fill fields before an insert,
// names the model and mentions the field as an attribute
// (instance.birth_year = ...): the inserts may get their value there.
func impactFilledBySignal(signalled []*django.File, m *django.Model, fl *django.Field) bool {
	attr := []byte("." + fl.Name)
	for _, f := range signalled {
		if ContainsWord(f.Src, m.Name) && bytes.Contains(f.Src, attr) {
			return true
		}
	}
	return false
}

// signalFiles returns the files of p that use a signal that can fill a
// field before an insert (see impactSignals): found once per pass, not
// once per field, as a review of a whole tree asks about every field.
func signalFiles(p *django.Project) []*django.File {
	var out []*django.File
	for _, f := range p.Files {
		if impactSignals(f.Src) {
			out = append(out, f)
		}
	}
	return out
}

func checkRequiredFieldBreaksInserts(rule *Rule, p *Pass) []Finding {
	fields := impactRequiredFields(p)
	if len(fields) == 0 {
		return nil
	}
	sp := p.sitesPass()
	// Every field the change makes required, by model: an insert that
	// misses two of them fails for both.
	required := map[string][]*django.Field{}
	for _, r := range fields {
		required[r.model.Key()] = append(required[r.model.Key()], r.field)
	}
	var out []Finding
	signalled := signalFiles(sp.Project)
	for _, r := range fields {
		m := sp.Project.FindModel(r.model.App.Label, r.model.Name)
		if m == nil {
			continue
		}
		if impactFilledBySignal(signalled, m, r.field) {
			continue
		}
		sites := impactInsertSites(sp, m, r.field, required[r.model.Key()])
		if len(sites) == 0 {
			continue
		}
		out = append(out, impactRequiredFinding(rule, p, r, sites))
	}
	return out
}

// impactInsertSites lists, in path and line order, the inserts of m in
// p.Project that the change does not touch and that leave fl NULL, and
// nothing else NULL but the fields in required.
func impactInsertSites(p *Pass, m *django.Model, fl *django.Field, required []*django.Field) []impactSite {
	var out []impactSite
	impactWrites(p, m, func(vs viewSite) {
		w := vs.w
		if w.StarArgs || w.Positional || w.Escaped {
			return
		}
		start, end := w.Stmt.Line, w.Stmt.EndLine
		switch {
		case w.Kind == writesite.WriteCreate:
		case w.Kind == writesite.WriteSave && w.Insert && w.UpdateFields == nil:
			start = w.ArgsStmt.Line
		case w.Kind == writesite.WriteBulkCreate && !viewTrue(w.Options["ignore_conflicts"]):
		default:
			return
		}
		s := impactSite{viewSite: vs, start: start, end: end}
		// A site the change touches is missing-required-field's.
		if viewTouches(p, vs.f.Path, start, end) || mrfOpaque(p, vs, m) || impactIgnored(vs.f, start, requiredFieldBreaksInsertsSlug, missingRequiredField.Slug) {
			return
		}
		nulls, ok := mrfNulls(m, w)
		if !ok {
			return
		}
		hit, other := false, false
		for _, n := range nulls {
			switch {
			case n.field.Name == fl.Name:
				hit, s.explicit = true, n.explicit
			case !slices.ContainsFunc(required, func(r *django.Field) bool { return r.Name == n.field.Name }):
				other = true
			}
		}
		// An insert the index reads as failing before the change too is
		// one it misreads, or dead code: not this change's doing.
		if hit && !other {
			out = append(out, s)
		}
	})
	return out
}

// impactRequiredFinding reports the field at its line in the model when
// the change touches it, else at the migration's operation.
func impactRequiredFinding(rule *Rule, p *Pass, r impactRequired, sites []impactSite) Finding {
	fl, m := r.field, r.model
	path, start, end := fl.Path, fl.Line, fl.EndLine
	atField := path != "" && p.Change.Touches(path, start, end)
	if !atField && r.x.op != nil {
		path, start, end = r.x.mig.Path, r.x.op.Line, r.x.op.EndLine
	}
	col := fl.Column()
	sqlite := fmt.Sprintf("`NOT NULL constraint failed: %s.%s`", m.Table, col)
	pg := fmt.Sprintf("`null value in column \"%s\" of relation \"%s\" violates not-null constraint`", col, m.Table)

	var b strings.Builder
	name := m.Name + "." + fl.Name
	switch {
	case r.was == "" && r.x.op != nil && r.x.op.Preserve && migGiven(r.x.op.Field, "default"):
		fmt.Fprintf(&b, "The change adds %s as NOT NULL with no default (the migration's one-off default, preserve_default=False, fills only the rows that exist)", name)
	case r.was == "":
		fmt.Fprintf(&b, "The change adds %s as NOT NULL with no default", name)
	case r.was == "nullable":
		fmt.Fprintf(&b, "The change makes %s NOT NULL (it was nullable), with no default", name)
	default:
		fmt.Fprintf(&b, "The change drops the default of %s (`%s`), a NOT NULL column", name, r.was)
	}
	if len(sites) == 1 {
		fmt.Fprintf(&b, ", but an insert the change does not touch %s: it fails after the deploy", impactVerb(sites, fl, "gives it no value", "passes"))
	} else {
		fmt.Fprintf(&b, ", but %d inserts the change does not touch %s: each fails after the deploy", len(sites), impactVerb(sites, fl, "give it no value", "pass"))
	}
	fmt.Fprintf(&b, " with IntegrityError %s (PostgreSQL: %s).\n\n", sqlite, pg)
	related := make([]Location, 0, len(sites))
	offFiles := false
	for i, s := range sites {
		what := impactWhat(s)
		if i < impactMaxListed {
			fmt.Fprintf(&b, "- `%s:%d`: %s in %s `%s`%s\n", s.f.Path, s.start, what, s.role, impactFuncName(s.w.Func), impactExplicit(s))
		}
		related = append(related, Location{Path: s.f.Path, StartLine: s.start, EndLine: s.end,
			Message: fmt.Sprintf("%s %s %s, %s: IntegrityError %s (PostgreSQL: %s).",
				what, impactGives(s), name, impactWhich(r, fmt.Sprintf("%s:%d", path, start)), sqlite, pg)})
		if _, touched := p.Change[s.f.Path]; !touched {
			offFiles = true
		}
	}
	if len(sites) > impactMaxListed {
		fmt.Fprintf(&b, "- and %d more\n", len(sites)-impactMaxListed)
	}
	pass := fmt.Sprintf("`%s=`", fl.Name)
	if fl.IsRelation() {
		pass = fmt.Sprintf("`%s=` (an instance) or `%s_id=`", fl.Name, fl.Name)
	}
	where := "there"
	if len(sites) > 1 {
		where = "at each"
	}
	fmt.Fprintf(&b, "\nPass a value as %s %s", pass, where)
	f := rule.finding(path, start, end, m.Table+"."+col, "")
	f.Related = related
	// The default is the fix that stays inside this change when inserts
	// lie in files it does not touch, and it helps only inserts that leave
	// the field out.
	if s, note, ok := impactDefault(p, r, path, start, end, atField && offFiles && !slices.ContainsFunc(sites, func(s impactSite) bool { return s.explicit != "" })); ok {
		f.Suggestion = &s
		b.WriteString("; or, if rows may be inserted without it, give the field a default (the suggestion" + note + "), with its migration")
	} else {
		b.WriteString("; or, if rows may be inserted without it, give the field a default or `null=True`, with its migration")
	}
	b.WriteString(".")
	f.Message = b.String()
	return f
}

// impactDefault rewrites the field's lines with a default: the value the
// field had or the migration's one-off default when known, else the
// neutral placeholder of its type. note says which.
func impactDefault(p *Pass, r impactRequired, path string, start, end int, offer bool) (suggestion, note string, ok bool) {
	if !offer {
		return "", "", false
	}
	trees := migTrees{}
	defer trees.close()
	t := trees.get(p, path)
	if t == nil {
		return "", "", false
	}
	text, ok := t.lines(start, end)
	if !ok {
		return "", "", false
	}
	value := r.fill
	if r.field.IsRelation() {
		return "", "", false // a row's id is no default to suggest
	}
	switch {
	case value != "" && r.was != "":
		note = fmt.Sprintf(": `default=%s`, the one it had", value)
	case value != "":
		note = fmt.Sprintf(": `default=%s`, the migration's one-off default", value)
	default:
		value = migZero(r.field.Type, migQuote(text))
		if value == "" {
			return "", "", false
		}
		note = fmt.Sprintf("; %s is a placeholder: choose the value such rows should get", value)
	}
	call := t.callAt(start, r.field.Type)
	edits, ok := migAddKwargs(t.ast(), call, "default="+value)
	if !ok {
		return "", "", false
	}
	s, ok := migRewrite(t.Src, start, end, edits)
	return s, note, ok
}

// impactVerb says what the sites do with the field: omit, the verb
// phrase for leaving it out, and pass, the verb for passing None.
func impactVerb(sites []impactSite, fl *django.Field, omit, pass string) string {
	none := slices.ContainsFunc(sites, func(s impactSite) bool { return s.explicit != "" })
	left := slices.ContainsFunc(sites, func(s impactSite) bool { return s.explicit == "" })
	switch {
	case none && left:
		return omit + " or " + pass + " None"
	case none:
		return fmt.Sprintf("%s `%s=None`", pass, fl.Name)
	}
	return omit
}

// impactWhich says, for a site, what the change at where does to the
// field.
func impactWhich(r impactRequired, where string) string {
	switch r.was {
	case "":
		return "which the change at " + where + " adds as NOT NULL with no default"
	case "nullable":
		return "which the change at " + where + " makes NOT NULL"
	}
	return "whose default the change at " + where + " drops"
}

// impactGives says what one site does with the field.
func impactGives(s impactSite) string {
	if s.explicit != "" {
		return fmt.Sprintf("passes `%s=None` to", s.explicit)
	}
	return "gives no value for"
}
func impactExplicit(s impactSite) string {
	if s.explicit != "" {
		return fmt.Sprintf(" (passes `%s=None`)", s.explicit)
	}
	return ""
}
