package githubtest

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Pinned npm packages the tests read. Bump them deliberately: GitHub's
// description changes with every release.
const (
	// OpenAPIPackage holds GitHub's REST description,
	// generated/api.github.com.json, against which the fake checks every
	// request.
	OpenAPIPackage = "@octokit/openapi@23.0.2"
	// WebhooksExamplesPackage holds real webhook payloads, by event.
	WebhooksExamplesPackage = "@octokit/webhooks-examples@7.6.1"
	// GraphQLSchemaPackage holds GitHub's public GraphQL schema,
	// schema.graphql, against which the fake checks every GraphQL request.
	GraphQLSchemaPackage = "@octokit/graphql-schema@15.26.1"
)

// NPMPackage installs the npm package spec ("name@version") into the shared
// cache directory (DJINTEGRITY_NPM_DIR, else djintegrity-npm next to the Go
// build cache) unless that version is already there, and returns the
// package's directory. Without npm or the registry the test is skipped,
// except under CI=true, where that is a failure. Installs from concurrent
// test binaries are serialised by a lock file.
func NPMPackage(t testing.TB, spec string) string {
	t.Helper()
	name, version := splitSpec(spec)
	dir := npmDir(t)
	pkg := filepath.Join(dir, "node_modules", filepath.FromSlash(name))
	if installedVersion(pkg) == version {
		return pkg
	}
	npm, err := exec.LookPath("npm")
	if err != nil {
		unavailable(t, "npm not found, cannot install %s: %v", spec, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("npm cache directory: %v", err)
	}
	unlock, err := lockFile(filepath.Join(dir, ".install.lock"))
	if err != nil {
		t.Fatalf("lock npm cache directory: %v", err)
	}
	defer unlock()
	if installedVersion(pkg) == version { // another test binary installed it meanwhile
		return pkg
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "install", "--prefix", dir, "--no-audit", "--no-fund",
		"--ignore-scripts", "--save-exact", spec)
	if out, err := cmd.CombinedOutput(); err != nil {
		unavailable(t, "npm install %s: %v\n%s", spec, err, out)
	}
	if got := installedVersion(pkg); got != version {
		t.Fatalf("npm installed %s into %s but found version %q there", spec, dir, got)
	}
	return pkg
}

// unavailable skips the test, or fails it under CI, where every test must
// run.
func unavailable(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf(format, args...)
	}
	t.Skipf(format, args...)
}

func splitSpec(spec string) (name, version string) {
	i := strings.LastIndex(spec, "@")
	if i <= 0 { // no version, or only a scope's "@"
		return spec, ""
	}
	return spec[:i], spec[i+1:]
}

func npmDir(t testing.TB) string {
	t.Helper()
	if dir := os.Getenv("DJINTEGRITY_NPM_DIR"); dir != "" {
		return dir
	}
	out, err := exec.Command("go", "env", "GOCACHE").Output()
	if cache := strings.TrimSpace(string(out)); err == nil && cache != "" && cache != "off" {
		return filepath.Join(filepath.Dir(cache), "djintegrity-npm")
	}
	ucd, err := os.UserCacheDir()
	if err != nil {
		unavailable(t, "no cache directory for npm packages: set DJINTEGRITY_NPM_DIR")
	}
	return filepath.Join(ucd, "djintegrity-npm")
}

// installedVersion is the version in pkg/package.json, or "".
func installedVersion(pkg string) string {
	b, err := os.ReadFile(filepath.Join(pkg, "package.json"))
	if err != nil {
		return ""
	}
	var m struct {
		Version string `json:"version"`
	}
	if json.Unmarshal(b, &m) != nil {
		return ""
	}
	return m.Version
}
