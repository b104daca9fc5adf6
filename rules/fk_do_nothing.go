package rules

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/djintegrity/djintegrity/rules/django"
	"github.com/djintegrity/djintegrity/rules/pyast"
)

// fkDoNothing reports a ForeignKey or OneToOneField with on_delete=DO_NOTHING whose
// database constraint is kept (db_constraint not False). Django then deletes
// the parent row and leaves the children pointing at it, and the database
// refuses: IntegrityError at the end of the transaction, since Django
// creates foreign keys DEFERRABLE INITIALLY DEFERRED on SQLite and
// PostgreSQL. It is reported on the model field, where on_delete is chosen,
// not again on the migration that copies it.
//
// The suggestion is models.PROTECT. It changes no SQL and never deletes
// data, and it refuses exactly the deletes that would leave children
// behind, but in Python, before any SQL runs, with a ProtectedError naming
// the rows in the way, where the delete is called instead of at commit.
// CASCADE or SET_NULL would change what happens to data, and which is
// right depends on the domain; PROTECT surfaces the problem safely. The one
// behaviour it changes is code that deletes the parent and then the
// children in one transaction, which the deferred constraint tolerated:
// the message says so. A foreign key with ON DELETE written in RunSQL is
// left alone: the database then handles the delete on purpose.
var fkDoNothing = &Rule{
	Slug:     "fk-do-nothing",
	Severity: Notice,
	Views:    false,
	Summary:  "on_delete=DO_NOTHING with the database constraint kept: deleting the parent fails.",
	Demoted:  "on the judged findings of the ecosystem check it was right 3 times in 7: the parents it named were seeded lookup rows or owned records that no code deletes, and one change re-pointed the children in a post_delete receiver; it speaks in the check run until it can tell whether the parent is ever deleted",
	check:    checkFKDoNothing,
}

var migDoNothing = regexp.MustCompile(`\bDO_NOTHING\b`)

func checkFKDoNothing(rule *Rule, p *Pass) []Finding {
	keys := make([]string, 0, len(p.Project.Models))
	for k := range p.Project.Models {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var onDeleteSQL []string
	scanned := false
	seen := map[string]bool{}
	var out []Finding
	for _, k := range keys {
		m := p.Project.Models[k]
		if m.Abstract || m.Proxy || !m.Managed {
			continue
		}
		for _, f := range m.Fields {
			if !f.IsRelation() || f.OnDelete != "DO_NOTHING" {
				continue
			}
			if v, ok := f.Kwargs["db_constraint"]; ok && v != "True" {
				continue // False, or an expression the index cannot evaluate
			}
			at := fmt.Sprintf("%s:%d", f.Path, f.Line)
			if seen[at] || !p.Change.Touches(f.Path, f.Line, f.EndLine) {
				continue
			}
			if !scanned {
				onDeleteSQL, scanned = migOnDeleteSQL(p), true
			}
			if slices.ContainsFunc(onDeleteSQL, func(sql string) bool { return migContainsIdent(sql, strings.ToLower(m.Table)) }) {
				continue
			}
			seen[at] = true
			out = append(out, migFKFinding(rule, p, m, f))
		}
	}
	return out
}

// migOnDeleteSQL returns, in lower case, the RunSQL code of the project's
// migrations that writes an ON DELETE clause.
func migOnDeleteSQL(p *Pass) []string {
	var out []string
	var visit func(op *django.Operation)
	visit = func(op *django.Operation) {
		if op.Kind == "RunSQL" {
			if sql := strings.ToLower(op.Code); strings.Contains(sql, "on delete") {
				out = append(out, sql)
			}
		}
		for _, d := range op.DatabaseOperations {
			visit(d)
		}
	}
	for _, m := range p.History().Plan {
		for _, op := range m.Operations {
			visit(op)
		}
	}
	return out
}

// migArticle puts "a" or "an" before a name.
func migArticle(name string) string {
	if name != "" && strings.ContainsRune("AEIOUaeiou", rune(name[0])) {
		return "an " + name
	}
	return "a " + name
}

// migContainsIdent reports whether word occurs in s as a whole identifier.
func migContainsIdent(s, word string) bool {
	for i := 0; word != ""; {
		j := strings.Index(s[i:], word)
		if j < 0 {
			return false
		}
		start, end := i+j, i+j+len(word)
		if (start == 0 || !migIdentByte(s[start-1])) && (end == len(s) || !migIdentByte(s[end])) {
			return true
		}
		i = start + 1
	}
	return false
}

func migIdentByte(b byte) bool {
	return b == '_' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

func migFKFinding(rule *Rule, p *Pass, m *django.Model, f *django.Field) Finding {
	child, col := m.Table, f.Column()
	parentName, parentTable := "parent", "the parent's table"
	if r := p.Project.RelatedModel(m, f); r != nil {
		parentName, parentTable = r.Name, r.Table
	} else if strings.HasSuffix(f.To, "AUTH_USER_MODEL") {
		parentName, parentTable = "user", "the user model's table"
	}
	pgParent := parentTable
	if strings.HasPrefix(parentTable, "the ") {
		pgParent = "…"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "`on_delete=DO_NOTHING` makes Django delete %s and leave its `%s` rows pointing at it, but the database still enforces the foreign key `%s.%s` -> %s: deleting %s that still has rows in %s fails when the transaction commits (Django creates the constraint DEFERRABLE INITIALLY DEFERRED), with IntegrityError.\n",
		migArticle(parentName), child, child, col, parentTable, migArticle(parentName), child)
	b.WriteString("- SQLite: `FOREIGN KEY constraint failed`\n")
	fmt.Fprintf(&b, "- PostgreSQL: `update or delete on table \"%s\" violates foreign key constraint \"…\" on table \"%s\"`\n\n", pgParent, child)
	fmt.Fprintf(&b, "`models.PROTECT` refuses the same deletes, but in Python before any SQL runs, with a ProtectedError that names the %s rows in the way, where the delete is called. Use CASCADE to delete them with their %s, SET_NULL (with null=True) to keep them, or db_constraint=False if orphans are intended. Keep DO_NOTHING only if the code deletes those rows itself later in the same transaction. Then run `python manage.py makemigrations %s`: the AlterField it writes changes no SQL.",
		child, parentName, m.App.Label)

	// A field written over several lines is reported on the line that says
	// DO_NOTHING, so that the suggestion replaces only what changes.
	start, end := f.Line, f.EndLine
	if file := p.Project.Files[f.Path]; file != nil && end > start {
		var hits []int
		for l := start; l <= end; l++ {
			if text, ok := file.LineText(l, l); ok && migDoNothing.MatchString(text) {
				hits = append(hits, l)
			}
		}
		if len(hits) == 1 {
			start, end = hits[0], hits[0]
		}
	}
	fd := rule.finding(f.Path, start, end, child+"."+col, "")
	if file := p.Project.Files[f.Path]; file != nil {
		text, ok := file.LineText(start, end)
		if s := migDoNothing.ReplaceAllString(text, "PROTECT"); ok && len(migDoNothing.FindAllStringIndex(text, -1)) == 1 && pyast.ValidFragment(s) {
			if onDelete := f.Kwargs["on_delete"]; onDelete == "DO_NOTHING" || (onDelete == "" && !strings.Contains(text, ".DO_NOTHING")) {
				if _, imported := file.Imports["PROTECT"]; !imported {
					b.WriteString(" The suggestion needs `from django.db.models import PROTECT`.")
					fd.Imports = []string{"from django.db.models import PROTECT"}
				}
			}
			fd.Suggestion = &s
		}
	}
	fd.Message = b.String()
	return fd
}
