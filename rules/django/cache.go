package django

import (
	"container/list"
	"context"
	"crypto/sha256"
	"sync"
)

// Cache keeps parsed files by their path, module name and content, so that
// a later review of the same repository parses only what changed since:
// tree-sitter's parse and the extraction of write sites are most of a
// review's time. It is bounded by an estimate of the memory its entries
// hold, dropping the least recently used first, and safe for concurrent
// use. A nil *Cache parses every time.
//
// An entry is never handed out itself: indexing sets a migration's app
// label and dangling dependencies, which depend on the rest of the tree,
// so each use gets a copy of the file and of its migration; the rest
// (classes, fields, operations, write sites) indexing and the rules only
// read.
type Cache struct {
	mu      sync.Mutex
	max     int64 // bytes, as estimated by cost
	size    int64
	order   *list.List // of *cacheEntry, most recently used first
	entries map[cacheKey]*list.Element
	hits    int64
	misses  int64

	disk *diskCache // nil when the cache is in memory only
}

type cacheKey [sha256.Size]byte

type cacheEntry struct {
	key  cacheKey
	file *File
	cost int64
}

// NewCache returns a cache that holds at most about maxBytes of parsed
// files.
func NewCache(maxBytes int64) *Cache {
	return &Cache{max: maxBytes, order: list.New(), entries: map[cacheKey]*list.Element{}}
}

// CacheStats says how many parses a cache saved and how many it did not,
// and the bytes its entries in memory are estimated to hold. DiskHits
// counts the hits read from its directory.
type CacheStats struct {
	Hits, Misses, Bytes, DiskHits int64
	Files                         int
}

// Stats returns the counts so far; zero for a nil cache.
func (c *Cache) Stats() CacheStats {
	if c == nil {
		return CacheStats{}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	st := CacheStats{Hits: c.hits, Misses: c.misses, Bytes: c.size, Files: len(c.entries)}
	if c.disk != nil {
		st.DiskHits = c.disk.hits.Load()
	}
	return st
}

// Build is Build with the parses going through c.
func (c *Cache) Build(ctx context.Context, files []SourceFile) (*Project, error) {
	return buildCached(ctx, files, c)
}

// Load is Load with the parses going through c; Extend on the project it
// returns uses c too.
func (c *Cache) Load(ctx context.Context, all, start, changed []string, read Reader) (*Project, error) {
	return load(ctx, all, start, changed, read, c)
}

// parse returns the file parsed from src, from the cache when it holds it.
// It fails only when ctx ends during a parse, which is not kept.
func (c *Cache) parse(ctx context.Context, path, module string, src []byte) (*File, error) {
	if c == nil {
		return parseFile(ctx, path, module, src)
	}
	h := sha256.New()
	for _, part := range [][]byte{[]byte(path), {0}, []byte(module), {0}, src} {
		h.Write(part)
	}
	var key cacheKey
	h.Sum(key[:0])
	c.mu.Lock()
	if e, ok := c.entries[key]; ok {
		c.order.MoveToFront(e)
		c.hits++
		f := e.Value.(*cacheEntry).file
		c.mu.Unlock()
		return f.copyFor(src), nil
	}
	c.mu.Unlock()
	if f := c.disk.get(key, path, module); f != nil {
		f.Src = src
		c.mu.Lock()
		c.hits++
		c.mu.Unlock()
		c.put(key, f)
		return f.copyFor(src), nil
	}
	c.mu.Lock()
	c.misses++
	c.mu.Unlock()

	f, err := parseFile(ctx, path, module, src)
	if err != nil {
		return nil, err
	}
	c.put(key, f)
	c.disk.put(key, f)
	return f.copyFor(src), nil
}

// put adds f under key and drops the least recently used entries beyond
// the bound.
func (c *Cache) put(key cacheKey, f *File) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if _, ok := c.entries[key]; ok {
		return // parsed meanwhile by another review
	}
	// The source held, and the parsed structure: a few times the source
	// as measured on Saleor, plus a floor for the small files.
	cost := 4*int64(len(f.Src)) + 2048
	if cost > c.max {
		return
	}
	c.entries[key] = c.order.PushFront(&cacheEntry{key: key, file: f, cost: cost})
	c.size += cost
	for c.size > c.max {
		last := c.order.Back()
		e := last.Value.(*cacheEntry)
		c.order.Remove(last)
		delete(c.entries, e.key)
		c.size -= e.cost
	}
}

// copyFor returns a copy of f, with its own migration, that indexing may
// change, holding src (of the same content as f.Src). Its lines are
// computed again when asked for (see lazyFileFields).
func (f *File) copyFor(src []byte) *File {
	g := &File{
		Path: f.Path, Module: f.Module, Src: src, HasErrors: f.HasErrors,
		Imports: f.Imports, StarImports: f.StarImports,
		Classes: f.Classes, Migration: f.Migration, Writes: f.Writes, Functions: f.Functions,
		SouthMigration: f.SouthMigration,
		atomicRequests: f.atomicRequests, dottedImports: f.dottedImports,
		authUserModel: f.authUserModel, installedApps: f.installedApps, userModelNames: f.userModelNames,
	}
	if f.Migration != nil {
		m := *f.Migration
		g.Migration = &m
	}
	return g
}

// lazyFileFields are the fields of File computed from Src when first
// asked for, which a copy and the cache on disk leave to be computed again.
var lazyFileFields = map[string]bool{"linesOnce": true, "lines": true, "indexOnce": true, "index": true}
