package review

import "github.com/djintegrity/djintegrity/rules/django"

// Cache keeps parsed files between reviews (serve's, the Lambda worker's,
// the CLI's with --cache-dir), keyed by path and content, so that the
// second review of a repository parses only what changed since the first. It is bounded in size and safe for concurrent reviews; findings
// are the same with it and without it.
type Cache struct{ files *django.Cache }

// NewCache returns a cache that holds at most about maxBytes of parsed
// files (source and structure) in memory.
func NewCache(maxBytes int64) *Cache { return &Cache{files: django.NewCache(maxBytes)} }

// OpenCache returns a cache that also keeps the parsed files in dir, at
// most about maxBytes there, for other processes and later runs: serve's
// data directory, the Lambda worker's /tmp, the CLI's --cache-dir.
func OpenCache(dir string, maxBytes int64) (*Cache, error) {
	c, err := django.OpenCache(dir, maxBytes)
	if err != nil {
		return nil, err
	}
	return &Cache{files: c}, nil
}

// CacheStats says how many parses a cache saved and how many it did not.
type CacheStats = django.CacheStats

// Stats returns the counts so far.
func (c *Cache) Stats() CacheStats { return c.parsed().Stats() }

// parsed is the index's cache, nil for a nil Cache.
func (c *Cache) parsed() *django.Cache {
	if c == nil {
		return nil
	}
	return c.files
}
