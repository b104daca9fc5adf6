package review

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os/exec"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/djintegrity/djintegrity/rules"
	"github.com/djintegrity/djintegrity/rules/django"
)

// searchChunk is how many files a search reads at once: enough to keep a
// batch reader busy, few enough that a large tree is never all in memory.
const searchChunk = 512

// searchByReading is SearchFiles for a source that reads files cheaply:
// it reads paths a chunk at a time and keeps the files that contain a
// needle.
func searchByReading(ctx context.Context, src Source, paths, needles []string) (map[string][]byte, error) {
	found := map[string][]byte{}
	for start := 0; start < len(paths); start += searchChunk {
		chunk := paths[start:min(start+searchChunk, len(paths))]
		contents, err := readAll(ctx, src, chunk)
		if err != nil {
			return nil, fmt.Errorf("search head tree: %w", err)
		}
		for i, c := range contents {
			if text, ok := SearchMatch(c.Data, needles); c.Err == nil && ok {
				found[chunk[i]] = text
			}
		}
	}
	return found, nil
}

// SearchMatch returns a file's text, as the index reads it (in the
// coding its PEP 263 declaration names: DecodeSource), when it is one a
// Searcher returns: it contains one of needles as a word, and the index
// may read it (not over MaxFileSize, no NUL byte, in an encoding Python
// accepts). The needles, names in source, are looked for in the bytes
// first: every coding Python accepts for source writes ASCII as ASCII.
func SearchMatch(b []byte, needles []string) (text []byte, ok bool) {
	if len(b) > MaxFileSize || !slices.ContainsFunc(needles, func(n string) bool { return rules.ContainsWord(b, n) }) ||
		bytes.IndexByte(b, 0) >= 0 {
		return nil, false
	}
	text, _, skip := DecodeSource(b)
	return text, skip == ""
}

// SearchFiles implements Searcher: the working tree is read file by file;
// a revision is searched by `git grep` (in C, on every core, without
// sending each blob through a pipe), and only the files it lists as
// holding a needle as a word are read.
func (s *gitSource) SearchFiles(ctx context.Context, paths, needles []string) (map[string][]byte, error) {
	if err := s.prepare(ctx); err != nil {
		return nil, err
	}
	if s.head == "" {
		return searchByReading(ctx, s, paths, needles)
	}
	// The paths are split into a chunk per core (at most searchChunk
	// each), and each chunk is grepped and its matches read at once with
	// the others': a git grep of a revision and the git cat-file after it
	// left the second core mostly idle (Saleor's 753 candidates: 143 ms
	// at best one chunk after the other, 81 ms at once, on 2 cores).
	workers := max(1, runtime.GOMAXPROCS(0))
	size := min(searchChunk, max(1, (len(paths)+workers-1)/workers))
	var chunks [][]string
	for start := 0; start < len(paths); start += size {
		chunks = append(chunks, paths[start:min(start+size, len(paths))])
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	found := map[string][]byte{}
	var mu sync.Mutex
	var firstErr error
	work := make(chan []string)
	var wg sync.WaitGroup
	for range min(workers, len(chunks)) {
		wg.Go(func() {
			for chunk := range work {
				got, err := s.grepAndRead(ctx, needles, chunk)
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
					cancel() // the other chunks' answer is not needed
				}
				maps.Copy(found, got)
				mu.Unlock()
			}
		})
	}
	for _, chunk := range chunks {
		work <- chunk
	}
	close(work)
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	return found, nil
}

// grepAndRead returns the files of paths that hold one of needles, as
// SearchFiles does, from one git grep and one read of its matches.
func (s *gitSource) grepAndRead(ctx context.Context, needles, paths []string) (map[string][]byte, error) {
	hits, err := s.grep(ctx, needles, paths)
	if err != nil || len(hits) == 0 {
		return nil, err
	}
	return searchByReading(ctx, s, hits, needles)
}

