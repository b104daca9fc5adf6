package review

import (
	"cmp"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
	"go.yaml.in/yaml/v3"
)

// PyprojectPath is the pyproject.toml whose [tool.djintegrity] table holds
// the configuration as well, with the keys of ConfigPath.
const PyprojectPath = "pyproject.toml"

// ParsePyproject reads the [tool.djintegrity] table of a pyproject.toml
// with the rules of ParseConfig, errors giving the line. found is false
// when the file has no such table: the file is other tools' only.
func ParsePyproject(name string, data []byte) (cfg *Config, found bool, err error) {
	// The decoder checks the whole document (duplicate keys, redefined
	// tables), which the bare parser below does not.
	var doc map[string]any
	if err := toml.Unmarshal(data, &doc); err != nil {
		if de := (*toml.DecodeError)(nil); errors.As(err, &de) {
			row, _ := de.Position()
			return nil, false, fmt.Errorf("%s:%d: %s", name, row, de.Error())
		}
		return nil, false, fmt.Errorf("%s: %w", name, err)
	}
	// The bare parser keeps each key's line, so the table becomes the YAML
	// tree ParseConfig walks and the errors are the same.
	root, err := tomlTree(data)
	if err != nil {
		return nil, false, fmt.Errorf("%s: %w", name, err)
	}
	table := lookup(lookup(root, "tool"), "djintegrity")
	if table == nil {
		return nil, false, nil
	}
	c := &configParser{name: name, cfg: DefaultConfig()}
	if err := c.top(table); err != nil {
		return nil, true, err
	}
	return c.cfg, true, nil
}

// ResolveConfig picks a repository's configuration from its two files,
// each nil when absent: .github/djintegrity.yml or pyproject.toml's
// [tool.djintegrity]. Both at once is an error naming both, rather than a
// silent precedence that would leave one ignored. Neither is the defaults.
func ResolveConfig(ymlName string, yml []byte, pyName string, py []byte) (*Config, error) {
	var fromPy *Config
	if py != nil {
		cfg, found, err := ParsePyproject(pyName, py)
		if err != nil {
			return nil, err
		}
		if found {
			fromPy = cfg
		}
	}
	switch {
	case yml != nil && fromPy != nil:
		return nil, fmt.Errorf("configuration in both %s and %s [tool.djintegrity]: keep one", ymlName, pyName)
	case yml != nil:
		return ParseConfig(ymlName, yml)
	case fromPy != nil:
		return fromPy, nil
	}
	return DefaultConfig(), nil
}

// FindConfig loads the configuration of the tree checked out at root, as
// `djintegrity check` finds it: root's .github/djintegrity.yml and, the way
// Ruff finds its own, the nearest pyproject.toml with a [tool.djintegrity]
// table from start up to root (start is root or a directory inside it).
// It returns the configuration and the file it came from ("" for the
// defaults).
func FindConfig(root, start string) (*Config, string, error) {
	ymlName := filepath.Join(root, filepath.FromSlash(ConfigPath))
	yml, err := readIfExists(ymlName)
	if err != nil {
		return nil, "", err
	}
	pyName, py, err := nearestPyproject(root, start)
	if err != nil {
		return nil, "", err
	}
	cfg, err := ResolveConfig(ymlName, yml, pyName, py)
	if err != nil {
		return nil, "", err
	}
	switch {
	case yml != nil:
		return cfg, ymlName, nil
	case py != nil:
		return cfg, pyName, nil
	}
	return cfg, "", nil
}

// LoadConfigFile reads a configuration named on the command line: a
// pyproject.toml's [tool.djintegrity] table when the name ends in .toml,
// else the YAML of ConfigPath.
func LoadConfigFile(name string) (*Config, error) {
	if filepath.Ext(name) != ".toml" {
		return LoadConfig(name)
	}
	b, err := os.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	cfg, found, err := ParsePyproject(name, b)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, fmt.Errorf("%s has no [tool.djintegrity] table", name)
	}
	return cfg, nil
}

