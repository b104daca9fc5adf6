package main

import (
	"archive/zip"
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.yaml.in/yaml/v3"
)

// releaseEnv is the directory the release build wrote for the host, shared
// by the tests that install from it.
var releaseEnv struct {
	once    sync.Once
	dir     string
	built   bool   // dir is the test's own, removed by TestMain
	version string // pyproject.toml's, which the hook pins
	skip    string
	err     error
}

// hostCC is the C compiler scripts/release.sh uses for the host's target.
var hostCC = map[string]string{"amd64": "x86_64-linux-gnu-gcc", "arm64": "aarch64-linux-gnu-gcc"}

// releaseDir builds the release for the host's Linux target with the
// documented command (or takes DJINTEGRITY_RELEASE_DIR, a release already
// built, as the release workflow does) and returns the directory and the
// version. Without the tools the test is skipped; under CI=true it fails.
func releaseDir(t *testing.T) (dir, version string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds the release executable; skipped with -short")
	}
	if runtime.GOOS != "linux" || hostCC[runtime.GOARCH] == "" {
		t.Skipf("the release build runs on Linux amd64 or arm64, not %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	releaseEnv.once.Do(func() {
		b, err := os.ReadFile("../../pyproject.toml")
		if err != nil {
			releaseEnv.err = err
			return
		}
		m := regexp.MustCompile(`(?m)^version = "([^"]+)"$`).FindSubmatch(b)
		if m == nil {
			releaseEnv.err = fmt.Errorf("pyproject.toml has no version")
			return
		}
		releaseEnv.version = string(m[1])
		if dir := os.Getenv("DJINTEGRITY_RELEASE_DIR"); dir != "" {
			if !filepath.IsAbs(dir) {
				dir = filepath.Join("../..", dir) // relative to the repository's root
			}
			releaseEnv.dir, releaseEnv.err = filepath.Abs(dir)
			return
		}
		for _, tool := range []string{"bash", "git", "python3", hostCC[runtime.GOARCH]} {
			if _, err := exec.LookPath(tool); err != nil {
				releaseEnv.skip = tool + " not found: apt-get install gcc libc6-dev git python3"
				return
			}
		}
		out, err := os.MkdirTemp("", "djintegrity-release-")
		if err != nil {
			releaseEnv.err = err
			return
		}
		start := time.Now()
		cmd := exec.Command("bash", "scripts/release.sh", "v"+releaseEnv.version, out)
		cmd.Dir = "../.."
		cmd.Env = append(os.Environ(), "TARGETS=linux/"+runtime.GOARCH, "CC_LINUX_AMD64=", "CC_LINUX_ARM64=")
		if b, err := cmd.CombinedOutput(); err != nil {
			releaseEnv.err = fmt.Errorf("scripts/release.sh: %w\n%s", err, b)
			return
		}
		fmt.Fprintf(os.Stderr, "release: built the %s release in %v\n", runtime.GOARCH, time.Since(start).Round(time.Second))
		releaseEnv.dir, releaseEnv.built = out, true
	})
	if releaseEnv.skip != "" {
		if os.Getenv("CI") == "true" {
			t.Fatal(releaseEnv.skip + " (CI=true: a missing prerequisite is a failure)")
		}
		t.Skip(releaseEnv.skip)
	}
	if releaseEnv.err != nil {
		t.Fatal(releaseEnv.err)
	}
	return releaseEnv.dir, releaseEnv.version
}

// removeRelease removes the release the tests built, at the end of the run.
func removeRelease() {
	if releaseEnv.built {
		_ = os.RemoveAll(releaseEnv.dir)
	}
}

// requirePythonVenv skips the test when python3 cannot make a virtual
// environment with pip (Debian's python3-venv), or fails it under CI=true.
func requirePythonVenv(t *testing.T) {
	t.Helper()
	if out, err := exec.Command("python3", "-c", "import ensurepip, venv").CombinedOutput(); err != nil {
		msg := fmt.Sprintf("python3 cannot make a virtual environment with pip (%v: %s): apt-get install python3-venv", err, bytes.TrimSpace(out))
		if os.Getenv("CI") == "true" {
			t.Fatal(msg + " (CI=true: a missing prerequisite is a failure)")
		}
		t.Skip(msg)
	}
}

