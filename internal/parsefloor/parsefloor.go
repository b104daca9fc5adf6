// Package parsefloor parses Python sources with tree-sitter alone, spread
// over GOMAXPROCS workers as the index spreads its work: the floor that
// benchmarks of the index and of whole reviews are compared with.
package parsefloor

import (
	"runtime"
	"sync"

	"github.com/djintegrity/djintegrity/rules/pyast"
)

// Parse parses every source and drops the trees.
func Parse(srcs [][]byte) {
	work := make(chan []byte)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Go(func() {
			for src := range work {
				pyast.Parse(src).Close()
			}
		})
	}
	for _, s := range srcs {
		work <- s
	}
	close(work)
	wg.Wait()
}
