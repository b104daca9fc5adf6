package review

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/internal/testtree"
)

// hostileShapes are files a pull request can make as large as it likes
// within MaxFileSize: n repetitions of what the index, the write-site
// extraction and the rules each walk over. Each was quadratic once, or is
// the shape of one that was: an attribute chain named link by link, a
// migration whose every operation's call was looked for from the root,
// quoting a view's lines that split the whole file for each finding.
var hostileShapes = map[string]struct {
	path string
	src  func(n int) string
	// base, when set, is a file of n repetitions the base tree has too.
	basePath string
	base     func(n int) string
}{
	"attribute chain": {path: "shop/models.py", src: func(n int) string {
		return "class C(a" + strings.Repeat(".b", n) + "):\n    pass\n"
	}},
	"query chain": {path: "shop/views.py", src: func(n int) string {
		return "def v(request):\n    x = M.objects" + strings.Repeat(".filter()", n) + ".create()\n"
	}},
	"list": {path: "shop/views.py", src: func(n int) string { return "x = [" + strings.Repeat("a.b, ", n) + "]\n" }},
	"keyword arguments": {path: "shop/views.py", src: func(n int) string {
		var b strings.Builder
		b.WriteString("def v(request):\n    M.objects.create(")
		for i := range n {
			fmt.Fprintf(&b, "k%d=request.POST, ", i)
		}
		return b.String() + ")\n"
	}},
	"parentheses": {path: "shop/views.py", src: func(n int) string {
		return "def v(request):\n    x = " + strings.Repeat("(", n) + "a" + strings.Repeat(")", n) + "\n"
	}},
	"comparison": {path: "shop/views.py", src: func(n int) string {
		return "def v(request):\n    if a" + strings.Repeat(" < a", n) + ":\n        M.objects.create(a=1)\n"
	}},
	"checks then inserts": {path: "shop/views.py", src: func(n int) string {
		return viewsHeader + "def v(request):\n" + strings.Repeat("    if not M.objects.filter(a=request.POST['a']).exists():\n        M.objects.create(a=request.POST['a'])\n", n)
	}},
	"handlers without savepoint": {path: "shop/views.py", src: func(n int) string {
		return viewsHeader + "def v(request):\n    with transaction.atomic():\n" +
			strings.Repeat("        try:\n            M.objects.create(a=1)\n        except IntegrityError:\n            pass\n", n)
	}},
	"model fields": {path: "shop/models.py", src: func(n int) string {
		var b strings.Builder
		b.WriteString("from django.db import models\nclass F(models.Model):\n")
		for i := range n {
			fmt.Fprintf(&b, "    f%d = models.IntegerField(unique=True)\n", i)
		}
		return b.String()
	}},
	"migration operations": {
		path: "shop/migrations/0003_more.py",
		src: func(n int) string {
			return migrationOf("0002_models", n, "migrations.AddField('m%d', 'f', models.IntegerField(unique=True))")
		},
		basePath: "shop/migrations/0002_models.py",
		base: func(n int) string {
			return migrationOf("0001_initial", n, "migrations.CreateModel('M%d', [('id', models.BigAutoField(primary_key=True))])")
		},
	},
	"fields added to one model": {
		path: "shop/migrations/0002_fields.py",
		src: func(n int) string {
			return migrationOf("0001_initial", n, "migrations.AddField('m', 'f%d', models.IntegerField(null=True))")
		},
	},
}

// migrationOf is a migration of app shop after dep, of n operations op
// formatted with their number.
func migrationOf(dep string, n int, op string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "from django.db import migrations, models\n\nclass Migration(migrations.Migration):\n    dependencies = [('shop', %q)]\n    operations = [\n", dep)
	for i := range n {
		fmt.Fprintf(&b, "        "+op+",\n", i)
	}
	return b.String() + "    ]\n"
}

// viewsHeader begins the views of the shapes that need the model.
const viewsHeader = "from django.db import IntegrityError, transaction\n\nfrom shop.models import M\n\n"

// writeHostile writes a project whose change adds the shape's file.
func writeHostile(t testing.TB, shape string, n int) (base, head string) {
	dir := t.TempDir()
	base, head = filepath.Join(dir, "base"), filepath.Join(dir, "head")
	tree := map[string]string{
		"shop/__init__.py":                "",
		"shop/models.py":                  "from django.db import models\n\nclass M(models.Model):\n    a = models.IntegerField(null=True, unique=True)\n",
		"shop/migrations/__init__.py":     "",
		"shop/migrations/0001_initial.py": "from django.db import migrations, models\n\nclass Migration(migrations.Migration):\n    initial = True\n    operations = [migrations.CreateModel('M', [('id', models.BigAutoField(primary_key=True)), ('a', models.IntegerField(null=True, unique=True))])]\n",
	}
	s := hostileShapes[shape]
	if s.base != nil {
		tree[s.basePath] = s.base(n)
	}
	testtree.Write(t, base, tree)
	tree[s.path] = s.src(n)
	if len(tree[s.path]) > MaxFileSize {
		t.Fatalf("%s of %d is %d bytes: over MaxFileSize, it would not be read", shape, n, len(tree[s.path]))
	}
	testtree.Write(t, head, tree)
	return base, head
}

