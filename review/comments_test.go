package review

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/rules"
)

func TestComments(t *testing.T) {
	src := map[string][]byte{"shop/views.py": []byte("a\nb\nc\nd\ne\nf\n")}
	fix := func(s string) *string { return &s }
	f := func(rule string, sev rules.Severity, start, end int, sugg *string) rules.Finding {
		return rules.Finding{Rule: rule, Severity: sev, Path: "shop/views.py", StartLine: start, EndLine: end,
			Message: rule + " message", Suggestion: sugg, Fingerprint: rule + "-fp"}
	}
	// got is what a test compares: each comment's range, its rules in
	// order, and its suggestion.
	type got struct {
		Start, End int
		Rules      []string
		Suggestion string
	}
	tests := map[string]struct {
		in   []rules.Finding
		want []got
	}{
		"apart": {
			in:   []rules.Finding{f("a-rule", rules.Error, 1, 1, fix("A")), f("b-rule", rules.Error, 3, 4, nil)},
			want: []got{{1, 1, []string{"a-rule"}, "A"}, {3, 4, []string{"b-rule"}, ""}},
		},
		"same statement: the most severe first, one suggestion": {
			in:   []rules.Finding{f("w-rule", rules.Warning, 2, 3, fix("W")), f("e-rule", rules.Error, 2, 3, fix("E"))},
			want: []got{{2, 3, []string{"e-rule", "w-rule"}, "E"}},
		},
		"the suggestion covering more findings wins over severity": {
			in:   []rules.Finding{f("e-rule", rules.Error, 3, 3, fix("E")), f("w-rule", rules.Warning, 2, 4, fix("W\nW\nW"))},
			want: []got{{2, 4, []string{"e-rule", "w-rule"}, "W\nW\nW"}},
		},
		"a narrower suggestion keeps the other commented lines": {
			in:   []rules.Finding{f("e-rule", rules.Error, 3, 3, fix("E")), f("n-rule", rules.Notice, 2, 4, nil)},
			want: []got{{2, 4, []string{"e-rule", "n-rule"}, "b\nE\nd"}},
		},
		"overlap through a third finding": {
			in:   []rules.Finding{f("a-rule", rules.Error, 1, 2, nil), f("b-rule", rules.Error, 2, 3, nil), f("c-rule", rules.Error, 3, 5, nil)},
			want: []got{{1, 5, []string{"a-rule", "b-rule", "c-rule"}, ""}},
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			var out []got
			for _, c := range Comments(tc.in, src) {
				g := got{Start: c.StartLine, End: c.EndLine}
				for _, f := range c.Findings {
					g.Rules = append(g.Rules, f.Rule)
				}
				if c.Suggestion != nil {
					g.Suggestion = *c.Suggestion
				}
				out = append(out, g)
				if diff := cmp.Diff(c.Fingerprints(), FingerprintsOf(c.Body())); diff != "" {
					t.Errorf("fingerprints in the body (-want +got):\n%s", diff)
				}
				if n := strings.Count(c.Body(), "```suggestion\n"); n > 1 {
					t.Errorf("%d suggestion blocks in one comment:\n%s", n, c.Body())
				}
			}
			if diff := cmp.Diff(tc.want, out); diff != "" {
				t.Errorf("comments (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCommentBodyDescribesOtherFixes: the fix not offered as the suggestion
// is shown as code the reader can apply by hand, and each rule is named.
func TestCommentBodyDescribesOtherFixes(t *testing.T) {
	e, w := "    E", "    W"
	cs := Comments([]rules.Finding{
		{Rule: "check-then-insert", Severity: rules.Error, Path: "v.py", StartLine: 2, EndLine: 2, Message: "race", Suggestion: &e, Fingerprint: "fp1"},
		{Rule: "unguarded-unique-create", Severity: rules.Warning, Path: "v.py", StartLine: 2, EndLine: 2, Message: "unique", Suggestion: &w, Fingerprint: "fp2"},
	}, nil)
	if len(cs) != 1 {
		t.Fatalf("%d comments, want 1", len(cs))
	}
	body := cs[0].Body()
	for _, want := range []string{
		"**Error** `check-then-insert`: race\n",
		"**Warning** `unguarded-unique-create`: unique\n",
		"not offered as the suggestion (one per comment), replaces line 2 with:\n\n```python\n    W\n```\n",
		"```suggestion\n    E\n```\n",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("body lacks %q:\n%s", want, body)
		}
	}
}
