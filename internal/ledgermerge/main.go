// Temporary: merges judged out-files into the ledger (not committed).
package main

import (
	"bytes"
	"fmt"
	"os"

	"github.com/djintegrity/djintegrity/internal/ecosystem"
)

func main() {
	lf, err := os.Open("ecosystem/ledger.tsv")
	if err != nil {
		panic(err)
	}
	l, err := ecosystem.ReadLedger(lf)
	lf.Close()
	if err != nil {
		panic(err)
	}
	added := 0
	for _, p := range os.Args[1:] {
		f, err := os.Open(p)
		if err != nil {
			panic(err)
		}
		n, err := ecosystem.ReadLedger(f)
		f.Close()
		if err != nil {
			panic(fmt.Errorf("%s: %w", p, err))
		}
		for k, j := range n {
			if _, ok := l[k]; !ok {
				l[k] = j
				added++
			}
		}
	}
	var b bytes.Buffer
	if err := ecosystem.WriteLedger(&b, l); err != nil {
		panic(err)
	}
	if err := os.WriteFile("ecosystem/ledger.tsv", b.Bytes(), 0o644); err != nil {
		panic(err)
	}
	fmt.Println("added", added)
}
