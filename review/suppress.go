package review

import (
	"bytes"

	"github.com/djintegrity/djintegrity/rules"
)

// suppressed reports whether a `# djintegrity: ignore` comment on the
// finding's start line, or on the line above, names its rule (or names no
// rule at all).
func suppressed(lines []string, f rules.Finding) bool {
	return rules.SuppressedAt(lines, f.StartLine, f.Rule)
}

// hasIgnore is a cheap test that spares the line split for most files.
func hasIgnore(src []byte) bool { return bytes.Contains(src, []byte("djintegrity:")) }
