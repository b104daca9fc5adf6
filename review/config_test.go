package review

import (
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/internal/testtree"
	"github.com/djintegrity/djintegrity/rules"
)

func TestParseConfig(t *testing.T) {
	tests := map[string]struct {
		yaml string
		want func(c *Config)
	}{
		"empty":        {yaml: "", want: func(*Config) {}},
		"comment only": {yaml: "# nothing\n", want: func(*Config) {}},
		"design example": {
			yaml: `rules:
  unvalidated-fk-id: warning      # severity override, or "off"
  fk-do-nothing: off
  check-then-insert: "off"
paths:
  views: ["**/views.py", "**/views/**/*.py", "**/api/**/*.py"]
  exclude: ["**/tests/**"]
fail_on: error                    # check-run conclusion threshold
max_inline_comments: 30           # the rest go to the check run
`,
			want: func(c *Config) {
				c.Severity["unvalidated-fk-id"] = rules.Warning
				c.Off["fk-do-nothing"] = true
				c.Off["check-then-insert"] = true
				c.Views = []string{"**/views.py", "**/views/**/*.py", "**/api/**/*.py"}
				c.Exclude = []string{"**/tests/**"}
			},
		},
		"never fail, no inline comments": {
			yaml: "fail_on: never\nmax_inline_comments: 0\npaths:\n  views: []\n",
			want: func(c *Config) {
				c.FailOn = 0
				c.MaxInlineComments = 0
				c.Views = []string{}
			},
		},
		"empty sections": {yaml: "rules:\npaths:\n", want: func(*Config) {}},
		"ignore comments": {
			yaml: "require_reason: true\nforbid_bare_ignore: true\n",
			want: func(c *Config) { c.RequireReason, c.ForbidBareIgnore = true, true },
		},
		"incomplete fails": {
			yaml: "incomplete: failure\n",
			want: func(c *Config) { c.Incomplete = "failure" },
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ParseConfig("djintegrity.yml", []byte(tt.yaml))
			if err != nil {
				t.Fatalf("ParseConfig: %v", err)
			}
			want := DefaultConfig()
			tt.want(want)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ParseConfig (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseConfigErrors(t *testing.T) {
	tests := map[string]struct {
		yaml, want string
	}{
		"unknown key":       {yaml: "rules: {}\nfail_onn: error\n", want: `djintegrity.yml:2: unknown key "fail_onn"`},
		"unknown paths key": {yaml: "paths:\n  include: [a]\n", want: `djintegrity.yml:2: unknown key "include" in paths`},
		"unknown rule":      {yaml: "rules:\n  check-then-inserts: error\n", want: `djintegrity.yml:2: unknown rule "check-then-inserts"`},
		"unknown severity":  {yaml: "rules:\n  fk-do-nothing: fatal\n", want: `djintegrity.yml:2: rules.fk-do-nothing: unknown severity "fatal"`},
		"bad fail_on":       {yaml: "\n\nfail_on: sometimes\n", want: `djintegrity.yml:3: fail_on: unknown threshold "sometimes"`},
		"negative max":      {yaml: "max_inline_comments: -1\n", want: `djintegrity.yml:1: max_inline_comments`},
		"text max":          {yaml: "max_inline_comments: lots\n", want: `djintegrity.yml:1: max_inline_comments`},
		"bad glob":          {yaml: "paths:\n  views:\n    - '**/[views.py'\n", want: `djintegrity.yml:3: paths.views: bad glob "**/[views.py"`},
		"glob not a list":   {yaml: "paths:\n  exclude: '**/tests/**'\n", want: `djintegrity.yml:2: paths.exclude: want a list`},
		"rules not a map":   {yaml: "rules: [a]\n", want: `djintegrity.yml:1: rules must be a mapping`},
		"top not a map":     {yaml: "- a\n", want: `djintegrity.yml:1: the configuration must be a mapping`},
		"duplicate":         {yaml: "fail_on: error\nfail_on: notice\n", want: `djintegrity.yml:2: duplicate key "fail_on"`},
		"severity list":     {yaml: "rules:\n  fk-do-nothing: [error]\n", want: `djintegrity.yml:2: rules.fk-do-nothing: want a single value`},
		"not yaml":          {yaml: "rules: {\n", want: `djintegrity.yml: yaml:`},
		"reason not a bool": {yaml: "require_reason: always\n", want: `djintegrity.yml:1: require_reason: want true or false`},
		"bare quoted bool":  {yaml: "forbid_bare_ignore: \"true\"\n", want: `djintegrity.yml:1: forbid_bare_ignore: want true or false`},
		"bad incomplete":    {yaml: "incomplete: success\n", want: `djintegrity.yml:1: incomplete: want neutral or failure, got "success"`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParseConfig("djintegrity.yml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseConfig: got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	if _, err := LoadConfig(filepath.Join(dir, ConfigPath)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("LoadConfig of a missing file: got %v, want not-exist", err)
	}
	testtree.Write(t, dir, map[string]string{ConfigPath: "fail_on: warning\n"})
	cfg, err := LoadConfig(filepath.Join(dir, ConfigPath))
	if err != nil || cfg.FailOn != rules.Warning {
		t.Errorf("LoadConfig = %+v, %v; want fail_on warning", cfg, err)
	}
}

func TestExceeds(t *testing.T) {
	fs := []rules.Finding{{Severity: rules.Warning}, {Severity: rules.Notice}}
	tests := map[string]struct {
		failOn rules.Severity
		want   bool
	}{
		"error":   {rules.Error, false},
		"warning": {rules.Warning, true},
		"notice":  {rules.Notice, true},
		"never":   {0, false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := Exceeds(fs, tt.failOn); got != tt.want {
				t.Errorf("Exceeds(warning+notice, %v) = %v, want %v", tt.failOn, got, tt.want)
			}
		})
	}
	if Exceeds(nil, rules.Notice) {
		t.Error("Exceeds(no findings) = true")
	}
}
