package srclines

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSplitAndLines(t *testing.T) {
	for _, tc := range []struct {
		src          string
		split, lines []string
	}{
		{"", []string{""}, nil},
		{"\n", []string{"", ""}, nil},
		{"\n\n", []string{"", "", ""}, []string{"", ""}},
		{"a", []string{"a"}, []string{"a"}},
		{"a\nb\n", []string{"a", "b", ""}, []string{"a", "b"}},
		{"a\r\nb\r\n", []string{"a", "b", ""}, []string{"a", "b"}},
		{"a\r\n\r\nb", []string{"a", "", "b"}, []string{"a", "", "b"}},
		{"a\rb\n", []string{"a\rb", ""}, []string{"a\rb"}},
	} {
		if diff := cmp.Diff(tc.split, Split(tc.src)); diff != "" {
			t.Errorf("Split(%q) (-want +got):\n%s", tc.src, diff)
		}
		if diff := cmp.Diff(tc.lines, Lines([]byte(tc.src))); diff != "" {
			t.Errorf("Lines(%q) (-want +got):\n%s", tc.src, diff)
		}
	}
}

func TestStartEnd(t *testing.T) {
	src := []byte("ab\n  cd\r\n\nef")
	for _, tc := range []struct{ offset, start, end int }{
		{0, 0, 2}, {1, 0, 2}, {2, 0, 2},
		{3, 3, 8}, {5, 3, 8}, {7, 3, 8}, {8, 3, 8},
		{9, 9, 9},
		{10, 10, 12}, {12, 10, 12},
	} {
		if got := Start(src, tc.offset); got != tc.start {
			t.Errorf("Start(%d) = %d, want %d", tc.offset, got, tc.start)
		}
		if got := End(src, uint(tc.offset)); got != uint(tc.end) {
			t.Errorf("End(%d) = %d, want %d", tc.offset, got, tc.end)
		}
	}
}

func TestSpan(t *testing.T) {
	src := "one\ntwo\r\nthree\n"
	lines := Split(src)
	for first := -1; first <= len(lines)+1; first++ {
		for last := -1; last <= len(lines)+1; last++ {
			start, end, ok := Span([]byte(src), first, last)
			wantOK := first >= 1 && last >= first && last <= len(lines)
			if ok != wantOK {
				t.Errorf("Span(%d, %d) ok = %v, want %v", first, last, ok, wantOK)
				continue
			}
			if !ok {
				continue
			}
			want := strings.Join(lines[first-1:last], "\n")
			if got := strings.ReplaceAll(src[start:end], "\r", ""); got != want {
				t.Errorf("Span(%d, %d) = %q, want %q", first, last, got, want)
			}
		}
	}
}

// TestIndexSpan: the index gives what Span gives, for every pair of lines
// in and around texts of every kind of line end.
func TestIndexSpan(t *testing.T) {
	for _, src := range []string{"", "\n", "one", "one\ntwo\r\nthree\n", "one\n\n\nfour", "\r\n\r\n"} {
		x := NewIndex([]byte(src))
		n := len(Split(src))
		for first := -1; first <= n+2; first++ {
			for last := -1; last <= n+2; last++ {
				ws, we, wok := Span([]byte(src), first, last)
				gs, ge, gok := x.Span(first, last)
				if gs != ws || ge != we || gok != wok {
					t.Errorf("%q: Index.Span(%d, %d) = %d, %d, %v; Span gives %d, %d, %v", src, first, last, gs, ge, gok, ws, we, wok)
				}
			}
		}
	}
}
