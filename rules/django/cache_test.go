package django

import (
	"reflect"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestCacheGivesWhatAParseGives reviews a tree twice through one cache,
// with a migration whose app label and dangling dependency indexing sets:
// the second build parses nothing, gives the same project, and neither
// build changes what the cache holds.
func TestCacheGivesWhatAParseGives(t *testing.T) {
	files := []SourceFile{
		{Path: "shop/models.py", Src: []byte("from django.db import models\n\nclass Order(models.Model):\n    ref = models.CharField(max_length=8, unique=True)\n")},
		{Path: "shop/apps.py", Src: []byte("from django.apps import AppConfig\n\nclass ShopConfig(AppConfig):\n    name = 'shop'\n    label = 'store'\n")},
		{Path: "shop/migrations/0002_ref.py", Src: []byte("from django.db import migrations, models\n\nclass Migration(migrations.Migration):\n    dependencies = [('store', '0001_initial')]\n    operations = [migrations.AddField('order', 'ref', models.CharField(max_length=8))]\n")},
	}
	want, err := Build(t.Context(), files)
	if err != nil {
		t.Fatal(err)
	}
	c := NewCache(1 << 20)
	for _, run := range []string{"cold", "warm"} {
		got, err := c.Build(t.Context(), files)
		if err != nil {
			t.Fatal(err)
		}
		m, w := got.Files["shop/migrations/0002_ref.py"].Migration, want.Files["shop/migrations/0002_ref.py"].Migration
		if diff := cmp.Diff(w, m, cmp.Exporter(func(reflect.Type) bool { return true })); diff != "" {
			t.Errorf("%s: migration differs from an uncached build (-want +got):\n%s", run, diff)
		}
		if m.App != "store" || len(m.Dangling) != 1 {
			t.Errorf("%s: migration of app %q with dangling %v, want store and 0001_initial", run, m.App, m.Dangling)
		}
	}
	for _, e := range c.entries {
		if m := e.Value.(*cacheEntry).file.Migration; m != nil && (m.App != "" || m.Dangling != nil) {
			t.Errorf("indexing changed the cached migration: app %q, dangling %v", m.App, m.Dangling)
		}
	}
	if s := c.Stats(); s.Hits != 3 || s.Misses != 3 || s.Files != 3 {
		t.Errorf("stats %+v, want 3 hits, 3 misses, 3 files", s)
	}
}

func TestCacheStaysWithinItsBound(t *testing.T) {
	src := func(n int) []byte { return []byte("x = " + string(rune('0'+n)) + "\n") }
	for name, tc := range map[string]struct {
		max       int64
		wantFiles int
	}{
		"room for two":      {max: 2 * (4*6 + 2048), wantFiles: 2},
		"room for none":     {max: 100, wantFiles: 0},
		"room for them all": {max: 1 << 20, wantFiles: 5},
	} {
		t.Run(name, func(t *testing.T) {
			c := NewCache(tc.max)
			for i := range 5 {
				c.parse(t.Context(), "m.py", "m", src(i))
			}
			s := c.Stats()
			if s.Files != tc.wantFiles || s.Bytes > tc.max {
				t.Errorf("holds %d files, %d bytes; want %d files within %d bytes", s.Files, s.Bytes, tc.wantFiles, tc.max)
			}
			if tc.wantFiles == 2 {
				// The most recent stay.
				before := c.Stats().Hits
				c.parse(t.Context(), "m.py", "m", src(4))
				c.parse(t.Context(), "m.py", "m", src(0))
				if got := c.Stats().Hits - before; got != 1 {
					t.Errorf("%d hits on the newest and the oldest, want 1 (the newest)", got)
				}
			}
		})
	}
}

// TestDiskCacheIsSharedAndBounded parses through one cache on a directory
// and reads through another: the second parses nothing and gives the same
// files; a directory past its bound is pruned, oldest first.
func TestDiskCacheIsSharedAndBounded(t *testing.T) {
	dir := t.TempDir()
	src := func(n int) []byte {
		return []byte("from django.db import models\n\nclass M" + string(rune('A'+n)) + "(models.Model):\n    x = models.IntegerField()\n")
	}
	first, err := OpenCache(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	var want []*File
	for i := range 5 {
		f, err := first.parse(t.Context(), "app/models.py", "app.models", src(i))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, f)
	}
	second, err := OpenCache(dir, 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		got, err := second.parse(t.Context(), "app/models.py", "app.models", src(i))
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want[i], got, cmp.Exporter(func(reflect.Type) bool { return true })); diff != "" {
			t.Errorf("file %d read from disk differs (-parsed +read):\n%s", i, diff)
		}
	}
	if s := second.Stats(); s.DiskHits != 5 || s.Misses != 0 {
		t.Errorf("second cache: %+v, want 5 disk hits and no parse", s)
	}

	one, err := first.disk.scan()
	if err != nil {
		t.Fatal(err)
	}
	small, err := OpenCache(t.TempDir(), one/5*2) // room for two entries
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		small.parse(t.Context(), "app/models.py", "app.models", src(i))
	}
	if size, err := small.disk.scan(); err != nil || size > small.disk.max {
		t.Errorf("directory holds %d bytes (%v), bound %d", size, err, small.disk.max)
	}
}
