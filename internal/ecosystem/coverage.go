package ecosystem

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/djintegrity/djintegrity/review"
	"github.com/djintegrity/djintegrity/rules"
	"github.com/djintegrity/djintegrity/rules/django"
	"github.com/djintegrity/djintegrity/rules/django/writesite"
)

// oldViewGlobs are the files the application-code rules read before they
// scoped by role: the measure of what scoping by role added.
var oldViewGlobs = []string{"**/views.py", "**/views/**/*.py", "**/api/**/*.py"}

// Coverage counts a project's ORM write sites in functions, by role, at a
// commit: what the application-code rules can review.
type Coverage struct {
	Project string
	// Writes counts the write sites outside tests, by role.
	Writes map[django.Role]int
	// Resolved counts those whose model the index resolves, by role.
	Resolved map[django.Role]int
	// OldScope counts the write sites (tests aside) in the files the old
	// paths.views globs matched, where the rules read them before.
	OldScope int
	// Races counts the write sites (tests aside) the race rules review by
	// role; OldRaces those of them in the old paths.views files.
	Races, OldRaces int
	// Own counts the write sites through self or cls (a model's or a
	// manager's own methods), which the index did not resolve before.
	Own int
	// Methods counts, by Write.Method (create_user, create_superuser,
	// form_valid), the write sites through a method whose writes the index
	// works out from the model's or the view's code: [0] all of them, [1]
	// those whose model the rules resolve, [2] those of them whose fields
	// are known.
	Methods map[string][3]int
	// Validated counts the write sites that write a serializer's validated
	// data ([0]), and those where the key read is known ([1]).
	Validated [2]int
}

// MeasureCoverage indexes every Python file of the project at rev and
// counts its write sites.
func MeasureCoverage(ctx context.Context, dir string, p Project, rev string) (*Coverage, error) {
	src := review.NewGitSource(dir, rev, rev)
	paths, err := src.Files(ctx)
	if err != nil {
		return nil, fmt.Errorf("%s: list files: %w", p.Repo, err)
	}
	paths = django.ProjectFiles(paths)
	var py []string
	for _, path := range paths {
		if strings.HasSuffix(path, ".py") {
			py = append(py, path)
		}
	}
	br, ok := src.(review.BatchReader)
	if !ok {
		return nil, fmt.Errorf("%s: the git source reads no batches", p.Repo)
	}
	contents, err := br.ReadFiles(ctx, py)
	if err != nil {
		return nil, fmt.Errorf("%s: read files: %w", p.Repo, err)
	}
	var files []django.SourceFile
	for i, c := range contents {
		if c.Err == nil && len(c.Data) <= review.MaxFileSize {
			files = append(files, django.SourceFile{Path: py[i], Src: c.Data})
		}
	}
	proj, err := django.Build(ctx, files)
	if err != nil {
		return nil, fmt.Errorf("%s: index: %w", p.Repo, err)
	}
	cov := &Coverage{Project: p.Repo, Writes: map[django.Role]int{}, Resolved: map[django.Role]int{}, Methods: map[string][3]int{}}
	cfg := review.DefaultConfig()
	for path, f := range proj.Files {
		excluded := false
		for _, g := range cfg.Exclude {
			if ok, _ := doublestar.Match(g, path); ok {
				excluded = true
			}
		}
		oldScope := false
		for _, g := range oldViewGlobs {
			if ok, _ := doublestar.Match(g, path); ok {
				oldScope = true
			}
		}
		for _, w := range f.Writes {
			if w.Func == nil {
				continue
			}
			role := proj.Role(f, w.Func)
			if role == django.RoleTest || excluded {
				continue
			}
			cov.Writes[role]++
			if proj.WriteModel(f, w.Model, w.Ref) != nil {
				cov.Resolved[role]++
				if w.Ref != nil && (w.Ref.Class != "" || w.Ref.ManagerClass != "") {
					cov.Own++
				}
			}
			if w.Method != "" {
				n := cov.Methods[w.Method]
				n[0]++
				if rw, m := rules.ResolveWrite(proj, f, w); m != nil {
					n[1]++
					if !rw.StarArgs {
						n[2]++
					}
				}
				cov.Methods[w.Method] = n
			}
			if i := slices.IndexFunc(w.Kwargs, func(kw writesite.Kwarg) bool { return kw.Validated != "" }); i >= 0 {
				cov.Validated[0]++
				if _, ok := writesite.ValidatedKey(w.Kwargs[i].Validated); ok {
					cov.Validated[1]++
				}
			}
			if oldScope {
				cov.OldScope++
			}
			if rules.RaceReviewed(role, path) {
				cov.Races++
				if oldScope {
					cov.OldRaces++
				}
			}
		}
	}
	return cov, nil
}
