package review

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/djintegrity/djintegrity/internal/cputime"
	"github.com/djintegrity/djintegrity/internal/parsefloor"
	"github.com/djintegrity/djintegrity/rules/django"
)

// saleorRange is how many first-parent commits of the snapshot's HEAD
// BenchmarkReviewSaleorRange reviews as one change.
const saleorRange = 30

// saleorRepo returns the Saleor repository DJINTEGRITY_BENCH_SALEOR names
// (a bare snapshot is fine), or skips b.
func saleorRepo(b *testing.B) string {
	b.Helper()
	repo := os.Getenv(saleorEnv)
	if repo == "" {
		b.Skip(saleorEnv + " is not set")
	}
	return repo
}

// BenchmarkReviewSaleorRange reviews the last 30 first-parent commits of
// Saleor's HEAD as one change, as `djintegrity check --base HEAD~30` does:
// the cost of a large pull request on a large project. "cold" parses
// every file it reads; "warm" has a cache filled, outside the timing, by
// a whole-tree review of the base, as a host that reviewed the base keeps
// it, so that only what the range changed is parsed. Run it with
//
//	DJINTEGRITY_BENCH_SALEOR=/work/.mirror/saleor+saleor/repo go test ./review -run '^$' -bench ReviewSaleorRange -benchmem -count 5
func BenchmarkReviewSaleorRange(b *testing.B) {
	repo := saleorRepo(b)
	base := "HEAD~" + strconv.Itoa(saleorRange)
	src := NewGitSource(repo, base, "HEAD")
	b.Run("cold", func(b *testing.B) { benchAnalyze(b, src, DefaultConfig()) })
	b.Run("warm", func(b *testing.B) {
		cfg := DefaultConfig()
		fill := func() {
			b.StopTimer()
			defer b.StartTimer()
			cfg.Cache = NewCache(256 << 20)
			if _, err := AnalyzeWholeTree(b.Context(), NewGitSource(repo, base+"~1", base), cfg); err != nil {
				b.Fatal(err)
			}
		}
		fill()
		var cpu time.Duration // of the reviews alone, not of the fills
		for b.Loop() {
			start, before := cputime.Used(), cfg.Cache.Stats().Misses
			res, err := Analyze(b.Context(), src, cfg)
			if err != nil {
				b.Fatal(err)
			}
			cpu += cputime.Used() - start
			b.ReportMetric(float64(res.FilesAnalyzed), "files/op")
			b.ReportMetric(float64(cfg.Cache.Stats().Misses-before), "parses/op")
			fill()
		}
		b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
	})
}

// saleorTree writes, once, Saleor's HEAD into a temporary directory (and
// an empty one beside it, the base of a review that adds every file) and
// returns the tree and its Python files of the project's own code, read.
var saleorTree = sync.OnceValues(func() (saleorFiles, error) {
	dir, err := os.MkdirTemp("", "djintegrity-saleor-bench-")
	if err != nil {
		return saleorFiles{}, err
	}
	saleorRoot = dir
	cmd := exec.Command("bash", "-c", `set -e; mkdir head empty; git --git-dir="$SALEOR" archive HEAD | tar -x -C head`)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SALEOR="+os.Getenv(saleorEnv))
	if out, err := cmd.CombinedOutput(); err != nil {
		return saleorFiles{}, &exec.ExitError{Stderr: out}
	}
	head := filepath.Join(dir, "head")
	var paths []string
	err = filepath.WalkDir(head, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || !strings.HasSuffix(p, ".py") {
			return err
		}
		rel, err := filepath.Rel(head, p)
		paths = append(paths, filepath.ToSlash(rel))
		return err
	})
	if err != nil {
		return saleorFiles{}, err
	}
	slices.Sort(paths)
	out := saleorFiles{dir: dir}
	for _, p := range django.ProjectFiles(paths) {
		src, err := os.ReadFile(filepath.Join(head, p))
		if err != nil {
			return saleorFiles{}, err
		}
		out.srcs = append(out.srcs, src)
		out.bytes += int64(len(src))
	}
	return out, nil
})

type saleorFiles struct {
	dir   string   // holds head/ and empty/
	srcs  [][]byte // the Python files of head/ the index reads
	bytes int64    // their total size
}

// saleorRoot is the directory saleorTree made, if it ran; TestMain
// removes it.
var saleorRoot string

func saleorTreeFiles(b *testing.B) saleorFiles {
	b.Helper()
	saleorRepo(b)
	t, err := saleorTree()
	if err != nil {
		b.Fatalf("extract Saleor: %v", err)
	}
	return t
}

// BenchmarkParseSaleorTree parses every Python file of Saleor's HEAD that
// a review indexes with tree-sitter alone, spread over GOMAXPROCS workers:
// the floor BenchmarkReviewSaleorTree is compared with. Run the two side
// by side with
//
//	DJINTEGRITY_BENCH_SALEOR=/work/.mirror/saleor+saleor/repo go test ./review -run '^$' -bench SaleorTree -benchmem -count 5
func BenchmarkParseSaleorTree(b *testing.B) {
	files := saleorTreeFiles(b)
	b.SetBytes(files.bytes)
	start := cputime.Used()
	for b.Loop() {
		parsefloor.Parse(files.srcs)
	}
	cputime.Report(b, start)
}

// BenchmarkReviewSaleorTree reviews Saleor's HEAD as one change that adds
// every file (reading them from disk): the whole-tree review that
// BenchmarkParseSaleorTree is the floor of.
func BenchmarkReviewSaleorTree(b *testing.B) {
	files := saleorTreeFiles(b)
	b.SetBytes(files.bytes)
	benchAnalyze(b, NewDirSource(filepath.Join(files.dir, "empty"), filepath.Join(files.dir, "head")), DefaultConfig())
}
