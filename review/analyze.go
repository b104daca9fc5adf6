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
	// and why: no rule reports on them, whether or not they could be read.
	// A changed file is listed once: here when the configuration or its
	// role keeps every rule from it, else in Skipped when it was not read.
	Unreviewed []SkippedFile
	// Limits says what the review did not do that the change called for
	// (the search for the unchanged code a model change breaks, on a
	// source that cannot search cheaply; the rules a review out of time
	// did not run), so the output can say so rather than pass in silence.
	Limits []string
	// Acknowledged lists the findings that ignore comments waved through,
	// with their reasons, so that a reviewer sees what was accepted.
	Acknowledged []Acknowledged
	// Notices are the problems of the ignore comments on changed lines
	// (unknown rules, forbidden forms, ignores that match nothing).
	Notices []Notice
	// OutOfTime is set when the time budget (Config.Deadline) ran out
	// before the review was done. The review then stops where it is:
	// out of time while reading or indexing, it runs no rule (on part of
	// the project they would say what the whole does not) and lists the
	// changed files it did not get to in Skipped; out of time while the
	// rules ran, the findings are those of the rules that finished and
	// RulesNotRun names the others. Limits says so either way.
	OutOfTime   bool
	RulesNotRun []string
}

// Complete reports whether the review read every changed Python file it
// reviews and ran every enabled rule on them: a check that passes the
// change must not pass code it did not read. A changed file in Skipped is
// one the rules read (one they would not is in Unreviewed instead).
func (r *Result) Complete() bool {
	return !r.OutOfTime && !slices.ContainsFunc(r.Skipped, func(sk SkippedFile) bool { return sk.Changed })
}

// errOutOfTime is the cause of the review's end at its deadline.
var errOutOfTime = errors.New("the review's time budget ran out")

// ranOutOfTime marks res as out of time, with the Limits line that says
// what that left undone: notRun are the rules that did not run, none
// when the review was still reading the project.
func (r *Result) ranOutOfTime(notRun []string) {
	r.OutOfTime, r.RulesNotRun = true, notRun
	if len(notRun) > 0 {
		r.Limits = append(r.Limits, "the review ran out of its time budget before it was done: these rules did not run: "+quoteList(notRun))
	} else {
		r.Limits = append(r.Limits, "the review ran out of its time budget before it was done: it was still reading the project, so no rule ran")
	}
}

