package djangotest

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/djintegrity/djintegrity/rules"
)

// unproven names the catalog's rules that have no proof yet, with why. A
// rule added to the catalog must get scenarios or an entry here; an entry
// whose rule has scenarios is an error.
var unproven = map[string]string{}

// provenRules are the catalog's rules minus the unproven ones.
func provenRules(t *testing.T) []*rules.Rule {
	t.Helper()
	var out []*rules.Rule
	for _, r := range rules.Catalog() {
		why, skip := unproven[r.Slug]
		switch {
		case skip && len(scenariosOf(r.Slug)) > 0:
			t.Errorf("rule %s has scenarios now: remove it from unproven", r.Slug)
		case skip:
			t.Logf("rule %s: not proven: %s", r.Slug, why)
		default:
			out = append(out, r)
		}
	}
	return out
}

func scenariosOf(slug string) []*Scenario {
	var out []*Scenario
	for _, sc := range suite.scenarios {
		if sc.Slug == slug {
			out = append(out, sc)
		}
	}
	return out
}

// TestProofs runs every scenario under real Django on SQLite and
// PostgreSQL: the example as written must show what its steps want (the
// hazard, for a failing example), and a failing example whose findings
// carry suggestions must, with them applied, show what want_fixed says
// (clean).
func TestProofs(t *testing.T) {
	for _, sc := range suite.scenarios {
		if rules.Lookup(sc.Slug) == nil {
			t.Errorf("%s: no rule %q", sc.File, sc.Slug)
		}
	}
	for _, r := range provenRules(t) {
		t.Run(r.Slug, func(t *testing.T) {
			t.Parallel()
			scs := scenariosOf(r.Slug)
			var fails, passes int
			for _, sc := range scs {
				if sc.Failing() {
					fails++
				} else {
					passes++
				}
			}
			if fails == 0 || passes == 0 {
				t.Errorf("rule %s has %d failing and %d passing scenarios under testdata/%s; it needs both", r.Slug, fails, passes, r.Slug)
			}
			for _, sc := range scs {
				t.Run(sc.Case, func(t *testing.T) {
					t.Parallel()
					p := prove(t, sc, AsIs)
					for _, problem := range Check(sc, AsIs, p.report) {
						t.Error(problem)
					}
					logRaces(t, p.report)
					switch {
					case sc.Failing() && hasSuggestion(p.findings):
						if !sc.HasFixedExpectations() {
							t.Fatalf("the %s findings carry a suggestion, but %s has no want_fixed for the example with it applied", sc.Slug, sc.File)
						}
						pf := prove(t, sc, Fixed)
						for _, problem := range Check(sc, Fixed, pf.report) {
							t.Errorf("with the suggestion applied: %s", problem)
						}
					case sc.HasFixedExpectations():
						t.Errorf("%s has want_fixed, but no %s finding of the example carries a suggestion", sc.File, sc.Slug)
					}
				})
			}
		})
	}
}

func logRaces(t *testing.T, rep *Report) {
	t.Helper()
	t.Logf("driver: %s", rep.Duration.Round(10*time.Millisecond))
	for _, vendor := range Vendors {
		for i, res := range rep.Databases[vendor].Steps {
			if rounds, ok := res["rounds"]; ok {
				t.Logf("%s step %d: race rounds to reproduce per run: %v (%vs)", vendor, i, rounds, res["seconds"])
			}
		}
	}
}

// TestBrokenSuggestionIsCaught applies wrong fixes in place of a rule's own
// suggestion and checks that the harness rejects each.
func TestBrokenSuggestionIsCaught(t *testing.T) {
	tests := map[string]struct {
		slug, kase string
		from, to   string // the suggestion's text and what breaks it
	}{
		"backfill default dropped": {
			slug: "null-to-not-null", kase: "fail-quantity-not-null",
			from: "default=0", to: "null=False",
		},
		"savepoint replaced by a plain block": {
			slug: "integrity-error-without-savepoint", kase: "fail-with-block",
			from: "with transaction.atomic():", to: "if True:",
		},
		"wrong exception caught": {
			slug: "unguarded-unique-create", kase: "fail-seed-create-user-view",
			from: "except IntegrityError:", to: "except ValueError:",
		},
		"check violation answered 500 all the same": {
			slug: "unvalidated-check-write", kase: "fail-json-body-save",
			from: "status=400", to: "status=500",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			runner := harness(t)
			i := slices.IndexFunc(suite.scenarios, func(sc *Scenario) bool { return sc.Slug == tt.slug && sc.Case == tt.kase })
			if i < 0 {
				t.Fatalf("no scenario testdata/%s/%s.json", tt.slug, tt.kase)
			}
			sc := suite.scenarios[i]
			var broke bool
			_, rep, err := runVariant(runner, sc, Fixed, 1, func(fs []rules.Finding) {
				for j := range fs {
					if fs[j].Suggestion != nil && strings.Contains(*fs[j].Suggestion, tt.from) {
						s := strings.Replace(*fs[j].Suggestion, tt.from, tt.to, 1)
						fs[j].Suggestion = &s
						broke = true
					}
				}
			})
			if err != nil {
				t.Fatal(err)
			}
			if !broke {
				t.Fatalf("no %s suggestion of %s contains %q any more: update this test", tt.slug, tt.kase, tt.from)
			}
			problems := Check(sc, Fixed, rep)
			if len(problems) == 0 {
				t.Fatalf("the harness accepted a broken suggestion (%q -> %q)", tt.from, tt.to)
			}
			t.Logf("rejected, as it should be:\n%s", strings.Join(problems, "\n"))
		})
	}
}