// hostWheel returns the path of the release's wheel for the host.
func hostWheel(t *testing.T, dir, version string) string {
	t.Helper()
	arch := map[string]string{"amd64": "x86_64", "arm64": "aarch64"}[runtime.GOARCH]
	name := fmt.Sprintf("djintegrity-%s-py3-none-manylinux_2_17_%s.manylinux2014_%s.musllinux_1_1_%s.whl", version, arch, arch, arch)
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("the release has no wheel for the host: %v", err)
	}
	return p
}

// TestReleaseChecksums: SHA256SUMS lists every file of the release, each
// with its SHA-256, in the format sha256sum -c reads.
func TestReleaseChecksums(t *testing.T) {
	dir, _ := releaseDir(t)
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	for _, e := range entries {
		if e.Name() == "SHA256SUMS" {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256(b)
		want[e.Name()] = hex.EncodeToString(sum[:])
	}
	b, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		sum, name, ok := strings.Cut(line, "  ")
		if !ok {
			t.Fatalf("SHA256SUMS line %q is not sha256sum's", line)
		}
		got[name] = sum
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SHA256SUMS (-files +listed):\n%s", diff)
	}
}

// TestReleaseWheel: the host's wheel is a valid wheel holding the release
// executable as the djintegrity command; installed with pip from no index
// into a fresh virtual environment, it reviews the bundled example with no
// Go on PATH, and gives the findings of this build.
func TestReleaseWheel(t *testing.T) {
	dir, version := releaseDir(t)
	requirePythonVenv(t)
	wheel := hostWheel(t, dir, version)
	exe, err := os.ReadFile(filepath.Join(dir, "djintegrity-linux-"+runtime.GOARCH))
	if err != nil {
		t.Fatal(err)
	}
	checkWheel(t, wheel, version, exe)

	venv := filepath.Join(t.TempDir(), "venv")
	start := time.Now()
	runIn(t, "", nil, "python3", "-m", "venv", venv)
	venvDone := time.Now()
	runIn(t, "", nil, filepath.Join(venv, "bin", "pip"), "install", "--no-index", "--no-cache-dir", "--disable-pip-version-check", "-q", wheel)

	// PATH holds the environment's bin and git (check --base-dir diffs
	// with it), nothing else: no Go, no C compiler.
	path := filepath.Join(venv, "bin") + string(os.PathListSeparator) + toolsDir(t, "git")
	env := []string{"PATH=" + path, "HOME=" + t.TempDir()}
	for _, tool := range []string{"go", "gcc", "cc"} {
		if p, err := lookPathIn(tool, path); err == nil {
			t.Fatalf("%s is on the test's PATH (%s)", tool, p)
		}
	}
	shop := []string{"--base-dir", "examples/shop/base", "--head-dir", "examples/shop/head"}
	text, code := runCode(t, "../..", env, "djintegrity", append([]string{"check"}, shop...)...)
	firstFinding := time.Now()
	if code != exitFindings || !strings.Contains(text, "[not-null-without-default]") {
		t.Fatalf("the installed djintegrity on the shop example: exit %d, want 1 with findings:\n%s", code, text)
	}
	t.Logf("wheel %d bytes; python3 -m venv %v, then pip install to the first finding %v",
		fileSize(t, wheel), venvDone.Sub(start).Round(10*time.Millisecond), firstFinding.Sub(venvDone).Round(10*time.Millisecond))

	installed, _ := runCode(t, "../..", env, "djintegrity", append([]string{"check", "--format", "json"}, shop...)...)
	inProcess, _, _ := runCLI(t, append([]string{"check", "--format", "json"}, "--base-dir", "../../examples/shop/base", "--head-dir", "../../examples/shop/head")...)
	if diff := cmp.Diff(decodeReport(t, inProcess).Findings, decodeReport(t, installed).Findings); diff != "" {
		t.Errorf("the installed executable's findings differ from this build's (-this +installed):\n%s", diff)
	}

	commit := strings.TrimSpace(runIn(t, "../..", nil, "git", "rev-parse", "HEAD"))
	wantVersion := regexp.MustCompile(`^djintegrity v` + regexp.QuoteMeta(version) + ` \(commit ` + commit[:12] + `(-dirty)?, built \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\)\n$`)
	for _, args := range [][]string{{"djintegrity", "version"}, {"python", "-m", "djintegrity", "version"}} {
		out, code := runCode(t, "", env, args[0], args[1:]...)
		if code != 0 || !wantVersion.MatchString(out) {
			t.Errorf("%s: exit %d, %q; want %s", strings.Join(args, " "), code, out, wantVersion)
		}
	}
}

