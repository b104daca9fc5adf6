package review

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestContextLosesNothing reviews every rule example and bundled example
// twice, once reading only the context Analyze picks and once reading the
// whole head tree, and requires the same findings. Among them are projects
// whose import root is not the repository's (src/, backend/ with
// manage.py), where imports resolve from that root.
func TestContextLosesNothing(t *testing.T) {
	cases := exampleChanges(t)
	for _, layout := range []string{"head/src", "head/backend/manage.py"} {
		if m, _ := filepath.Glob("../rules/testdata/*/*/" + layout); len(m) < 2 {
			t.Errorf("%d examples have %s: the src/ and backend/ layouts need examples here", len(m), layout)
		}
	}
	for _, dir := range cases {
		t.Run(exampleName(dir), func(t *testing.T) {
			t.Parallel()
			src := exampleSource(dir)
			whole, err := analyze(t.Context(), src, DefaultConfig(), mode{wholeTree: true})
			if err != nil {
				t.Fatal(err)
			}
			picked, err := analyze(t.Context(), src, DefaultConfig(), mode{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(whole.Findings, picked.Findings); diff != "" {
				t.Errorf("context review differs from whole-tree review (-whole +context):\n%s", diff)
			}
			if picked.FilesAnalyzed > whole.FilesAnalyzed {
				t.Errorf("context read %d files, the whole tree has %d", picked.FilesAnalyzed, whole.FilesAnalyzed)
			}
		})
	}
}

// exampleChanges lists the directories of every rule example and bundled
// example, each with a base/ and a head/ tree.
func exampleChanges(t *testing.T) []string {
	t.Helper()
	cases, _ := filepath.Glob("../rules/testdata/*/*")
	examples, _ := filepath.Glob("../examples/*/head")
	for _, e := range examples {
		cases = append(cases, filepath.Dir(e))
	}
	if len(cases) < 20 {
		t.Fatalf("found only %d example changes", len(cases))
	}
	return cases
}

// exampleName names an example's subtest: "rule/case" or "examples/name".
func exampleName(dir string) string {
	return filepath.Base(filepath.Dir(dir)) + "/" + filepath.Base(dir)
}

// exampleSource is the change from an example's base/ to its head/.
func exampleSource(dir string) Source {
	return NewDirSource(filepath.Join(dir, "base"), filepath.Join(dir, "head"))
}
