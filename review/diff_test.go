package review

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func lines(ns ...int) map[int]bool {
	m := map[int]bool{}
	for _, n := range ns {
		m[n] = true
	}
	return m
}

func TestParseDiff(t *testing.T) {
	tests := map[string]struct {
		diff string
		want []ChangedFile
	}{
		"modified": {
			diff: `diff --git a/shop/models.py b/shop/models.py
index de98044..a7bc997 100644
--- a/shop/models.py
+++ b/shop/models.py
@@ -2 +2 @@ a
-b
+B
@@ -3,0 +4,2 @@ c
+d
+e
@@ -9 +10,0 @@
-gone
`,
			want: []ChangedFile{{Path: "shop/models.py", OldPath: "shop/models.py", Status: Modified, Lines: lines(2, 4, 5), Removed: lines(11)}},
		},
		"with context": {
			diff: `diff --git a/v.py b/v.py
--- a/v.py
+++ b/v.py
@@ -1,4 +1,5 @@
 one
-two
+TWO
+three
 four
 five
`,
			want: []ChangedFile{{Path: "v.py", OldPath: "v.py", Status: Modified, Lines: lines(2, 3)}},
		},
		"added": {
			diff: `diff --git a/new/n.py b/new/n.py
new file mode 100644
index 0000000..587be6b
--- /dev/null
+++ b/new/n.py
@@ -0,0 +1,3 @@
+x
+y
+z
`,
			want: []ChangedFile{{Path: "new/n.py", Status: Added, Lines: lines(1, 2, 3)}},
		},
		"added empty": {
			diff: `diff --git a/e.py b/e.py
new file mode 100644
index 0000000..e69de29
`,
			want: []ChangedFile{{Path: "e.py", Status: Added, Lines: lines()}},
		},
		"deleted": {
			diff: `diff --git a/del.py b/del.py
deleted file mode 100644
index 587be6b..0000000
--- a/del.py
+++ /dev/null
@@ -1 +0,0 @@
-x
`,
			want: []ChangedFile{{Path: "del.py", OldPath: "del.py", Status: Deleted}},
		},
		"renamed with change": {
			diff: `diff --git a/r.py b/moved/r.py
similarity index 94%
rename from r.py
rename to moved/r.py
index 0ff3bbb..d7764f7 100644
--- a/r.py
+++ b/moved/r.py
@@ -20 +20 @@
-20
+X
`,
			want: []ChangedFile{{Path: "moved/r.py", OldPath: "r.py", Status: Renamed, Lines: lines(20)}},
		},
		"pure rename": {
			diff: `diff --git a/r.py b/s.py
similarity index 100%
rename from r.py
rename to s.py
`,
			want: []ChangedFile{{Path: "s.py", OldPath: "r.py", Status: Renamed, Lines: lines()}},
		},
		"binary": {
			diff: `diff --git a/bin.dat b/bin.dat
new file mode 100644
index 0000000..bdc955b
Binary files /dev/null and b/bin.dat differ
`,
			want: []ChangedFile{{Path: "bin.dat", Status: Added, Binary: true}},
		},
		"quoted name and no newline at end": {
			diff: `diff --git "a/sp ace/\303\251.py" "b/sp ace/\303\251.py"
--- "a/sp ace/\303\251.py"
+++ "b/sp ace/\303\251.py"
@@ -1 +1 @@
-a
\ No newline at end of file
+b
\ No newline at end of file
`,
			want: []ChangedFile{{Path: "sp ace/é.py", OldPath: "sp ace/é.py", Status: Modified, Lines: lines(1)}},
		},
		"empty": {diff: "", want: []ChangedFile{}},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, err := parseDiff(tt.diff)
			if err != nil {
				t.Fatalf("parseDiff: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseDiff (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseDiffError(t *testing.T) {
	_, err := parseDiff("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1,2 +1,2 @@\n-a\n")
	if err == nil {
		t.Fatal("parseDiff of a truncated hunk: want error, got nil")
	}
}

func TestParsePatch(t *testing.T) {
	tests := map[string]struct {
		patch          string
		want, wantGone map[int]bool
		wantErr        bool
	}{
		// Patches as the GitHub pull-request files API returns them.
		"github modified": {
			patch: "@@ -10,4 +10,5 @@ class Product(models.Model):\n     name = models.CharField(max_length=100)\n-    sku = models.CharField(max_length=32)\n+    sku = models.CharField(max_length=32, unique=True)\n+    ean = models.CharField(max_length=13)\n \n     def __str__(self):\n@@ -40,3 +41,3 @@ def f():\n     a\n-    b\n+    c\n     d",
			want:  lines(11, 12, 42),
		},
		"github added": {
			patch: "@@ -0,0 +1,2 @@\n+from django.db import models\n+x = 1",
			want:  lines(1, 2),
		},
		"deletion only": {
			patch:    "@@ -3,2 +2,0 @@\n-a\n-b\n",
			want:     lines(),
			wantGone: lines(3),
		},
		"deletion in context": {
			patch:    "@@ -10,6 +10,4 @@ class Order(models.Model):\n     number = models.CharField(max_length=20)\n-    total = models.DecimalField(max_digits=9, decimal_places=2)\n-    note = models.TextField()\n     paid = models.BooleanField(default=False)\n \n     def __str__(self):",
			want:     lines(),
			wantGone: lines(11),
		},
		"deletion at the end": {
			patch:    "@@ -8,4 +8,2 @@ class Order(models.Model):\n     number = models.CharField(max_length=20)\n     total = models.DecimalField(max_digits=9, decimal_places=2)\n-\n-    note = models.TextField()",
			want:     lines(),
			wantGone: lines(10),
		},
		"comments and blank lines deleted: nothing below changed": {
			patch: "@@ -4,5 +4,2 @@\n a\n-    # Validate first.\n-\n-    # (see below)\n b\n",
			want:  lines(),
		},
		"code replaced by a comment: removed": {
			patch:    "@@ -4,4 +4,3 @@ def set_price(request, pk):\n     price = Decimal(request.POST[\"price\"])\n-    if price < 0:\n-        return JsonResponse({}, status=400)\n+    # validation moved\n     Product.objects.filter(pk=pk).update(price=price)\n",
			want:     lines(5),
			wantGone: lines(6),
		},
		"two lines folded into one: removed": {
			patch:    "@@ -10,4 +10,3 @@\n     order = Order.objects.create(\n-        customer=customer,\n-        total=total,\n+        total=total, note=note,\n     )\n",
			want:     lines(11),
			wantGone: lines(12),
		},
		"a header that starts at line 0": {
			patch:    "@@ -1,2 +0,1 @@\n-a\n b\n",
			want:     lines(),
			wantGone: lines(1),
		},
		"replaced, not removed": {
			patch: "@@ -4,3 +4,3 @@\n a\n-b\n+B\n c\n",
			want:  lines(5),
		},
		"no newline marker": {
			patch: "@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\n\\ No newline at end of file\n",
			want:  lines(1),
		},
		"empty (binary or too large)": {patch: "", want: lines()},
		"garbage":                     {patch: "not a patch\n", wantErr: true},
		"miscounted hunk":             {patch: "@@ -1,3 +1,3 @@\n-a\n+b\n", wantErr: true},
		"two files":                   {patch: "@@ -1 +1 @@\n-a\n+b\ndiff --git a/y b/y\n--- a/y\n+++ b/y\n@@ -1 +1 @@\n-a\n+b\n", wantErr: true},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			got, gone, _, err := ParsePatch("shop/models.py", tt.patch)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("ParsePatch: want error, got %v", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParsePatch: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePatch added lines (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantGone, gone); diff != "" {
				t.Errorf("ParsePatch lines after deletions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestPatchHunks(t *testing.T) {
	for name, c := range map[string]struct {
		patch string
		want  []LineRange
	}{
		"counts":      {"@@ -1,3 +1,4 @@ def f():\n a\n+b\n c\n d", []LineRange{{1, 4}}},
		"one line":    {"@@ -5 +5 @@\n-a\n+b", []LineRange{{5, 5}}},
		"two hunks":   {"@@ -1,2 +1,2 @@\n a\n-b\n+c\n@@ -10,0 +11,2 @@\n+x\n+y", []LineRange{{1, 2}, {11, 12}}},
		"deletion":    {"@@ -1,2 +0,0 @@\n-a\n-b", nil},
		"not a patch": {"Binary files differ", nil},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, hunks, _ := ParsePatch("f.py", c.patch)
			if diff := cmp.Diff(c.want, hunks); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParsePatch(f *testing.F) {
	f.Add("@@ -10,7 +10,8 @@ class P:\n     a\n-    b\n+    c\n+    d\n \n     e\n")
	f.Add("@@ -0,0 +1,2 @@\n+x\n+y")
	f.Add("@@ -1,2 +0,1 @@\n-a\n b\n")
	f.Add("@@ -1 +1 @@\n-a\n\\ No newline at end of file\n+b\n")
	f.Add("diff --git a/x b/x\nnew file mode 100644\n--- /dev/null\n+++ b/x\n@@ -0,0 +1 @@\n+x\n")
	f.Add("diff --git a/b.dat b/b.dat\nBinary files a/b.dat and b/b.dat differ\n")
	f.Fuzz(func(t *testing.T, patch string) {
		got, gone, _, err := ParsePatch("f.py", patch)
		if err == nil {
			for l := range got {
				if l < 0 {
					t.Errorf("ParsePatch(%q): negative line %d", patch, l)
				}
			}
			for l := range gone {
				if l < 1 {
					t.Errorf("ParsePatch(%q): line %d after a deletion", patch, l)
				}
			}
		}
		files, err := parseDiff(patch)
		if err == nil {
			for _, c := range files {
				if c.Status < Added || c.Status > Deleted {
					t.Errorf("parseDiff(%q): status %v", patch, c.Status)
				}
			}
		}
	})
}
