package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// actionFile is the part of action.yml the tests read.
type actionFile struct {
	Inputs map[string]struct {
		Default string `yaml:"default"`
	} `yaml:"inputs"`
	Runs struct {
		Using string       `yaml:"using"`
		Steps []actionStep `yaml:"steps"`
	} `yaml:"runs"`
}

type actionStep struct {
	ID    string            `yaml:"id"`
	If    string            `yaml:"if"`
	Uses  string            `yaml:"uses"`
	Run   string            `yaml:"run"`
	Shell string            `yaml:"shell"`
	Env   map[string]string `yaml:"env"`
}

func loadAction(t *testing.T) actionFile {
	t.Helper()
	b, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	var action actionFile
	if err := yaml.Unmarshal(b, &action); err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return action
}

// step returns the step of action.yml with the given id.
func (a actionFile) step(t *testing.T, id string) actionStep {
	t.Helper()
	for _, s := range a.Runs.Steps {
		if s.ID == id {
			return s
		}
	}
	t.Fatalf("action.yml has no step with id %q", id)
	return actionStep{}
}

// TestActionYAML: the composite action gets the release executable (step
// "release"), builds from its own source only when that step says so, and
// runs the GitHub review with the token input on whichever it has.
func TestActionYAML(t *testing.T) {
	action := loadAction(t)
	if action.Runs.Using != "composite" {
		t.Errorf("runs.using %q, want composite", action.Runs.Using)
	}
	if action.Inputs["github-token"].Default != "${{ github.token }}" {
		t.Errorf("github-token input defaults to %q, want the job's token", action.Inputs["github-token"].Default)
	}
	release := action.step(t, "release")
	if !strings.Contains(release.Run, "scripts/action-install.sh") || release.Env["DJINTEGRITY_VERSION"] != "${{ github.action_ref }}" {
		t.Errorf("the release step does not run scripts/action-install.sh with the Action's ref: %+v", release)
	}
	var build, review bool
	for _, s := range action.Runs.Steps {
		if s.Run != "" && s.Shell == "" {
			t.Errorf("composite run step without shell: %q", s.Run)
		}
		if (s.Uses != "" && strings.HasPrefix(s.Uses, "actions/setup-go")) || strings.Contains(s.Run, "go build") {
			if s.If != "steps.release.outputs.build == 'true'" {
				t.Errorf("step %q (%s%s) runs even when the release executable was downloaded: if %q", s.ID, s.Uses, s.Run, s.If)
			}
		}
		build = build || strings.Contains(s.Run, "go build") && strings.Contains(s.Run, "./cmd/djintegrity")
		review = review || strings.Contains(s.Run, "check") && strings.Contains(s.Run, "--github-review") &&
			s.Env["GITHUB_TOKEN"] == "${{ inputs.github-token }}" &&
			s.Env["DJINTEGRITY"] == "${{ steps.release.outputs.path || steps.source.outputs.path }}"
	}
	if !build || !review {
		t.Errorf("action.yml builds djintegrity from source: %v, runs check --github-review with the token on the executable it got: %v", build, review)
	}
}

// fakeRelease is a release server: files by URL path, and the paths asked.
type fakeRelease struct {
	files map[string][]byte
	mu    sync.Mutex
	asked []string
}

func (f *fakeRelease) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.asked = append(f.asked, r.URL.Path)
	f.mu.Unlock()
	b, ok := f.files[r.URL.Path]
	if !ok {
		http.NotFound(w, r)
		return
	}
	_, _ = w.Write(b)
}

func (f *fakeRelease) requests() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := f.asked
	f.asked = nil
	return out
}

// addRelease publishes tag's executables with a SHA256SUMS; sums edits
// the SHA256SUMS lines before they are served.
func (f *fakeRelease) addRelease(tag string, sums func(lines []string) []string) {
	var lines []string
	for _, name := range []string{"djintegrity-linux-amd64", "djintegrity-linux-arm64", "djintegrity-windows-amd64.exe"} {
		b := []byte(fmt.Sprintf("#!/bin/sh\necho %s %s\n", name, tag))
		f.files["/"+tag+"/"+name] = b
		sum := sha256.Sum256(b)
		lines = append(lines, hex.EncodeToString(sum[:])+"  "+name)
	}
	if sums != nil {
		lines = sums(lines)
	}
	f.files["/"+tag+"/SHA256SUMS"] = []byte(strings.Join(lines, "\n") + "\n")
}

// requireTools skips the test without the tools it runs, or fails it
// under CI=true, where .ci/run installs them.
func requireTools(t *testing.T, install string, tools ...string) {
	t.Helper()
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			msg := tool + " not found: apt-get install " + install
			if os.Getenv("CI") == "true" {
				t.Fatal(msg + " (CI=true: a missing prerequisite is a failure)")
			}
			t.Skip(msg)
		}
	}
}

