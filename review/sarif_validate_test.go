package review

import (
	"cmp"
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/djintegrity/djintegrity/githubtest"
)

// multitoolVersion pins @microsoft/sarif-multitool.
const multitoolVersion = "5.7.0"

// sarifMultitool installs @microsoft/sarif-multitool with npm into the
// shared cache (githubtest.NPMPackage) and returns its binary.
func sarifMultitool(t *testing.T) string {
	t.Helper()
	pkg := githubtest.NPMPackage(t, "@microsoft/sarif-multitool@"+multitoolVersion)
	bin := findMultitool(filepath.Dir(filepath.Dir(filepath.Dir(pkg)))) // the --prefix directory
	if bin == "" {
		t.Fatalf("npm installed @microsoft/sarif-multitool into %s but no Sarif.Multitool binary for this platform is there", pkg)
	}
	return bin
}

// findMultitool finds the platform package's Sarif.Multitool binary and
// makes it executable: npm does not run the package's install script,
// which would.
func findMultitool(dir string) string {
	var bin string
	root := filepath.Join(dir, "node_modules", "@microsoft")
	_ = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || bin != "" {
			return nil
		}
		if !d.IsDir() && (d.Name() == "Sarif.Multitool" || d.Name() == "Sarif.Multitool.exe") &&
			strings.HasPrefix(filepath.Base(filepath.Dir(p)), "sarif-multitool-") {
			bin = p
		}
		return nil
	})
	if bin == "" {
		return ""
	}
	if fi, err := os.Stat(bin); err == nil && fi.Mode()&0o100 == 0 {
		if err := os.Chmod(bin, fi.Mode()|0o100); err != nil {
			return ""
		}
	}
	return bin
}

// validationLog is the part of the Multitool's own SARIF output the test
// reads.
type validationLog struct {
	Runs []struct {
		Tool struct {
			Driver struct {
				Rules []struct {
					ID                   string `json:"id"`
					DefaultConfiguration struct {
						Level string `json:"level"`
					} `json:"defaultConfiguration"`
				} `json:"rules"`
			} `json:"driver"`
		} `json:"tool"`
		Results []struct {
			RuleID  string `json:"ruleId"`
			Level   string `json:"level"`
			Message struct {
				ID        string   `json:"id"`
				Text      string   `json:"text"`
				Arguments []string `json:"arguments"`
			} `json:"message"`
		} `json:"results"`
	} `json:"runs"`
}

func TestSARIFValidates(t *testing.T) {
	t.Parallel() // each Multitool run takes a second or more
	bin := sarifMultitool(t)
	skipped := sampleResult()
	skipped.Skipped = []SkippedFile{{Path: "shop/big views.py", Reason: "over 1 MiB", Changed: true}, {Path: "settings.py", Reason: "not UTF-8"}}
	ignored := sampleResult()
	ignored.Acknowledged = []Acknowledged{{Finding: ignored.Findings[0], Reason: "orders are never deleted"}}
	ignored.Findings = ignored.Findings[1:]
	ignored.Notices = []Notice{{Path: "shop/views.py", Line: 4, Message: "`# djintegrity: ignore[chek-then-insert]` names no rule."}}
	for name, res := range map[string]*Result{"findings": sampleResult(), "empty": {FilesAnalyzed: 1}, "skipped files": skipped,
		"acknowledged and notices": ignored} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			in, out := filepath.Join(dir, "in.sarif"), filepath.Join(dir, "validation.sarif")
			var sarif strings.Builder
			if err := (sarifWriter{W: &sarif}).Publish(t.Context(), res); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(in, []byte(sarif.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "validate", in, "--output", out)
			// The Multitool is a self-contained .NET program: without libicu
			// (Debian: libicu72) it needs invariant globalization, which is
			// all that validation uses anyway.
			cmd.Env = append(os.Environ(), "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1", "DOTNET_CLI_TELEMETRY_OPTOUT=1")
			console, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("Sarif.Multitool validate: %v\n%s", err, console)
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatalf("Sarif.Multitool wrote no log: %v\n%s", err, console)
			}
			var log validationLog
			if err := json.Unmarshal(b, &log); err != nil {
				t.Fatalf("parse validation log: %v", err)
			}
			if len(log.Runs) == 0 {
				t.Fatalf("validation log has no run:\n%s", console)
			}
			errs := 0
			for _, run := range log.Runs {
				levels := map[string]string{}
				for _, r := range run.Tool.Driver.Rules {
					levels[r.ID] = r.DefaultConfiguration.Level
				}
				for _, r := range run.Results {
					level := r.Level
					if level == "" {
						level = cmp.Or(levels[r.RuleID], "warning")
					}
					if level == "error" {
						errs++
						t.Errorf("SARIF validation error %s: %s %v", r.RuleID, r.Message.ID+r.Message.Text, r.Message.Arguments)
					} else {
						t.Logf("SARIF validation %s %s: %s %v", level, r.RuleID, r.Message.ID+r.Message.Text, r.Message.Arguments)
					}
				}
			}
			if errs > 0 {
				t.Logf("Multitool console:\n%s", console)
			}
		})
	}
}

// TestSARIFValidationCatchesErrors makes sure the validation test above can
// fail: a SARIF log with a schema error must be reported.
func TestSARIFValidationCatchesErrors(t *testing.T) {
	t.Parallel()
	bin := sarifMultitool(t)
	dir := t.TempDir()
	in, out := filepath.Join(dir, "bad.sarif"), filepath.Join(dir, "validation.sarif")
	bad := `{"version": "2.1.0", "runs": [{"tool": {"driver": {"name": "x"}}, "results": [{"message": {"text": "m"}, "locations": [{"physicalLocation": {"artifactLocation": {"uri": "a.py"}, "region": {"startLine": 0}}}]}]}]}`
	if err := os.WriteFile(in, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(t.Context(), bin, "validate", in, "--output", out)
	cmd.Env = append(os.Environ(), "DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1", "DOTNET_CLI_TELEMETRY_OPTOUT=1")
	if console, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("Sarif.Multitool validate: %v\n%s", err, console)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var log validationLog
	if err := json.Unmarshal(b, &log); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, run := range log.Runs {
		for _, r := range run.Results {
			if r.RuleID == "JSON1008" { // startLine below its minimum
				found = true
			}
		}
	}
	if !found {
		t.Errorf("the Multitool did not report startLine 0 (JSON1008):\n%s", b)
	}
}
