package rules

import (
	"regexp"
	"slices"
	"strings"
)

// ignoreComment matches the ignore comments as the review reads them
// (package review, which also checks them and reports their misuse):
// `# djintegrity: ignore[rule-a, rule-b] -- reason` on a line or the line
// above it, a bare `ignore` for every rule, `ignore-file[rule-a]` for the
// whole file.
var ignoreComment = regexp.MustCompile(IgnorePattern)

// IgnorePattern is the syntax of an ignore comment up to its reason: the
// form (submatch 1) and the rule list (2). The review's own reading of the
// comments, which adds the reason, is built from it, so that the two
// never disagree on what a suppression is.
const IgnorePattern = `#\s*djintegrity:\s*(ignore-file|ignore)\b(\[[^\]]*\])?`

// SuppressedAt reports whether an ignore comment on line (1-based) of
// lines, or on the line above, names rule (or names no rule at all), or
// an ignore-file comment anywhere in lines names it. The rules that report
// a change at one place for code elsewhere use it to leave out a place
// the user has waved through.
func SuppressedAt(lines []string, line int, rule string) bool {
	for i, l := range lines {
		for _, m := range ignoreComment.FindAllStringSubmatch(l, -1) {
			names := strings.Split(strings.Trim(m[2], "[]"), ",")
			named := slices.ContainsFunc(names, func(s string) bool { return strings.TrimSpace(s) == rule })
			switch {
			case m[1] == "ignore-file" && named:
				return true
			case m[1] == "ignore" && (i+1 == line || i+2 == line) && (m[2] == "" || named):
				return true
			}
		}
	}
	return false
}
