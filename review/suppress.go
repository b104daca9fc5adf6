package review

import (
	"bytes"
	"cmp"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/djintegrity/djintegrity/rules"
)

// ignoreComment matches the ignore comments:
//
//	# djintegrity: ignore[rule-a, rule-b] -- reason   (this line or the next)
//	# djintegrity: ignore -- reason                   (bare: every rule)
//	# djintegrity: ignore-file[rule-a] -- reason      (the whole file)
//
// The list and the reason are optional in the syntax; the configuration
// can require a reason (require_reason) or forbid the bare form
// (forbid_bare_ignore).
var ignoreComment = regexp.MustCompile(rules.IgnorePattern + `(?:\s*--\s*(.*\S))?`)

// Acknowledged is a finding an ignore comment waved through, with the
// reason the comment gives ("" when it gives none): what a reviewer should
// see was accepted.
type Acknowledged struct {
	rules.Finding
	Reason string `json:"reason"`
}

// Notice is a problem with an ignore comment: a rule name that names no
// rule, a bare ignore or a missing reason that the configuration forbids,
// an ignore that matches no finding (like Ruff's RUF100). Notices fail
// nothing; they are shown where the findings are.
type Notice struct {
	Path    string `json:"path"`
	Line    int    `json:"line"`
	Message string `json:"message"`
}

// ignore is one ignore comment of a file.
type ignore struct {
	line   int
	file   bool     // ignore-file
	rules  []string // known rule names; nil for a bare ignore
	bare   bool
	reason string
	// void is set when the comment may not apply (a bare ignore that is
	// forbidden, a reason that is required and missing): it suppresses
	// nothing.
	void bool
	used bool
}

func (ig *ignore) names(rule string) bool { return ig.bare || slices.Contains(ig.rules, rule) }

// fileIgnores holds the ignore comments of one file, and the notices their
// parsing gave.
type fileIgnores struct {
	all     []*ignore
	notices []Notice
}

// parseIgnores reads the ignore comments of a file. Names that are not
// rules are reported (they are most often misspelled, and would silently
// suppress nothing); so are the forms the configuration forbids, which
// then suppress nothing.
func parseIgnores(path string, lines []string, cfg *Config) *fileIgnores {
	out := &fileIgnores{}
	for i, l := range lines {
		for _, m := range ignoreComment.FindAllStringSubmatch(l, -1) {
			ig := &ignore{line: i + 1, file: m[1] == "ignore-file", reason: m[3]}
			note := func(format string, args ...any) {
				out.notices = append(out.notices, Notice{Path: path, Line: ig.line, Message: fmt.Sprintf(format, args...)})
			}
			if m[2] == "" {
				ig.bare = true
			} else {
				for _, name := range strings.Split(strings.Trim(m[2], "[]"), ",") {
					name = strings.TrimSpace(name)
					switch {
					case name == "":
					case rules.Lookup(name) == nil:
						note("`# djintegrity: %s[%s]` names no rule%s: it suppresses nothing.", m[1], name, didYouMean(name))
					default:
						ig.rules = append(ig.rules, name)
					}
				}
				if len(ig.rules) == 0 {
					ig.void = true
				}
			}
			switch {
			case ig.file && ig.bare:
				note("`# djintegrity: ignore-file` needs the rules it suppresses, as `ignore-file[rule-a, rule-b]`; to skip a file, use paths.exclude.")
				ig.void = true
			case ig.bare && cfg.ForbidBareIgnore:
				note("A bare `# djintegrity: ignore` (every rule) is not allowed here (forbid_bare_ignore): name the rules, as `ignore[rule-a]`.")
				ig.void = true
			}
			if !ig.void && ig.reason == "" && cfg.RequireReason {
				note("This ignore gives no reason, and require_reason is on: add one after ` -- `; until then it suppresses nothing.")
				ig.void = true
			}
			out.all = append(out.all, ig)
		}
	}
	return out
}

// match returns the ignore comment that waves f through: one on its start
// line or the line above, else one for its whole file.
func (fi *fileIgnores) match(f rules.Finding) *ignore {
	for _, n := range []int{f.StartLine, f.StartLine - 1} {
		for _, ig := range fi.all {
			if !ig.void && !ig.file && ig.line == n && ig.names(f.Rule) {
				return ig
			}
		}
	}
	for _, ig := range fi.all {
		if !ig.void && ig.file && ig.names(f.Rule) {
			return ig
		}
	}
	return nil
}

// suppression applies a review's ignore comments.
type suppression struct {
	cfg   *Config
	lines func(path string) []string
	srcs  map[string][]byte
	files map[string]*fileIgnores
}

func (s *suppression) of(path string) *fileIgnores {
	fi, ok := s.files[path]
	if !ok {
		if hasIgnore(s.srcs[path]) {
			fi = parseIgnores(path, s.lines(path), s.cfg)
		}
		s.files[path] = fi
	}
	return fi
}

// ignored returns the ignore comment that waves f through, or nil, and
// marks it used.
func (s *suppression) ignored(f rules.Finding) *ignore {
	fi := s.of(f.Path)
	if fi == nil {
		return nil
	}
	ig := fi.match(f)
	if ig != nil {
		ig.used = true
	}
	return ig
}

// notices returns the notices of the ignore comments the change touches
// (lines it changed, or any line of a file it added): the names that are
// no rule, the forbidden forms, and the ignores no finding used. all are
// every finding of the rules, before the change's filter, so that an
// ignore of a finding on an unchanged line is not reported as unused.
func (s *suppression) notices(all []rules.Finding, change rules.Change) []Notice {
	for _, f := range all {
		s.ignored(f)
	}
	var out []Notice
	for path, c := range change {
		fi := s.of(path)
		if fi == nil {
			continue
		}
		touched := func(line int) bool { return c.Added || c.Lines[line] }
		for _, n := range fi.notices {
			if touched(n.Line) {
				out = append(out, n)
			}
		}
		for _, ig := range fi.all {
			if ig.used || ig.void || !touched(ig.line) || allOff(ig.rules, s.cfg) {
				continue
			}
			what := "any finding"
			if !ig.bare {
				what = "a finding of " + strings.Join(ig.rules, ", ")
			}
			where := "on this line or the next"
			if ig.file {
				where = "in this file"
			}
			out = append(out, Notice{Path: path, Line: ig.line,
				Message: fmt.Sprintf("This ignore suppresses nothing: there is no longer %s %s. Remove it.", what, where)})
		}
	}
	slices.SortFunc(out, func(a, b Notice) int {
		return cmp.Or(cmp.Compare(a.Path, b.Path), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Message, b.Message))
	})
	return slices.Compact(out)
}

// allOff reports whether every rule named is switched off, so that its
// ignore suppresses nothing for a reason of the configuration's.
func allOff(names []string, cfg *Config) bool {
	if len(names) == 0 {
		return false
	}
	for _, n := range names {
		if !cfg.Off[n] {
			return false
		}
	}
	return true
}

// didYouMean suggests the rule a misspelled name most likely meant.
func didYouMean(name string) string {
	best, dist := "", 4 // farther than this is no misspelling
	for _, r := range rules.Catalog() {
		if d := editDistance(name, r.Slug); d < dist {
			best, dist = r.Slug, d
		}
	}
	if best == "" {
		return ""
	}
	return " (did you mean `" + best + "`?)"
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// hasIgnore is a cheap test that spares the line split for most files.
func hasIgnore(src []byte) bool { return bytes.Contains(src, []byte("djintegrity:")) }
