package review

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
	"go.yaml.in/yaml/v3"

	"github.com/djintegrity/djintegrity/rules"
)

// ConfigPath is where a repository keeps its configuration.
const ConfigPath = ".github/djintegrity.yml"

// LoadConfig reads the configuration file at path. A missing file is an
// error wrapping fs.ErrNotExist; the caller decides whether that means the
// defaults.
func LoadConfig(path string) (*Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	return ParseConfig(path, b)
}

// ParseConfig reads a configuration file's content; name is used in
// errors, which give the line. An unknown key, rule, severity or a bad glob
// is an error, never a silent default. An empty file is the defaults.
func ParseConfig(name string, data []byte) (*Config, error) {
	cfg := DefaultConfig()
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return cfg, nil
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(doc.Content) == 0 {
		return cfg, nil
	}
	c := &configParser{name: name, cfg: cfg}
	if err := c.top(doc.Content[0]); err != nil {
		return nil, err
	}
	return cfg, nil
}

type configParser struct {
	name string
	cfg  *Config
}

func (c *configParser) errorf(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("%s:%d: %s", c.name, n.Line, fmt.Sprintf(format, args...))
}

// mapping calls fn for each key of a mapping node, refusing duplicates and
// keys not in known.
func (c *configParser) mapping(n *yaml.Node, what string, known []string, fn func(k, v *yaml.Node) error) error {
	if n.Kind == yaml.ScalarNode && n.Tag == "!!null" {
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return c.errorf(n, "%s must be a mapping", what)
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind != yaml.ScalarNode {
			return c.errorf(k, "%s: keys must be plain names", what)
		}
		if seen[k.Value] {
			return c.errorf(k, "duplicate key %q in %s", k.Value, what)
		}
		seen[k.Value] = true
		if known != nil && !slices.Contains(known, k.Value) {
			return c.errorf(k, "unknown key %q in %s (want %s)", k.Value, what, strings.Join(known, ", "))
		}
		if err := fn(k, v); err != nil {
			return err
		}
	}
	return nil
}

func (c *configParser) top(n *yaml.Node) error {
	return c.mapping(n, "the configuration", []string{"rules", "paths", "fail_on", "max_inline_comments", "require_reason", "forbid_bare_ignore", "incomplete"}, func(k, v *yaml.Node) error {
		switch k.Value {
		case "rules":
			return c.rules(v)
		case "paths":
			return c.mapping(v, "paths", []string{"views", "exclude"}, func(k, v *yaml.Node) error {
				globs, err := c.globs(v, "paths."+k.Value)
				if err != nil {
					return err
				}
				if k.Value == "views" {
					c.cfg.Views = globs
				} else {
					c.cfg.Exclude = globs
				}
				return nil
			})
		case "fail_on":
			s, err := c.scalar(v, "fail_on")
			if err != nil {
				return err
			}
			if c.cfg.FailOn, err = ParseFailOn(s); err != nil {
				return c.errorf(v, "fail_on: %v", err)
			}
		case "max_inline_comments":
			s, err := c.scalar(v, "max_inline_comments")
			if err != nil {
				return err
			}
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				return c.errorf(v, "max_inline_comments: want a whole number >= 0, got %q", s)
			}
			c.cfg.MaxInlineComments = n
		case "require_reason", "forbid_bare_ignore":
			s, err := c.scalar(v, k.Value)
			if err != nil {
				return err
			}
			b, err := strconv.ParseBool(s)
			if err != nil || v.Tag != "!!bool" {
				return c.errorf(v, "%s: want true or false, got %q", k.Value, s)
			}
			if k.Value == "require_reason" {
				c.cfg.RequireReason = b
			} else {
				c.cfg.ForbidBareIgnore = b
			}
		case "incomplete":
			s, err := c.scalar(v, "incomplete")
			if err != nil {
				return err
			}
			if s != "neutral" && s != "failure" {
				return c.errorf(v, "incomplete: want neutral or failure, got %q", s)
			}
			c.cfg.Incomplete = s
		}
		return nil
	})
}

func (c *configParser) rules(n *yaml.Node) error {
	return c.mapping(n, "rules", nil, func(k, v *yaml.Node) error {
		if rules.Lookup(k.Value) == nil {
			var slugs []string
			for _, r := range rules.Catalog() {
				slugs = append(slugs, r.Slug)
			}
			return c.errorf(k, "unknown rule %q (known rules: %s)", k.Value, strings.Join(slugs, ", "))
		}
		s, err := c.scalar(v, "rules."+k.Value)
		if err != nil {
			return err
		}
		if s == "off" {
			c.cfg.Off[k.Value] = true
			return nil
		}
		sev, err := rules.ParseSeverity(s)
		if err != nil {
			return c.errorf(v, "rules.%s: unknown severity %q (want error, warning, notice or off)", k.Value, s)
		}
		c.cfg.Severity[k.Value] = sev
		return nil
	})
}

func (c *configParser) scalar(n *yaml.Node, what string) (string, error) {
	if n.Kind != yaml.ScalarNode || n.Tag == "!!null" {
		return "", c.errorf(n, "%s: want a single value", what)
	}
	return n.Value, nil
}

func (c *configParser) globs(n *yaml.Node, what string) ([]string, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, c.errorf(n, "%s: want a list of globs", what)
	}
	out := []string{}
	for _, e := range n.Content {
		if e.Kind != yaml.ScalarNode || e.Tag == "!!null" {
			return nil, c.errorf(e, "%s: want a glob string", what)
		}
		if !doublestar.ValidatePattern(e.Value) {
			return nil, c.errorf(e, "%s: bad glob %q", what, e.Value)
		}
		out = append(out, e.Value)
	}
	return out, nil
}

// ParseFailOn reads a --fail-on or fail_on value: a severity, or "never"
// (returned as 0).
func ParseFailOn(s string) (rules.Severity, error) {
	if s == "never" {
		return 0, nil
	}
	sev, err := rules.ParseSeverity(s)
	if err != nil {
		return 0, fmt.Errorf("unknown threshold %q (want error, warning, notice or never)", s)
	}
	return sev, nil
}

// Exceeds reports whether any finding is at or above failOn; failOn 0
// (never) is never exceeded.
func Exceeds(findings []rules.Finding, failOn rules.Severity) bool {
	if failOn == 0 {
		return false
	}
	for _, f := range findings {
		if f.Severity >= failOn {
			return true
		}
	}
	return false
}
