package review

import (
	"bytes"
	"regexp"
	"slices"
	"strings"

	"github.com/djintegrity/djintegrity/rules"
)

// ignoreComment matches `# djintegrity: ignore` and
// `# djintegrity: ignore[rule-a, rule-b]`.
var ignoreComment = regexp.MustCompile(`#\s*djintegrity:\s*ignore\b(?:\[([^\]]*)\])?`)

// suppressed reports whether a `# djintegrity: ignore` comment on the
// finding's start line, or on the line above, names its rule (or names no
// rule at all).
func suppressed(lines []string, f rules.Finding) bool {
	for _, n := range []int{f.StartLine, f.StartLine - 1} {
		if n < 1 || n > len(lines) {
			continue
		}
		for _, m := range ignoreComment.FindAllStringSubmatchIndex(lines[n-1], -1) {
			if m[2] < 0 {
				return true // bare ignore: every rule
			}
			list := lines[n-1][m[2]:m[3]]
			if slices.ContainsFunc(strings.Split(list, ","), func(s string) bool { return strings.TrimSpace(s) == f.Rule }) {
				return true
			}
		}
	}
	return false
}

// hasIgnore is a cheap test that spares the line split for most files.
func hasIgnore(src []byte) bool { return bytes.Contains(src, []byte("djintegrity:")) }
