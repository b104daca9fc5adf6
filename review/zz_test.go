package review

import (
	"testing"
	"time"
)

func TestZZSlow(t *testing.T) {
	base, head := writeHostile(t, "checks then inserts", 8000)
	start := time.Now()
	res, err := Analyze(t.Context(), NewDirSource(base, head), nil)
	t.Logf("%v %d findings err=%v", time.Since(start), len(res.Findings), err)
}
