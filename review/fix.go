package review

import (
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/djintegrity/djintegrity/rules"
	"github.com/djintegrity/djintegrity/rules/pyast"
)

// FileFix is the suggestions of one file applied: its content before and
// after, and the findings it fixes.
type FileFix struct {
	Path     string
	Old, New []byte
	Fixed    []rules.Finding
}

// Unfixed is a suggestion a fix leaves alone, and why.
type Unfixed struct {
	Finding rules.Finding
	Reason  string
}

// Fixes applies every suggestion of findings to the files read returns
// (the head tree), as `djintegrity check --fix` does: the suggestions
// bottom-up within a file, then the imports their messages say the fix
// needs. A suggestion to a models module that needs a new migration
// (its message asks to run makemigrations) is left to the developer, as
// is one that overlaps another or would leave the file unparsable.
func Fixes(findings []rules.Finding, read func(path string) ([]byte, error)) ([]FileFix, []Unfixed, error) {
	byPath := map[string][]rules.Finding{}
	var unfixed []Unfixed
	for _, f := range findings {
		switch {
		case f.Suggestion == nil:
		case NeedsMigration(f):
			unfixed = append(unfixed, Unfixed{f, "needs a new migration: apply the suggestion, then run makemigrations"})
		default:
			byPath[f.Path] = append(byPath[f.Path], f)
		}
	}
	paths := make([]string, 0, len(byPath))
	for p := range byPath {
		paths = append(paths, p)
	}
	slices.Sort(paths)
	var fixes []FileFix
	for _, p := range paths {
		src, err := read(p)
		if err != nil {
			return nil, nil, fmt.Errorf("fix %s: %w", p, err)
		}
		out, fixed, skipped := FixFile(src, byPath[p])
		unfixed = append(unfixed, skipped...)
		if len(fixed) == 0 {
			continue
		}
		if !parses(out) {
			for _, f := range fixed {
				unfixed = append(unfixed, Unfixed{f, "the file would not parse with the fixes applied"})
			}
			continue
		}
		fixes = append(fixes, FileFix{Path: p, Old: src, New: out, Fixed: fixed})
	}
	return fixes, unfixed, nil
}

func parses(src []byte) bool {
	t := pyast.Parse(src)
	defer t.Close()
	return !t.HasError()
}

// NeedsMigration reports whether f's suggestion changes a model in a way
// that needs a new migration file, which a fix cannot write: its message
// asks to run makemigrations, and it is not itself in a migration.
func NeedsMigration(f rules.Finding) bool {
	return strings.Contains(f.Message, "manage.py makemigrations") && !strings.Contains("/"+path.Dir(f.Path)+"/", "/migrations/")
}

// needsImport finds the imports a finding's message says its fix needs,
// e.g. "The fix needs `from django.db import IntegrityError` at the top of
// the file" or "The suggestion needs `from django.db.models import
// PROTECT`": the message is the single statement of them, which the
// proofs under real Django check by running the fixed code.
var needsImport = regexp.MustCompile("`((?:from [\\w.]+ )?import [\\w., ]+)`")

// FixImports returns the imports f's fix needs: Finding.Imports, which the
// rules set, else those its message names.
func FixImports(f rules.Finding) []string {
	if len(f.Imports) > 0 {
		return f.Imports
	}
	var out []string
	for _, sentence := range strings.SplitAfter(f.Message, ". ") {
		if !strings.Contains(sentence, " needs ") {
			continue
		}
		for _, m := range needsImport.FindAllStringSubmatch(sentence, -1) {
			out = append(out, m[1])
		}
	}
	return out
}

// FixFile applies the suggestions of findings (all of one file) to src,
// bottom-up so that line numbers hold, and adds the imports they need
// after the file's leading imports. A suggestion overlapping one applied
// already is skipped: the next run offers it again on the fixed lines.
func FixFile(src []byte, findings []rules.Finding) (out []byte, fixed []rules.Finding, unfixed []Unfixed) {
	fs := slices.Clone(findings)
	slices.SortStableFunc(fs, func(a, b rules.Finding) int { return b.StartLine - a.StartLine })
	out = src
	var imports []string
	lowest := 1 << 30 // the first line of the last suggestion applied
	for _, f := range fs {
		if f.Suggestion == nil {
			continue
		}
		if f.EndLine >= lowest {
			unfixed = append(unfixed, Unfixed{f, "overlaps another fix: run the fix again"})
			continue
		}
		next, err := ApplySuggestion(out, f)
		if err != nil {
			unfixed = append(unfixed, Unfixed{f, err.Error()})
			continue
		}
		out, lowest = next, f.StartLine
		fixed = append(fixed, f)
		for _, imp := range FixImports(f) {
			if !slices.Contains(imports, imp) {
				imports = append(imports, imp)
			}
		}
	}
	slices.Reverse(fixed)
	return AddImports(out, imports), fixed, unfixed
}

// AddImports puts the import lines missing from src after the leading
// imports of the module (after its docstring and header comments when it
// has none), where a developer would write them.
func AddImports(src []byte, imports []string) []byte {
	lines := strings.SplitAfter(string(src), "\n")
	missing := missingImports(src, imports)
	if len(missing) == 0 {
		return src
	}
	eol := "\n"
	if strings.Contains(string(src), "\r\n") {
		eol = "\r\n"
	}
	at := importLine(src)
	if at > 0 && at <= len(lines) && !strings.HasSuffix(lines[at-1], "\n") {
		lines[at-1] += eol // the last line had no line break
	}
	block := strings.Join(missing, eol) + eol
	return []byte(strings.Join(lines[:at], "") + block + strings.Join(lines[at:], ""))
}

// missingImports are the import lines of imports src lacks, once each.
func missingImports(src []byte, imports []string) []string {
	lines := strings.SplitAfter(string(src), "\n")
	var missing []string
	for _, imp := range imports {
		present := slices.ContainsFunc(lines, func(l string) bool { return strings.TrimRight(l, "\r\n") == imp })
		if !present && !slices.Contains(missing, imp) {
			missing = append(missing, imp)
		}
	}
	return missing
}

// importLine is the number of lines before the place for new imports: the
// end of the last import of the module's leading statements, else the end
// of its docstring, else the end of its leading comments.
func importLine(src []byte) int {
	t := pyast.Parse(src)
	defer t.Close()
	header, lastImport := 0, 0
	for _, n := range pyast.Children(t.Root()) {
		switch pyast.Kind(n) {
		case "comment":
			if lastImport == 0 {
				header = pyast.EndLine(n)
			}
			continue
		case "import_statement", "import_from_statement", "future_import_statement":
			lastImport = pyast.EndLine(n)
			continue
		case "expression_statement":
			if lastImport == 0 && n.NamedChildCount() == 1 && pyast.Kind(n.NamedChild(0)) == "string" {
				header = pyast.EndLine(n) // the docstring
				continue
			}
		}
		break
	}
	return max(lastImport, header)
}
