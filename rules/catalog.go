package rules

import (
	"cmp"
	"slices"
)

// catalog lists every rule, models and migrations first, then views. Slugs
// are stable: configuration files and the JSON output name rules by them.
var catalog = []*Rule{
	missingMigration,
	notNullWithoutDefault,
	uniqueOnPopulatedTable,
	nullToNotNull,
	checkConstraintOnPopulatedTable,
	fkDoNothing,
	requiredFieldBreaksInserts,
	constraintBreaksWrites,
	checkThenInsert,
	unguardedUniqueCreate,
	getOrCreateNonUnique,
	unvalidatedFKID,
	integrityErrorWithoutSavepoint,
	missingRequiredField,
	unvalidatedCheckWrite,
}

// Catalog returns every rule in catalog order.
func Catalog() []*Rule { return slices.Clone(catalog) }

// Lookup returns the rule with the given slug, or nil.
func Lookup(slug string) *Rule {
	for _, r := range catalog {
		if r.Slug == slug {
			return r
		}
	}
	return nil
}

// Analyze runs every rule that enabled accepts (nil: all) and returns the
// findings sorted by path, line and rule. Findings of view rules outside
// the write paths (paths.views when the repository sets it, less
// paths.exclude) are dropped here, and so are those in migrations but for
// the rules that check them, so that rules need not each check.
func Analyze(p *Pass, enabled func(slug string) bool) []Finding {
	var out []Finding
	for _, r := range catalog {
		if enabled != nil && !enabled(r.Slug) {
			continue
		}
		for _, f := range r.check(r, p) {
			if r.Views && !r.Migrations && isMigrationModule(p, f.Path) {
				continue
			}
			if r.Views && p.IsWritePath != nil && !p.IsWritePath(f.Path) && !(r.Migrations && isMigrationModule(p, f.Path)) {
				continue
			}
			out = append(out, f)
		}
	}
	SortFindings(out)
	return out
}

// isMigrationModule reports whether path is one of Django's migrations.
func isMigrationModule(p *Pass, path string) bool {
	f := p.Project.Files[path]
	return f != nil && f.Migration != nil
}

// SortFindings sorts findings by path, start line, end line and rule,
// keeping the order of findings equal in all four.
func SortFindings(findings []Finding) {
	slices.SortStableFunc(findings, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.StartLine, b.StartLine),
			cmp.Compare(a.EndLine, b.EndLine), cmp.Compare(a.Rule, b.Rule))
	})
}
