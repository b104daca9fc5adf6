package webhook

import (
	"encoding/binary"
	"errors"
	"testing"
)

// TestPageTree: corruptions that make bbolt fault, panic or loop are
// found in the file's bytes first.
func TestPageTree(t *testing.T) {
	const size = 64 // a small page keeps the cases short
	// page writes a page header at id; elements follow at 16.
	page := func(data []byte, id uint64, flags, count uint16, overflow uint32) []byte {
		h := data[id*size:]
		binary.NativeEndian.PutUint64(h, id)
		binary.NativeEndian.PutUint16(h[8:], flags)
		binary.NativeEndian.PutUint16(h[10:], count)
		binary.NativeEndian.PutUint32(h[12:], overflow)
		return h[pageHeaderSize:]
	}
	branch := func(e []byte, pos, ksize uint32, child uint64) {
		binary.NativeEndian.PutUint32(e, pos)
		binary.NativeEndian.PutUint32(e[4:], ksize)
		binary.NativeEndian.PutUint64(e[8:], child)
	}
	leaf := func(e []byte, flags, pos, ksize, vsize uint32) {
		binary.NativeEndian.PutUint32(e, flags)
		binary.NativeEndian.PutUint32(e[4:], pos)
		binary.NativeEndian.PutUint32(e[8:], ksize)
		binary.NativeEndian.PutUint32(e[12:], vsize)
	}
	tests := map[string]struct {
		build   func(data []byte)
		wantErr bool
	}{
		"a branch over a leaf": {build: func(d []byte) {
			branch(page(d, 2, branchPageFlag, 1, 0), 16, 1, 3)
			leaf(page(d, 3, leafPageFlag, 1, 0), 0, 16, 1, 2)
		}},
		"a branch that points to itself": {build: func(d []byte) {
			branch(page(d, 2, branchPageFlag, 1, 0), 16, 1, 2)
		}, wantErr: true},
		"two branches that point to one leaf": {build: func(d []byte) {
			e := page(d, 2, branchPageFlag, 2, 0)
			branch(e, 32, 1, 3)
			branch(e[16:], 16, 1, 3)
			leaf(page(d, 3, leafPageFlag, 1, 0), 0, 16, 1, 2)
		}, wantErr: true},
		"a page past the high-water mark": {build: func(d []byte) {
			branch(page(d, 2, branchPageFlag, 1, 0), 16, 1, 9)
		}, wantErr: true},
		"a page that says it is another": {build: func(d []byte) {
			branch(page(d, 2, branchPageFlag, 1, 0), 16, 1, 3)
			page(d, 3, leafPageFlag, 0, 0)
			binary.NativeEndian.PutUint64(d[3*size:], 7)
		}, wantErr: true},
		"overflow pages past the file": {build: func(d []byte) {
			page(d, 2, leafPageFlag, 0, 4)
		}, wantErr: true},
		"more elements than the page holds": {build: func(d []byte) {
			page(d, 2, leafPageFlag, 9, 0)
		}, wantErr: true},
		"a value past the page": {build: func(d []byte) {
			leaf(page(d, 2, leafPageFlag, 1, 0), 0, 16, 1, 4000)
		}, wantErr: true},
		"an empty key": {build: func(d []byte) {
			leaf(page(d, 2, leafPageFlag, 1, 0), 0, 16, 0, 2)
		}, wantErr: true},
		"a meta page": {build: func(d []byte) {
			page(d, 2, 0x04, 0, 0)
		}, wantErr: true},
		"an inline bucket that is not a leaf": {build: func(d []byte) {
			e := page(d, 2, leafPageFlag, 1, 1) // two pages: room for the bucket
			leaf(e, bucketLeafFlag, 16, 1, bucketHeaderSize+pageHeaderSize)
			inline := e[16+1+bucketHeaderSize:] // past the key, at pos 16, and the bucket header
			binary.NativeEndian.PutUint16(inline[8:], branchPageFlag)
		}, wantErr: true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			data := make([]byte, 4*size)
			tc.build(data)
			pt := &pageTree{data: data, pageSize: size, hwm: 4, seen: map[uint64]bool{}}
			err := pt.check(2)
			if (err != nil) != tc.wantErr || err != nil && !errors.Is(err, errPage) {
				t.Errorf("check: %v, want an error %v", err, tc.wantErr)
			}
		})
	}
}