// TestAnalyzeHostileLinear reviews each hostile shape at n and 4n
// repetitions: the second review may allocate about four times what the
// first did, not sixteen. Memory is counted rather than time, so that a
// loaded machine cannot fail the test; the quadratic walks fixed so far
// all allocated in proportion to their work.
func TestAnalyzeHostileLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("reviews hostile files of up to a few hundred kilobytes")
	}
	const n = 1000
	for shape := range hostileShapes {
		t.Run(shape, func(t *testing.T) {
			var bytes [2]uint64
			for i, reps := range []int{n, 4 * n} {
				base, head := writeHostile(t, shape, reps)
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				if _, err := Analyze(t.Context(), NewDirSource(base, head), nil); err != nil {
					t.Fatal(err)
				}
				runtime.ReadMemStats(&after)
				bytes[i] = after.TotalAlloc - before.TotalAlloc
			}
			if ratio := float64(bytes[1]) / float64(bytes[0]); ratio > 7 {
				t.Errorf("4x the repetitions allocated %.1fx the memory (%d then %d bytes): not linear", ratio, bytes[0], bytes[1])
			}
		})
	}
}

// BenchmarkAnalyzeHostile reviews each hostile shape at 10,000
// repetitions (files of 40 KB to 900 KB). A walk that is quadratic shows as
// minutes per operation instead of seconds.
//
//	go test ./review -run XXX -bench AnalyzeHostile -benchtime 1x
func BenchmarkAnalyzeHostile(b *testing.B) {
	for shape := range hostileShapes {
		b.Run(strings.ReplaceAll(shape, " ", "-"), func(b *testing.B) {
			reps := 10000
			if shape == "migration operations" || shape == "handlers without savepoint" || shape == "checks then inserts" {
				reps = 4000 // longer lines: 10,000 would pass MaxFileSize
			}
			base, head := writeHostile(b, shape, reps)
			for b.Loop() {
				if _, err := Analyze(b.Context(), NewDirSource(base, head), nil); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestAnalyzeStopsMidFile: a review ends when its context does, inside
// the one large file it is indexing, not when that file is done (seconds
// later: serve's shutdown grace is shorter than that).
func TestAnalyzeStopsMidFile(t *testing.T) {
	base, head := writeHostile(t, "checks then inserts", 8000) // 840 KB: seconds of indexing
	ctx, cancel := context.WithCancel(t.Context())
	time.AfterFunc(300*time.Millisecond, cancel)
	start := time.Now()
	_, err := Analyze(ctx, NewDirSource(base, head), nil)
	if took := time.Since(start); took > 300*time.Millisecond+time.Second {
		t.Errorf("Analyze returned %v after it was cancelled", took-300*time.Millisecond)
	}
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Analyze: %v, want context.Canceled", err)
	}
}

// TestAnalyzeOutOfTime: a review whose time budget runs out concludes with
// what it has and says so: no finding from a project it did not finish
// reading, every changed file it did not get to listed, and no error.
func TestAnalyzeOutOfTime(t *testing.T) {
	base, head := writeHostile(t, "checks then inserts", 8000)
	testtree.Write(t, head, map[string]string{"shop/other.py": "x = 1\n"})
	cfg := DefaultConfig()
	cfg.Deadline = time.Now().Add(300 * time.Millisecond)
	start := time.Now()
	res, err := Analyze(t.Context(), NewDirSource(base, head), cfg)
	if took := time.Since(start); took > 300*time.Millisecond+time.Second {
		t.Errorf("Analyze returned %v after its deadline", took-300*time.Millisecond)
	}
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	if !res.OutOfTime || len(res.Findings) != 0 {
		t.Errorf("OutOfTime %v with %d findings; want out of time with none", res.OutOfTime, len(res.Findings))
	}
	if res.Complete() {
		t.Error("Complete() of a review out of time")
	}
	got := map[string]string{}
	for _, sk := range res.Skipped {
		if sk.Changed {
			got[sk.Path] = sk.Reason
		}
	}
	// Nothing was indexed in full: no changed file was reviewed.
	want := map[string]string{"shop/views.py": reasonOutOfTime, "shop/other.py": reasonOutOfTime}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("changed files not read (-want +got):\n%s", diff)
	}
	// Every output says so, not only the check run.
	if len(res.Limits) != 1 || !strings.Contains(res.Limits[0], "ran out of its time budget") {
		t.Errorf("limits %q, want one saying the review ran out of time", res.Limits)
	}
}
