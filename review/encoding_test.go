package review

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// TestDecodeSource: a file is read as Python reads it (PEP 263): in the
// coding its first or second line declares, else UTF-8; what Python
// refuses is skipped with the reason.
func TestDecodeSource(t *testing.T) {
	type result struct {
		Text       string
		Transcoded bool
		Skip       string
	}
	tests := map[string]struct {
		src  string
		want result
	}{
		"UTF-8":                    {"x = 'é'\n", result{Text: "x = 'é'\n"}},
		"Latin-1 declared":         {"# -*- coding: latin-1 -*-\nx = '\xe9'\n", result{Text: "# -*- coding: latin-1 -*-\nx = 'é'\n", Transcoded: true}},
		"Emacs and vim styles":     {"#!/usr/bin/env python\n# vim: set fileencoding=iso-8859-15 :\nx = '\xa4'\n", result{Text: "#!/usr/bin/env python\n# vim: set fileencoding=iso-8859-15 :\nx = '€'\n", Transcoded: true}},
		"cp1252":                   {"# coding=cp1252\nx = '\x80'\n", result{Text: "# coding=cp1252\nx = '€'\n", Transcoded: true}},
		"a name IANA knows":        {"# coding: koi8-r\nx = '\xc1'\n", result{Text: "# coding: koi8-r\nx = 'а'\n", Transcoded: true}},
		"declared, ASCII only":     {"# coding: latin-1\nx = 1\n", result{Text: "# coding: latin-1\nx = 1\n"}},
		"declared UTF-8":           {"# coding: utf-8\nx = 'é'\n", result{Text: "# coding: utf-8\nx = 'é'\n"}},
		"second line after code":   {"x = 1\n# coding: latin-1\ny = '\xe9'\n", result{Skip: "not UTF-8"}},
		"undeclared":               {"x = '\xe9'\n", result{Skip: "not UTF-8"}},
		"unknown coding":           {"# coding: klingon\nx = 1\n", result{Skip: `unknown coding "klingon"`}},
		"ASCII declared, not kept": {"# coding: ascii\nx = '\xe9'\n", result{Skip: "not ASCII, as its coding declaration says"}},
		"BOM against declaration":  {"\xef\xbb\xbf# coding: latin-1\nx = 1\n", result{Skip: `a UTF-8 byte order mark and coding "latin-1" disagree`}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			text, transcoded, skip := DecodeSource([]byte(tc.src))
			got := result{Text: string(text), Transcoded: transcoded, Skip: skip}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("DecodeSource(%q) (-want +got):\n%s", tc.src, diff)
			}
		})
	}
}

// FuzzDecodeSource: whatever the bytes, DecodeSource gives UTF-8 text or
// a reason, and leaves a file it does not convert as it was.
//
//	go test ./review -run XXX -fuzz FuzzDecodeSource -fuzztime 5m
func FuzzDecodeSource(f *testing.F) {
	for _, s := range []string{"x = 1\n", "# coding: latin-1\nx = '\xe9'\n", "#!/bin/py\n# vim: fileencoding=koi8-r\n\xc1\n",
		"\xef\xbb\xbf# coding: utf-8\n", "# coding: shift_jis\n\x82\xa0\n", "# coding=ascii\n\x80"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		text, transcoded, skip := DecodeSource(src)
		switch {
		case skip != "" && (text != nil || transcoded):
			t.Errorf("skipped (%s) with text or conversion", skip)
		case skip == "" && !utf8.Valid(text):
			t.Errorf("text is not UTF-8: %q", text)
		case skip == "" && !transcoded && !bytes.Equal(text, src):
			t.Errorf("text changed without a conversion")
		}
	})
}