// checkWheel reads the wheel as an installer would: its metadata, and
// RECORD's hash and size of every other file.
func checkWheel(t *testing.T, wheel, version string, exe []byte) {
	t.Helper()
	zr, err := zip.OpenReader(wheel)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	distInfo := "djintegrity-" + version + ".dist-info/"
	files := map[string][]byte{}
	var names []string
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		_, err = b.ReadFrom(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name] = b.Bytes()
		names = append(names, f.Name)
		if f.Name == "djintegrity-"+version+".data/scripts/djintegrity" && f.Mode().Perm()&0o111 != 0o111 {
			t.Errorf("the command's mode in the wheel is %v, want executable", f.Mode())
		}
	}
	wantNames := []string{
		"djintegrity/__init__.py", "djintegrity/__main__.py",
		"djintegrity-" + version + ".data/scripts/djintegrity",
		distInfo + "METADATA", distInfo + "WHEEL", distInfo + "RECORD",
	}
	if diff := cmp.Diff(wantNames, names); diff != "" {
		t.Errorf("wheel files (-want +got):\n%s", diff)
	}
	if !bytes.Equal(files["djintegrity-"+version+".data/scripts/djintegrity"], exe) {
		t.Error("the wheel's command is not the release executable")
	}
	for _, want := range []string{"Name: djintegrity\n", "Version: " + version + "\n", "Metadata-Version: 2.1\n"} {
		if !strings.Contains(string(files[distInfo+"METADATA"]), want) {
			t.Errorf("METADATA lacks %q:\n%s", want, files[distInfo+"METADATA"])
		}
	}
	for _, want := range []string{"Wheel-Version: 1.0\n", "Root-Is-Purelib: false\n", "Tag: py3-none-manylinux_2_17_"} {
		if !strings.Contains(string(files[distInfo+"WHEEL"]), want) {
			t.Errorf("WHEEL lacks %q:\n%s", want, files[distInfo+"WHEEL"])
		}
	}
	var recorded []string
	sc := bufio.NewScanner(bytes.NewReader(files[distInfo+"RECORD"]))
	for sc.Scan() {
		f := strings.Split(sc.Text(), ",")
		if len(f) != 3 {
			t.Fatalf("RECORD line %q", sc.Text())
		}
		recorded = append(recorded, f[0])
		if f[0] == distInfo+"RECORD" {
			continue
		}
		sum := sha256.Sum256(files[f[0]])
		if want := "sha256=" + base64.RawURLEncoding.EncodeToString(sum[:]); f[1] != want || f[2] != fmt.Sprint(len(files[f[0]])) {
			t.Errorf("RECORD says %s %s for %s; the file has %s %d", f[1], f[2], f[0], want, len(files[f[0]]))
		}
	}
	slices.Sort(recorded)
	slices.Sort(names)
	if diff := cmp.Diff(names, recorded); diff != "" {
		t.Errorf("RECORD lists (-wheel's files +recorded):\n%s", diff)
	}
}

