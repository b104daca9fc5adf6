package review

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/djintegrity/djintegrity/rules"
)

// fingerprintBase hashes what identifies a finding independently of where
// the file's lines sit: the rule, the path, the rule's key and the flagged
// text with white space normalized. Line numbers are left out on purpose,
// so that lines inserted above do not change it.
func fingerprintBase(lines []string, f rules.Finding) string {
	h := sha256.New()
	for _, s := range []string{"djintegrity/v1", f.Rule, f.Path, f.Key} {
		h.Write([]byte(s))
		h.Write([]byte{0})
	}
	for n := f.StartLine; n <= f.EndLine && n <= len(lines); n++ {
		if n < 1 {
			continue
		}
		h.Write([]byte(strings.Join(strings.Fields(lines[n-1]), " ")))
		h.Write([]byte{'\n'})
	}
	return hex.EncodeToString(h.Sum(nil))
}

// setFingerprints fills the Fingerprint of each finding. lines returns the
// head lines of a path. Identical findings (same base hash) are told apart
// by their order of occurrence, so findings must be sorted by position.
func setFingerprints(findings []rules.Finding, lines func(path string) []string) {
	seen := map[string]int{}
	for i := range findings {
		f := &findings[i]
		base := fingerprintBase(lines(f.Path), *f)
		n := seen[base]
		seen[base]++
		sum := sha256.Sum256([]byte(base + ":" + strconv.Itoa(n)))
		f.Fingerprint = hex.EncodeToString(sum[:16])
	}
}
