package django

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/rules/django/writesite"
)

// TestCodecKeepsEverything encodes and decodes every Python file of the
// rule examples and bundled examples: the decoded file, and the cache's
// copy of it, equal the parsed one field for field, unexported fields
// included (but the lines computed when asked for), and pointers shared in
// the parse (a write's Func among the file's Functions, one Try for the
// writes of a try block) are shared after it.
func TestCodecKeepsEverything(t *testing.T) {
	var paths []string
	for _, root := range []string{"../testdata", "../../examples"} {
		filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err == nil && strings.HasSuffix(p, ".py") {
				paths = append(paths, p)
			}
			return err
		})
	}
	lazy := cmp.FilterPath(func(p cmp.Path) bool {
		sf, ok := p.Last().(cmp.StructField)
		return ok && p.Index(-2).Type() == reflect.TypeFor[File]() && lazyFileFields[sf.Name()]
	}, cmp.Ignore())
	if len(paths) < 100 {
		t.Fatalf("found only %d Python files", len(paths))
	}
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		rel := p[strings.Index(p, "/head/")+1:]
		if i := strings.Index(p, "/base/"); i >= 0 {
			rel = p[i+1:]
		}
		want, err := parseFile(t.Context(), rel, modulePath(rel), src)
		if err != nil {
			t.Fatal(err)
		}
		data, err := encodeFile(want)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		got, err := decodeFile(data)
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if diff := cmp.Diff(want, got, cmp.Exporter(func(reflect.Type) bool { return true }), lazy); diff != "" {
			t.Errorf("%s: decoded file differs (-parsed +decoded):\n%s", p, diff)
		}
		if diff := cmp.Diff(want, want.copyFor(src), cmp.Exporter(func(reflect.Type) bool { return true }), lazy); diff != "" {
			t.Errorf("%s: the cache's copy differs (-parsed +copy); does copyFor copy every field?\n%s", p, diff)
		}
		if w, g := sharing(want), sharing(got); w != g {
			t.Errorf("%s: shared pointers %+v after decoding, %+v parsed", p, g, w)
		}
		if _, err := decodeFile(data[:len(data)-1]); err == nil && len(data) > len(fileFormat)+1 {
			t.Errorf("%s: decoding a cut encoding did not fail", p)
		}
	}
}

// shareCounts counts the writes whose Func is one of the file's Functions
// and the distinct Trys of its writes.
type shareCounts struct{ funcs, trys int }

func sharing(f *File) shareCounts {
	var c shareCounts
	trys := map[*writesite.Try]bool{}
	for _, w := range f.Writes {
		for _, fn := range f.Functions {
			if w.Func == fn {
				c.funcs++
			}
		}
		if w.Guard.Try != nil {
			trys[w.Guard.Try] = true
		}
	}
	c.trys = len(trys)
	return c
}
