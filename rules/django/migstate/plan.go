package migstate

import (
	"cmp"
	"container/heap"
	"slices"

	"github.com/djintegrity/djintegrity/rules/django"
)

// plan orders every migration of the project so that each comes after its
// dependencies, squashed migrations standing in for those they replace.
// Unknown dependencies are ignored; migrations caught in a cycle come last,
// in name order, so that broken input never stops the replay.
func plan(p *django.Project) ([]*django.Migration, map[*django.Migration][]*django.Migration) {
	g := newGraph(p)
	g.squash()
	g.link()
	return g.order(), g.deps
}

// graph is the migrations of a project and their dependencies, as plan
// builds them up.
type graph struct {
	nodes map[django.MigrationRef]*django.Migration
	all   []*django.Migration // in (app, name) order
	// replacedBy maps a member of a squashed migration to it.
	replacedBy map[*django.Migration]*django.Migration
	live       []*django.Migration            // all but the replaced, in (app, name) order
	byApp      map[string][]*django.Migration // live, by app label
	// deps maps a migration, as active gives it, to those it depends on.
	deps map[*django.Migration][]*django.Migration
}

// newGraph collects the migrations of every app of p.
func newGraph(p *django.Project) *graph {
	g := &graph{
		nodes:      map[django.MigrationRef]*django.Migration{},
		replacedBy: map[*django.Migration]*django.Migration{},
		byApp:      map[string][]*django.Migration{},
		deps:       map[*django.Migration][]*django.Migration{},
	}
	for _, app := range p.Apps {
		for _, m := range app.Migrations {
			if m.App == "" {
				continue
			}
			g.nodes[django.MigrationRef{App: m.App, Name: m.Name}] = m
			g.all = append(g.all, m)
		}
	}
	slices.SortFunc(g.all, migCompare)
	return g
}

// squash lets each squashed migration replace its members: whoever
// depended on a member depends on it, and it inherits the members' outside
// parents (see link). The others are live.
func (g *graph) squash() {
	for _, m := range g.all {
		for _, r := range m.Replaces {
			if n := g.nodes[r]; n != nil && n != m && len(n.Replaces) == 0 {
				g.replacedBy[n] = m
			}
		}
	}
	for _, m := range g.all {
		if g.replacedBy[m] == nil {
			g.live = append(g.live, m)
		}
	}
	for _, m := range g.live {
		g.byApp[m.App] = append(g.byApp[m.App], m)
	}
}

// active returns the live migration that stands for m: m, or the squashed
// migration that replaces it.
func (g *graph) active(m *django.Migration) *django.Migration {
	for range 8 { // squashes of squashes, without looping on bad input
		r := g.replacedBy[m]
		if r == nil {
			break
		}
		m = r
	}
	return m
}

// resolve turns one dependency into a live migration, or nil.
func (g *graph) resolve(ref django.MigrationRef) *django.Migration {
	switch ref.Name {
	case "__first__", "__latest__":
		var pick *django.Migration
		for _, m := range g.byApp[ref.App] {
			isRoot := len(g.sameAppDeps(m)) == 0
			if ref.Name == "__first__" && isRoot && (pick == nil || m.Name < pick.Name) {
				pick = m
			}
			if ref.Name == "__latest__" && (pick == nil || m.Name > pick.Name) {
				pick = m
			}
		}
		return pick
	}
	if n := g.nodes[ref]; n != nil {
		return g.active(n)
	}
	return nil
}

// sameAppDeps returns the live migrations of m's own app that m names as
// dependencies.
func (g *graph) sameAppDeps(m *django.Migration) []*django.Migration {
	var out []*django.Migration
	for _, d := range m.Dependencies {
		if d.App == m.App && d.Name != "__first__" && d.Name != "__latest__" {
			if n := g.nodes[d]; n != nil && g.active(n) != m {
				out = append(out, g.active(n))
			}
		}
	}
	return out
}

// link fills deps: every migration's dependencies, resolved, go to the
// live migration that stands for it.
func (g *graph) link() {
	for _, m := range g.all {
		owner := g.active(m)
		for _, r := range m.Dependencies {
			d := g.resolve(r)
			if d != nil && d != owner && !slices.Contains(g.deps[owner], d) {
				g.deps[owner] = append(g.deps[owner], d)
			}
		}
	}
}

// order sorts the live migrations topologically with Kahn's algorithm,
// taking the smallest (app, name) ready first so that the order is
// stable; those caught in a cycle follow in name order.
func (g *graph) order() []*django.Migration {
	indeg := map[*django.Migration]int{}
	children := map[*django.Migration][]*django.Migration{}
	for _, m := range g.live {
		indeg[m] += 0
		for _, d := range g.deps[m] {
			indeg[m]++
			children[d] = append(children[d], m)
		}
	}
	ready := &migHeap{}
	for _, m := range g.live {
		if indeg[m] == 0 {
			heap.Push(ready, m)
		}
	}
	done := map[*django.Migration]bool{}
	var order []*django.Migration
	for ready.Len() > 0 {
		m := heap.Pop(ready).(*django.Migration)
		done[m] = true
		order = append(order, m)
		for _, c := range children[m] {
			if indeg[c]--; indeg[c] == 0 {
				heap.Push(ready, c)
			}
		}
	}
	for _, m := range g.live {
		if !done[m] {
			order = append(order, m) // a cycle: keep going in name order
		}
	}
	return order
}

func migCompare(a, b *django.Migration) int {
	return cmp.Or(cmp.Compare(a.App, b.App), cmp.Compare(a.Name, b.Name))
}

// migHeap is a min-heap of migrations by (app, name).
type migHeap []*django.Migration

func (h migHeap) Len() int           { return len(h) }
func (h migHeap) Less(i, j int) bool { return migCompare(h[i], h[j]) < 0 }
func (h migHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *migHeap) Push(x any)        { *h = append(*h, x.(*django.Migration)) }
func (h *migHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