// errorBlocks returns the ```text blocks under "## Error on SQLite" and
// "## Error on PostgreSQL" of a docs page, per database.
func errorBlocks(page string) map[string][]string {
	out := map[string][]string{}
	vendor := ""
	var block *strings.Builder
	for line := range strings.Lines(page) {
		trimmed := strings.TrimRight(line, "\r\n")
		switch {
		case block != nil && trimmed == "```":
			out[vendor] = append(out[vendor], strings.TrimSuffix(block.String(), "\n"))
			block = nil
		case block != nil:
			block.WriteString(line)
		case strings.HasPrefix(trimmed, "## "):
			switch trimmed {
			case "## Error on SQLite":
				vendor = "sqlite"
			case "## Error on PostgreSQL":
				vendor = "postgresql"
			default:
				vendor = ""
			}
		case vendor != "" && trimmed == "```text":
			block = &strings.Builder{}
		}
	}
	return out
}

// TestDocsQuoteObservedErrors checks every error a docs page quotes under
// "## Error on SQLite" / "## Error on PostgreSQL" against the errors the
// harness observed running the scenarios marked docs for that rule, on
// that database. The texts must be equal; "…" in a page stands for any
// text (see QuoteMatches). Phrases a scenario lists in docs_says (how the
// databases differ) must be on the page.
func TestDocsQuoteObservedErrors(t *testing.T) {
	for _, r := range provenRules(t) {
		t.Run(r.Slug, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(suite.root, "docs", "rules", r.Slug+".md")
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			page := string(data)
			observed := map[string][]Observed{}
			var docs int
			for _, sc := range scenariosOf(r.Slug) {
				for _, phrase := range sc.DocsSays {
					if !strings.Contains(page, phrase) {
						t.Errorf("%s must say (for %s): %q", file, sc.File, phrase)
					}
				}
				if !sc.Docs {
					continue
				}
				docs++
				p := prove(t, sc, AsIs)
				for _, vendor := range Vendors {
					observed[vendor] = append(observed[vendor], Errors(p.report, vendor)...)
				}
			}
			if docs == 0 {
				t.Fatalf("no scenario of %s is marked docs: nothing to check %s against", r.Slug, file)
			}
			blocks := errorBlocks(page)
			for _, vendor := range Vendors {
				if len(blocks[vendor]) == 0 {
					t.Errorf("%s quotes no error (```text block) for %s", file, vendor)
				}
				for _, b := range blocks[vendor] {
					if !slices.ContainsFunc(observed[vendor], func(o Observed) bool { return QuoteMatches(b, o.Text, false) }) {
						var texts []string
						for _, o := range observed[vendor] {
							texts = append(texts, o.Text)
						}
						t.Errorf("%s quotes on %s:\n%s\nbut the harness observed:\n%s", file, vendor, b, strings.Join(texts, "\n---\n"))
					}
				}
			}
		})
	}
}