// nearestPyproject returns the first pyproject.toml from start up to root
// that has a [tool.djintegrity] table; one without the table is skipped,
// as Ruff skips one without [tool.ruff].
func nearestPyproject(root, start string) (string, []byte, error) {
	root, start = filepath.Clean(root), filepath.Clean(start)
	for dir := start; ; {
		name := filepath.Join(dir, PyprojectPath)
		b, err := readIfExists(name)
		if err != nil {
			return "", nil, err
		}
		if b != nil {
			if _, found, err := ParsePyproject(name, b); err != nil || found {
				return name, b, nil // ResolveConfig reports the error
			}
		}
		parent := filepath.Dir(dir)
		if dir == root || parent == dir {
			return "", nil, nil
		}
		dir = parent
	}
}

func readIfExists(name string) ([]byte, error) {
	b, err := os.ReadFile(name)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read configuration: %w", err)
	}
	return b, nil
}

// lookup returns the value of key in mapping m, nil when m is not a
// mapping or lacks it.
func lookup(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

// tomlTree turns a TOML document (already checked by the decoder) into a
// YAML node tree with each key's line. go-toml's parser is its "unstable"
// API: the only one that gives positions; the version is pinned.
func tomlTree(data []byte) (*yaml.Node, error) {
	var p unstable.Parser
	p.Reset(data)
	line := func(n *unstable.Node, fallback int) int {
		if n == nil || n.Raw.Length == 0 {
			return fallback
		}
		return p.Shape(n.Raw).Start.Line
	}
	root := &yaml.Node{Kind: yaml.MappingNode, Line: 1}
	current := root
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table, unstable.ArrayTable:
			keys, at := tomlKeys(e.Key(), line)
			current = descend(root, keys, at)
			if e.Kind == unstable.ArrayTable {
				current.Kind = yaml.SequenceNode
				item := &yaml.Node{Kind: yaml.MappingNode, Line: at}
				current.Content = append(current.Content, item)
				current = item
			}
		case unstable.KeyValue:
			keys, at := tomlKeys(e.Key(), line)
			setValue(current, keys, at, tomlValue(e.Value(), at, line))
		}
	}
	if err := p.Error(); err != nil {
		return nil, fmt.Errorf("parse: %w", err)
	}
	return root, nil
}

func tomlKeys(it unstable.Iterator, line func(*unstable.Node, int) int) ([]string, int) {
	var keys []string
	at := 0
	for it.Next() {
		k := it.Node()
		keys = append(keys, string(k.Data))
		if at == 0 {
			at = line(k, 0)
		}
	}
	return keys, at
}

// descend returns the mapping at keys below m, creating it (the last
// element of an array of tables stands for the array).
func descend(m *yaml.Node, keys []string, at int) *yaml.Node {
	for _, k := range keys {
		next := lookup(m, k)
		if next == nil {
			next = &yaml.Node{Kind: yaml.MappingNode, Line: at}
			m.Content = append(m.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k, Line: at}, next)
		}
		if next.Kind == yaml.SequenceNode && len(next.Content) > 0 {
			next = next.Content[len(next.Content)-1]
		}
		m = next
	}
	return m
}

func setValue(m *yaml.Node, keys []string, at int, v *yaml.Node) {
	parent := descend(m, keys[:len(keys)-1], at)
	parent.Content = append(parent.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: keys[len(keys)-1], Line: at}, v)
}

func tomlValue(n *unstable.Node, keyLine int, line func(*unstable.Node, int) int) *yaml.Node {
	at := line(n, keyLine)
	scalar := func(tag string) *yaml.Node {
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: tag, Value: string(n.Data), Line: at}
	}
	switch n.Kind {
	case unstable.String:
		return scalar("!!str")
	case unstable.Integer:
		return scalar("!!int")
	case unstable.Float:
		return scalar("!!float")
	case unstable.Bool:
		return scalar("!!bool")
	case unstable.Array:
		out := &yaml.Node{Kind: yaml.SequenceNode, Line: at}
		for it := n.Children(); it.Next(); {
			out.Content = append(out.Content, tomlValue(it.Node(), at, line))
		}
		return out
	case unstable.InlineTable:
		out := &yaml.Node{Kind: yaml.MappingNode, Line: at}
		for it := n.Children(); it.Next(); {
			kv := it.Node()
			keys, kat := tomlKeys(kv.Key(), line)
			setValue(out, keys, cmp.Or(kat, at), tomlValue(kv.Value(), cmp.Or(kat, at), line))
		}
		return out
	}
	return scalar("!!timestamp") // dates and times
}
