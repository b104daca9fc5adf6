package django

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"unsafe"
)

// The encoding of a parsed File for the cache on disk. It writes every
// field, exported or not, and keeps pointers shared as shared: a write
// site's Func is one of the file's Functions, and the writes of one try
// block share its Try, which rules tell apart by identity. Encoding
// reflects over the types, so a field added to them needs no code here;
// fileFormat, a digest of the types' shapes, changes with them and so
// invalidates what an older build wrote.

// fileFormat identifies the encoding of File as this build writes it.
var fileFormat = func() string {
	var b strings.Builder
	seen := map[reflect.Type]bool{}
	var walk func(reflect.Type)
	walk = func(t reflect.Type) {
		fmt.Fprintf(&b, "%s:%s;", t.String(), t.Kind())
		if seen[t] {
			return
		}
		seen[t] = true
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Array:
			walk(t.Elem())
		case reflect.Map:
			walk(t.Key())
			walk(t.Elem())
		case reflect.Struct:
			for i := range t.NumField() {
				if !skipped(t, i) {
					b.WriteString(t.Field(i).Name + "=")
					walk(t.Field(i).Type)
				}
			}
		}
	}
	walk(reflect.TypeFor[File]())
	sum := sha256.Sum256([]byte(b.String()))
	return fmt.Sprintf("djintegrity-file-1-%x", sum[:8])
}()

// encodeFile returns f's encoding, headed by fileFormat.
func encodeFile(f *File) (out []byte, err error) {
	e := &encoder{ptrs: map[ptrKey]uint64{}}
	e.str(fileFormat)
	defer func() {
		// Types the encoding cannot hold panic in value: an error, not a crash.
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("encode %s: %v", f.Path, r)
		}
	}()
	e.value(reflect.ValueOf(&f).Elem())
	return e.buf.Bytes(), nil
}

// decodeFile reads what encodeFile wrote; an encoding of another format,
// or cut short, is an error.
func decodeFile(data []byte) (f *File, err error) {
	d := &decoder{r: bytes.NewReader(data)}
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, fmt.Errorf("decode parsed file: %v", r)
		}
	}()
	if d.str() != fileFormat {
		return nil, errors.New("decode parsed file: written by another version")
	}
	d.value(reflect.ValueOf(&f).Elem())
	if d.r.Len() != 0 {
		return nil, errors.New("decode parsed file: trailing bytes")
	}
	return f, nil
}

type ptrKey struct {
	t reflect.Type
	p uintptr
}

type encoder struct {
	buf  bytes.Buffer
	ptrs map[ptrKey]uint64 // pointer to its number, from 1
}

func (e *encoder) uint(n uint64) { e.buf.Write(binary.AppendUvarint(nil, n)) }

func (e *encoder) str(s string) {
	e.uint(uint64(len(s)))
	e.buf.WriteString(s)
}

// value writes v, which must be addressable (unexported fields are read
// through their address).
func (e *encoder) value(v reflect.Value) {
	switch kind(v) {
	case reflect.Bool, reflect.Uint, reflect.Float64:
		e.uint(bits(v))
	case reflect.Int:
		e.buf.Write(binary.AppendVarint(nil, v.Int()))
	case reflect.String:
		e.str(v.String())
	case reflect.Slice:
		if v.IsNil() {
			e.uint(0)
			return
		}
		e.uint(uint64(v.Len()) + 1)
		if v.Type().Elem().Kind() == reflect.Uint8 {
			e.buf.Write(v.Bytes())
			return
		}
		for i := range v.Len() {
			e.value(v.Index(i))
		}
	case reflect.Array:
		for i := range v.Len() {
			e.value(v.Index(i))
		}
	case reflect.Map:
		if v.IsNil() {
			e.uint(0)
			return
		}
		e.uint(uint64(v.Len()) + 1)
		it := v.MapRange()
		for it.Next() {
			k, x := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			k.Set(it.Key())
			x.Set(it.Value())
			e.value(k)
			e.value(x)
		}
	case reflect.Pointer:
		if v.IsNil() {
			e.uint(0)
			return
		}
		key := ptrKey{v.Type(), v.Pointer()}
		if n, ok := e.ptrs[key]; ok {
			e.uint(n)
			return
		}
		n := uint64(len(e.ptrs)) + 1
		e.ptrs[key] = n
		e.uint(n)
		e.value(v.Elem())
	case reflect.Struct:
		for i := range v.NumField() {
			if !skipped(v.Type(), i) {
				e.value(exported(v.Field(i)))
			}
		}
	default:
		panic(fmt.Sprintf("cannot encode %s", v.Type()))
	}
}

