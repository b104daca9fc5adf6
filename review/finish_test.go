package review

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/internal/srclines"
	"github.com/djintegrity/djintegrity/rules"
)

func ptr(s string) *string { return &s }

func TestSuppressed(t *testing.T) {
	src := []string{
		"def a():",
		"    x.save()  # djintegrity: ignore[check-then-insert]",
		"    # djintegrity: ignore[fk-do-nothing, check-then-insert]",
		"    y.save()",
		"    z.save()  #djintegrity:ignore",
		"    # djintegrity: ignore[check-then-inserts]",
		"    w.save()",
		"    v.save()  # djintegrity: ignored",
	}
	tests := map[string]struct {
		line int
		rule string
		want bool
	}{
		"same line":            {2, "check-then-insert", true},
		"same line other rule": {2, "fk-do-nothing", false},
		"line above, list":     {4, "fk-do-nothing", true},
		"line above, second":   {4, "check-then-insert", true},
		"line above other":     {4, "missing-migration", false},
		"bare":                 {5, "anything", true},
		"bare on line above":   {6, "anything", true},
		"no prefix match":      {7, "check-then-insert", false},
		"not the keyword":      {8, "check-then-insert", false},
		"first line":           {1, "check-then-insert", false},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			f := rules.Finding{Rule: tt.rule, StartLine: tt.line, EndLine: tt.line + 3}
			if got := parseIgnores("a.py", src, DefaultConfig()).match(f) != nil; got != tt.want {
				t.Errorf("acknowledged(line %d, %s) = %v, want %v", tt.line, tt.rule, got, tt.want)
			}
		})
	}
}

func fingerprints(src string, fs []rules.Finding) []string {
	fs = append([]rules.Finding(nil), fs...)
	lines := srclines.Lines([]byte(src))
	setFingerprints(fs, func(string) []string { return lines })
	var out []string
	for _, f := range fs {
		out = append(out, f.Fingerprint)
	}
	return out
}

func TestFingerprintSurvivesShifts(t *testing.T) {
	src := "def v(request):\n    if not P.objects.filter(sku=s).exists():\n        P.objects.create(sku=s)\n"
	at := func(start int) rules.Finding {
		return rules.Finding{Rule: "check-then-insert", Path: "shop/views.py", StartLine: start, EndLine: start + 1, Key: "shop_product.sku"}
	}
	before := fingerprints(src, []rules.Finding{at(2)})
	shifted := "import os\n\n# a comment\n" + strings.ReplaceAll(src, "    ", "\t")
	after := fingerprints(shifted, []rules.Finding{at(5)})
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("fingerprint changed when lines were inserted above (-before +after):\n%s", diff)
	}
	if len(before[0]) != 32 {
		t.Errorf("fingerprint %q: want 32 hex digits", before[0])
	}

	edited := strings.Replace(src, "sku=s).exists", "sku=t).exists", 1)
	if fp := fingerprints(edited, []rules.Finding{at(2)}); fp[0] == before[0] {
		t.Error("fingerprint unchanged when the flagged code changed")
	}
	other := at(2)
	other.Key = "shop_product.ean"
	if fp := fingerprints(src, []rules.Finding{other}); fp[0] == before[0] {
		t.Error("fingerprint unchanged when the key changed")
	}
}

func TestFingerprintOccurrences(t *testing.T) {
	src := "x.save()\nx.save()\n"
	f := func(line int) rules.Finding {
		return rules.Finding{Rule: "r", Path: "p.py", StartLine: line, EndLine: line}
	}
	fp := fingerprints(src, []rules.Finding{f(1), f(2)})
	if fp[0] == fp[1] {
		t.Errorf("identical findings share fingerprint %s", fp[0])
	}
	// The second occurrence keeps its fingerprint when the text moves.
	moved := fingerprints("y = 1\n"+src, []rules.Finding{f(2), f(3)})
	if diff := cmp.Diff(fp, moved); diff != "" {
		t.Errorf("fingerprints moved (-want +got):\n%s", diff)
	}
}

