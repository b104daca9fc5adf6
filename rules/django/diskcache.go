package django

import (
	"cmp"
	"encoding/hex"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// OpenCache returns a cache that also keeps the files it parses in dir
// (made if missing), so that another process, or this one after a
// restart, finds them: serve in its data directory, the Lambda worker in
// /tmp, the CLI in --cache-dir. Each of memory and dir holds at most about
// maxBytes; in dir the least recently used go first. Files in dir that
// cannot be read or were written by another version are parsed again.
func OpenCache(dir string, maxBytes int64) (*Cache, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("open parse cache: %w", err)
	}
	d := &diskCache{dir: dir, max: maxBytes}
	size, err := d.scan()
	if err != nil {
		return nil, fmt.Errorf("open parse cache: %w", err)
	}
	d.size.Store(size)
	c := NewCache(maxBytes)
	c.disk = d
	return c, nil
}

// diskCache is the part of a Cache kept in a directory: one file a parse,
// named by its key, in a subdirectory named by the key's first byte.
type diskCache struct {
	dir  string
	max  int64
	size atomic.Int64 // bytes of the entries, as last scanned plus written since
	hits atomic.Int64

	pruning sync.Mutex
}

func (d *diskCache) path(key cacheKey) string {
	name := hex.EncodeToString(key[:])
	return filepath.Join(d.dir, name[:2], name)
}

// get returns the file stored under key, or nil. Its Src is unset: the
// caller has it.
func (d *diskCache) get(key cacheKey, path, module string) *File {
	if d == nil {
		return nil
	}
	p := d.path(key)
	data, err := os.ReadFile(p)
	if err != nil {
		return nil
	}
	f, err := decodeFile(data)
	if err != nil || f.Path != path || f.Module != module {
		os.Remove(p) // another version's, or damaged: parse it again
		return nil
	}
	now := time.Now()
	os.Chtimes(p, now, now) // recently used: pruned last
	d.hits.Add(1)
	return f
}

// put stores f under key, without its source (the key is the source's
// digest), and prunes when the directory outgrows its bound. Failures
// leave the entry out: the cache only saves work.
func (d *diskCache) put(key cacheKey, f *File) {
	if d == nil {
		return
	}
	data, err := encodeFile(f.copyFor(nil))
	if err != nil {
		return
	}
	p := d.path(key)
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return
	}
	// Written whole then renamed: a reader in another process never sees
	// half an entry.
	tmp, err := os.CreateTemp(filepath.Dir(p), ".tmp-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr != nil || cerr != nil || os.Rename(tmp.Name(), p) != nil {
		os.Remove(tmp.Name())
		return
	}
	if d.size.Add(int64(len(data))) > d.max {
		d.prune()
	}
}

// prune removes the least recently used entries until the directory
// holds at most three quarters of its bound, leaving room to grow.
func (d *diskCache) prune() {
	if !d.pruning.TryLock() {
		return // another review is at it
	}
	defer d.pruning.Unlock()
	type entry struct {
		path string
		size int64
		used time.Time
	}
	var entries []entry
	var total int64
	filepath.WalkDir(d.dir, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return nil
		}
		if info, err := e.Info(); err == nil {
			entries = append(entries, entry{p, info.Size(), info.ModTime()})
			total += info.Size()
		}
		return nil
	})
	slices.SortFunc(entries, func(a, b entry) int { return cmp.Or(a.used.Compare(b.used), cmp.Compare(a.path, b.path)) })
	for _, e := range entries {
		if total <= d.max*3/4 {
			break
		}
		if os.Remove(e.path) == nil {
			total -= e.size
		}
	}
	d.size.Store(total)
}

// scan returns the bytes the directory's entries hold.
func (d *diskCache) scan() (int64, error) {
	var total int64
	err := filepath.WalkDir(d.dir, func(_ string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !e.IsDir() {
			info, err := e.Info()
			if err != nil {
				return err
			}
			total += info.Size()
		}
		return nil
	})
	return total, err
}
