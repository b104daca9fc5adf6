package webhook

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// bbolt's on-disk layout, as far as reading a tree needs it (page.go of
// go.etcd.io/bbolt's internal/common): a page header of id (8 bytes),
// flags (2), count (2) and overflow (4), then count elements of 16 bytes.
// A branch element is pos (4), ksize (4) and the child's page id (8); a
// leaf element is flags (4), pos (4), ksize (4) and vsize (4), its key at
// pos bytes from the element and its value right after. A bucket's value
// is its root page id (8) and sequence (8), then, for an inline bucket
// (root 0), a leaf page. Integers are in the machine's byte order.
const (
	pageHeaderSize   = 16
	pageElementSize  = 16
	bucketHeaderSize = 16
	branchPageFlag   = 0x01
	leafPageFlag     = 0x02
	bucketLeafFlag   = 0x01
	maxTreeDepth     = 64 // far deeper than a journal's tree ever is
)

// pageTree checks the pages of a bbolt file from its root bucket's page,
// reading the file's bytes, not bbolt's map of them: every page reached
// lies inside the file and below the high-water mark, says its own id, is
// a branch or a leaf, is reached once (no cycle, no page shared), and
// holds its elements, keys and values inside itself. A tree that passes
// is one bbolt can walk without faulting, panicking or looping.
type pageTree struct {
	data     []byte
	pageSize uint64
	hwm      uint64 // pages in use: ids below it
	seen     map[uint64]bool
}

var errPage = errors.New("corrupted page")

func (t *pageTree) check(root uint64) error { return t.tree(root, 0) }

func (t *pageTree) tree(id uint64, depth int) error {
	if depth > maxTreeDepth {
		return fmt.Errorf("%w: tree deeper than %d pages", errPage, maxTreeDepth)
	}
	span, flags, count, err := t.page(id)
	if err != nil {
		return err
	}
	switch flags {
	case branchPageFlag:
		for i := range uint64(count) {
			e := pageHeaderSize + i*pageElementSize
			if e+pageElementSize > uint64(len(span)) {
				return fmt.Errorf("%w %d: element %d past the page", errPage, id, i)
			}
			pos := uint64(binary.NativeEndian.Uint32(span[e:]))
			ksize := uint64(binary.NativeEndian.Uint32(span[e+4:]))
			child := binary.NativeEndian.Uint64(span[e+8:])
			if ksize == 0 || e+pos+ksize > uint64(len(span)) {
				return fmt.Errorf("%w %d: key %d out of the page", errPage, id, i)
			}
			if err := t.tree(child, depth+1); err != nil {
				return err
			}
		}
		return nil
	case leafPageFlag:
		return t.leaf(id, span, count, depth)
	}
	return fmt.Errorf("%w %d: flags %#x, want a branch or a leaf", errPage, id, flags)
}

// leaf checks a leaf page's elements, and the buckets it holds.
func (t *pageTree) leaf(id uint64, span []byte, count uint16, depth int) error {
	for i := range uint64(count) {
		e := pageHeaderSize + i*pageElementSize
		if e+pageElementSize > uint64(len(span)) {
			return fmt.Errorf("%w %d: element %d past the page", errPage, id, i)
		}
		flags := binary.NativeEndian.Uint32(span[e:])
		pos := uint64(binary.NativeEndian.Uint32(span[e+4:]))
		ksize := uint64(binary.NativeEndian.Uint32(span[e+8:]))
		vsize := uint64(binary.NativeEndian.Uint32(span[e+12:]))
		k := e + pos
		if ksize == 0 || k+ksize+vsize > uint64(len(span)) {
			return fmt.Errorf("%w %d: key or value %d out of the page", errPage, id, i)
		}
		if flags&bucketLeafFlag == 0 {
			continue
		}
		value := span[k+ksize : k+ksize+vsize]
		if len(value) < bucketHeaderSize {
			return fmt.Errorf("%w %d: bucket %d of %d bytes", errPage, id, i, len(value))
		}
		root := binary.NativeEndian.Uint64(value)
		if root != 0 {
			if err := t.tree(root, depth+1); err != nil {
				return err
			}
			continue
		}
		inline := value[bucketHeaderSize:]
		if len(inline) < pageHeaderSize || binary.NativeEndian.Uint16(inline[8:]) != leafPageFlag {
			return fmt.Errorf("%w %d: inline bucket %d is not a leaf", errPage, id, i)
		}
		if err := t.leaf(id, inline, binary.NativeEndian.Uint16(inline[10:]), depth+1); err != nil {
			return err
		}
	}
	return nil
}

// page returns the bytes of page id and its overflow pages, and its
// header's flags and count.
func (t *pageTree) page(id uint64) (span []byte, flags, count uint16, err error) {
	// Pages 0 and 1 are the metas.
	if id < 2 || id >= t.hwm {
		return nil, 0, 0, fmt.Errorf("%w: page id %d outside 2..%d", errPage, id, t.hwm-1)
	}
	off := id * t.pageSize
	if off+pageHeaderSize > uint64(len(t.data)) {
		return nil, 0, 0, fmt.Errorf("%w %d: past the end of the file", errPage, id)
	}
	h := t.data[off:]
	overflow := uint64(binary.NativeEndian.Uint32(h[12:]))
	switch {
	case binary.NativeEndian.Uint64(h) != id:
		return nil, 0, 0, fmt.Errorf("%w %d: says it is page %d", errPage, id, binary.NativeEndian.Uint64(h))
	case id+overflow >= t.hwm || (id+overflow+1)*t.pageSize > uint64(len(t.data)):
		return nil, 0, 0, fmt.Errorf("%w %d: %d overflow pages run past the file", errPage, id, overflow)
	}
	for p := id; p <= id+overflow; p++ {
		if t.seen[p] {
			return nil, 0, 0, fmt.Errorf("%w %d: reached twice", errPage, p)
		}
		t.seen[p] = true
	}
	return t.data[off : (id+overflow+1)*t.pageSize], binary.NativeEndian.Uint16(h[8:]), binary.NativeEndian.Uint16(h[10:]), nil
}
