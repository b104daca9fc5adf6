package review

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/rules"
)

// TestIgnoreComments runs finish on one file whose lines 1-6 changed:
// which findings are acknowledged, with which reason, and which notices
// the ignore comments give.
func TestIgnoreComments(t *testing.T) {
	type acked struct {
		Rule   string
		Line   int
		Reason string
	}
	tests := map[string]struct {
		src      string
		findings []int // lines of check-then-insert findings
		cfg      func(*Config)
		acked    []acked
		notices  []Notice
	}{
		"reason on the line above": {
			src:      "# djintegrity: ignore[check-then-insert] -- the form checks it first\nx.save()\n",
			findings: []int{2},
			acked:    []acked{{"check-then-insert", 2, "the form checks it first"}},
		},
		"file-level": {
			src:      "# djintegrity: ignore-file[check-then-insert, fk-do-nothing] -- legacy module\n\n\nx.save()\ny.save()\n",
			findings: []int{4, 5},
			acked:    []acked{{"check-then-insert", 4, "legacy module"}, {"check-then-insert", 5, "legacy module"}},
		},
		"bare ignore-file suppresses nothing": {
			src:      "# djintegrity: ignore-file\nx.save()\n",
			findings: []int{2},
			notices:  []Notice{{"v.py", 1, "`# djintegrity: ignore-file` needs the rules it suppresses, as `ignore-file[rule-a, rule-b]`; to skip a file, use paths.exclude."}},
		},
		"misspelled rule": {
			src:      "x.save()  # djintegrity: ignore[check-then-inserts]\n",
			findings: []int{1},
			notices:  []Notice{{"v.py", 1, "`# djintegrity: ignore[check-then-inserts]` names no rule (did you mean `check-then-insert`?): it suppresses nothing."}},
		},
		"bare allowed by default": {
			src:      "x.save()  # djintegrity: ignore\n",
			findings: []int{1},
			acked:    []acked{{"check-then-insert", 1, ""}},
		},
		"bare forbidden": {
			src:      "x.save()  # djintegrity: ignore -- reason given\n",
			findings: []int{1},
			cfg:      func(c *Config) { c.ForbidBareIgnore = true },
			notices:  []Notice{{"v.py", 1, "A bare `# djintegrity: ignore` (every rule) is not allowed here (forbid_bare_ignore): name the rules, as `ignore[rule-a]`."}},
		},
		"reason required and missing": {
			src:      "x.save()  # djintegrity: ignore[check-then-insert]\n",
			findings: []int{1},
			cfg:      func(c *Config) { c.RequireReason = true },
			notices:  []Notice{{"v.py", 1, "This ignore gives no reason, and require_reason is on: add one after ` -- `; until then it suppresses nothing."}},
		},
		"reason required and given": {
			src:      "x.save()  # djintegrity: ignore[check-then-insert] -- one writer\n",
			findings: []int{1},
			cfg:      func(c *Config) { c.RequireReason = true },
			acked:    []acked{{"check-then-insert", 1, "one writer"}},
		},
		"unused": {
			src:     "x.save()  # djintegrity: ignore[fk-do-nothing]\n",
			notices: []Notice{{"v.py", 1, "This ignore suppresses nothing: there is no longer a finding of fk-do-nothing on this line or the next. Remove it."}},
		},
		// The finding is not on the change, so it is neither reported nor
		// acknowledged, but the ignore is not unused either.
		"used by a finding on an unchanged line": {
			src:      "\n\n\n\n\n# djintegrity: ignore[check-then-insert]\nx.save()\n",
			findings: []int{7},
		},
		"unused on an unchanged line is not reported": {
			src: "\n\n\n\n\n\n# djintegrity: ignore[check-then-insert]\nx.save()\n",
		},
		"unused for a rule switched off is not reported": {
			src: "x.save()  # djintegrity: ignore[fk-do-nothing]\n",
			cfg: func(c *Config) { c.Off["fk-do-nothing"] = true },
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			cfg := DefaultConfig()
			if tc.cfg != nil {
				tc.cfg(cfg)
			}
			var all []rules.Finding
			for _, l := range tc.findings {
				all = append(all, rules.Finding{Rule: "check-then-insert", Severity: rules.Error, Path: "v.py", StartLine: l, EndLine: l})
			}
			change := rules.Change{"v.py": {Lines: lines(1, 2, 3, 4, 5, 6)}}
			_, gotAcked, notices, err := finish(t.Context(), all, change, cfg, map[string][]byte{"v.py": []byte(tc.src)})
			if err != nil {
				t.Fatal(err)
			}
			var got []acked
			for _, a := range gotAcked {
				got = append(got, acked{a.Rule, a.StartLine, a.Reason})
			}
			if diff := cmp.Diff(tc.acked, got); diff != "" {
				t.Errorf("acknowledged (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.notices, notices); diff != "" {
				t.Errorf("notices (-want +got):\n%s", diff)
			}
		})
	}
}
