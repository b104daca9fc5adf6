package review

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"maps"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/djintegrity/djintegrity/internal/srclines"
	"github.com/djintegrity/djintegrity/rules"
	"github.com/djintegrity/djintegrity/rules/django"
)

// MaxFileSize is the largest file indexed; larger files are generated or
// vendored code, not reviewed.
const MaxFileSize = 1 << 20

// Result is the outcome of a review.
type Result struct {
	Findings []rules.Finding
	// FilesAnalyzed counts the Python files of the head tree that were read
	// and indexed.
	FilesAnalyzed int
	Duration      time.Duration
	// Sources holds the head content of the files with findings, for
	// writers that quote the flagged lines.
	Sources map[string][]byte
	// Skipped lists the Python files the review wanted but could not read,
	// changed files first: what it says nothing about, so the output can
	// say so rather than pass in silence.
	Skipped []SkippedFile
	// Unreviewed lists the changed Python files the configuration or their
	// role keeps from review (tests, paths.exclude, outside paths.views),
	// and why: read, but no rule reports on them.
	Unreviewed []SkippedFile
	// Limits says what the review did not do that the change called for
	// (the search for the unchanged code a model change breaks, on a
	// source that cannot search cheaply), so the output can say so rather
	// than pass in silence.
	Limits []string
	// Acknowledged lists the findings that ignore comments waved through,
	// with their reasons, so that a reviewer sees what was accepted.
	Acknowledged []Acknowledged
	// Notices are the problems of the ignore comments on changed lines
	// (unknown rules, forbidden forms, ignores that match nothing).
	Notices []Notice
}

// SkippedFile is a Python file left out of the review, and why.
type SkippedFile struct {
	Path    string `json:"path"`
	Reason  string `json:"reason"`
	Changed bool   `json:"changed"` // the change touches it
}

// Analyze reviews the change src describes: it indexes the Python files of
// the head tree, runs the enabled rules, keeps the findings that touch a
// changed line outside paths.exclude, applies severity overrides and
// `# djintegrity: ignore` comments, withholds suggestions that may not be
// offered, and sets fingerprints. Findings are sorted by path, line, rule.
//
// Only the part of the head tree that the rules can need is read: the
// changed files, every app's models, settings, the migrations of the apps
// the change touches, and what their imports lead to (see django.Load);
// and, when the change makes a model stricter, the files that name it,
// found through the source's Searcher (see rules.ImpactSearch), or a
// Result.Limits line saying that they were not.
func Analyze(ctx context.Context, src Source, cfg *Config) (*Result, error) {
	return analyze(ctx, src, cfg, mode{})
}

// AnalyzeWholeTree is Analyze reading and indexing every file of the head
// tree instead of the context Analyze picks: the review whose findings the
// context must not change (the ecosystem check's -context-check compares
// the two on real projects).
func AnalyzeWholeTree(ctx context.Context, src Source, cfg *Config) (*Result, error) {
	return analyze(ctx, src, cfg, mode{wholeTree: true})
}

// mode is how analyze reads the head tree.
type mode struct {
	wholeTree bool // read and index every file, not the context
	// indexTests indexes the changed test modules that Analyze reads
	// without indexing (see splitPlainTests): the review that the
	// shortcut must not change.
	indexTests bool
}