// grep lists the paths whose content at head holds one of needles as a
// word. The paths go on the command line, a chunk at a time: this git may
// predate grep's --pathspec-from-file.
func (s *gitSource) grep(ctx context.Context, needles, paths []string) ([]string, error) {
	args := []string{"--literal-pathspecs", "grep", "-l", "-z", "-w", "-F", "--no-color"}
	for _, n := range needles {
		args = append(args, "-e", n)
	}
	args = append(append(args, s.head, "--"), paths...)
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir, cmd.Env = s.top, gitEnv()
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		switch {
		case ctx.Err() != nil:
			return nil, ctx.Err()
		case errors.As(err, &exit) && exit.ExitCode() == 1 && stderr.Len() == 0:
			return nil, nil // no file holds a needle
		}
		return nil, fmt.Errorf("git grep: %w: %s", err, strings.TrimSpace(stderr.String()))
	}
	var out []string
	for _, name := range splitZ(stdout.Bytes()) {
		out = append(out, strings.TrimPrefix(name, s.head+":"))
	}
	return out, nil
}

// SearchFiles implements Searcher: the files are on this machine.
func (s *dirSource) SearchFiles(ctx context.Context, paths, needles []string) (map[string][]byte, error) {
	return searchByReading(ctx, s, paths, needles)
}

// impactSites builds the project the impact rules search (rules.Pass.Sites):
// project, with every file of the head tree that contains one of needles
// added, and what those files import. Only files project lacks are
// searched, less those the rules never report on (tests, migrations). A
// source that cannot search cheaply searches nothing: limit then says what
// the review did not do. read reads files as the review's Load does;
// served are the files found, which the search read instead.
func impactSites(ctx context.Context, src Source, all []string, project *django.Project, needles []string,
	read django.Reader, log *slog.Logger) (sites *django.Project, served []django.SourceFile, limit string, err error) {
	start := time.Now()
	s, ok := src.(Searcher)
	if !ok {
		return nil, nil, fmt.Sprintf("impact search not done: this source cannot search the repository in one pass, so the unchanged code naming %s that the change's model change may break was not looked for",
			quoteList(needles)), nil
	}
	var candidates []string
	for _, p := range all {
		if project.Files[p] == nil && !rules.ImpactSkipped(p) {
			candidates = append(candidates, p)
		}
	}
	found, err := s.SearchFiles(ctx, candidates, needles)
	if errors.Is(err, ErrCannotSearch) {
		return nil, nil, fmt.Sprintf("impact search not done (%v), so the unchanged code naming %s that the change's model change may break was not looked for",
			err, quoteList(needles)), nil
	}
	if err != nil {
		return nil, nil, "", err
	}
	searched := time.Since(start)
	maps.DeleteFunc(found, func(_ string, b []byte) bool { return !rules.ImpactFile(b, needles) })
	hits := slices.Sorted(maps.Keys(found))
	fromSearch := func(ctx context.Context, want []string) ([]django.SourceFile, error) {
		var out []django.SourceFile
		var rest []string
		for _, p := range want {
			if b, ok := found[p]; ok {
				out = append(out, django.SourceFile{Path: p, Src: b})
				served = append(served, django.SourceFile{Path: p, Src: b})
			} else {
				rest = append(rest, p)
			}
		}
		more, err := read(ctx, rest)
		return append(out, more...), err
	}
	sites, err = project.Extend(ctx, hits, needles, fromSearch)
	if err != nil {
		return nil, nil, "", fmt.Errorf("index the files that name %s: %w", quoteList(needles), err)
	}
	log.Debug("impact search", "needles", needles, "searched", len(candidates), "found", len(hits),
		"indexed", len(sites.Files)-len(project.Files), "search", searched, "duration", time.Since(start))
	return sites, served, "", nil
}

// quoteList writes names as `A`, `B`.
func quoteList(names []string) string {
	return "`" + strings.Join(names, "`, `") + "`"
}
