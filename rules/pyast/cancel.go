package pyast

/*
#include <stdlib.h>
#include <stdint.h>
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"unsafe"

	sitter "github.com/tree-sitter/go-tree-sitter"
)

// parser is a pooled tree-sitter parser and its cancellation flag. The
// flag lives in C memory: the parser reads it while it runs, which Go
// memory may not be lent to C for.
type parser struct {
	p    *sitter.Parser
	stop *uintptr
}

func newParser() *parser {
	p := sitter.NewParser()
	if err := p.SetLanguage(language()); err != nil {
		// The grammar is compiled in; a version mismatch is a build defect.
		panic("pyast: python grammar rejected by tree-sitter: " + err.Error())
	}
	pp := &parser{p: p, stop: (*uintptr)(C.calloc(1, C.size_t(unsafe.Sizeof(uintptr(0)))))}
	// The flag, not a progress callback: ParseWithOptions registers its
	// options with a handle it never releases, a leak on every parse.
	//lint:ignore SA1019 the supported way leaks; this one works until 0.26
	p.SetCancellationFlag(pp.stop)
	// The pool drops idle parsers; their C memory goes with them.
	runtime.AddCleanup(pp, func(c parser) {
		c.p.Close()
		C.free(unsafe.Pointer(c.stop))
	}, parser{p: p, stop: pp.stop})
	return pp
}

// ParseContext is Parse that gives up when ctx ends, mid-file: tree-sitter
// checks the flag every hundred steps or so, so a file of a megabyte stops
// in microseconds rather than when its parse is done.
func ParseContext(ctx context.Context, src []byte) (*Tree, error) {
	pp := parsers.Get().(*parser)
	var stop func() bool
	cancelled := make(chan struct{})
	if ctx.Done() != nil {
		stop = context.AfterFunc(ctx, func() {
			atomic.StoreUintptr(pp.stop, 1)
			close(cancelled)
		})
	}
	t := pp.p.Parse(src, nil)
	if stop != nil && !stop() {
		<-cancelled // the flag is set: reset it only after
	}
	atomic.StoreUintptr(pp.stop, 0)
	pp.p.Reset()
	parsers.Put(pp)
	if t == nil {
		if ctx.Err() == nil {
			return nil, errors.New("parse: tree-sitter gave no tree")
		}
		return nil, fmt.Errorf("parse: %w", context.Cause(ctx))
	}
	return &Tree{Src: src, tree: t}, nil
}
