package migstate

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/djintegrity/djintegrity/rules/django"
)

// ModelState is a model as the migrations leave it: what the database
// holds, as far as the replay understands the operations. A ModelState is
// never changed once an operation has been replayed past it; the replay
// copies it first, so that History.Before can hand out snapshots.
type ModelState struct {
	App  string // app label
	Name string // as the creating operation wrote it ("Product")
	// Fields in order. Relation targets are normalised to "app.model" in
	// lower case ("self" and bare names resolved); swappable targets
	// (settings.AUTH_USER_MODEL) are kept as written.
	Fields  []*django.Field
	Options django.Meta // db_table, unique_together, constraints, managed, proxy
	// Created is the migration whose CreateModel made the table, nil when
	// the replay met the model without seeing it created.
	Created *django.Migration
	// Opaque is set once something the replay cannot follow touched the
	// model: an unknown operation, RunSQL that alters its table, an
	// AlterField whose field could not be read. Rules then say nothing.
	Opaque bool
}

// Key is "app.model" in lower case, as the replay files the state.
func (s *ModelState) Key() string { return stateKey(s.App, s.Name) }

// Table is the database table: db_table, or app_label_modelname.
func (s *ModelState) Table() string {
	if s.Options.DBTable != "" {
		return s.Options.DBTable
	}
	return s.App + "_" + strings.ToLower(s.Name)
}

