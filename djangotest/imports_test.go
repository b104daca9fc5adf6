package djangotest

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/djintegrity/djintegrity/review"
	"github.com/djintegrity/djintegrity/rules"
)

// requireDjango skips the test without Debian's Python and Django (under
// CI=true that is a failure), and with -short.
func requireDjango(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: runs Python under Django (CI runs it)")
	}
	if err := exec.CommandContext(t.Context(), Python, "-I", "-c", "import django, rest_framework").Run(); err != nil {
		msg := "needs " + Python + " with Django and Django REST framework: apt-get install python3-django python3-djangorestframework"
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s (CI=true: a missing prerequisite is a failure)", msg)
		}
		t.Skip(msg)
	}
}

// TestSuggestionsLeaveNoNameError applies every suggestion of every failing
// example, one at a time and with the imports its finding names
// (rules.Finding.Imports), as a developer who commits it and adds what the
// comment says would, then imports the changed module under real Django
// and checks that every name its functions load as a global is defined: a
// suggestion that catches IntegrityError without importing it would pass
// until the day the error is raised.
func TestSuggestionsLeaveNoNameError(t *testing.T) {
	requireDjango(t)
	type entry struct {
		ID            int      `json:"id"`
		Tree          string   `json:"tree"`
		Modules       []string `json:"modules"`
		InstalledApps []string `json:"installed_apps"`
	}
	var entries []entry
	what := map[int]string{}
	seen := map[string]bool{}
	for _, sc := range suite.scenarios {
		if !sc.Failing() || seen[sc.Source] {
			continue
		}
		seen[sc.Source] = true
		dir := filepath.Join(suite.root, sc.Source)
		res, err := review.Analyze(t.Context(), review.NewDirSource(filepath.Join(dir, "base"), filepath.Join(dir, "head")), review.DefaultConfig())
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range res.Findings {
			if f.Suggestion == nil {
				continue
			}
			tree := filepath.Join(t.TempDir(), "tree")
			if _, err := PrepareTree(dir, tree, sc.Root, sc.BaseEdited); err != nil {
				t.Fatal(err)
			}
			if err := ApplyFixes(tree, []rules.Finding{f}); err != nil {
				t.Fatal(err)
			}
			rel := f.Path
			if sc.Root != "" {
				rel = strings.TrimPrefix(rel, filepath.ToSlash(sc.Root)+"/")
			}
			mod := strings.TrimSuffix(strings.TrimSuffix(rel, ".py"), "/__init__")
			e := entry{ID: len(entries), Tree: filepath.Join(tree, filepath.FromSlash(sc.Root)),
				Modules: []string{strings.ReplaceAll(mod, "/", ".")}, InstalledApps: sc.InstalledApps}
			entries = append(entries, e)
			what[e.ID] = sc.Source + ": " + f.Rule + " at " + f.Path + ":" + strconv.Itoa(f.StartLine)
		}
	}
	if len(entries) < 10 {
		t.Fatalf("only %d suggestions in the examples: the test would prove little", len(entries))
	}
	in, err := json.Marshal(entries)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, Python, "-I", "-B", filepath.Join(suite.root, "djangotest", "namecheck.py"))
	cmd.Stdin = bytes.NewReader(in)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("namecheck.py: %v\n%s", err, stderr.String())
	}
	checked := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var res struct {
			ID        int                 `json:"id"`
			Error     string              `json:"error"`
			Undefined map[string][]string `json:"undefined"`
		}
		if err := json.Unmarshal(sc.Bytes(), &res); err != nil {
			t.Fatalf("namecheck.py wrote %q: %v", sc.Bytes(), err)
		}
		checked++
		switch {
		case res.Error != "":
			t.Errorf("%s, suggestion applied: the module does not import:\n%s", what[res.ID], res.Error)
		case len(res.Undefined) > 0:
			t.Errorf("%s, suggestion applied: names used but never defined (NameError when that code runs): %v", what[res.ID], res.Undefined)
		}
	}
	if checked != len(entries) {
		t.Errorf("namecheck.py answered %d of %d trees; stderr:\n%s", checked, len(entries), stderr.String())
	}
	t.Logf("%d suggestions applied and imported under Django", checked)
}
