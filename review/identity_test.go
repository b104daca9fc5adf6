package review

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/djintegrity/djintegrity/internal/testtree"
)

// TestShortcutsChangeNothing reviews every rule example and bundled
// example as the reference does (every changed file indexed, every file
// parsed) and through the shortcuts (changed test modules read but not
// indexed; parses from a cache in memory shared by all the reviews, first
// filled, then hit; from a cache on disk, filled by one process's cache
// and read by another's), for the context and for the whole tree, and
// requires the same result: findings, acknowledged findings, notices,
// skipped and unreviewed files, limits. Only the count of files indexed
// may drop.
func TestShortcutsChangeNothing(t *testing.T) {
	cases := exampleChanges(t)
	memory := NewCache(64 << 20)
	disk := t.TempDir()
	opened := func() *Cache {
		c, err := OpenCache(disk, 64<<20)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	filler, reader := opened(), opened() // two processes' caches on one directory
	ignore := cmpopts.IgnoreFields(Result{}, "Duration", "FilesAnalyzed")
	t.Run("examples", func(t *testing.T) { // returns once the parallel reviews are done
		for _, dir := range cases {
			t.Run(exampleName(dir), func(t *testing.T) {
				t.Parallel()
				src := exampleSource(dir)
				for name, whole := range map[string]bool{"context": false, "whole tree": true} {
					want, err := analyze(t.Context(), src, DefaultConfig(), mode{wholeTree: whole, indexTests: true})
					if err != nil {
						t.Fatal(err)
					}
					for _, run := range []struct {
						name  string
						cache *Cache
					}{{"memory, cold", memory}, {"memory, warm", memory}, {"disk, filling", filler}, {"disk, read", reader}} {
						cfg := DefaultConfig()
						cfg.Cache = run.cache
						got, err := analyze(t.Context(), src, cfg, mode{wholeTree: whole})
						if err != nil {
							t.Fatal(err)
						}
						if diff := cmp.Diff(want, got, ignore); diff != "" {
							t.Errorf("%s, cache in %s: result differs from the reference (-want +got):\n%s", name, run.name, diff)
						}
						if got.FilesAnalyzed > want.FilesAnalyzed {
							t.Errorf("%s, cache in %s: indexed %d files, the reference %d", name, run.name, got.FilesAnalyzed, want.FilesAnalyzed)
						}
					}
				}
			})
		}
	})
	if s := memory.Stats(); s.Hits == 0 || s.Misses == 0 {
		t.Errorf("memory cache stats %+v: the warm reviews should have hit and the cold ones missed", s)
	}
	if s := reader.Stats(); s.DiskHits == 0 {
		t.Errorf("disk cache stats %+v: the reading cache should have read what the filling one wrote", s)
	}
}

// TestChangedTestsNeedNoIndex adds test modules to the change of an
// example: one with the flagged pattern and ignore comments (used and
// unused), one a view module imports, a test app's models, and one that
// cannot be read. Reading them without indexing (the default) must give
// the result indexing them gives.
func TestChangedTestsNeedNoIndex(t *testing.T) {
	const view = "import json\n\nfrom django.http import JsonResponse\n\nfrom shop.models import Customer\n\n\n" +
		"def customer_for_email(request):\n    data = json.loads(request.body)\n    try:\n" +
		"        customer = Customer.objects.get(email=data[\"email\"])\n    except Customer.DoesNotExist:\n" +
		"        customer = Customer.objects.create(email=data[\"email\"], name=data.get(\"name\", \"\"))  # djintegrity: ignore[check-then-insert]\n" +
		"    return JsonResponse({\"id\": customer.id})  # djintegrity: ignore[fk-do-nothing]\n"
	plain := strings.ReplaceAll(strings.ReplaceAll(view, "  # djintegrity: ignore[check-then-insert]", ""), "  # djintegrity: ignore[fk-do-nothing]", "")
	for name, tc := range map[string]struct {
		extra     map[string]string
		unindexed int // files indexed by the reference only
	}{
		"test with the pattern":             {extra: map[string]string{"shop/tests/test_customers.py": plain, "shop/tests/__init__.py": ""}, unindexed: 1},
		"test with the pattern and ignores": {extra: map[string]string{"shop/tests/test_customers.py": view, "shop/tests/__init__.py": ""}},
		"test a view imports": {extra: map[string]string{
			"shop/api/customers.py":  "from shop.tests.helpers import email_of\n" + view,
			"shop/tests/helpers.py":  "def email_of(data):\n    return data[\"email\"]\n",
			"shop/tests/__init__.py": "",
		}},
		"test app with models": {extra: map[string]string{
			"shop/tests/models.py":   "from django.db import models\n\nclass Probe(models.Model):\n    code = models.CharField(max_length=8)\n",
			"shop/tests/test_app.py": "from shop.tests.models import Probe\n\n\ndef test_probe():\n    Probe.objects.create(code=\"x\")\n",
		}, unindexed: 1},
		"test that cannot be read": {extra: map[string]string{"shop/tests/test_binary.py": "x = '\x00'\n", "shop/tests/test_ok.py": "x = 1\n"}, unindexed: 1},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			testtree.Copy(t, "../rules/testdata/check-then-insert/fail-does-not-exist", dir)
			testtree.Write(t, filepath.Join(dir, "head"), tc.extra)
			src := exampleSource(dir)
			want, err := analyze(t.Context(), src, DefaultConfig(), mode{indexTests: true})
			if err != nil {
				t.Fatal(err)
			}
			got, err := Analyze(t.Context(), src, DefaultConfig())
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(Result{}, "Duration", "FilesAnalyzed")); diff != "" {
				t.Errorf("result differs from the review that indexes the tests (-want +got):\n%s", diff)
			}
			if len(want.Findings)+len(want.Notices)+len(want.Skipped) == 0 {
				t.Errorf("nothing to compare: no findings, notices or skipped files")
			}
			if got.FilesAnalyzed != want.FilesAnalyzed-tc.unindexed {
				t.Errorf("indexed %d files, the reference %d: want %d fewer", got.FilesAnalyzed, want.FilesAnalyzed, tc.unindexed)
			}
		})
	}
}
