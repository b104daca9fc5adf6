package rules

import (
	"cmp"
	"context"
	"fmt"
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
//
// It checks ctx between rules: when ctx ends it returns the findings of
// the rules that ran, the slugs of those it did not run, and ctx's error.
// A rule during which ctx ended counts as not run: what it found on a
// migration replay cut short is not to be trusted.
func Analyze(ctx context.Context, p *Pass, enabled func(slug string) bool) (findings []Finding, notRun []string, err error) {
	p.ctx = ctx
	var out []Finding
	for _, r := range catalog {
		if enabled != nil && !enabled(r.Slug) {
			continue
		}
		if err == nil {
			err = ctx.Err()
		}
		if err != nil {
			notRun = append(notRun, r.Slug)
			continue
		}
		found := r.check(r, p)
		if err = ctx.Err(); err != nil {
			notRun = append(notRun, r.Slug)
			continue
		}
		for _, f := range found {
			if r.Views && !r.Migrations && isMigrationModule(p, f.Path) {
				continue
			}
			if r.Views && p.IsWritePath != nil && !p.IsWritePath(f.Path) && !(r.Migrations && isMigrationModule(p, f.Path)) {
				continue
			}
			if r.Views {
				viewRoleCap(p, &f)
			}
			out = append(out, f)
		}
	}
	SortFindings(out)
	if err != nil {
		return out, notRun, fmt.Errorf("rules: %w", err)
	}
	return out, nil, nil
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