// analyze is Analyze, reading the head tree as how says.
func analyze(ctx context.Context, src Source, cfg *Config, how mode) (*Result, error) {
	start := time.Now()
	if cfg == nil {
		cfg = DefaultConfig()
	}
	log := cfg.logger()
	changed, err := src.Changed(ctx)
	if err != nil {
		return nil, fmt.Errorf("list changed files: %w", err)
	}
	change := rules.Change{}
	var skipped []SkippedFile
	for _, f := range changed {
		switch {
		case f.Status == Deleted:
			log.Debug("skipping deleted file", "path", f.Path)
			continue
		case f.Binary:
			log.Debug("skipping binary file", "path", f.Path)
			if strings.HasSuffix(f.Path, ".py") {
				skipped = append(skipped, SkippedFile{Path: f.Path, Reason: reasonBinary, Changed: true})
			}
			continue
		case f.Status == Renamed:
			log.Debug("renamed file: reviewing the new path only", "path", f.Path, "old_path", f.OldPath)
		}
		if f.Status == Added {
			change[f.Path] = &rules.ChangedFile{Added: true}
		} else {
			change[f.Path] = &rules.ChangedFile{Lines: f.Lines, Removed: maps.Clone(f.Removed)} // markDeletedAtEnd edits it
		}
	}

	paths, err := listFiles(ctx, src, log)
	if err != nil {
		return nil, fmt.Errorf("list head files: %w", err)
	}
	// Third-party code the repository carries is no part of the index; its
	// pyvenv.cfg, not a Python file, still marks a virtualenv.
	if own := django.ProjectFiles(paths); len(own) < len(paths) {
		log.Debug("skipping third-party files (virtualenvs, vendored packages)", "count", len(paths)-len(own))
		paths = own
	}
	paths = slices.DeleteFunc(paths, func(p string) bool { return !strings.HasSuffix(p, ".py") })
	// Every file read, whether for the change or as context: suggestions
	// and fingerprints need the text of the files with findings.
	var files []django.SourceFile
	read := func(ctx context.Context, want []string) ([]django.SourceFile, error) {
		got, skip, err := readSources(ctx, src, want, log)
		files = append(files, got...)
		skipped = append(skipped, skip...)
		for _, f := range got {
			if _, ok := change[f.Path]; ok {
				log.Debug("read changed file", "path", f.Path)
			} else {
				log.Debug("read as context", "path", f.Path)
			}
		}
		return got, err
	}
	var project *django.Project
	plainTests := map[string][]byte{} // read, not indexed: see splitPlainTests
	if how.wholeTree {
		if _, err := read(ctx, paths); err != nil {
			return nil, err
		}
		project, err = cfg.Cache.parsed().Build(ctx, files)
	} else {
		changedPaths := slices.Sorted(maps.Keys(change))
		indexed := changedPaths
		if !how.indexTests {
			indexed, plainTests, err = splitPlainTests(ctx, src, changedPaths, &skipped, log)
			if err != nil {
				return nil, err
			}
		}
		start := rules.ContextFiles(paths, changedPaths)
		if len(indexed) < len(changedPaths) {
			keep := map[string]bool{}
			for _, p := range indexed {
				keep[p] = true
			}
			start = slices.DeleteFunc(start, func(p string) bool { return change[p] != nil && !keep[p] })
		}
		project, err = cfg.Cache.parsed().Load(ctx, paths, start, indexed, read)
	}
	if err != nil {
		return nil, fmt.Errorf("index head tree: %w", err)
	}
	srcs := maps.Clone(plainTests)
	for _, f := range files {
		srcs[f.Path] = f.Src
	}
	markDeletedAtEnd(change, srcs)
	pass := &rules.Pass{Project: project, Change: change, IsWritePath: cfg.isWritePath, BaseFile: baseFiles(ctx, src, changed, log)}
	var limits []string
	if needles := rules.ImpactSearch(pass, cfg.enabled); len(needles) > 0 && !how.wholeTree {
		sites, served, limit, err := impactSites(ctx, src, paths, project, needles, read, log)
		if err != nil {
			return nil, fmt.Errorf("search the head tree: %w", err)
		}
		pass.Sites, files = sites, append(files, served...)
		for _, f := range files {
			srcs[f.Path] = f.Src
		}
		if limit != "" {
			log.Debug(limit)
			limits = append(limits, limit)
		}
	}
	all := rules.Analyze(pass, cfg.enabled)

	res := &Result{FilesAnalyzed: len(files), Sources: map[string][]byte{}, Skipped: sortSkipped(skipped, change), Unreviewed: unreviewed(change, cfg), Limits: limits}
	for _, u := range res.Unreviewed {
		log.Debug("changed file not reviewed", "path", u.Path, "reason", u.Reason)
	}
	res.Findings, res.Acknowledged, res.Notices = finish(all, change, cfg, srcs)
	for _, f := range res.Findings {
		res.Sources[f.Path] = srcs[f.Path]
	}
	res.Duration = time.Since(start)
	return res, nil
}

// splitPlainTests picks, of the changed paths, those a review need not
// index: plain test modules (rules.PlainTest), whose findings no
// configuration shows and which no other file's findings depend on. It
// reads them all the same, as a review of their ignore comments needs
// (an ignore on a changed line that suppresses nothing gets a notice), and
// keeps those that hold one among the indexed, so that the rules' findings
// there still use them. It returns the changed paths to index and the
// content of the others; the files it cannot read go to skipped.
func splitPlainTests(ctx context.Context, src Source, changed []string, skipped *[]SkippedFile, log *slog.Logger) ([]string, map[string][]byte, error) {
	var tests []string
	for _, p := range changed {
		if strings.HasSuffix(p, ".py") && rules.PlainTest(p) {
			tests = append(tests, p)
		}
	}
	if len(tests) == 0 {
		return changed, map[string][]byte{}, nil
	}
	got, skip, err := readSources(ctx, src, tests, log)
	if err != nil {
		return nil, nil, err
	}
	*skipped = append(*skipped, skip...)
	plain := map[string][]byte{}
	for _, f := range got {
		if !hasIgnore(f.Src) {
			log.Debug("read changed test file: not indexed", "path", f.Path)
			plain[f.Path] = f.Src
		}
	}
	unread := map[string]bool{}
	for _, s := range skip {
		unread[s.Path] = true
	}
	indexed := slices.DeleteFunc(slices.Clone(changed), func(p string) bool { return plain[p] != nil || unread[p] })
	return indexed, plain, nil
}