// actionRun is one run of the Action's release step.
type actionRun struct {
	outputs map[string]string
	log     string
	err     error
}

// runReleaseStep runs action.yml's release step as the runner would: its
// run script in bash, with its env (the expressions evaluated from ctx) and
// the runner's variables.
func runReleaseStep(t *testing.T, step actionStep, actionPath string, ctx, runner map[string]string) actionRun {
	t.Helper()
	output := filepath.Join(t.TempDir(), "output")
	if err := os.WriteFile(output, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(), "GITHUB_ACTION_PATH="+actionPath, "GITHUB_OUTPUT="+output, "RUNNER_TEMP="+t.TempDir())
	expr := regexp.MustCompile(`\$\{\{\s*([^}]*?)\s*\}\}`)
	for k, v := range step.Env {
		env = append(env, k+"="+expr.ReplaceAllStringFunc(v, func(m string) string {
			name := expr.FindStringSubmatch(m)[1]
			val, ok := ctx[name]
			if !ok {
				t.Fatalf("action.yml's release step uses ${{ %s }}, which the test does not set", name)
			}
			return val
		}))
	}
	for k, v := range runner {
		env = append(env, k+"="+v)
	}
	cmd := exec.CommandContext(t.Context(), "bash", "-e", "-c", step.Run)
	cmd.Env = env
	var log bytes.Buffer
	cmd.Stdout, cmd.Stderr = &log, &log
	err := cmd.Run()
	b, rerr := os.ReadFile(output)
	if rerr != nil {
		t.Fatal(rerr)
	}
	outputs := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok {
			outputs[k] = v
		}
	}
	return actionRun{outputs: outputs, log: log.String(), err: err}
}

