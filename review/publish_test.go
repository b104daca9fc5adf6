package review

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/rules"
)

// Regenerate the golden files with
//
//	go test ./review -run TestWriters -update
//
// and review the diff by eye before keeping it.
var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden")

const viewsSrc = `from django.shortcuts import render

from shop.models import Customer


def register(request):
    username = request.POST["username"]
    if not Customer.objects.filter(username=username).exists():
        Customer.objects.create(username=username)
    return render(request, "ok.html")
`

// sampleResult is a review with one finding of each shape: a multi-line
// message with a suggestion, a warning without one, an error with related
// locations elsewhere in the tree, and a notice on a path that needs URI
// escaping.
func sampleResult() *Result {
	sugg := "    try:\n        Customer.objects.create(username=username)\n    except IntegrityError:\n        return HttpResponse(status=409)"
	res := &Result{
		Findings: []rules.Finding{
			{
				Rule: "fk-do-nothing", Severity: rules.Warning, Path: "shop/models.py", StartLine: 12, EndLine: 12,
				Message: "Deleting a Customer leaves orders pointing at it: FOREIGN KEY constraint failed on shop_order.customer_id.",
			},
			{
				Rule: "check-then-insert", Severity: rules.Error, Path: "shop/views.py", StartLine: 8, EndLine: 9,
				Message:    "Two requests can both pass the .exists() check and both insert: UNIQUE constraint failed: shop_customer.username.\nCreate the row and handle the IntegrityError instead.",
				Suggestion: &sugg,
			},
			{
				Rule: "missing-migration", Severity: rules.Notice, Path: "legacy app/models.py", StartLine: 3, EndLine: 5,
				Message: "Customer.email became unique=True but no migration of app shop adds the constraint.",
			},
			{
				Rule: "required-field-breaks-inserts", Severity: rules.Error, Path: "shop/models.py", StartLine: 20, EndLine: 20,
				Message: "The change adds Customer.tier as NOT NULL with no default, but 1 insert the change does not touch gives it no value.\n\n- `api/signup.py:14`: `Customer.objects.create()` in request handler `signup`",
				Related: []rules.Location{{Path: "api/signup.py", StartLine: 14, EndLine: 15,
					Message: "`Customer.objects.create()` gives no value for Customer.tier, which the change at shop/models.py:20 makes NOT NULL with no default."}},
			},
		},
		FilesAnalyzed: 7,
		Duration:      1234 * time.Millisecond,
		Sources:       map[string][]byte{"shop/views.py": []byte(viewsSrc)},
	}
	for i := range res.Findings {
		res.Findings[i].Fingerprint = strings.Repeat(string(rune('a'+i)), 32)
	}
	return res
}

func publish(t *testing.T, format string, res *Result) []byte {
	t.Helper()
	var buf bytes.Buffer
	p, err := NewWriter(format, &buf)
	if err != nil {
		t.Fatalf("NewWriter(%s): %v", format, err)
	}
	if format == "sarif" {
		p = sarifWriter{W: &buf, Version: "1.2.3-test"} // the test binary's version is not stable
	}
	if err := p.Publish(t.Context(), res); err != nil {
		t.Fatalf("Publish(%s): %v", format, err)
	}
	return buf.Bytes()
}

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (regenerate with -update): %v", err)
	}
	if diff := cmp.Diff(string(want), string(got)); diff != "" {
		t.Errorf("%s differs from the golden file (-want +got):\n%s", name, diff)
	}
}

// formats lists the output formats NewWriter knows.
var formats = []string{"text", "json", "sarif", "markdown", "github"}