// unreviewed lists the changed Python files no rule reports on, and why,
// in path order.
func unreviewed(change rules.Change, cfg *Config) []SkippedFile {
	var out []SkippedFile
	for _, p := range slices.Sorted(maps.Keys(change)) {
		var reason string
		switch {
		case !strings.HasSuffix(p, ".py"):
			continue
		case cfg.excluded(p):
			reason = "matches paths.exclude"
		case django.IsTestPath(p):
			reason = "tests and fixtures are not reviewed"
		case !cfg.isWritePath(p) && !strings.Contains("/"+p, "/migrations/"):
			reason = "outside paths.views: only the model and migration rules apply"
		default:
			continue
		}
		out = append(out, SkippedFile{Path: p, Reason: reason, Changed: true})
	}
	return out
}

// baseFiles returns the rules' BaseFile: a changed file's content before
// the change, read on first ask through src's BaseReader (at its old path
// when renamed). A file whose past cannot be read is reported at debug
// level and stays unknown: the rules then say nothing rather than guess.
func baseFiles(ctx context.Context, src Source, changed []ChangedFile, log *slog.Logger) func(string) ([]byte, bool) {
	br, ok := src.(BaseReader)
	if !ok {
		return nil
	}
	oldPath := map[string]string{}
	for _, f := range changed {
		oldPath[f.Path] = cmp.Or(f.OldPath, f.Path)
	}
	type entry struct {
		data []byte
		ok   bool
	}
	cache := map[string]entry{}
	return func(p string) ([]byte, bool) {
		if e, seen := cache[p]; seen {
			return e.data, e.ok
		}
		b, err := br.ReadBaseFile(ctx, oldPath[p])
		if err != nil {
			log.Debug("old content not read: the rules compare nothing with it", "path", p, "error", err)
		}
		e := entry{b, err == nil}
		cache[p] = e
		return e.data, e.ok
	}
}

// finish keeps the findings on the change (onChange), applies the
// configuration's severities, sets apart the findings ignore comments
// acknowledge, withdraws suggestions that may not be offered and sets
// fingerprints. It returns the findings, the acknowledged ones and the
// notices of the ignore comments the change touches.
func finish(all []rules.Finding, change rules.Change, cfg *Config, srcs map[string][]byte) ([]rules.Finding, []Acknowledged, []Notice) {
	findings := onChange(all, change, cfg)
	lineCache := map[string][]string{}
	lines := func(p string) []string {
		ls, ok := lineCache[p]
		if !ok {
			ls = srclines.Lines(srcs[p])
			lineCache[p] = ls
		}
		return ls
	}
	log := cfg.logger()
	sup := &suppression{cfg: cfg, lines: lines, srcs: srcs, files: map[string]*fileIgnores{}}
	out := findings[:0]
	var acked []Acknowledged
	for _, f := range findings {
		if sev, ok := cfg.Severity[f.Rule]; ok {
			f.Severity = sev
		}
		if ig := sup.ignored(f); ig != nil {
			log.Debug("finding acknowledged by comment", "rule", f.Rule, "path", f.Path, "line", f.StartLine, "ignore_line", ig.line)
			acked = append(acked, Acknowledged{Finding: f, Reason: ig.reason})
			continue
		}
		if f.Suggestion != nil && !suggestionOK(f, change, lines(f.Path)) {
			log.Debug("suggestion withheld", "rule", f.Rule, "path", f.Path, "line", f.StartLine)
			f.Suggestion, f.Imports = nil, nil
		}
		out = append(out, f)
	}
	setFingerprints(out, lines)
	ackedFindings := make([]rules.Finding, len(acked))
	for i, a := range acked {
		ackedFindings[i] = a.Finding
	}
	setFingerprints(ackedFindings, lines)
	for i := range acked {
		acked[i].Finding = ackedFindings[i]
		acked[i].Suggestion, acked[i].Imports = nil, nil // nothing to apply: it was accepted
	}
	return out, acked, sup.notices(all, change)
}

