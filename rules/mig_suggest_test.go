package rules

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/djintegrity/djintegrity/rules/django"
	"github.com/djintegrity/djintegrity/rules/pyast"
)

func TestMigAddKwargs(t *testing.T) {
	for name, tc := range map[string]struct {
		src, want string
		ok        bool
	}{
		"no arguments": {
			src:  "f = models.BooleanField()\n",
			want: "f = models.BooleanField(default=False, x=1)", ok: true,
		},
		"one line": {
			src:  "f = models.IntegerField(verbose_name='n')\n",
			want: "f = models.IntegerField(verbose_name='n', default=False, x=1)", ok: true,
		},
		"one line, trailing comma": {
			src:  "f = models.IntegerField(verbose_name='n',)\n",
			want: "f = models.IntegerField(verbose_name='n', default=False, x=1,)", ok: true,
		},
		"one per line with trailing comma": {
			src:  "f = models.IntegerField(\n    verbose_name='n',\n    help_text='h',\n)\n",
			want: "f = models.IntegerField(\n    verbose_name='n',\n    help_text='h',\n    default=False,\n    x=1,\n)", ok: true,
		},
		"one per line without trailing comma": {
			src:  "f = models.IntegerField(\n        verbose_name='n'\n)\n",
			want: "f = models.IntegerField(\n        verbose_name='n',\n        default=False,\n        x=1,\n)", ok: true,
		},
		"one per line with a comment after the last": {
			src:  "f = models.IntegerField(\n    verbose_name='n',  # shown in admin\n)\n",
			want: "f = models.IntegerField(\n    verbose_name='n',  # shown in admin\n    default=False,\n    x=1,\n)", ok: true,
		},
		"closing parenthesis after the last argument": {
			src:  "f = models.IntegerField(\n    verbose_name='n', help_text='h')\n",
			want: "f = models.IntegerField(\n    verbose_name='n', help_text='h', default=False, x=1)", ok: true,
		},
		"one per line, no comma, then a comment": {
			src:  "f = models.IntegerField(\n    verbose_name='n'  # shown\n)\n",
			want: "f = models.IntegerField(\n    verbose_name='n',  # shown\n    default=False,\n    x=1,\n)", ok: true,
		},
		"star arguments": {
			src: "f = models.IntegerField(**opts)\n",
		},
	} {
		t.Run(name, func(t *testing.T) {
			tree := pyast.Parse([]byte(tc.src))
			defer tree.Close()
			call := (&migTree{Tree: tree}).callAt(1, "IntegerField")
			if call == nil {
				call = (&migTree{Tree: tree}).callAt(1, "BooleanField")
			}
			if call == nil {
				t.Fatal("call not found")
			}
			edits, ok := migAddKwargs(tree, call, "default=False", "x=1")
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			last := pyast.EndLine(call.Node)
			got, ok := migRewrite(tree.Src, 1, last, edits)
			if !ok {
				t.Fatal("rewrite refused")
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("rewrite (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMigRewriteRefuses(t *testing.T) {
	src := []byte("a = f(1)\nb = g(2)\n")
	if _, ok := migRewrite(src, 1, 1, []migEdit{{start: 10, end: 10, text: "x"}}); ok {
		t.Error("an edit outside the lines was applied")
	}
	if _, ok := migRewrite(src, 1, 1, []migEdit{{start: 7, end: 7, text: "(("}}); ok {
		t.Error("a rewrite that does not parse was offered")
	}
	if _, ok := migRewrite(src, 2, 5, nil); ok {
		t.Error("lines past the end were accepted")
	}
}

func TestMigLineSpan(t *testing.T) {
	src := []byte("one\ntwo\nthree")
	for _, tc := range []struct {
		first, last int
		want        string
		ok          bool
	}{
		{1, 1, "one", true},
		{2, 3, "two\nthree", true},
		{3, 3, "three", true},
		{1, 3, "one\ntwo\nthree", true},
		{0, 1, "", false},
		{2, 1, "", false},
		{4, 4, "", false},
	} {
		got, ok := (&django.File{Src: src}).LineText(tc.first, tc.last)
		if got != tc.want || ok != tc.ok {
			t.Errorf("LineText(%d, %d) = %q, %v; want %q, %v", tc.first, tc.last, got, ok, tc.want, tc.ok)
		}
	}
}

func TestMigCallText(t *testing.T) {
	tree := pyast.Parse([]byte("x = models.ForeignKey(\n    on_delete=models.CASCADE,\n    to='shop.customer',\n    null=False,\n)\n"))
	defer tree.Close()
	c := (&migTree{Tree: tree}).callAt(1, "ForeignKey")
	got := migCallText(tree, c, []string{"null=True"}, "null")
	if want := "models.ForeignKey(on_delete=models.CASCADE, to='shop.customer', null=True)"; got != want {
		t.Errorf("migCallText = %q, want %q", got, want)
	}
}

func TestMigQuoteAndZero(t *testing.T) {
	if migQuote(`name='x', model_name='y'`) != "'" || migQuote(`name="x"`) != `"` {
		t.Error("migQuote does not follow the source")
	}
	for typ, want := range map[string]string{"BooleanField": "False", "IntegerField": "0", "CharField": `""`, "ForeignKey": "", "DateTimeField": ""} {
		if got := migZero(typ, `"`); got != want {
			t.Errorf("migZero(%s) = %q, want %q", typ, got, want)
		}
	}
}