func TestWriters(t *testing.T) {
	ext := map[string]string{"text": "txt", "json": "json", "sarif": "sarif", "markdown": "md", "github": "github.txt"}
	for _, format := range formats {
		t.Run(format, func(t *testing.T) {
			golden(t, "findings."+ext[format], publish(t, format, sampleResult()))
			golden(t, "empty."+ext[format], publish(t, format, &Result{FilesAnalyzed: 2, Duration: 3 * time.Millisecond}))
			golden(t, "skipped."+ext[format], publish(t, format, &Result{FilesAnalyzed: 2, Duration: 3 * time.Millisecond, Skipped: []SkippedFile{
				{Path: "shop/generated.py", Reason: "over 1 MiB", Changed: true},
				{Path: "config/settings.py", Reason: "not UTF-8"},
			}, Limits: []string{"impact search not done: this source cannot search the repository in one pass"}}))
		})
	}
}

func TestNewWriterUnknown(t *testing.T) {
	if _, err := NewWriter("xml", &bytes.Buffer{}); err == nil || !strings.Contains(err.Error(), `"xml"`) {
		t.Errorf("NewWriter(xml): got %v, want an error naming it", err)
	}
}

// TestJSONContract checks the design's output contract field by field, so
// that a golden file regenerated carelessly cannot change it.
func TestJSONContract(t *testing.T) {
	var got map[string]any
	if err := json.Unmarshal(publish(t, "json", sampleResult()), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"files_analyzed": float64(7),
		"duration_ms":    float64(1234),
	}
	findings := got["findings"].([]any)
	delete(got, "findings")
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("top level (-want +got):\n%s", diff)
	}
	first := findings[0].(map[string]any)
	wantFirst := map[string]any{
		"rule": "fk-do-nothing", "severity": "warning", "path": "shop/models.py",
		"start_line": float64(12), "end_line": float64(12),
		"message":     sampleResult().Findings[0].Message,
		"suggestion":  nil,
		"fingerprint": strings.Repeat("a", 32),
		"url":         "https://github.com/djintegrity/djintegrity/blob/main/docs/rules/fk-do-nothing.md",
	}
	if diff := cmp.Diff(wantFirst, first); diff != "" {
		t.Errorf("finding (-want +got):\n%s", diff)
	}
	if s := findings[1].(map[string]any)["suggestion"]; s != *sampleResult().Findings[1].Suggestion {
		t.Errorf("suggestion = %v", s)
	}
	if _, ok := first["related"]; ok {
		t.Errorf("a finding without related locations has %q", "related")
	}
	wantRelated := []any{map[string]any{
		"path": "api/signup.py", "start_line": float64(14), "end_line": float64(15),
		"message": sampleResult().Findings[3].Related[0].Message,
	}}
	if diff := cmp.Diff(wantRelated, findings[3].(map[string]any)["related"]); diff != "" {
		t.Errorf("related (-want +got):\n%s", diff)
	}

	var empty map[string]any
	if err := json.Unmarshal(publish(t, "json", &Result{}), &empty); err != nil {
		t.Fatal(err)
	}
	if fs, ok := empty["findings"].([]any); !ok || len(fs) != 0 {
		t.Errorf("findings of an empty result = %#v, want []", empty["findings"])
	}
}

func TestCommentBody(t *testing.T) {
	f := sampleResult().Findings[1]
	body := CommentBody(f)
	for _, want := range []string{
		"**Error** `check-then-insert`: Two requests",
		"```suggestion\n    try:\n",
		"return HttpResponse(status=409)\n```\n",
		"<!-- djintegrity:fingerprint=" + f.Fingerprint + " -->",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("CommentBody lacks %q:\n%s", want, body)
		}
	}
	if got := FingerprintOf(body); got != f.Fingerprint {
		t.Errorf("FingerprintOf(CommentBody) = %q, want %q", got, f.Fingerprint)
	}
	if got := FingerprintOf("plain comment"); got != "" {
		t.Errorf("FingerprintOf(plain) = %q", got)
	}

	fenced := "    s = '''\n```\n'''"
	f.Suggestion = &fenced
	if body := CommentBody(f); !strings.Contains(body, "````suggestion\n") {
		t.Errorf("a suggestion holding ``` needs a longer fence:\n%s", body)
	}
}
