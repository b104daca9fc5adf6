package rules

import (
	"strings"
	"testing"

	"github.com/djintegrity/djintegrity/rules/django"
)

// migChange computes the change from base to head: added files whole, and
// for modified files the head lines outside a longest common subsequence.
func migChange(base, head map[string]string) Change {
	c := Change{}
	for p, h := range head {
		b, ok := base[p]
		switch {
		case !ok:
			c[p] = &ChangedFile{Added: true}
		case b != h:
			c[p] = &ChangedFile{Lines: migChangedLines(strings.Split(b, "\n"), strings.Split(h, "\n"))}
		}
	}
	return c
}

func migChangedLines(a, b []string) map[int]bool {
	n, m := len(a), len(b)
	lcs := make([][]int, n+1)
	for i := range lcs {
		lcs[i] = make([]int, m+1)
	}
	for i := n - 1; i >= 0; i-- {
		for j := m - 1; j >= 0; j-- {
			if a[i] == b[j] {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	out := map[int]bool{}
	i, j := 0, 0
	for j < m {
		switch {
		case i < n && a[i] == b[j]:
			i, j = i+1, j+1
		case i < n && lcs[i+1][j] >= lcs[i][j+1]:
			i++
		default:
			out[j+1] = true
			j++
		}
	}
	return out
}

// migAnalyze indexes head and runs every rule, keeping what the review
// keeps: findings that touch a changed line.
func migAnalyze(t *testing.T, base, head map[string]string) ([]Finding, *Pass) {
	t.Helper()
	var files []django.SourceFile
	for p, src := range head {
		files = append(files, django.SourceFile{Path: p, Src: []byte(src)})
	}
	proj, err := django.Build(t.Context(), files)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	pass := &Pass{Project: proj, Change: migChange(base, head)}
	all, _, err := Analyze(t.Context(), pass, nil)
	if err != nil {
		t.Fatal(err)
	}
	var out []Finding
	for _, f := range all {
		if pass.Change.Touches(f.Path, f.StartLine, f.EndLine) {
			out = append(out, f)
		}
	}
	return out, pass
}
