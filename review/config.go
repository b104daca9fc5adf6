package review

import (
	"log/slog"
	"time"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/djintegrity/djintegrity/rules"
)

// Config is how a review runs: the repository's configuration
// (.github/djintegrity.yml), as the caller loaded and amended it, and
// where the review logs.
type Config struct {
	// Severity overrides a rule's default severity, by slug.
	Severity map[string]rules.Severity
	// Off lists rules switched off, by slug.
	Off map[string]bool
	// Views, when set, are globs of the only files where the
	// application-code rules apply. Unset (the default), they apply to
	// every file, and each rule decides from a function's role (request
	// handler, model method, task, management command, test, ...) whether
	// it reviews it. An empty list switches them off.
	Views []string
	// Exclude are globs of files that get no findings (they remain context
	// for the index).
	Exclude []string
	// FailOn is the lowest severity that fails the check; 0 never fails.
	FailOn rules.Severity
	// MaxInlineComments caps the inline comments of one review; the rest go
	// to the check run.
	MaxInlineComments int
	// RequireReason makes an ignore comment without a reason
	// (`-- why`) suppress nothing, with a notice.
	RequireReason bool
	// ForbidBareIgnore makes a bare `# djintegrity: ignore`, which names
	// no rule, suppress nothing, with a notice.
	ForbidBareIgnore bool
	// Incomplete is the conclusion of a review that could not read all of
	// the change: "neutral" (the default) or "failure". A changed Python
	// file skipped, a pull request with more files than GitHub lists, a
	// review out of time: never "success" for code that was not read.
	Incomplete string
	// Deadline ends the review's time budget (not read from the file;
	// zero is none): Analyze then concludes with what it has and says so
	// (Result.OutOfTime).
	Deadline time.Time
	// Logger receives the review's debug lines (files skipped, findings
	// suppressed, suggestions withheld), with whatever attributes the
	// caller gave it. It is not read from the file; nil discards them.
	Logger *slog.Logger
	// Cache keeps the files this review parses for later reviews, and
	// gives it those an earlier review parsed. It is not read from the
	// file; nil parses every file.
	Cache *Cache
}

// DefaultConfig is the configuration of a repository without a
// configuration file.
func DefaultConfig() *Config {
	return &Config{
		Severity:          map[string]rules.Severity{},
		Off:               map[string]bool{},
		Exclude:           []string{"**/tests/**", "**/test_*.py", "**/tests.py"},
		FailOn:            rules.Error,
		MaxInlineComments: 30,
		Incomplete:        "neutral",
	}
}

// discard is the logger of a review whose caller gave none.
var discard = slog.New(slog.DiscardHandler)

func (c *Config) logger() *slog.Logger {
	if c.Logger == nil {
		return discard
	}
	return c.Logger
}

// enabled reports whether the rule slug runs.
func (c *Config) enabled(slug string) bool { return !c.Off[slug] }

// excluded reports whether path matches paths.exclude.
func (c *Config) excluded(path string) bool { return matchAny(c.Exclude, path) }

// isWritePath reports whether the application-code rules apply to path:
// it matches paths.views, when set, and not paths.exclude.
func (c *Config) isWritePath(path string) bool {
	return (c.Views == nil || matchAny(c.Views, path)) && !c.excluded(path)
}

func matchAny(globs []string, path string) bool {
	for _, g := range globs {
		// Globs are validated when the configuration is loaded; a bad one
		// matches nothing.
		if ok, _ := doublestar.Match(g, path); ok {
			return true
		}
	}
	return false
}
