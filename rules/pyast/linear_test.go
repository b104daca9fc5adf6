package pyast

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	sitter "github.com/tree-sitter/go-tree-sitter"
)

// namedChildren is Children as tree-sitter's own index lookup gives it
// (quadratic in the number of children): the reference for the cursor.
func namedChildren(n *sitter.Node) []*sitter.Node {
	var out []*sitter.Node
	for i := uint(0); i < n.NamedChildCount(); i++ {
		out = append(out, n.NamedChild(i))
	}
	return out
}

// TestCursorWalkMatchesNamedChild checks Walk and Children, which step a
// tree cursor, against NamedChild on every Python file of the
// repository's examples and test data, hostile shapes included.
func TestCursorWalkMatchesNamedChild(t *testing.T) {
	srcs := map[string][]byte{"sample": []byte(sample)}
	for name, src := range map[string]string{
		"long list":        "x = [" + strings.Repeat("a.b, ", 2000) + "]\n",
		"long chain":       "class C(a" + strings.Repeat(".b", 2000) + "):\n    pass\n",
		"deep parentheses": "x = " + strings.Repeat("(", 500) + "a" + strings.Repeat(")", 500) + "\n",
	} {
		srcs[name] = []byte(src)
	}
	err := filepath.WalkDir("../..", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".py") {
			return err
		}
		b, err := os.ReadFile(p)
		srcs[p] = b
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(srcs) < 100 {
		t.Fatalf("only %d Python files found", len(srcs))
	}
	span := func(n *sitter.Node) [3]uint { return [3]uint{n.StartByte(), n.EndByte(), uint(n.KindId())} }
	for name, src := range srcs {
		tree := Parse(src)
		var want, got [][3]uint
		var walk func(n *sitter.Node)
		walk = func(n *sitter.Node) {
			want = append(want, span(n))
			for _, c := range namedChildren(n) {
				walk(c)
			}
		}
		walk(tree.Root())
		Walk(tree.Root(), func(n *sitter.Node) bool {
			got = append(got, span(n))
			var a, b [][3]uint
			for _, c := range namedChildren(n) {
				a = append(a, span(c))
			}
			for _, c := range Children(n) {
				b = append(b, span(c))
			}
			if diff := cmp.Diff(a, b); diff != "" {
				t.Errorf("%s: Children of %s at %d (-NamedChild +Children):\n%s", name, Kind(n), n.StartByte(), diff)
			}
			return true
		})
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: Walk order (-NamedChild +Walk):\n%s", name, diff)
		}
		tree.Close()
	}
}

// allocated is the bytes fn allocates.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestDottedNameLinear: the name of an attribute chain of n links costs
// memory in proportion to n. Joined link by link it cost n²/2 bytes: 13 GB
// and 20 s of CPU for the 160,000 links a 320 KB file holds. Bytes are
// counted rather than time, so that a loaded machine cannot fail the test.
func TestDottedNameLinear(t *testing.T) {
	const n = 160000
	// Spaced, so that the name is made by walking the chain, not read
	// whole from the source.
	tree := Parse([]byte("a" + strings.Repeat(" .b", n) + "\n"))
	defer tree.Close()
	chain := tree.Root().NamedChild(0).NamedChild(0)
	var got string
	bytes := allocated(func() { got = tree.DottedName(chain) })
	if len(got) != 2*n+1 {
		t.Fatalf("DottedName gave %d bytes, want %d", len(got), 2*n+1)
	}
	// A node handle per step, a string per piece, the slice of pieces and
	// the result: some 150 bytes a link (joined link by link, 160,000).
	if limit := uint64(300 * n); bytes > limit {
		t.Errorf("DottedName of %d links allocated %d bytes, want at most %d (linear)", n, bytes, limit)
	}
}

// BenchmarkDottedName names an attribute chain of 160,000 links (a 320 KB
// file), written plainly (its text is its name) and spaced (the chain is
// walked): milliseconds, where joining link by link took 30 s.
//
//	go test ./rules/pyast -run XXX -bench DottedName
func BenchmarkDottedName(b *testing.B) {
	for name, link := range map[string]string{"plain": ".b", "spaced": " .b"} {
		b.Run(name, func(b *testing.B) {
			tree := Parse([]byte("a" + strings.Repeat(link, 160000) + "\n"))
			defer tree.Close()
			chain := tree.Root().NamedChild(0).NamedChild(0)
			for b.Loop() {
				tree.DottedName(chain)
			}
		})
	}
}

// TestDottedName: the name read whole from plain source and the name
// made by walking the chain agree.
func TestDottedName(t *testing.T) {
	for src, want := range map[string]string{
		"a.b.c":     "a.b.c",
		"a . b .c":  "a.b.c",
		"(a).b":     "a.b",
		"((a.b))":   "a.b",
		"a.\\\n  b": "a.b",
		"é.b":       "é.b",
		"a_1.B2._c": "a_1.B2._c",
		"a.b()":     "",
		"a.b().c":   "",
		"a[0].b":    "",
		"'s'.join":  "",
		"await a.b": "a.b",
		"x":         "x",
	} {
		tree := Parse([]byte(src + "\n"))
		expr := tree.Root().NamedChild(0).NamedChild(0)
		if got := tree.DottedName(expr); got != want {
			t.Errorf("DottedName(%q) = %q, want %q", src, got, want)
		}
		tree.Close()
	}
}