// TestPreCommitHook: the README's .pre-commit-config.yaml, run by
// pre-commit itself with the package index replaced by the release
// directory: the hook installs the wheel (no Go on PATH) and judges a
// commit by what it stages, not by what the branch committed before.
func TestPreCommitHook(t *testing.T) {
	dir, version := releaseDir(t)
	requirePythonVenv(t)
	requireTools(t, "pre-commit", "pre-commit")

	// The hook's repository as pre-commit clones it: the files it reads.
	hookRepo := t.TempDir()
	for _, f := range []string{".pre-commit-hooks.yaml", "pyproject.toml", "scripts/precommit_backend.py", "scripts/wheelfile.py"} {
		b, err := os.ReadFile(filepath.Join("../..", f))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(hookRepo, f)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(hookRepo, f), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gitIn(t, hookRepo, "init", "-q")
	gitIn(t, hookRepo, "add", "-A")
	gitIn(t, hookRepo, "commit", "-q", "-m", "hook")
	rev := strings.TrimSpace(runIn(t, hookRepo, nil, "git", "rev-parse", "HEAD"))

	repo := gitRepo(t) // HEAD is shop/base; the working tree holds shop/head
	config := strings.NewReplacer("https://github.com/djintegrity/djintegrity", hookRepo, "rev: v"+version, "rev: "+rev).
		Replace(readmePreCommitConfig(t, version))
	if err := os.WriteFile(filepath.Join(repo, ".pre-commit-config.yaml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	gitIn(t, repo, "add", "-A")

	env := []string{
		"PATH=" + pathWithout(t, "go"),
		"HOME=" + t.TempDir(), "PRE_COMMIT_HOME=" + t.TempDir(),
		"PIP_NO_INDEX=1", "PIP_FIND_LINKS=" + dir, "PIP_DISABLE_PIP_VERSION_CHECK=1",
		"GIT_CONFIG_GLOBAL=/dev/null", "GIT_AUTHOR_NAME=t", "GIT_AUTHOR_EMAIL=t@example.com",
		"GIT_COMMITTER_NAME=t", "GIT_COMMITTER_EMAIL=t@example.com",
	}
	start := time.Now()
	out, code := runCode(t, repo, env, "pre-commit", "run")
	if code != 1 || !strings.Contains(out, "[missing-required-field]") {
		t.Fatalf("pre-commit run with the shop change staged: exit %d, want 1 with its findings:\n%s", code, out)
	}
	t.Logf("pre-commit set the hook up and reviewed in %v", time.Since(start).Round(10*time.Millisecond))

	// Committed (past the hook), the change's errors are the branch's: a
	// clean commit after it passes.
	gitIn(t, repo, "commit", "-q", "--no-verify", "-m", "shop change")
	if err := os.WriteFile(filepath.Join(repo, "shop", "constants.py"), []byte("PAGE_SIZE = 20\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	gitIn(t, repo, "add", "shop/constants.py")
	if out, code := runCode(t, repo, env, "pre-commit", "run"); code != 0 {
		t.Errorf("pre-commit run with a clean change staged: exit %d, want 0:\n%s", code, out)
	}
}

// TestReleaseWorkflow: the release runs on a pushed tag only, builds with
// the documented command for the tag, with the compilers it needs, and
// tests what it built before publishing it.
func TestReleaseWorkflow(t *testing.T) {
	b, err := os.ReadFile("../../.github/workflows/release.yml")
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		On struct {
			Push map[string][]string `yaml:"push"`
		} `yaml:"on"`
		Jobs map[string]struct {
			Needs string `yaml:"needs"`
			Steps []struct {
				Run string            `yaml:"run"`
				Env map[string]string `yaml:"env"`
			} `yaml:"steps"`
		} `yaml:"jobs"`
	}
	if err := yaml.Unmarshal(b, &wf); err != nil {
		t.Fatalf("release.yml: %v", err)
	}
	if diff := cmp.Diff(map[string][]string{"tags": {"v*"}}, wf.On.Push); diff != "" {
		t.Errorf("release.yml runs on (-want +got):\n%s", diff)
	}
	var runs []string
	for _, s := range wf.Jobs["build"].Steps {
		runs = append(runs, s.Run)
		if strings.Contains(s.Run, "go test") && (s.Env["DJINTEGRITY_RELEASE_DIR"] != "dist/release" || s.Env["CI"] != "true" || !strings.Contains(s.Run, "TestRelease")) {
			t.Errorf("the release's test step does not test dist/release under CI=true: %+v", s)
		}
	}
	all := strings.Join(runs, "\n")
	for _, want := range []string{`scripts/release.sh "$GITHUB_REF_NAME"`, "gcc-aarch64-linux-gnu", "libc6-dev-arm64-cross", "gcc-mingw-w64-x86-64", "python3-venv", "pre-commit", "go test ./cmd/djintegrity"} {
		if !strings.Contains(all, want) {
			t.Errorf("the release's build job does not run %q", want)
		}
	}
	if wf.Jobs["publish"].Needs != "build" {
		t.Errorf("the publish job needs %q, want the build job (tested) first", wf.Jobs["publish"].Needs)
	}
}

// readmePreCommitConfig returns the README's .pre-commit-config.yaml, the
// first YAML block of its pre-commit section, after checking that it pins
// the release of pyproject.toml and that every hook the section names is
// one .pre-commit-hooks.yaml defines.
func readmePreCommitConfig(t *testing.T, version string) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(b), "\n## pre-commit\n")
	if !ok {
		t.Fatal("README.md has no pre-commit section")
	}
	section, _, _ = strings.Cut(section, "\n## ")
	blocks := regexp.MustCompile("(?s)```yaml\n(.*?)```").FindAllStringSubmatch(section, -1)
	if len(blocks) == 0 {
		t.Fatal("README.md's pre-commit section has no YAML block")
	}
	config := blocks[0][1]
	if !strings.Contains(config, "rev: v"+version+"\n") {
		t.Errorf("README.md's .pre-commit-config.yaml does not pin rev: v%s, pyproject.toml's release:\n%s", version, config)
	}
	manifest, err := os.ReadFile("../../.pre-commit-hooks.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var hooks []struct {
		ID string `yaml:"id"`
	}
	if err := yaml.Unmarshal(manifest, &hooks); err != nil {
		t.Fatalf(".pre-commit-hooks.yaml: %v", err)
	}
	defined := map[string]bool{}
	for _, h := range hooks {
		defined[h.ID] = true
	}
	for _, block := range blocks {
		for _, m := range regexp.MustCompile(`- id: (\S+)`).FindAllStringSubmatch(block[1], -1) {
			if !defined[m[1]] {
				t.Errorf("README.md's pre-commit section names hook %q, which .pre-commit-hooks.yaml does not define", m[1])
			}
		}
	}
	return config
}

// toolsDir returns a directory holding links to the named programs only,
// to be a PATH without anything else.
func toolsDir(t *testing.T, tools ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, tool := range tools {
		p, err := exec.LookPath(tool)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(p, filepath.Join(dir, tool)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// pathWithout returns the test's PATH less the directories holding tool.
func pathWithout(t *testing.T, tool string) string {
	t.Helper()
	var keep []string
	for _, d := range filepath.SplitList(os.Getenv("PATH")) {
		if _, err := lookPathIn(tool, d); err != nil {
			keep = append(keep, d)
		}
	}
	return strings.Join(keep, string(os.PathListSeparator))
}

// lookPathIn finds an executable named tool in the directories of path.
func lookPathIn(tool, path string) (string, error) {
	for _, d := range filepath.SplitList(path) {
		p := filepath.Join(d, tool)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", exec.ErrNotFound
}

// runCode runs name in dir with env added to (or, when it sets PATH, in
// place of) the test's environment, and returns its output and status. A
// name without a slash is looked up in env's PATH.
func runCode(t *testing.T, dir string, env []string, name string, args ...string) (string, int) {
	t.Helper()
	if !strings.Contains(name, "/") {
		for _, kv := range env {
			if path, ok := strings.CutPrefix(kv, "PATH="); ok {
				p, err := lookPathIn(name, path)
				if err != nil {
					t.Fatalf("%s is not on PATH=%s", name, path)
				}
				name = p
			}
		}
	}
	cmd := exec.CommandContext(t.Context(), name, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return string(out), 0
	case errors.As(err, &exit):
		return string(out), exit.ExitCode()
	}
	t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	return "", -1
}

// runIn runs name and fails the test unless it exits 0.
func runIn(t *testing.T, dir string, env []string, name string, args ...string) string {
	t.Helper()
	out, code := runCode(t, dir, env, name, args...)
	if code != 0 {
		t.Fatalf("%s %v: exit %d\n%s", name, args, code, out)
	}
	return out
}

func fileSize(t *testing.T, p string) int64 {
	t.Helper()
	fi, err := os.Stat(p)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

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