// skipped reports whether field i of struct type t is left out: File's
// lines, computed again from the source when asked for.
func skipped(t reflect.Type, i int) bool {
	return t == reflect.TypeFor[File]() && lazyFileFields[t.Field(i).Name]
}

// kind is v's kind, the sizes of integers and floats taken as one: they
// are written alike.
func kind(v reflect.Value) reflect.Kind {
	switch k := v.Kind(); k {
	case reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return reflect.Int
	case reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return reflect.Uint
	case reflect.Float32:
		return reflect.Float64
	default:
		return k
	}
}

// bits is a bool, unsigned integer or float as the bits written for it.
func bits(v reflect.Value) uint64 {
	switch kind(v) {
	case reflect.Bool:
		if v.Bool() {
			return 1
		}
		return 0
	case reflect.Float64:
		return math.Float64bits(v.Float())
	default:
		return v.Uint()
	}
}

// setBits sets a bool, unsigned integer or float from its bits.
func setBits(v reflect.Value, n uint64) {
	switch kind(v) {
	case reflect.Bool:
		v.SetBool(n != 0)
	case reflect.Float64:
		v.SetFloat(math.Float64frombits(n))
	default:
		v.SetUint(n)
	}
}

// exported returns field f, read from an addressable struct, as a value
// that may be read and set whether or not its field is exported.
func exported(f reflect.Value) reflect.Value {
	if f.CanSet() {
		return f
	}
	return reflect.NewAt(f.Type(), unsafe.Pointer(f.UnsafeAddr())).Elem()
}

type decoder struct {
	r    *bytes.Reader
	ptrs []reflect.Value // by number, from 1
}

func (d *decoder) uint() uint64 {
	n, err := binary.ReadUvarint(d.r)
	if err != nil {
		panic(err)
	}
	return n
}

// count reads a length that must fit in what is left to read.
func (d *decoder) count() int {
	n := d.uint()
	if n > uint64(d.r.Len()) {
		panic("length beyond the data")
	}
	return int(n)
}

func (d *decoder) str() string {
	b := make([]byte, d.count())
	if _, err := d.r.Read(b); err != nil && len(b) > 0 {
		panic(err)
	}
	return string(b)
}

// value reads into v, which must be settable.
func (d *decoder) value(v reflect.Value) {
	switch kind(v) {
	case reflect.Bool, reflect.Uint, reflect.Float64:
		setBits(v, d.uint())
	case reflect.Int:
		n, err := binary.ReadVarint(d.r)
		if err != nil {
			panic(err)
		}
		v.SetInt(n)
	case reflect.String:
		v.SetString(d.str())
	case reflect.Slice:
		n := d.count()
		if n == 0 {
			return // nil
		}
		n--
		s := reflect.MakeSlice(v.Type(), n, n)
		if v.Type().Elem().Kind() == reflect.Uint8 {
			if _, err := d.r.Read(s.Bytes()); err != nil && n > 0 {
				panic(err)
			}
		} else {
			for i := range n {
				d.value(s.Index(i))
			}
		}
		v.Set(s)
	case reflect.Array:
		for i := range v.Len() {
			d.value(v.Index(i))
		}
	case reflect.Map:
		n := d.count()
		if n == 0 {
			return // nil
		}
		m := reflect.MakeMapWithSize(v.Type(), n-1)
		for range n - 1 {
			k, x := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
			d.value(k)
			d.value(x)
			m.SetMapIndex(k, x)
		}
		v.Set(m)
	case reflect.Pointer:
		n := d.uint()
		switch {
		case n == 0:
			return // nil
		case n <= uint64(len(d.ptrs)):
			p := d.ptrs[n-1]
			if p.Type() != v.Type() {
				panic("pointer to another type")
			}
			v.Set(p)
		case n == uint64(len(d.ptrs))+1:
			p := reflect.New(v.Type().Elem())
			d.ptrs = append(d.ptrs, p) // before its content: cycles point back to it
			d.value(p.Elem())
			v.Set(p)
		default:
			panic("pointer number out of order")
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if !skipped(v.Type(), i) {
				d.value(exported(v.Field(i)))
			}
		}
	default:
		panic(fmt.Sprintf("cannot decode %s", v.Type()))
	}
}
