package review

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/internal/testtree"
)

// designYAML is the design's example configuration; each TOML below says
// the same in one of TOML's ways of writing a table.
const designYAML = `rules:
  unvalidated-fk-id: warning
  fk-do-nothing: off
paths:
  views: ["**/views.py", "**/api/**/*.py"]
  exclude: ["**/tests/**"]
fail_on: warning
max_inline_comments: 5
`

func TestParsePyprojectSameAsYAML(t *testing.T) {
	want, err := ParseConfig("djintegrity.yml", []byte(designYAML))
	if err != nil {
		t.Fatal(err)
	}
	tests := map[string]string{
		"tables": `[project]
name = "shop"

[tool.ruff]
line-length = 100

[tool.djintegrity]
fail_on = "warning"
max_inline_comments = 5

[tool.djintegrity.rules]
unvalidated-fk-id = "warning"
fk-do-nothing = "off"

[tool.djintegrity.paths]
views = ["**/views.py", "**/api/**/*.py"]
exclude = [
  "**/tests/**",  # comment
]
`,
		"dotted keys": `[tool.djintegrity]
fail_on = "warning"
max_inline_comments = 5
rules.unvalidated-fk-id = "warning"
rules.fk-do-nothing = "off"
paths.views = ["**/views.py", "**/api/**/*.py"]
paths.exclude = ["**/tests/**"]
`,
		"inline tables": `[tool]
djintegrity = { fail_on = "warning", max_inline_comments = 5, rules = { unvalidated-fk-id = "warning", "fk-do-nothing" = "off" }, paths = { views = ["**/views.py", "**/api/**/*.py"], exclude = ["**/tests/**"] } }
`,
	}
	for name, toml := range tests {
		t.Run(name, func(t *testing.T) {
			got, found, err := ParsePyproject("pyproject.toml", []byte(toml))
			if err != nil || !found {
				t.Fatalf("ParsePyproject: found %v, %v", found, err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("[tool.djintegrity] differs from the same YAML (-yaml +toml):\n%s", diff)
			}
		})
	}
}

func TestParsePyprojectWithoutTable(t *testing.T) {
	for name, toml := range map[string]string{
		"empty":       "",
		"other tools": "[project]\nname = \"x\"\n[tool.ruff]\nline-length = 88\n",
	} {
		t.Run(name, func(t *testing.T) {
			cfg, found, err := ParsePyproject("pyproject.toml", []byte(toml))
			if err != nil || found || cfg != nil {
				t.Errorf("ParsePyproject = %v, %v, %v; want nothing found", cfg, found, err)
			}
		})
	}
}

// TestParsePyprojectErrors: the YAML's errors, with the TOML's lines.
func TestParsePyprojectErrors(t *testing.T) {
	tests := map[string]struct {
		toml, want string
	}{
		"unknown key":      {toml: "[tool.djintegrity]\n\nfail_onn = \"error\"\n", want: `pyproject.toml:3: unknown key "fail_onn"`},
		"unknown rule":     {toml: "[tool.djintegrity.rules]\ncheck-then-inserts = \"error\"\n", want: `pyproject.toml:2: unknown rule "check-then-inserts"`},
		"unknown severity": {toml: "[tool.djintegrity]\nrules.fk-do-nothing = \"fatal\"\n", want: `pyproject.toml:2: rules.fk-do-nothing: unknown severity "fatal"`},
		"negative max":     {toml: "[tool.djintegrity]\nmax_inline_comments = -1\n", want: `pyproject.toml:2: max_inline_comments`},
		"bad glob":         {toml: "[tool.djintegrity.paths]\nviews = [\n  '**/[views.py',\n]\n", want: `pyproject.toml:3: paths.views: bad glob "**/[views.py"`},
		"glob not a list":  {toml: "[tool.djintegrity.paths]\nexclude = '**/tests/**'\n", want: `pyproject.toml:2: paths.exclude: want a list`},
		"not a table":      {toml: "[tool]\ndjintegrity = 3\n", want: `pyproject.toml:2: the configuration must be a mapping`},
		"array of tables":  {toml: "[[tool.djintegrity]]\nfail_on = \"error\"\n", want: `pyproject.toml:1: the configuration must be a mapping`},
		"duplicate":        {toml: "[tool.djintegrity]\nfail_on = \"error\"\nfail_on = \"notice\"\n", want: `pyproject.toml: toml: key fail_on is already defined`},
		"not toml":         {toml: "[tool.djintegrity\n", want: `pyproject.toml:1:`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			_, _, err := ParsePyproject("pyproject.toml", []byte(tt.toml))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParsePyproject: got error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestFindConfig(t *testing.T) {
	const (
		yml   = "fail_on: notice\n"
		table = "[tool.djintegrity]\nfail_on = \"warning\"\n"
		other = "[tool.ruff]\nline-length = 88\n"
	)
	tests := map[string]struct {
		files   map[string]string
		start   string // below the root
		from    string // the file the configuration comes from, "" for the defaults
		wantErr string
	}{
		"none":                     {files: map[string]string{"a.py": ""}},
		"yml":                      {files: map[string]string{ConfigPath: yml}, from: ConfigPath},
		"pyproject at the root":    {files: map[string]string{PyprojectPath: table}, from: PyprojectPath},
		"pyproject without table":  {files: map[string]string{PyprojectPath: other}},
		"yml and a foreign table":  {files: map[string]string{ConfigPath: yml, PyprojectPath: other}, from: ConfigPath},
		"nearest from a subfolder": {files: map[string]string{PyprojectPath: other, "backend/pyproject.toml": table, "backend/shop/x.py": ""}, start: "backend/shop", from: "backend/pyproject.toml"},
		"skips a foreign nearest":  {files: map[string]string{PyprojectPath: table, "backend/pyproject.toml": other}, start: "backend", from: PyprojectPath},
		"both":                     {files: map[string]string{ConfigPath: yml, PyprojectPath: table}, wantErr: "configuration in both"},
		"bad nearest":              {files: map[string]string{PyprojectPath: "[tool.djintegrity]\nfail = 1\n"}, wantErr: `pyproject.toml:2: unknown key "fail"`},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			testtree.Write(t, root, tt.files)
			cfg, from, err := FindConfig(root, filepath.Join(root, filepath.FromSlash(tt.start)))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("FindConfig: got error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := ""
			if tt.from != "" {
				want = filepath.Join(root, filepath.FromSlash(tt.from))
			}
			if from != want {
				t.Errorf("configuration from %q, want %q", from, want)
			}
			wantFailOn := DefaultConfig().FailOn
			switch tt.files[tt.from] {
			case yml:
				wantFailOn = 1 // notice
			case table:
				wantFailOn = 2 // warning
			}
			if cfg.FailOn != wantFailOn {
				t.Errorf("fail_on %v, want %v", cfg.FailOn, wantFailOn)
			}
		})
	}
}

// TestREADMEConfigurationExamples: the README's pyproject.toml example says
// what its YAML example says.
func TestREADMEConfigurationExamples(t *testing.T) {
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## Configuration\n")
	if !ok {
		t.Fatal("README has no Configuration section")
	}
	block := func(lang string) string {
		_, rest, ok := strings.Cut(section, "```"+lang+"\n")
		if !ok {
			t.Fatalf("the Configuration section has no %s block", lang)
		}
		text, _, _ := strings.Cut(rest, "```")
		return text
	}
	want, err := ParseConfig("README yaml", []byte(block("yaml")))
	if err != nil {
		t.Fatal(err)
	}
	got, found, err := ParsePyproject("README toml", []byte(block("toml")))
	if err != nil || !found {
		t.Fatalf("ParsePyproject: found %v, %v", found, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("the README's TOML differs from its YAML (-yaml +toml):\n%s", diff)
	}
}
