package review

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/internal/testtree"
	"github.com/djintegrity/djintegrity/rules"
)

func TestOnChange(t *testing.T) {
	change := rules.Change{
		"shop/views.py":       {Lines: lines(10, 11)},
		"shop/new.py":         {Added: true},
		"shop/tests/views.py": {Added: true},
	}
	f := func(path string, start, end int, rule string) rules.Finding {
		return rules.Finding{Rule: rule, Severity: rules.Error, Path: path, StartLine: start, EndLine: end}
	}
	all := []rules.Finding{
		f("shop/views.py", 12, 14, "check-then-insert"),  // below the change
		f("shop/views.py", 8, 10, "check-then-insert"),   // ends on a changed line
		f("shop/views.py", 11, 11, "fk-do-nothing"),      // on a changed line
		f("shop/views.py", 9, 9, "fk-do-nothing"),        // above the change
		f("shop/models.py", 1, 1, "missing-migration"),   // file not changed
		f("shop/new.py", 100, 100, "missing-migration"),  // added: every line
		f("shop/tests/views.py", 1, 1, "fk-do-nothing"),  // excluded
		f("shop/views.py", 10, 12, "check-then-insert"),  // spans the change
		f("shop/views.py", 10, 12, "another-rule-first"), // sorts by rule
	}
	got := onChange(all, change, DefaultConfig())
	want := []rules.Finding{
		f("shop/new.py", 100, 100, "missing-migration"),
		f("shop/views.py", 8, 10, "check-then-insert"),
		f("shop/views.py", 10, 12, "another-rule-first"),
		f("shop/views.py", 10, 12, "check-then-insert"),
		f("shop/views.py", 11, 11, "fk-do-nothing"),
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("onChange (-want +got):\n%s", diff)
	}
}

func TestAnalyzeSkipsBadFiles(t *testing.T) {
	hugeSettings := "DEBUG = False\n" + strings.Repeat("#", MaxFileSize)
	dir := t.TempDir()
	base, head := filepath.Join(dir, "base"), filepath.Join(dir, "head")
	testtree.Write(t, base, map[string]string{
		"shop/models.py":   "from django.db import models\n",
		"shop/gone.py":     "x = 1\n",
		"proj/settings.py": hugeSettings,
	})
	testtree.Write(t, head, map[string]string{
		"proj/settings.py": hugeSettings,
		"shop/models.py":   "from django.db import models\n\nclass P(models.Model):\n    sku = models.CharField(max_length=3, unique=True)\n",
		"shop/views.py":    "def f(:\n    broken python(\n",
		"shop/binary.py":   "x = 1\x00\n",
		"shop/latin1.py":   "s = '\xe9'\n",
		"shop/declared.py": "# -*- coding: latin-1 -*-\ns = '\xe9'\n", // PEP 263: Python reads it
		"shop/huge.py":     "x = 1\n" + strings.Repeat("#", MaxFileSize),
		"shop/readme.txt":  "not python\n",
	})
	if err := os.Symlink("models.py", filepath.Join(head, "shop/link.py")); err != nil {
		t.Fatal(err)
	}
	res, err := Analyze(t.Context(), NewDirSource(base, head), DefaultConfig())
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	// models.py, declared.py and the broken views.py are indexed; the
	// rest are skipped.
	if res.FilesAnalyzed != 3 {
		t.Errorf("FilesAnalyzed = %d, want 3", res.FilesAnalyzed)
	}
	if res.Duration <= 0 {
		t.Errorf("Duration = %v, want > 0", res.Duration)
	}
	// The Python files skipped are reported, each with why: none is read
	// in silence. The text file is not Python, the link not a file.
	want := []SkippedFile{
		{Path: "shop/binary.py", Reason: "binary", Changed: true},
		{Path: "shop/huge.py", Reason: "over 1 MiB", Changed: true},
		{Path: "shop/latin1.py", Reason: "not UTF-8", Changed: true},
		{Path: "proj/settings.py", Reason: "over 1 MiB"}, // read as context
	}
	if diff := cmp.Diff(want, res.Skipped); diff != "" {
		t.Errorf("Skipped (-want +got):\n%s", diff)
	}
}

// TestAnalyzeLogsToConfigLogger: the review's debug lines, the sources'
// included, go to the caller's logger with its attributes.
func TestAnalyzeLogsToConfigLogger(t *testing.T) {
	dir := t.TempDir()
	base, head := filepath.Join(dir, "base"), filepath.Join(dir, "head")
	testtree.Write(t, base, map[string]string{"shop/models.py": "from django.db import models\n", "shop/gone.py": "x = 1\n"})
	testtree.Write(t, head, map[string]string{"shop/models.py": "from django.db import models\n", "shop/binary.py": "x = 1\x00\n"})
	if err := os.Symlink("models.py", filepath.Join(head, "shop/link.py")); err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	cfg := DefaultConfig()
	cfg.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})).With("job", "j1")
	if _, err := Analyze(t.Context(), NewDirSource(base, head), cfg); err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	for _, want := range []string{
		`msg="skipping deleted file" job=j1 path=shop/gone.py`,
		`msg="skipping binary file" job=j1 path=shop/binary.py`,
		`msg="skipping file that is not regular" job=j1 path=shop/link.py`,
	} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("the log lacks %s:\n%s", want, logs.String())
		}
	}
}