func TestSuggestionOK(t *testing.T) {
	lines := srclines.Lines([]byte("def v(request):\n    if not P.objects.filter(sku=s).exists():\n        P.objects.create(sku=s)\n    return ok\n"))
	good := "    try:\n        P.objects.create(sku=s)\n    except IntegrityError:\n        pass"
	f := func(start, end int, s *string) rules.Finding {
		return rules.Finding{Path: "v.py", StartLine: start, EndLine: end, Suggestion: s}
	}
	tests := map[string]struct {
		f      rules.Finding
		change rules.Change
		want   bool
	}{
		"all lines changed":   {f(2, 3, &good), rules.Change{"v.py": {Lines: lines_(2, 3)}}, true},
		"added file":          {f(2, 3, &good), rules.Change{"v.py": {Added: true}}, true},
		"one line unchanged":  {f(2, 3, &good), rules.Change{"v.py": {Lines: lines_(3)}}, false},
		"file not changed":    {f(2, 3, &good), rules.Change{}, false},
		"no suggestion":       {f(2, 3, nil), rules.Change{"v.py": {Added: true}}, false},
		"indentation lost":    {f(2, 3, ptr(strings.ReplaceAll(good, "    ", "  "))), rules.Change{"v.py": {Added: true}}, false},
		"syntax error":        {f(2, 3, ptr("    try:\n        P.objects.create(sku=s\n")), rules.Change{"v.py": {Added: true}}, false},
		"beyond end of file":  {f(4, 5, ptr("    return ok")), rules.Change{"v.py": {Added: true}}, false},
		"inverted range":      {f(3, 2, &good), rules.Change{"v.py": {Added: true}}, false},
		"single line rewrite": {f(4, 4, ptr("    return ok  # fine")), rules.Change{"v.py": {Lines: lines_(4)}}, true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := suggestionOK(tt.f, tt.change, lines); got != tt.want {
				t.Errorf("suggestionOK = %v, want %v", got, tt.want)
			}
		})
	}
}

// lines_ is lines for a rules.ChangedFile literal.
func lines_(ns ...int) map[int]bool { return lines(ns...) }

func TestApplySuggestion(t *testing.T) {
	tests := map[string]struct {
		src        string
		start, end int
		sugg       string
		want       string
	}{
		"middle":          {"a\nb\nc\nd\n", 2, 3, "B\nC\nX", "a\nB\nC\nX\nd\n"},
		"first":           {"a\nb\n", 1, 1, "A", "A\nb\n"},
		"last no newline": {"a\nb", 2, 2, "B\nBB", "a\nB\nBB"},
		"last newline":    {"a\nb\n", 2, 2, "B", "a\nB\n"},
		"crlf":            {"a\r\nb\r\nc\r\n", 2, 2, "x\ny", "a\r\nx\r\ny\r\nc\r\n"},
		"delete":          {"a\nb\nc\n", 2, 2, "", "a\nc\n"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := ApplySuggestion([]byte(tt.src), rules.Finding{StartLine: tt.start, EndLine: tt.end, Suggestion: &tt.sugg})
			if err != nil {
				t.Fatalf("ApplySuggestion: %v", err)
			}
			if diff := cmp.Diff(tt.want, string(got)); diff != "" {
				t.Errorf("ApplySuggestion (-want +got):\n%s", diff)
			}
		})
	}
	for name, f := range map[string]rules.Finding{
		"no suggestion": {StartLine: 1, EndLine: 1},
		"past the end":  {StartLine: 3, EndLine: 3, Suggestion: ptr("x")},
		"zero line":     {StartLine: 0, EndLine: 1, Suggestion: ptr("x")},
	} {
		if _, err := ApplySuggestion([]byte("a\nb\n"), f); err == nil {
			t.Errorf("ApplySuggestion %s: want error", name)
		}
	}
}

func TestFinish(t *testing.T) {
	srcs := map[string][]byte{
		"shop/views.py": []byte("def v(request):\n    x.save()  # djintegrity: ignore[check-then-insert]\n    y.save()\n    z.save()\n"),
	}
	change := rules.Change{"shop/views.py": {Lines: lines(2, 3)}}
	cfg := DefaultConfig()
	cfg.Severity["unguarded-unique-create"] = rules.Notice
	in := []rules.Finding{
		{Rule: "check-then-insert", Severity: rules.Error, Path: "shop/views.py", StartLine: 2, EndLine: 2, Suggestion: ptr("    x.save()")},
		{Rule: "unguarded-unique-create", Severity: rules.Error, Path: "shop/views.py", StartLine: 3, EndLine: 3, Suggestion: ptr("    y.save()  # ok")},
		{Rule: "fk-do-nothing", Severity: rules.Warning, Path: "shop/views.py", StartLine: 3, EndLine: 4, Suggestion: ptr("    y.save()")},
	}
	got, acked, _, err := finish(t.Context(), in, change, cfg, srcs)
	if err != nil {
		t.Fatal(err)
	}
	if len(acked) != 1 || acked[0].Rule != "check-then-insert" || acked[0].Fingerprint == "" {
		t.Errorf("acknowledged %+v, want the check-then-insert finding with its fingerprint", acked)
	}
	if len(got) != 2 {
		t.Fatalf("finish kept %d findings, want 2 (one suppressed): %+v", len(got), got)
	}
	if got[0].Severity != rules.Notice || got[0].Suggestion == nil {
		t.Errorf("first finding = %+v; want severity notice and its suggestion kept", got[0])
	}
	if got[1].Suggestion != nil {
		t.Errorf("second finding keeps a suggestion over unchanged line 4: %q", *got[1].Suggestion)
	}
	for _, f := range got {
		if f.Fingerprint == "" {
			t.Errorf("finding %+v has no fingerprint", f)
		}
	}
}
