package review

import (
	"fmt"
	"io"
	"strings"
)

// diffContext is the lines of context around a change, as diff -u gives.
const diffContext = 3

// maxDiffCells bounds the line-matching table of UnifiedDiff; beyond it
// the changed middle of a file is shown replaced whole.
const maxDiffCells = 4 << 20

// UnifiedDiff writes the change from old to new of the file at path as a
// unified diff (`a/path`, `b/path`, as git prints it), which `git apply`
// and `patch -p1` read. It writes nothing when they are equal.
func UnifiedDiff(w io.Writer, path string, old, new []byte) error {
	a, b := diffLines(old), diffLines(new)
	ops := lineOps(a, b)
	hunks := groupHunks(ops)
	if len(hunks) == 0 {
		return nil
	}
	var sb strings.Builder
	fmt.Fprintf(&sb, "--- a/%s\n+++ b/%s\n", path, path)
	for _, h := range hunks {
		aStart, bStart, aLen, bLen := h[0].ai, h[0].bi, 0, 0
		var body strings.Builder
		for _, op := range h {
			switch op.kind {
			case ' ':
				aLen++
				bLen++
				writeDiffLine(&body, ' ', a[op.ai])
			case '-':
				aLen++
				writeDiffLine(&body, '-', a[op.ai])
			case '+':
				bLen++
				writeDiffLine(&body, '+', b[op.bi])
			}
		}
		fmt.Fprintf(&sb, "@@ -%s +%s @@\n%s", hunkRange(aStart, aLen), hunkRange(bStart, bLen), body.String())
	}
	_, err := io.WriteString(w, sb.String())
	return err
}

func writeDiffLine(b *strings.Builder, kind byte, line string) {
	b.WriteByte(kind)
	b.WriteString(strings.TrimSuffix(line, "\n"))
	b.WriteByte('\n')
	if !strings.HasSuffix(line, "\n") {
		b.WriteString("\\ No newline at end of file\n")
	}
}

// hunkRange is a hunk header's "start,len", 1-based; an empty range names
// the line before it.
func hunkRange(start, n int) string {
	if n == 0 {
		return fmt.Sprintf("%d,0", start)
	}
	return fmt.Sprintf("%d,%d", start+1, n)
}

func diffLines(src []byte) []string {
	if len(src) == 0 {
		return nil
	}
	lines := strings.SplitAfter(string(src), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

type diffOp struct {
	kind   byte // ' ', '-' or '+'
	ai, bi int  // the line of a and of b (0-based) at this point
}

// lineOps is an edit script from a to b: the common prefix and suffix, and
// a longest common subsequence of the middle.
func lineOps(a, b []string) []diffOp {
	pre := 0
	for pre < len(a) && pre < len(b) && a[pre] == b[pre] {
		pre++
	}
	suf := 0
	for suf < len(a)-pre && suf < len(b)-pre && a[len(a)-1-suf] == b[len(b)-1-suf] {
		suf++
	}
	var ops []diffOp
	for i := range pre {
		ops = append(ops, diffOp{' ', i, i})
	}
	am, bm := a[pre:len(a)-suf], b[pre:len(b)-suf]
	n, m := len(am), len(bm)
	if n*m <= maxDiffCells {
		// lcs[i][j] is the length of a longest common subsequence of
		// am[i:] and bm[j:].
		lcs := make([][]int32, n+1)
		for i := range lcs {
			lcs[i] = make([]int32, m+1)
		}
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				if am[i] == bm[j] {
					lcs[i][j] = lcs[i+1][j+1] + 1
				} else {
					lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
				}
			}
		}
		i, j := 0, 0
		for i < n || j < m {
			switch {
			case i < n && j < m && am[i] == bm[j]:
				ops = append(ops, diffOp{' ', pre + i, pre + j})
				i++
				j++
			case i < n && (j == m || lcs[i+1][j] >= lcs[i][j+1]):
				ops = append(ops, diffOp{'-', pre + i, pre + j})
				i++
			default:
				ops = append(ops, diffOp{'+', pre + i, pre + j})
				j++
			}
		}
	} else {
		for i := range n {
			ops = append(ops, diffOp{'-', pre + i, pre})
		}
		for j := range m {
			ops = append(ops, diffOp{'+', pre + n, pre + j})
		}
	}
	for k := range suf {
		ops = append(ops, diffOp{' ', len(a) - suf + k, len(b) - suf + k})
	}
	return ops
}

// groupHunks cuts the script into hunks: each change with diffContext
// lines around it, changes closer than twice that sharing a hunk.
func groupHunks(ops []diffOp) [][]diffOp {
	var hunks [][]diffOp
	start, end := -1, -1 // the current hunk's ops[start:end]
	for k, op := range ops {
		if op.kind == ' ' {
			continue
		}
		from, to := max(0, k-diffContext), min(len(ops), k+1+diffContext)
		if start >= 0 && from <= end {
			end = max(end, to)
			continue
		}
		if start >= 0 {
			hunks = append(hunks, ops[start:end])
		}
		start, end = from, to
	}
	if start >= 0 {
		hunks = append(hunks, ops[start:end])
	}
	return hunks
}