func TestAnalyzeNoDjango(t *testing.T) {
	dir := t.TempDir()
	testtree.Write(t, filepath.Join(dir, "head"), map[string]string{"main.go": "package main\n", "tool.py": "print('hi')\n"})
	res, err := Analyze(t.Context(), NewDirSource(filepath.Join(dir, "base"), filepath.Join(dir, "head")), nil)
	if err != nil {
		t.Fatalf("Analyze: %v", err)
	}
	if len(res.Findings) != 0 || res.FilesAnalyzed != 1 {
		t.Errorf("Analyze = %d findings, %d files; want 0, 1", len(res.Findings), res.FilesAnalyzed)
	}
}

func TestAnalyzeBadSource(t *testing.T) {
	dir := t.TempDir()
	_, err := Analyze(t.Context(), NewDirSource(dir, filepath.Join(dir, "missing")), nil)
	if err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("Analyze of a missing head: got %v, want an error naming it", err)
	}
}

func TestAnalyzeCanceled(t *testing.T) {
	dir := t.TempDir()
	testtree.Write(t, filepath.Join(dir, "head"), map[string]string{"a.py": "x = 1\n"})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Analyze(ctx, NewDirSource(filepath.Join(dir, "base"), filepath.Join(dir, "head")), nil); err == nil {
		t.Error("Analyze with a canceled context: want error")
	}
}

func TestConfigPaths(t *testing.T) {
	cfg := DefaultConfig()
	tests := map[string]struct {
		path            string
		write, excluded bool
	}{
		"root views":    {path: "views.py", write: true},
		"app views":     {path: "shop/views.py", write: true},
		"views package": {path: "shop/views/orders/create.py", write: true},
		"api":           {path: "shop/api/v1.py", write: true},
		"models":        {path: "shop/models.py", write: true},
		"services":      {path: "shop/services/orders.py", write: true},
		"tests dir":     {path: "shop/tests/views.py", excluded: true},
		"test file":     {path: "shop/test_views.py", excluded: true},
		"tests module":  {path: "shop/tests.py", excluded: true},
		"root tests":    {path: "tests/api/x.py", excluded: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := cfg.isWritePath(tt.path); got != tt.write {
				t.Errorf("IsWritePath(%q) = %v, want %v", tt.path, got, tt.write)
			}
			if got := cfg.excluded(tt.path); got != tt.excluded {
				t.Errorf("Excluded(%q) = %v, want %v", tt.path, got, tt.excluded)
			}
		})
	}
}