// TestActionRelease runs the Action's download step against release files
// served from a local HTTP server: the executable for the runner, checked
// against SHA256SUMS and kept in the tool cache; a build from source for a
// ref that is not a release tag; a failure for a file whose checksum does
// not match.
func TestActionRelease(t *testing.T) {
	requireTools(t, "bash curl coreutils", "bash", "curl", "sha256sum")
	rel := &fakeRelease{files: map[string][]byte{}}
	rel.addRelease("v1.2.3", nil)
	rel.addRelease("v6.6.6", func(lines []string) []string {
		lines[0] = strings.Repeat("0", 64) + lines[0][64:] // a tampered linux-amd64
		return lines
	})
	rel.addRelease("v7.0.0", func(lines []string) []string { return lines[1:] })
	srv := httptest.NewServer(rel)
	t.Cleanup(srv.Close)

	step := loadAction(t).step(t, "release")
	repoRoot, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	// A copy of the Action where the runner unpacks it, named by its ref,
	// for the case where github.action_ref comes empty.
	unpacked := filepath.Join(t.TempDir(), "_actions", "djintegrity", "djintegrity", "v1.2.3")
	script, err := os.ReadFile(filepath.Join(repoRoot, "scripts", "action-install.sh"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(unpacked, "scripts"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(unpacked, "scripts", "action-install.sh"), script, 0o755); err != nil {
		t.Fatal(err)
	}

	tests := map[string]struct {
		ref, actionPath string
		os, arch        string
		wantExe         string // the release file the tool cache holds, "" for none
		wantCached      string // its path under the tool cache
		wantBuild       bool
		wantLog         string
		wantRequests    []string
	}{
		"release on Linux x64": {
			ref: "v1.2.3", os: "Linux", arch: "X64",
			wantExe: "djintegrity-linux-amd64", wantCached: "djintegrity/1.2.3/x64/djintegrity",
			wantRequests: []string{"/v1.2.3/SHA256SUMS", "/v1.2.3/djintegrity-linux-amd64"},
		},
		"release on Linux ARM64": {
			ref: "v1.2.3", os: "Linux", arch: "ARM64",
			wantExe: "djintegrity-linux-arm64", wantCached: "djintegrity/1.2.3/arm64/djintegrity",
			wantRequests: []string{"/v1.2.3/SHA256SUMS", "/v1.2.3/djintegrity-linux-arm64"},
		},
		"release on Windows x64": {
			ref: "v1.2.3", os: "Windows", arch: "X64",
			wantExe: "djintegrity-windows-amd64.exe", wantCached: "djintegrity/1.2.3/x64/djintegrity.exe",
			wantRequests: []string{"/v1.2.3/SHA256SUMS", "/v1.2.3/djintegrity-windows-amd64.exe"},
		},
		"ref read from the Action's directory": {
			ref: "", actionPath: unpacked, os: "Linux", arch: "X64",
			wantExe: "djintegrity-linux-amd64", wantCached: "djintegrity/1.2.3/x64/djintegrity",
			wantRequests: []string{"/v1.2.3/SHA256SUMS", "/v1.2.3/djintegrity-linux-amd64"},
		},
		"branch builds from source": {
			ref: "main", os: "Linux", arch: "X64", wantBuild: true, wantLog: "not a release tag",
		},
		"commit builds from source": {
			ref: "0123456789abcdef0123456789abcdef01234567", os: "Linux", arch: "X64", wantBuild: true, wantLog: "not a release tag",
		},
		"macOS builds from source": {
			ref: "v1.2.3", os: "macOS", arch: "ARM64", wantBuild: true, wantLog: "no release executable for macOS ARM64",
		},
		"checksum mismatch fails": {
			ref: "v6.6.6", os: "Linux", arch: "X64", wantLog: "::error::djintegrity: checksum mismatch",
			wantRequests: []string{"/v6.6.6/SHA256SUMS", "/v6.6.6/djintegrity-linux-amd64"},
		},
		"file not in SHA256SUMS fails": {
			ref: "v7.0.0", os: "Linux", arch: "X64", wantLog: "::error::djintegrity: djintegrity-linux-amd64 is not listed",
			wantRequests: []string{"/v7.0.0/SHA256SUMS", "/v7.0.0/djintegrity-linux-amd64"},
		},
		"release not published fails": {
			ref: "v9.9.9", os: "Linux", arch: "X64", wantLog: "::error::djintegrity: could not download",
			wantRequests: []string{"/v9.9.9/SHA256SUMS"},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			actionPath := tc.actionPath
			if actionPath == "" {
				actionPath = repoRoot
			}
			toolCache := t.TempDir()
			ctx := map[string]string{"github.action_ref": tc.ref, "github.action_repository": ""}
			runner := map[string]string{
				"RUNNER_OS": tc.os, "RUNNER_ARCH": tc.arch, "RUNNER_TOOL_CACHE": toolCache,
				"DJINTEGRITY_RELEASE_URL": srv.URL,
			}
			rel.requests()
			start := time.Now()
			got := runReleaseStep(t, step, actionPath, ctx, runner)
			elapsed := time.Since(start)
			if diff := cmp.Diff(tc.wantRequests, rel.requests()); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			if !strings.Contains(got.log, tc.wantLog) {
				t.Errorf("log does not say %q:\n%s", tc.wantLog, got.log)
			}
			switch {
			case tc.wantBuild:
				if got.err != nil || got.outputs["build"] != "true" || got.outputs["path"] != "" {
					t.Errorf("want build=true and no path; got %v, outputs %v\n%s", got.err, got.outputs, got.log)
				}
			case tc.wantExe == "":
				if got.err == nil || len(got.outputs) != 0 {
					t.Errorf("want a failure with no output; got %v, outputs %v\n%s", got.err, got.outputs, got.log)
				}
				if entries, _ := os.ReadDir(toolCache); len(entries) != 0 {
					t.Errorf("a failed download left %d entries in the tool cache", len(entries))
				}
			default:
				want := filepath.Join(toolCache, filepath.FromSlash(tc.wantCached))
				if got.err != nil || got.outputs["path"] != want {
					t.Fatalf("want path=%s; got %v, outputs %v\n%s", want, got.err, got.outputs, got.log)
				}
				b, err := os.ReadFile(want)
				if err != nil || !bytes.Equal(b, rel.files["/v1.2.3/"+tc.wantExe]) {
					t.Errorf("the tool cache holds %q (%v), not the release's %s", b, err, tc.wantExe)
				}
				if fi, err := os.Stat(want); err != nil || fi.Mode().Perm()&0o111 == 0 {
					t.Errorf("the cached executable is not executable: %v", err)
				}
				t.Logf("ready in %v from the local server", elapsed.Round(time.Millisecond))
			}
		})
	}

	t.Run("the tool cache is used again", func(t *testing.T) {
		toolCache := t.TempDir()
		ctx := map[string]string{"github.action_ref": "v1.2.3", "github.action_repository": "djintegrity/djintegrity"}
		runner := map[string]string{"RUNNER_OS": "Linux", "RUNNER_ARCH": "X64", "RUNNER_TOOL_CACHE": toolCache, "DJINTEGRITY_RELEASE_URL": srv.URL}
		first := runReleaseStep(t, step, repoRoot, ctx, runner)
		rel.requests()
		second := runReleaseStep(t, step, repoRoot, ctx, runner)
		if first.err != nil || second.err != nil || second.outputs["path"] != first.outputs["path"] || first.outputs["path"] == "" {
			t.Fatalf("runs: %v %v, outputs %v then %v\n%s%s", first.err, second.err, first.outputs, second.outputs, first.log, second.log)
		}
		if asked := rel.requests(); len(asked) != 0 || !strings.Contains(second.log, "from the tool cache") {
			t.Errorf("the second run downloaded %v:\n%s", asked, second.log)
		}
	})
}
