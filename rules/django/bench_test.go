package django

import (
	"sync"
	"testing"

	"github.com/djintegrity/djintegrity/internal/cputime"
	"github.com/djintegrity/djintegrity/internal/parsefloor"
	"github.com/djintegrity/djintegrity/internal/projectgen"
)

// benchProject is the generated 200-app, 2,000-model project (~200,000 lines).
var benchProject = sync.OnceValue(func() []SourceFile {
	var out []SourceFile
	for _, f := range projectgen.Project(200, 10) {
		out = append(out, SourceFile{Path: f.Path, Src: f.Src})
	}
	return out
})

func benchBytes(files []SourceFile) int64 {
	var n int64
	for _, f := range files {
		n += int64(len(f.Src))
	}
	return n
}

// BenchmarkBuild indexes the whole generated project.
func BenchmarkBuild(b *testing.B) {
	files := benchProject()
	b.SetBytes(benchBytes(files))
	start := cputime.Used()
	for b.Loop() {
		p, err := Build(b.Context(), files)
		if err != nil {
			b.Fatal(err)
		}
		if len(p.Models) != 2000 {
			b.Fatalf("indexed %d models, want 2000", len(p.Models))
		}
	}
	cputime.Report(b, start)
}

// BenchmarkParseOnly parses the same files with tree-sitter alone, spread
// over the same number of workers: the floor that Build is compared with.
func BenchmarkParseOnly(b *testing.B) {
	files := benchProject()
	b.SetBytes(benchBytes(files))
	srcs := make([][]byte, len(files))
	for i, f := range files {
		srcs[i] = f.Src
	}
	start := cputime.Used()
	for b.Loop() {
		parsefloor.Parse(srcs)
	}
	cputime.Report(b, start)
}
