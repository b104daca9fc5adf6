package rules

import (
	"regexp"
	"slices"
	"strings"
)

// ignoreComment matches `# djintegrity: ignore` and
// `# djintegrity: ignore[rule-a, rule-b]`.
var ignoreComment = regexp.MustCompile(`#\s*djintegrity:\s*ignore\b(?:\[([^\]]*)\])?`)

// SuppressedAt reports whether a `# djintegrity: ignore` comment on line
// (1-based) of lines, or on the line above, names rule (or names no rule
// at all).
func SuppressedAt(lines []string, line int, rule string) bool {
	for _, n := range []int{line, line - 1} {
		if n < 1 || n > len(lines) {
			continue
		}
		for _, m := range ignoreComment.FindAllStringSubmatchIndex(lines[n-1], -1) {
			if m[2] < 0 {
				return true // bare ignore: every rule
			}
			list := lines[n-1][m[2]:m[3]]
			if slices.ContainsFunc(strings.Split(list, ","), func(s string) bool { return strings.TrimSpace(s) == rule }) {
				return true
			}
		}
	}
	return false
}