// markDeletedAtEnd moves the mark of lines deleted at the end of a file,
// which no line follows, to the last line.
func markDeletedAtEnd(change rules.Change, srcs map[string][]byte) {
	for p, c := range change {
		src, ok := srcs[p]
		if !ok || len(c.Removed) == 0 {
			continue
		}
		last := len(srclines.Lines(src))
		for l := range c.Removed {
			if l > last {
				delete(c.Removed, l)
				c.Removed[max(last, 1)] = true
			}
		}
	}
}

// onChange keeps the findings that touch a changed line of a file not
// excluded by the configuration, sorted. Like reviewdog's diff filter, it
// only filters: the rules saw the whole head tree.
func onChange(all []rules.Finding, change rules.Change, cfg *Config) []rules.Finding {
	var out []rules.Finding
	for _, f := range all {
		if !change.Touches(f.Path, f.StartLine, f.EndLine) || cfg.excluded(f.Path) {
			continue
		}
		out = append(out, f)
	}
	rules.SortFindings(out)
	return out
}

// Why a file was skipped, as the output says it.
const (
	reasonNotRegular = "not a regular file"
	reasonMissing    = "missing from the head tree"
	reasonNoObject   = "object missing from the repository"
	reasonTooLarge   = "over 1 MiB"
	reasonBinary     = "binary"
	reasonNotUTF8    = "not UTF-8"
)

// readSources reads paths, in one batch when the source can or else in
// parallel (each read may be a process or a request), and returns the
// files the index may see and the ones it skipped, with why. A failure to
// read (rather than a file that cannot be indexed) is an error.
func readSources(ctx context.Context, src Source, paths []string, log *slog.Logger) ([]django.SourceFile, []SkippedFile, error) {
	contents, err := readAll(ctx, src, paths)
	if err != nil {
		return nil, nil, err
	}
	var (
		files   []django.SourceFile
		skipped []SkippedFile
	)
	for i, c := range contents {
		p, b := paths[i], c.Data
		reason := ""
		switch {
		case errors.Is(c.Err, ErrNotRegular):
			reason = reasonNotRegular
		case errors.Is(c.Err, fs.ErrNotExist):
			reason = reasonMissing
		case errors.Is(c.Err, ErrTooLarge), c.Err == nil && len(b) > MaxFileSize:
			reason = reasonTooLarge
		case errors.Is(c.Err, errMissingObject):
			reason = reasonNoObject
		case c.Err != nil:
			return nil, nil, fmt.Errorf("read head tree: %w", c.Err)
		case bytes.IndexByte(b, 0) >= 0:
			reason = reasonBinary
		case !utf8.Valid(b):
			reason = reasonNotUTF8
		default:
			files = append(files, django.SourceFile{Path: p, Src: b})
			continue
		}
		log.Debug("skipping file", "path", p, "reason", reason)
		skipped = append(skipped, SkippedFile{Path: p, Reason: reason})
	}
	return files, skipped, nil
}

// sortSkipped marks the skipped files the change touches and sorts them
// first, each path once.
func sortSkipped(skipped []SkippedFile, change rules.Change) []SkippedFile {
	for i := range skipped {
		_, touched := change[skipped[i].Path]
		skipped[i].Changed = skipped[i].Changed || touched
	}
	slices.SortFunc(skipped, func(a, b SkippedFile) int {
		if a.Changed != b.Changed {
			if a.Changed {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.Path, b.Path)
	})
	return slices.CompactFunc(skipped, func(a, b SkippedFile) bool { return a.Path == b.Path })
}

// fileLister is implemented by this package's sources, which log the
// entries they leave out of Files (symlinks, submodules) to the review's
// logger.
type fileLister interface {
	files(ctx context.Context, log *slog.Logger) ([]string, error)
}

// listFiles is src.Files, logging to log when src can.
func listFiles(ctx context.Context, src Source, log *slog.Logger) ([]string, error) {
	if l, ok := src.(fileLister); ok {
		return l.files(ctx, log)
	}
	return src.Files(ctx)
}

func readAll(ctx context.Context, src Source, paths []string) ([]FileContent, error) {
	if br, ok := src.(BatchReader); ok {
		out, err := br.ReadFiles(ctx, paths)
		if err != nil {
			return nil, fmt.Errorf("read head tree: %w", err)
		}
		return out, nil
	}
	out := make([]FileContent, len(paths))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(len(paths), 2*runtime.GOMAXPROCS(0)) {
		wg.Go(func() {
			for i := range work {
				out[i].Data, out[i].Err = src.ReadFile(ctx, paths[i])
			}
		})
	}
feed:
	for i := range paths {
		select {
		case work <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(work)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return out, nil
}
