package review

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/ianaindex"
)

// codingLine is PEP 263's coding declaration: a comment on the first or
// second line that matches ^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+).
var codingLine = regexp.MustCompile(`^[ \t\f]*#.*?coding[:=][ \t]*([-\w.]+)`)

// blankLine is a line that is blank or only a comment: only after one is a
// declaration on the second line read (the tokenizer's rule).
var blankLine = regexp.MustCompile(`^[ \t\f]*(?:[#\r\n]|$)`)

var utf8BOM = []byte("\xef\xbb\xbf")

// pythonCodecs maps Python's codec names and aliases, normalised as
// Python does (lower case, "_" for "-" and " "), to their encodings; nil
// is UTF-8. Names not here are looked up in IANA's registry, as most of
// Python's other codecs are named there too.
var pythonCodecs = map[string]encoding.Encoding{
	"utf_8": nil, "utf8": nil, "u8": nil, "utf": nil, "cp65001": nil, "utf_8_sig": nil,
	"ascii": charmap.ISO8859_1, "us_ascii": charmap.ISO8859_1, "646": charmap.ISO8859_1, // checked below
	"latin_1": charmap.ISO8859_1, "latin1": charmap.ISO8859_1, "l1": charmap.ISO8859_1, "latin": charmap.ISO8859_1,
	"iso8859_1": charmap.ISO8859_1, "iso_8859_1": charmap.ISO8859_1, "8859": charmap.ISO8859_1,
	"cp819": charmap.ISO8859_1, "iso_ir_100": charmap.ISO8859_1, "iso_latin_1": charmap.ISO8859_1,
	"cp1252": charmap.Windows1252, "windows_1252": charmap.Windows1252,
	"iso8859_15": charmap.ISO8859_15, "iso_8859_15": charmap.ISO8859_15, "latin9": charmap.ISO8859_15, "l9": charmap.ISO8859_15,
}

// DecodeSource returns a Python file's text as UTF-8, as Python reads it:
// in the encoding its PEP 263 coding declaration names, else UTF-8.
// transcoded is set when the bytes were converted; skip says why a file
// Python would refuse (undeclared non-UTF-8 bytes, an unknown encoding, a
// BOM that contradicts the declaration) is not read, "" when it is.
func DecodeSource(src []byte) (text []byte, transcoded bool, skip string) {
	name, declared := codingOf(src)
	key := normalCodec(name)
	enc, known := pythonCodecs[key]
	switch {
	case bytes.HasPrefix(src, utf8BOM) && declared && key != "utf_8":
		return nil, false, fmt.Sprintf("a UTF-8 byte order mark and coding %q disagree", name)
	case declared && !known:
		e, err := ianaindex.IANA.Encoding(name)
		if err != nil || e == nil {
			return nil, false, fmt.Sprintf("unknown coding %q", name)
		}
		enc = e
	}
	switch {
	case !declared || enc == nil:
		if !utf8.Valid(src) {
			return nil, false, reasonNotUTF8
		}
		return src, false, ""
	case isASCII(src):
		return src, false, "" // read the same in every encoding Python allows for source
	case key == "ascii" || key == "us_ascii" || key == "646":
		return nil, false, "not ASCII, as its coding declaration says"
	}
	out, err := enc.NewDecoder().Bytes(src)
	if err != nil {
		return nil, false, fmt.Sprintf("not valid %s", name)
	}
	return out, true, ""
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

// codingOf finds a file's coding declaration.
func codingOf(src []byte) (string, bool) {
	first, rest, _ := bytes.Cut(bytes.TrimPrefix(src, utf8BOM), []byte("\n"))
	if m := codingLine.FindSubmatch(first); m != nil {
		return string(m[1]), true
	}
	if !blankLine.Match(first) {
		return "", false
	}
	second, _, _ := bytes.Cut(rest, []byte("\n"))
	if m := codingLine.FindSubmatch(second); m != nil {
		return string(m[1]), true
	}
	return "", false
}

// normalCodec is a codec name as Python's lookup normalises it, with the
// tokenizer's own shortcuts for utf-8 and latin-1 variants.
func normalCodec(name string) string {
	n := strings.ToLower(strings.NewReplacer("-", "_", " ", "_").Replace(name))
	switch {
	case n == "utf_8" || strings.HasPrefix(n, "utf_8_"):
		return "utf_8"
	case n == "latin_1" || n == "iso_8859_1" || n == "iso_latin_1" ||
		strings.HasPrefix(n, "latin_1_") || strings.HasPrefix(n, "iso_8859_1_") || strings.HasPrefix(n, "iso_latin_1_"):
		return "latin_1"
	}
	return n
}