// TestMessagesQuoteObservedErrors checks that each finding's message quotes
// the error the database really raised: for each step of a failing scenario
// that lists "quote" (which observed errors: error, race_error, then_error,
// raw_sql, caught; key@vendor for one database), every finding of the rule must quote the start of that
// error's message, on both databases.
func TestMessagesQuoteObservedErrors(t *testing.T) {
	for _, sc := range suite.scenarios {
		if !sc.Failing() || !slices.ContainsFunc(sc.Steps, func(s map[string]json.RawMessage) bool { return s["quote"] != nil }) {
			continue
		}
		t.Run(sc.Slug+"/"+sc.Case, func(t *testing.T) {
			t.Parallel()
			for i, step := range sc.Steps {
				if step["quote"] == nil {
					continue
				}
				var keys []string
				if err := json.Unmarshal(step["quote"], &keys); err != nil {
					t.Fatalf("%s step %d: quote: %v", sc.File, i, err)
				}
				p := prove(t, sc, AsIs)
				for _, vendor := range Vendors {
					for _, key := range keys {
						key, only, found := strings.Cut(key, "@") // "raw_sql@postgresql": that database only
						if found && only != vendor {
							continue
						}
						var obs []Observed
						for _, o := range Errors(p.report, vendor) {
							if o.Step == i && o.Key == key {
								obs = append(obs, o)
							}
						}
						if len(obs) == 0 {
							t.Errorf("%s step %d: no %s observed on %s to quote", sc.File, i, key, vendor)
							continue
						}
						for _, f := range p.findings {
							if !MessageQuotes(f.Message, obs[0].Message) {
								t.Errorf("%s:%d (%s): the message does not quote what %s raised: %q\nmessage: %s",
									f.Path, f.StartLine, sc.Source, vendor, obs[0].Message, f.Message)
							}
						}
					}
				}
			}
		})
	}
}

// unprovenCases are the examples of proven rules that have no scenario,
// with why. Every other example must have one.
var unprovenCases = map[string]string{
	"check-constraint-on-populated-table/fail-condition-keyword":            "CheckConstraint(condition=...) is Django 5.1; Debian's Django 3.2 cannot load the migration",
	"not-null-without-default/pass-db-default":                              "db_default is Django 5.0; Debian's Django 3.2 cannot load the migration",
	"check-then-insert/pass-function-only-reformatted":                      "the race is real but older than the change, which only reformats the function: there is no claim about the change to prove",
	"check-then-insert/pass-function-only-parenthesized":                    "the race is real but older than the change, which only adds the parentheses black adds: there is no claim about the change to prove",
	"unique-on-populated-table/pass-unique-expression-over-new-null-column": "UniqueConstraint over expressions is Django 4.0; Debian's Django 3.2 cannot load the migration",
	"check-then-insert/pass-management-command":                             "the race needs two runs of a command run by hand at the same time: an operational question no request can show",
	"missing-migration/pass-south-migrations":                               "South's migrations need South and a Django before 1.7; Debian's Django 3.2 cannot import them (no module south)",
	// Model bases from outside Django: the harness installs Debian's Django
	// only, and GeoDjango needs GDAL and a spatial database it does not have.
	"missing-required-field/fail-timestamped-post-without-blog":           "the model's base is django-model-utils' TimeStampedModel, a package the proof harness does not install",
	"missing-required-field/pass-mptt-save-fills-tree-columns":            "the model's base is django-mptt's MPTTModel, a package the proof harness does not install",
	"missing-required-field/fail-geodjango-point-omitted":                 "GeoDjango needs GDAL and a spatial database (PostGIS, SpatiaLite), which the proof harness does not install",
	"missing-migration/fail-timestamped-post-slug-unique":                 "the model's base is django-model-utils' TimeStampedModel, a package the proof harness does not install",
	"missing-migration/pass-safedelete-columns-unknown":                   "the model's base is django-safedelete's SafeDeleteModel, a package the proof harness does not install",
	"get-or-create-non-unique/pass-soft-deletable-manager-pins-condition": "the model's base is django-model-utils' SoftDeletableModel, a package the proof harness does not install",
	"check-then-insert/fail-soft-deletable-model":                         "the model's base is django-model-utils' SoftDeletableModel, a package the proof harness does not install",
}

// TestEveryExampleHasAScenario lists the rule examples no scenario proves.
func TestEveryExampleHasAScenario(t *testing.T) {
	have := map[string]bool{}
	for _, sc := range suite.scenarios {
		have[sc.Slug+"/"+sc.Case] = true
	}
	for _, r := range provenRules(t) {
		dirs, err := filepath.Glob(filepath.Join(suite.root, "rules", "testdata", r.Slug, "*"))
		if err != nil {
			t.Fatal(err)
		}
		for _, dir := range dirs {
			key := r.Slug + "/" + filepath.Base(dir)
			why, listed := unprovenCases[key]
			switch {
			case listed && have[key]:
				t.Errorf("%s has a scenario now: remove it from unprovenCases", key)
			case listed:
				t.Logf("not proven: %s: %s", key, why)
			case !have[key]:
				t.Errorf("rules/testdata/%s has no scenario djangotest/testdata/%s.json", key, key)
			}
		}
	}
	for key := range unprovenCases {
		if _, err := os.Stat(filepath.Join(suite.root, "rules", "testdata", key)); err != nil {
			t.Errorf("unprovenCases lists %s, which is no longer an example", key)
		}
	}
}
