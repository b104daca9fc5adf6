package pyast

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	sitter "github.com/tree-sitter/go-tree-sitter"
)

const sample = `from django.db import models, transaction as tx

@tx.atomic
def view(request, pk, *args, **kwargs):
    name = request.POST["name"]
    with tx.atomic():
        obj = models.Product.objects.create(sku=f"{name}-1", name="a" "b", live=True, **kwargs)
    try:
        pass
    except (IntegrityError, ValueError) as e:
        raise
    return [x for x in (1, 2) if x]
`

// TestKindAndField checks the cached lookups against the binding's own on
// every node of a file.
func TestKindAndField(t *testing.T) {
	tree := Parse([]byte(sample))
	defer tree.Close()
	fields := []string{"name", "body", "function", "arguments", "left", "right", "value", "object", "attribute", "condition", "no_such_field"}
	nodes := 0
	Walk(tree.Root(), func(n *sitter.Node) bool {
		nodes++
		if got, want := Kind(n), n.Kind(); got != want {
			t.Errorf("Kind = %q, node says %q", got, want)
		}
		for _, f := range fields {
			got, want := Field(n, f), n.ChildByFieldName(f)
			if (got == nil) != (want == nil) || (got != nil && !got.Equals(*want)) {
				t.Errorf("Field(%s, %q) = %v, ChildByFieldName = %v", n.Kind(), f, got, want)
			}
		}
		return true
	})
	if nodes < 50 {
		t.Fatalf("walked only %d nodes", nodes)
	}
}

func TestCallAndLiterals(t *testing.T) {
	tree := Parse([]byte(sample))
	defer tree.Close()
	var create *Call
	Walk(tree.Root(), func(n *sitter.Node) bool {
		if c := tree.Call(n); c != nil && tree.DottedName(c.Func) == "models.Product.objects.create" {
			create = c
		}
		return true
	})
	if create == nil {
		t.Fatal("create call not found")
	}
	if !create.StarArgs {
		t.Error("**kwargs not seen")
	}
	if _, ok := tree.String(create.Kwargs["sku"]); ok {
		t.Error("an f-string with interpolation is not a constant")
	}
	if s, ok := tree.String(create.Kwargs["name"]); !ok || s != "ab" {
		t.Errorf(`"a" "b" = %q, %v`, s, ok)
	}
	if v, ok := Bool(create.Kwargs["live"]); !ok || !v {
		t.Errorf("live=True = %v, %v", v, ok)
	}
	if got := Line(create.Node); got != 7 {
		t.Errorf("Line = %d, want 7", got)
	}
}

func TestValidFragment(t *testing.T) {
	tests := map[string]struct {
		src  string
		want bool
	}{
		"indented statements":    {"        try:\n            x = 1\n        except E:\n            pass", true},
		"dangling except":        {"    except E:\n        pass", false},
		"unbalanced parenthesis": {"    f(a,\n", false},
		"empty":                  {"", true},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			if got := ValidFragment(tc.src); got != tc.want {
				t.Errorf("ValidFragment = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestParseContext: a parse stops when its context ends, mid-file, and
// the pooled parser it used parses the next file in full.
func TestParseContext(t *testing.T) {
	big := []byte(strings.Repeat("def f(request):\n    M.objects.create(a=request.POST['a'])\n", 100000)) // 5 MB
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	start := time.Now()
	if tree, err := ParseContext(ctx, big); err == nil {
		tree.Close()
		t.Fatal("ParseContext with an ended context gave a tree")
	} else if !errors.Is(err, context.Canceled) {
		t.Errorf("ParseContext: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("the cancelled parse took %v", d)
	}
	for range 4 { // every parser the pool may hand out
		tree, err := ParseContext(t.Context(), []byte(sample))
		if err != nil {
			t.Fatalf("a parse after the cancelled one: %v", err)
		}
		if tree.HasError() || len(Children(tree.Root())) != 2 {
			t.Errorf("a parse after the cancelled one gave %d statements, errors %v", len(Children(tree.Root())), tree.HasError())
		}
		tree.Close()
	}
}
