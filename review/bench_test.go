package review

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/djintegrity/djintegrity/internal/cputime"
	"github.com/djintegrity/djintegrity/internal/projectgen"
	"github.com/djintegrity/djintegrity/internal/testtree"
)

// benchTrees writes the generated 200-app project (~200,000 lines) as a
// base tree, a head tree with a 50-file change, and a git repository with
// both as commits. Generated once per test binary, never committed.
var benchTrees = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "djintegrity-bench-")
	if err != nil {
		return "", err
	}
	benchRoot = dir
	base := projectgen.Project(200, 10)
	head := projectgen.Change(base, 50)
	if err := projectgen.Write(filepath.Join(dir, "base"), base); err != nil {
		return "", err
	}
	if err := projectgen.Write(filepath.Join(dir, "head"), head); err != nil {
		return "", err
	}
	repo := filepath.Join(dir, "repo")
	script := `set -e
git init -q -b main repo
cp -r base/. repo/
cd repo
git add -A && git -c user.name=b -c user.email=b@example.com commit -q -m base
cp -r ../head/. .
git add -A && git -c user.name=b -c user.email=b@example.com commit -q -m head`
	cmd := exec.Command("sh", "-c", script)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", &exec.ExitError{Stderr: out}
	}
	return repo, nil
})

// TestMain puts the temporary directories on tmpfs when there is one (the
// tests copy example trees and make git repositories: thousands of files)
// and removes the generated benchmark trees (about 45 MB) and the
// extracted Saleor tree after the run.
func TestMain(m *testing.M) {
	restore := testtree.UseMemoryTempDir()
	code := m.Run()
	for _, dir := range []string{benchRoot, saleorRoot} {
		if dir != "" {
			os.RemoveAll(dir)
		}
	}
	restore()
	os.Exit(code)
}

// benchRoot is the directory benchTrees made, if it ran.
var benchRoot string

func benchDir(b *testing.B) string {
	b.Helper()
	repo, err := benchTrees()
	if err != nil {
		b.Fatalf("generate project: %v", err)
	}
	return filepath.Dir(repo)
}

// BenchmarkReview50Files reviews a 50-file change of the generated project
// end to end: diff, reads, index, rules, filter.
func BenchmarkReview50Files(b *testing.B) {
	dir := benchDir(b)
	sources := map[string]Source{
		"git":   NewGitSource(filepath.Join(dir, "repo"), "HEAD~1", "HEAD"),
		"trees": NewDirSource(filepath.Join(dir, "base"), filepath.Join(dir, "head")),
	}
	for name, src := range sources {
		b.Run(name, func(b *testing.B) { benchAnalyze(b, src, DefaultConfig()) })
	}
}

// BenchmarkReviewWholeProject reviews the whole generated project as one
// change (every file added): compare with rules/django's BenchmarkParseOnly.
func BenchmarkReviewWholeProject(b *testing.B) {
	dir := benchDir(b)
	src := NewDirSource(filepath.Join(dir, "empty"), filepath.Join(dir, "head"))
	if err := os.MkdirAll(filepath.Join(dir, "empty"), 0o755); err != nil {
		b.Fatal(err)
	}
	benchAnalyze(b, src, DefaultConfig())
}

// benchAnalyze runs the benchmark loop of a review of src with cfg,
// reporting the files read and the CPU time beside wall time.
func benchAnalyze(b *testing.B, src Source, cfg *Config) {
	b.Helper()
	start := cputime.Used()
	for b.Loop() {
		res, err := Analyze(b.Context(), src, cfg)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(res.FilesAnalyzed), "files/op")
	}
	cputime.Report(b, start)
}