// outOfTimeResult is the result of a review whose budget ran out while
// it was still reading and indexing (what): no findings, and every changed
// Python file not skipped for a reason of its own listed as not reviewed.
func outOfTimeResult(res *Result, start time.Time, cfg *Config, change rules.Change, read []django.SourceFile, skipped []SkippedFile, what string) *Result {
	cfg.logger().Warn("the review ran out of time "+what, "budget", cfg.Deadline.Sub(start).Round(time.Second), "files_read", len(read))
	own := map[string]bool{}
	for _, sk := range skipped {
		own[sk.Path] = true
	}
	for p := range change {
		if strings.HasSuffix(p, ".py") && !own[p] {
			skipped = append(skipped, SkippedFile{Path: p, Reason: reasonOutOfTime})
		}
	}
	res.ranOutOfTime(nil)
	res.Skipped, res.Unreviewed = scope(sortSkipped(skipped, change), change, cfg)
	res.Duration = time.Since(start)
	return res
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
	// work ends at the budget's deadline as well as with ctx: reading,
	// indexing and the rules stop there, and what the review has by then
	// is its result. ctx's own end is a failure.
	work := ctx
	if !cfg.Deadline.IsZero() {
		var cancel context.CancelFunc
		work, cancel = context.WithDeadlineCause(ctx, cfg.Deadline, errOutOfTime)
		defer cancel()
	}
	outOfTime := func(err error) bool {
		return err != nil && ctx.Err() == nil && errors.Is(context.Cause(work), errOutOfTime)
	}
	res := &Result{Sources: map[string][]byte{}}
	changed, err := src.Changed(work)
	if outOfTime(err) {
		log.Warn("the review ran out of time listing the changed files", "budget", cfg.Deadline.Sub(start).Round(time.Second))
		res.ranOutOfTime(nil)
		res.Duration = time.Since(start)
		return res, nil
	}
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
				skipped = append(skipped, SkippedFile{Path: f.Path, Reason: cmp.Or(f.Skipped, reasonBinary), Changed: true})
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

	paths, err := listFiles(work, src, log)
	if outOfTime(err) {
		return outOfTimeResult(res, start, cfg, change, nil, skipped, "listing the head tree"), nil
	}
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
	transcoded := map[string]bool{}
	read := func(ctx context.Context, want []string) ([]django.SourceFile, error) {
		got, skip, converted, err := readSources(ctx, src, want, log)
		files = append(files, got...)
		skipped = append(skipped, skip...)
		for _, p := range converted {
			transcoded[p] = true
		}
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
		if _, err = read(work, paths); err == nil {
			project, err = cfg.Cache.parsed().Build(work, files)
		}
	} else {
		changedPaths := slices.Sorted(maps.Keys(change))
		indexed := changedPaths
		if !how.indexTests {
			var skip []SkippedFile
			var converted []string
			indexed, plainTests, skip, converted, err = splitPlainTests(work, src, changedPaths, log)
			skipped = append(skipped, skip...)
			for _, p := range converted {
				transcoded[p] = true
			}
		}
		if err == nil {
			start := rules.ContextFiles(paths, changedPaths)
			if len(indexed) < len(changedPaths) {
				keep := map[string]bool{}
				for _, p := range indexed {
					keep[p] = true
				}
				start = slices.DeleteFunc(start, func(p string) bool { return change[p] != nil && !keep[p] })
			}
			project, err = cfg.Cache.parsed().Load(work, paths, start, indexed, read)
		}
	}
	if outOfTime(err) {
		// The rules are not run on part of the index: what they would say
		// without the rest is not what they say with it.
		return outOfTimeResult(res, start, cfg, change, files, skipped, "reading and indexing the head tree"), nil
	}
	if err != nil {
		return nil, fmt.Errorf("index head tree: %w", err)
	}
	srcs := maps.Clone(plainTests)
	for _, f := range files {
		srcs[f.Path] = f.Src
	}
	markDeletedAtEnd(change, srcs)
	pass := &rules.Pass{Project: project, Change: change, IsWritePath: cfg.isWritePath, BaseFile: baseFiles(work, src, changed, log)}
	if needles := rules.ImpactSearch(work, pass, cfg.enabled); len(needles) > 0 && !how.wholeTree {
		sites, served, limit, err := impactSites(work, src, paths, project, needles, read, log)
		if outOfTime(err) {
			return outOfTimeResult(res, start, cfg, change, files, skipped, "searching the head tree"), nil
		}
		if err != nil {
			return nil, fmt.Errorf("search the head tree: %w", err)
		}
		pass.Sites, files = sites, append(files, served...)
		for _, f := range files {
			srcs[f.Path] = f.Src
		}
		if limit != "" {
			log.Debug(limit)
			res.Limits = append(res.Limits, limit)
		}
	}
	all, notRun, err := rules.Analyze(work, pass, cfg.enabled)
	switch {
	case outOfTime(err):
		log.Warn("the review ran out of time running the rules", "not_run", notRun)
		res.ranOutOfTime(notRun)
	case err != nil:
		return nil, fmt.Errorf("run the rules: %w", err)
	}

	res.FilesAnalyzed = len(files)
	res.Skipped, res.Unreviewed = scope(sortSkipped(skipped, change), change, cfg)
	for _, u := range res.Unreviewed {
		log.Debug("changed file not reviewed", "path", u.Path, "reason", u.Reason)
	}
	if res.Findings, res.Acknowledged, res.Notices, err = finish(ctx, all, change, cfg, srcs); err != nil {
		return nil, err
	}
	for i, f := range res.Findings {
		res.Sources[f.Path] = srcs[f.Path]
		// A suggestion is UTF-8 text; in a file of another encoding,
		// accepting it would mix two in one file.
		if transcoded[f.Path] && f.Suggestion != nil {
			log.Debug("suggestion withheld: the file is not UTF-8", "rule", f.Rule, "path", f.Path)
			res.Findings[i].Suggestion, res.Findings[i].Imports = nil, nil
		}
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
// there still use them. It returns the changed paths to index, the content
// of the others, the files it could not read and those it converted to
// UTF-8 (see readSources).
func splitPlainTests(ctx context.Context, src Source, changed []string, log *slog.Logger) (indexed []string, plain map[string][]byte, skipped []SkippedFile, transcoded []string, err error) {
	var tests []string
	for _, p := range changed {
		if strings.HasSuffix(p, ".py") && rules.PlainTest(p) {
			tests = append(tests, p)
		}
	}
	plain = map[string][]byte{}
	if len(tests) == 0 {
		return changed, plain, nil, nil, nil
	}
	got, skipped, transcoded, err := readSources(ctx, src, tests, log)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	for _, f := range got {
		if !hasIgnore(f.Src) {
			log.Debug("read changed test file: not indexed", "path", f.Path)
			plain[f.Path] = f.Src
		}
	}
	unread := map[string]bool{}
	for _, s := range skipped {
		unread[s.Path] = true
	}
	indexed = slices.DeleteFunc(slices.Clone(changed), func(p string) bool { return plain[p] != nil || unread[p] })
	return indexed, plain, skipped, transcoded, nil
}

// scope sets apart, from the skipped files (sorted, changed first), the
// changed Python files no rule reports on, and why, in path order: those
// the configuration or their role keeps from review, and those outside
// paths.views that were read. Each changed file is listed once: one the
// rules would not review is unreviewed whether or not it was read, so it
// leaves skipped, where a changed file means the review is incomplete
// (Result.Complete); one outside paths.views that was not read stays
// skipped, since the model and migration rules would have read it.
func scope(skipped []SkippedFile, change rules.Change, cfg *Config) (notRead, unreviewed []SkippedFile) {
	notReadChanged := map[string]bool{}
	paths := slices.Collect(maps.Keys(change))
	for _, sk := range skipped {
		if !sk.Changed {
			continue
		}
		notReadChanged[sk.Path] = true
		if _, ok := change[sk.Path]; !ok { // binary: not in the change
			paths = append(paths, sk.Path)
		}
	}
	slices.Sort(paths)
	kept := map[string]bool{}
	for _, p := range slices.Compact(paths) {
		var reason string
		switch {
		case !strings.HasSuffix(p, ".py"):
			continue
		case cfg.excluded(p):
			reason = "matches paths.exclude"
		case django.IsTestPath(p):
			reason = "tests and fixtures are not reviewed"
		case notReadChanged[p]:
			continue
		case !cfg.isWritePath(p) && !strings.Contains("/"+p, "/migrations/"):
			reason = "outside paths.views: only the model and migration rules apply"
		default:
			continue
		}
		kept[p] = true
		unreviewed = append(unreviewed, SkippedFile{Path: p, Reason: reason, Changed: true})
	}
	notRead = slices.DeleteFunc(skipped, func(sk SkippedFile) bool { return sk.Changed && kept[sk.Path] })
	return notRead, unreviewed
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
		if err == nil {
			// Compared with the head's text, which is read as Python reads it.
			var skip string
			if b, _, skip = DecodeSource(b); skip != "" {
				err = errors.New(skip)
			}
		}
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
// notices of the ignore comments the change touches. It fails only when
// ctx ends.
func finish(ctx context.Context, all []rules.Finding, change rules.Change, cfg *Config, srcs map[string][]byte) ([]rules.Finding, []Acknowledged, []Notice, error) {
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
		if err := ctx.Err(); err != nil {
			return nil, nil, nil, fmt.Errorf("finish findings: %w", err)
		}
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
	return out, acked, sup.notices(all, change), nil
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
	reasonOutOfTime  = "the review's time budget ran out first"
)

// SkipReason is why a file that failed to read with err is skipped, as
// the review's output says it, or "" when err is a failure to read (or
// nil) rather than a file the review cannot index.
func SkipReason(err error) string {
	var se *SkipError
	switch {
	case errors.As(err, &se):
		return se.Reason
	case errors.Is(err, ErrNotRegular):
		return reasonNotRegular
	case errors.Is(err, fs.ErrNotExist):
		return reasonMissing
	case errors.Is(err, ErrTooLarge):
		return reasonTooLarge
	case errors.Is(err, errMissingObject):
		return reasonNoObject
	}
	return ""
}

// readSources reads paths, in one batch when the source can or else in
// parallel (each read may be a process or a request), and returns the
// files the index may see and the ones it skipped, with why. A failure to
// read (rather than a file that cannot be indexed) is an error.
//
// A file is read as Python reads it: in the encoding its PEP 263 coding
// declaration names, converted to UTF-8 for the index (transcoded lists
// those whose bytes changed).
func readSources(ctx context.Context, src Source, paths []string, log *slog.Logger) (files []django.SourceFile, skipped []SkippedFile, transcoded []string, err error) {
	contents, err := readAll(ctx, src, paths)
	if err != nil {
		return nil, nil, nil, err
	}
	for i, c := range contents {
		p, b := paths[i], c.Data
		reason := SkipReason(c.Err)
		switch {
		case reason != "":
		case c.Err != nil:
			return nil, nil, nil, fmt.Errorf("read head tree: %w", c.Err)
		case len(b) > MaxFileSize:
			reason = reasonTooLarge
		case bytes.IndexByte(b, 0) >= 0:
			reason = reasonBinary
		}
		var converted bool
		if reason == "" {
			b, converted, reason = DecodeSource(b)
		}
		if reason == "" {
			files = append(files, django.SourceFile{Path: p, Src: b})
			if converted {
				log.Debug("read in its declared coding", "path", p)
				transcoded = append(transcoded, p)
			}
			continue
		}
		log.Debug("skipping file", "path", p, "reason", reason)
		skipped = append(skipped, SkippedFile{Path: p, Reason: reason})
	}
	return files, skipped, transcoded, nil
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