// Field returns the field named name, or nil.
func (s *ModelState) Field(name string) *django.Field {
	for _, f := range s.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

func stateKey(app, model string) string { return strings.ToLower(app + "." + model) }

// History is the result of replaying every app's migrations in dependency
// order, as `makemigrations` does before it compares with the models.
type History struct {
	// Plan holds the migrations in an order that respects their
	// dependencies. A squashed migration stands in for those it replaces.
	Plan []*django.Migration
	// Models is the final state, by lower-case "app.model".
	Models map[string]*ModelState
	// OpaqueApps lists apps where an operation the replay cannot attribute
	// to a model ran: their final state is not trusted.
	OpaqueApps map[string]bool

	before map[*django.Operation]*ModelState
	deps   map[*django.Migration][]*django.Migration
}

// Model returns the final state of model name of app label, or nil.
func (h *History) Model(label, name string) *ModelState { return h.Models[stateKey(label, name)] }

// Before returns the state, just before op runs, of the model op works on
// (for RenameModel the old name), or nil when the model did not exist or op
// was not replayed. An operation inside SeparateDatabaseAndState's
// database_operations sees the state before the SeparateDatabaseAndState.
func (h *History) Before(op *django.Operation) *ModelState { return h.before[op] }

// Ancestors returns every migration of the plan that m depends on,
// directly or not, in plan order.
func (h *History) Ancestors(m *django.Migration) []*django.Migration {
	seen := map[*django.Migration]bool{}
	stack := slices.Clone(h.deps[m])
	for len(stack) > 0 {
		d := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if seen[d] || d == m {
			continue
		}
		seen[d] = true
		stack = append(stack, h.deps[d]...)
	}
	var out []*django.Migration
	for _, x := range h.Plan {
		if seen[x] {
			out = append(out, x)
		}
	}
	return out
}

// Replay orders the project's migrations and applies their state
// operations. It reads the project and changes nothing in it; the History
// is the caller's to keep. It stops between operations when ctx ends: the
// history is then partial, and its error says so.
func Replay(ctx context.Context, p *django.Project) (*History, error) {
	h := &History{
		Models:     map[string]*ModelState{},
		OpaqueApps: map[string]bool{},
		before:     map[*django.Operation]*ModelState{},
	}
	h.Plan, h.deps = plan(p)
	for _, m := range h.Plan {
		if err := ctx.Err(); err != nil {
			return h, fmt.Errorf("replay migrations: %w", err)
		}
		for _, op := range m.Operations {
			if err := ctx.Err(); err != nil {
				return h, fmt.Errorf("replay migrations: %w", err)
			}
			h.record(m.App, op)
			if op.Kind == "SeparateDatabaseAndState" {
				for _, d := range op.DatabaseOperations {
					h.record(m.App, d)
				}
			}
			h.apply(m, op)
		}
		if m.Opaque {
			h.opaqueApp(m.App) // operations built by code may touch any model of the app
		}
	}
	// A dependency the tree does not hold: Django refuses the whole graph,
	// and what the missing migration did to its app is not known, nor what
	// the app of the migration that needs it relies on.
	for _, app := range p.Apps {
		for _, m := range app.Migrations {
			for _, d := range m.Dangling {
				h.opaqueApp(m.App)
				h.opaqueApp(d.App)
			}
		}
	}
	return h, nil
}

// record notes the state of the model op works on, just before it runs.
func (h *History) record(app string, op *django.Operation) {
	name := op.Model
	if op.Kind == "RenameModel" {
		name = op.OldName
	}
	if s := h.Models[stateKey(app, name)]; s != nil && name != "" {
		h.before[op] = s
	}
}

// harmless operations change nothing the rules compare (indexes, options,
// comments, extensions) or only rows.
var harmless = map[string]bool{
	"AddIndex": true, "RemoveIndex": true, "RenameIndex": true, "AlterIndexTogether": true,
	"AddIndexConcurrently": true, "RemoveIndexConcurrently": true,
	"AlterModelOptions": true, "AlterModelManagers": true, "AlterModelTableComment": true,
	"AlterOrderWithRespectTo": true, "RunPython": true,
	"CreateExtension": true, "BloomExtension": true, "BtreeGinExtension": true, "BtreeGistExtension": true,
	"CITextExtension": true, "CryptoExtension": true, "HStoreExtension": true, "TrigramExtension": true,
	"UnaccentExtension": true, "CreateCollation": true, "RemoveCollation": true,
}

// cow returns a copy of the state of key, installed in place of the old
// one, so that snapshots taken before stay as they were. The copy shares
// the old one's slices: an append writes past the old one's length, which
// it does not see, so a migration adding thousands of fields to a model
// costs no copy of them per operation; a change in place must own its
// slice first (ownFields, ownConstraints, ownUniqueTogether).
func (h *History) cow(key string) *ModelState {
	old := h.Models[key]
	if old == nil {
		return nil
	}
	s := *old
	h.Models[key] = &s
	return &s
}

// ownFields gives s its own Fields before a change in place.
func (s *ModelState) ownFields() { s.Fields = slices.Clone(s.Fields) }

// ownConstraints gives s its own constraints before a change in place.
func (s *ModelState) ownConstraints() { s.Options.Constraints = slices.Clone(s.Options.Constraints) }

// ownUniqueTogether gives s its own unique_together before a change in
// place.
func (s *ModelState) ownUniqueTogether() {
	s.Options.UniqueTogether = slices.Clone(s.Options.UniqueTogether)
}

// target returns the copy to change for an operation on model name of app;
// a model the replay never saw created gets an opaque stand-in.
func (h *History) target(app, name string) *ModelState {
	key := stateKey(app, name)
	if s := h.cow(key); s != nil {
		return s
	}
	s := &ModelState{App: app, Name: name, Opaque: true}
	h.Models[key] = s
	return s
}

// apply replays one operation of migration m into the state. An
// operation whose arguments were not all read leaves its model opaque, or
// its app when which model is not known: a RemoveField of a name given by
// a variable must not leave the column in the state for a rule to call it
// forgotten.
func (h *History) apply(m *django.Migration, op *django.Operation) {
	app := m.App
	if op.Unread {
		if op.Model != "" {
			h.target(app, op.Model).Opaque = true
		} else {
			h.opaqueApp(app)
		}
		return
	}
	switch op.Kind {
	case "CreateModel":
		h.createModel(m, op)
	case "DeleteModel":
		delete(h.Models, stateKey(app, op.Model))
	case "RenameModel":
		h.renameModel(app, op)
	case "AlterModelTable":
		if s := h.target(app, op.Model); s != nil {
			s.Options.DBTable = op.Options.DBTable
		}
	case "AddField", "AlterField":
		h.setField(app, op)
	case "RemoveField":
		s := h.target(app, op.Model)
		s.ownFields()
		s.Fields = slices.DeleteFunc(s.Fields, func(x *django.Field) bool { return x.Name == op.Name })
	case "RenameField":
		h.renameField(app, op)
	case "AddConstraint":
		s := h.target(app, op.Model)
		if op.Constraint == nil {
			s.Opaque = true
			return
		}
		named := func(c *django.Constraint) bool { return c.Name == op.Constraint.Name }
		if slices.ContainsFunc(s.Options.Constraints, named) {
			s.ownConstraints()
			s.Options.Constraints = slices.DeleteFunc(s.Options.Constraints, named)
		}
		s.Options.Constraints = append(s.Options.Constraints, op.Constraint)
	case "RemoveConstraint":
		s := h.target(app, op.Model)
		s.ownConstraints()
		s.Options.Constraints = slices.DeleteFunc(s.Options.Constraints, func(c *django.Constraint) bool { return c.Name == op.ConstraintName })
	case "AlterUniqueTogether":
		h.target(app, op.Model).Options.UniqueTogether = slices.Clone(op.UniqueTogether)
	case "SeparateDatabaseAndState":
		for _, so := range op.StateOperations {
			h.apply(m, so)
		}
	case "RunSQL":
		if !op.Noop {
			h.runSQL(app, op)
		}
	default:
		if harmless[op.Kind] {
			return
		}
		if op.Model != "" {
			h.target(app, op.Model).Opaque = true
		} else {
			h.opaqueApp(app)
		}
	}
}

// createModel replays CreateModel of migration m: a new state, created by
// m.
func (h *History) createModel(m *django.Migration, op *django.Operation) {
	app := m.App
	if op.Model == "" {
		h.opaqueApp(app)
		return
	}
	s := &ModelState{App: app, Name: op.Model, Options: op.Options, Created: m}
	s.Options.UniqueTogether = slices.Clone(op.Options.UniqueTogether)
	s.Options.Constraints = slices.Clone(op.Options.Constraints)
	for _, f := range op.Fields {
		s.Fields = append(s.Fields, stateField(app, s.Name, f, false))
	}
	h.Models[s.Key()] = s
}

// renameModel replays RenameModel: the state moves to the new key, and
// relations that pointed at the old name follow it, as in Django.
func (h *History) renameModel(app string, op *django.Operation) {
	oldKey, newKey := stateKey(app, op.OldName), stateKey(app, op.NewName)
	s := h.cow(oldKey)
	if s == nil || op.NewName == "" {
		h.opaqueApp(app)
		return
	}
	delete(h.Models, oldKey)
	s.Name = op.NewName
	h.Models[newKey] = s
	for key, other := range h.Models {
		var c *ModelState
		for i, f := range other.Fields {
			if !strings.EqualFold(f.To, oldKey) {
				continue
			}
			if c == nil {
				c = h.cow(key)
				c.ownFields()
			}
			nf := *f
			nf.To = newKey
			c.Fields[i] = &nf
		}
	}
}

// setField replays AddField or AlterField. An AlterField whose field could
// not be read, or of a field the state lacks, leaves the model opaque.
func (h *History) setField(app string, op *django.Operation) {
	s := h.target(app, op.Model)
	if op.Field == nil {
		if op.Kind == "AlterField" {
			s.Opaque = true
		}
		return
	}
	f := stateField(app, s.Name, op.Field, op.Preserve)
	if i := slices.IndexFunc(s.Fields, func(x *django.Field) bool { return x.Name == op.Name }); i >= 0 {
		s.ownFields()
		s.Fields[i] = f
	} else {
		if op.Kind == "AlterField" {
			s.Opaque = true // Django would refuse: the replay is off track
		}
		s.Fields = append(s.Fields, f)
	}
}

// renameField replays RenameField. Django renames the field in
// unique_together, not in constraints.
func (h *History) renameField(app string, op *django.Operation) {
	s := h.target(app, op.Model)
	i := slices.IndexFunc(s.Fields, func(x *django.Field) bool { return x.Name == op.OldName })
	if i < 0 || op.NewName == "" {
		s.Opaque = true
		return
	}
	nf := *s.Fields[i]
	nf.Name = op.NewName
	s.ownFields()
	s.Fields[i] = &nf
	s.ownUniqueTogether()
	for j, set := range s.Options.UniqueTogether {
		if slices.Contains(set, op.OldName) {
			ns := slices.Clone(set)
			for k := range ns {
				if ns[k] == op.OldName {
					ns[k] = op.NewName
				}
			}
			s.Options.UniqueTogether[j] = ns
		}
	}
}

// ddl matches SQL that can change a table's shape or constraints.
var ddl = regexp.MustCompile(`(?i)\b(alter|create|drop|rename)\b`)

// runSQL marks the models whose tables a schema-changing RunSQL names. SQL
// that is not written out (a variable, a function call) could touch any
// table of the app.
func (h *History) runSQL(app string, op *django.Operation) {
	if !strings.ContainsAny(op.Code, `"'`) {
		h.opaqueApp(app)
		return
	}
	if !ddl.MatchString(op.Code) {
		return
	}
	sql := strings.ToLower(op.Code)
	for key, s := range h.Models {
		if containsWord(sql, strings.ToLower(s.Table())) {
			h.cow(key).Opaque = true
		}
	}
}

// containsWord reports whether word occurs in s not as part of a longer
// identifier.
func containsWord(s, word string) bool {
	if word == "" {
		return false
	}
	for i := 0; ; {
		j := strings.Index(s[i:], word)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(word)
		if (start == 0 || !isIdent(s[start-1])) && (end == len(s) || !isIdent(s[end])) {
			return true
		}
		i = start + 1
	}
}

func isIdent(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// opaqueApp marks every model of app, and the app itself, as not followed.
func (h *History) opaqueApp(app string) {
	h.OpaqueApps[app] = true
	for key, s := range h.Models {
		if s.App == app {
			h.cow(key).Opaque = true
		}
	}
}

// stateField copies a migration's field for the state: relation targets
// normalised, and the default dropped when preserve_default=False.
func stateField(app, model string, f *django.Field, dropDefault bool) *django.Field {
	nf := *f
	nf.To = NormalizeRef(app, model, f.To)
	if dropDefault {
		nf.HasDefault = false
	}
	return &nf
}

// NormalizeRef turns a model reference written in app's code into
// "app.model" in lower case: "self" names model itself, a bare name is in
// app. A swappable reference (settings.AUTH_USER_MODEL) is returned as
// written; a reference whose app label cannot be told, as "".
func NormalizeRef(app, model, ref string) string {
	switch {
	case ref == "":
		return ""
	case strings.HasPrefix(ref, "settings."):
		return ref
	case ref == "self":
		return stateKey(app, model)
	case strings.Count(ref, ".") == 1:
		return strings.ToLower(ref)
	case strings.Contains(ref, "."):
		return "" // a class path ("accounts.models.Customer"): the label is unknown
	}
	return stateKey(app, ref)
}
