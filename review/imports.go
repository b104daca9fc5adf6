package review

import (
	"fmt"
	"slices"
	"strings"

	"github.com/djintegrity/djintegrity/internal/srclines"
	"github.com/djintegrity/djintegrity/rules/pyast"
)

// importsSuffix marks the fingerprint of the comment that adds the imports
// a finding's suggestion needs: the finding's fingerprint and this suffix.
const importsSuffix = "-imports"

// ImportsKey is the fingerprint marker of the comment that adds the
// imports of the finding with fingerprint fp.
func ImportsKey(fp string) string { return fp + importsSuffix }

// importSite returns the lines of the last statement of the file's leading
// imports (after a docstring, if any), where imports a suggestion needs
// can go; ok is false when the file starts with no import.
func importSite(src []byte) (start, end int, ok bool) {
	t := pyast.Parse(src)
	defer t.Close()
	for i, n := range pyast.Children(t.Root()) {
		switch pyast.Kind(n) {
		case "import_statement", "import_from_statement", "future_import_statement":
			start, end, ok = pyast.Line(n), pyast.EndLine(n), true
			continue
		case "comment":
			continue
		case "expression_statement":
			if c := pyast.Children(n); i == 0 && len(c) == 1 && pyast.Kind(c[0]) == "string" {
				continue // the module's docstring
			}
		}
		return start, end, ok
	}
	return start, end, ok
}

// ImportComments are the comments that add, next to a file's imports, the
// imports the suggestions of comments need, one per file, when inDiff says
// the file's last import statement lies in the diff (a suggestion can
// change only lines of the diff). Each comment whose imports are offered
// so gets ImportsLine set, so that its body points there; the others' say
// which import to add by hand.
func ImportComments(comments []Comment, srcs map[string][]byte, inDiff func(path string, start, end int) bool) []Comment {
	byPath := map[string][]int{}
	var paths []string
	for i, c := range comments {
		if len(c.Imports) > 0 {
			if _, ok := byPath[c.Path]; !ok {
				paths = append(paths, c.Path)
			}
			byPath[c.Path] = append(byPath[c.Path], i)
		}
	}
	var out []Comment
	for _, path := range paths {
		start, end, ok := importSite(srcs[path])
		if !ok || !inDiff(path, start, end) {
			continue
		}
		lines := srclines.Split(string(srcs[path]))
		ic := Comment{Path: path, StartLine: start, EndLine: end, Offered: -1}
		var imports, keys []string
		var forLines []int
		for _, i := range byPath[path] {
			c := &comments[i]
			if c.StartLine <= end && start <= c.EndLine {
				continue // the import lines are the finding's own: say it in words
			}
			c.ImportsLine = start
			forLines = append(forLines, c.StartLine)
			keys = append(keys, ImportsKey(c.Findings[c.Offered].Fingerprint))
			for _, imp := range c.Imports {
				if !slices.Contains(imports, imp) {
					imports = append(imports, imp)
				}
			}
		}
		if len(imports) == 0 {
			continue
		}
		s := strings.Join(append(slices.Clone(lines[start-1:end]), imports...), "\n")
		ic.Suggestion = &s
		ic.importsFor, ic.importKeys = forLines, keys
		out = append(out, ic)
	}
	return out
}

// importsBody is the body of a comment made by ImportComments.
func (c Comment) importsBody() string {
	var b strings.Builder
	where := make([]string, len(c.importsFor))
	for i, l := range c.importsFor {
		where[i] = fmt.Sprintf("line %d", l)
	}
	fmt.Fprintf(&b, "The suggestion on %s needs these imports: commit this one with it, or the code it adds raises NameError.\n",
		strings.Join(where, " and on "))
	fence := fenceFor(*c.Suggestion)
	fmt.Fprintf(&b, "\n%ssuggestion\n%s\n%s\n\n", fence, *c.Suggestion, fence)
	for _, k := range c.importKeys {
		fmt.Fprintf(&b, "%s%s -->\n", fingerprintMarker, k)
	}
	return b.String()
}
