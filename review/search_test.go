package review

import (
	"fmt"
	"maps"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/internal/testtree"
)

// TestSearchFiles: every local source finds the files that hold a needle,
// among the paths it is given, and returns their content; a path that
// pathspec syntax would read as a pattern is taken as written; binary
// files and files neither UTF-8 nor in a declared coding are left out, and
// a file in a declared coding (PEP 263) is returned as UTF-8, as the index
// reads it.
func TestSearchFiles(t *testing.T) {
	tree := map[string]string{
		"shop/views.py":      "from shop.models import Order\nOrder.objects.create()\n",
		"shop/lines.py":      "OrderLine.objects.create()\n",
		"shop/api.py":        "class Api:\n    model = Order\n",
		"shop/[id].py":       "Order()\n",
		"shop/*.py":          "nothing here\n",
		"shop/blob.py":       "Order\x00\n",
		"shop/latin.py":      "Order = '\xe9'\n",
		"shop/declared.py":   "# -*- coding: latin-1 -*-\nOrder = '\xe9'\n",
		"accounts/models.py": "class Customer: pass\n",
	}
	paths := slices.Sorted(maps.Keys(tree))
	want := map[string][]byte{
		"shop/views.py": []byte(tree["shop/views.py"]),
		"shop/api.py":   []byte(tree["shop/api.py"]),
		"shop/[id].py":  []byte(tree["shop/[id].py"]),
		// In UTF-8, as the index reads it.
		"shop/declared.py": []byte("# -*- coding: latin-1 -*-\nOrder = '\u00e9'\n"),
	}

	repo := gitRepo(t)
	testtree.Write(t, repo, tree)
	head := commitAll(t, repo, "head")
	dir := t.TempDir()
	testtree.Write(t, filepath.Join(dir, "head"), tree)
	sources := map[string]Source{
		"git revision": NewGitSource(repo, head, head),
		"working tree": NewGitSource(repo, head, ""),
		"directories":  NewDirSource(filepath.Join(dir, "base"), filepath.Join(dir, "head")),
	}
	for name, src := range sources {
		t.Run(name, func(t *testing.T) {
			got, err := src.(Searcher).SearchFiles(t.Context(), paths, []string{"Order", "Invoice"})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("SearchFiles (-want +got):\n%s", diff)
			}
			got, err = src.(Searcher).SearchFiles(t.Context(), paths, []string{"Invoice"})
			if err != nil || len(got) != 0 {
				t.Errorf("SearchFiles for a name no file holds = %v, %v; want nothing", got, err)
			}
		})
	}
}

// TestSearchFilesManyPaths: the git search takes its paths a chunk at a
// time.
func TestSearchFilesManyPaths(t *testing.T) {
	tree := map[string]string{}
	for i := range 3*searchChunk + 7 {
		tree[fmt.Sprintf("app/m%04d.py", i)] = "x = 1\n"
	}
	tree["app/m1300.py"] = "Order.objects.create()\n"
	repo := gitRepo(t)
	testtree.Write(t, repo, tree)
	head := commitAll(t, repo, "head")
	got, err := NewGitSource(repo, head, head).(Searcher).SearchFiles(t.Context(), slices.Sorted(maps.Keys(tree)), []string{"Order"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"app/m1300.py"}, slices.Sorted(maps.Keys(got))); diff != "" {
		t.Errorf("found (-want +got):\n%s", diff)
	}
}