// TestDeletionsReviewed reviews changes that only delete or shrink lines,
// made by editing the files of two examples, and lists where each finding
// of the example's rule lands: deleted code counts for the line below it,
// deleted comments and blank lines do not.
func TestDeletionsReviewed(t *testing.T) {
	const guarded = "unvalidated-check-write/fail-guard-deleted"
	const removedField = "missing-migration/fail-field-removed"
	guard := "    if price < 0:\n        return JsonResponse({\"error\": \"The price may not be negative.\"}, status=400)\n"
	models := func(tail string) string {
		return "from django.db import models\n\n\nclass Order(models.Model):\n" +
			"    number = models.CharField(max_length=20)\n" +
			"    total = models.DecimalField(max_digits=9, decimal_places=2)\n" + tail +
			"\n\ndef order_numbers():\n    return Order.objects.values_list(\"number\", flat=True)\n"
	}
	tests := map[string]struct {
		example    string
		path       string
		base, head func(example string) string // the file at base and at head
		want       []string                    // "start-end" of each finding of the example's rule
	}{
		"guard deleted": {
			example: guarded, path: "shop/views.py",
			base: func(s string) string { return s },
			head: func(s string) string { return strings.Replace(s, guard, "", 1) },
			want: []string{"12-12"},
		},
		"guard replaced by a comment": {
			example: guarded, path: "shop/views.py",
			base: func(s string) string { return s },
			head: func(s string) string { return strings.Replace(s, guard, "    # validation moved to the form\n", 1) },
			want: []string{"13-13"},
		},
		"comment above an unchanged write deleted": {
			// The write was as hazardous before: nothing to say now.
			example: guarded, path: "shop/views.py",
			base: func(s string) string { return strings.Replace(s, guard, "    # Any price goes.\n\n", 1) },
			head: func(s string) string { return strings.Replace(s, guard, "", 1) },
			want: nil,
		},
		"last field removed, blank lines follow the class": {
			example: removedField, path: "shop/models.py",
			base: func(string) string { return models("\n    note = models.TextField()\n") },
			head: func(string) string { return models("") },
			// git puts the deletion after the blank line, past the class.
			want: []string{"7-8"},
		},
		"field removed inside the class": {
			example: removedField, path: "shop/models.py",
			base: func(s string) string { return s },
			head: func(s string) string { return strings.Replace(s, "    note = models.TextField()\n", "", 1) },
			want: []string{"5-6"},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			src := filepath.Join("..", "rules", "testdata", filepath.FromSlash(tt.example))
			dir := t.TempDir()
			testtree.Copy(t, filepath.Join(src, "base"), filepath.Join(dir, "base"))
			testtree.Copy(t, filepath.Join(src, "base"), filepath.Join(dir, "head"))
			orig, err := os.ReadFile(filepath.Join(src, "base", filepath.FromSlash(tt.path)))
			if err != nil {
				t.Fatal(err)
			}
			base, head := tt.base(string(orig)), tt.head(string(orig))
			if base == head {
				t.Fatal("base and head are the same")
			}
			testtree.Write(t, filepath.Join(dir, "base"), map[string]string{tt.path: base})
			testtree.Write(t, filepath.Join(dir, "head"), map[string]string{tt.path: head})
			res, err := Analyze(t.Context(), NewDirSource(filepath.Join(dir, "base"), filepath.Join(dir, "head")), nil)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range res.Findings {
				if f.Rule == path.Dir(tt.example) {
					got = append(got, fmt.Sprintf("%d-%d", f.StartLine, f.EndLine))
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
		})
	}
}

// TestScope: the changed Python files the configuration or their role
// keeps from review are listed as unreviewed, once, whether or not they
// were read; a changed file not read stays skipped (the review is then
// incomplete) unless no rule would review it anyway.
func TestScope(t *testing.T) {
	change := rules.Change{
		"shop/views.py":             {Added: true},
		"shop/services.py":          {Added: true},
		"shop/api.py":               {Added: true},
		"shop/tests/test_views.py":  {Added: true},
		"shop/conftest.py":          {Added: true},
		"shop/migrations/0002_x.py": {Added: true},
		"vendor/lib.py":             {Added: true},
		"README.md":                 {Added: true},
	}
	// As sortSkipped leaves them: changed first. A binary file is not in
	// the change.
	skipped := []SkippedFile{
		{Path: "shop/api.py", Reason: "over 1 MiB", Changed: true},
		{Path: "shop/tests/data.py", Reason: "binary", Changed: true},
		{Path: "vendor/lib.py", Reason: "not UTF-8", Changed: true},
		{Path: "shop/models.py", Reason: "over 1 MiB"},
	}
	tests := map[string]struct {
		views, exclude          []string
		wantSkipped, unreviewed []SkippedFile
	}{
		"default": {
			wantSkipped: []SkippedFile{
				{Path: "shop/api.py", Reason: "over 1 MiB", Changed: true},
				{Path: "vendor/lib.py", Reason: "not UTF-8", Changed: true},
				{Path: "shop/models.py", Reason: "over 1 MiB"},
			},
			unreviewed: []SkippedFile{
				{Path: "shop/conftest.py", Reason: "tests and fixtures are not reviewed", Changed: true},
				{Path: "shop/tests/data.py", Reason: "matches paths.exclude", Changed: true},
				{Path: "shop/tests/test_views.py", Reason: "matches paths.exclude", Changed: true},
			},
		},
		"views override and an exclude": {
			views:   []string{"**/views.py"},
			exclude: []string{"vendor/**"},
			wantSkipped: []SkippedFile{
				{Path: "shop/api.py", Reason: "over 1 MiB", Changed: true}, // the model rules would read it
				{Path: "shop/models.py", Reason: "over 1 MiB"},
			},
			unreviewed: []SkippedFile{
				{Path: "shop/conftest.py", Reason: "tests and fixtures are not reviewed", Changed: true},
				{Path: "shop/services.py", Reason: "outside paths.views: only the model and migration rules apply", Changed: true},
				{Path: "shop/tests/data.py", Reason: "tests and fixtures are not reviewed", Changed: true},
				{Path: "shop/tests/test_views.py", Reason: "tests and fixtures are not reviewed", Changed: true},
				{Path: "vendor/lib.py", Reason: "matches paths.exclude", Changed: true},
			},
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := DefaultConfig()
			if tt.views != nil {
				cfg.Views = tt.views
			}
			if tt.exclude != nil {
				cfg.Exclude = tt.exclude
			}
			gotSkipped, gotUnreviewed := scope(slices.Clone(skipped), change, cfg)
			if diff := cmp.Diff(tt.wantSkipped, gotSkipped); diff != "" {
				t.Errorf("skipped (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.unreviewed, gotUnreviewed); diff != "" {
				t.Errorf("unreviewed (-want +got):\n%s", diff)
			}
		})
	}
}
