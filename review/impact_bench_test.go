package review

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// saleorEnv names a git repository of Saleor (github.com/saleor/saleor,
// about 4,300 Python files) for BenchmarkImpactSearchSaleor; without it
// the benchmark is skipped.
const saleorEnv = "DJINTEGRITY_BENCH_SALEOR"

// impactRepo makes, once, a repository whose first commit is Saleor's
// head and whose second adds a required field to Order with the
// migration makemigrations writes: a change that makes a model every app
// names stricter.
var impactRepo = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "djintegrity-impact-bench-")
	if err != nil {
		return "", err
	}
	impactRoot = dir
	script := `set -e
mkdir repo && cd repo && git init -q -b main
git --git-dir="$SALEOR" archive HEAD | tar -x
git add -A && git -c user.name=b -c user.email=b@example.com commit -q -m base
sed -i 's/^class Order(ModelWithMetadata, ModelWithExternalReference):$/&\n    bench_priority = models.IntegerField()/' saleor/order/models.py
grep -q bench_priority saleor/order/models.py
last=$(ls saleor/order/migrations | grep '^[0-9]' | sort | tail -1)
cat > saleor/order/migrations/9999_order_bench_priority.py <<PY
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("order", "${last%.py}")]

    operations = [
        migrations.AddField(
            model_name="order",
            name="bench_priority",
            field=models.IntegerField(default=0),
            preserve_default=False,
        ),
    ]
PY
git add -A && git -c user.name=b -c user.email=b@example.com commit -q -m head`
	cmd := exec.Command("bash", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "SALEOR="+os.Getenv(saleorEnv))
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", &exec.ExitError{Stderr: out}
	}
	return filepath.Join(dir, "repo"), nil
})

// impactTimer is a log handler that adds up the durations of the review's
// "impact search" debug lines.
type impactTimer struct {
	mu    sync.Mutex
	total time.Duration
	n     int
}

func (h *impactTimer) Enabled(context.Context, slog.Level) bool { return true }
func (h *impactTimer) WithAttrs([]slog.Attr) slog.Handler       { return h }
func (h *impactTimer) WithGroup(string) slog.Handler            { return h }

func (h *impactTimer) Handle(_ context.Context, r slog.Record) error {
	if r.Message != "impact search" {
		return nil
	}
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "duration" {
			h.mu.Lock()
			h.total += a.Value.Duration()
			h.n++
			h.mu.Unlock()
		}
		return true
	})
	return nil
}

// impactRoot is the directory impactRepo made, if it ran.
var impactRoot string

// BenchmarkImpactSearchSaleor reviews a change that adds a required field
// to Saleor's Order, with required-field-breaks-inserts on (the review
// searches the head tree for the files that name Order and indexes them)
// and off (the review reads its context only): the difference is the cost
// of the search, which the "search" run also reports on its own as
// impact-ms/op (the search and the indexing of what it found, from the
// review's debug line; on a loaded machine the two totals differ by more
// noise than that). Run it with
//
//	DJINTEGRITY_BENCH_SALEOR=/path/to/saleor go test ./review -run '^$' -bench ImpactSearchSaleor
func BenchmarkImpactSearchSaleor(b *testing.B) {
	if os.Getenv(saleorEnv) == "" {
		b.Skip(saleorEnv + " is not set")
	}
	repo, err := impactRepo()
	b.Cleanup(func() {
		if impactRoot != "" {
			os.RemoveAll(impactRoot)
		}
	})
	if err != nil {
		b.Fatalf("make the repository: %v", err)
	}
	off := DefaultConfig()
	off.Off["required-field-breaks-inserts"] = true
	for name, cfg := range map[string]*Config{"search": DefaultConfig(), "no-search": off} {
		b.Run(name, func(b *testing.B) {
			src := NewGitSource(repo, "HEAD~1", "HEAD")
			rec := &impactTimer{}
			cfg.Logger = slog.New(rec)
			benchAnalyze(b, src, cfg)
			if rec.n > 0 {
				b.ReportMetric(float64(rec.total.Milliseconds())/float64(rec.n), "impact-ms/op")
			}
		})
	}
}
