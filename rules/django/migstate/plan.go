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
	nodes := map[django.MigrationRef]*django.Migration{}
	var all []*django.Migration
	for _, app := range p.Apps {
		for _, m := range app.Migrations {
			if m.App == "" {
				continue
			}
			nodes[django.MigrationRef{App: m.App, Name: m.Name}] = m
			all = append(all, m)
		}
	}
	slices.SortFunc(all, migCompare)

	// A squashed migration replaces its members: whoever depended on a
	// member depends on it, and it inherits the members' outside parents.
	replacedBy := map[*django.Migration]*django.Migration{}
	for _, m := range all {
		for _, r := range m.Replaces {
			if n := nodes[r]; n != nil && n != m && len(n.Replaces) == 0 {
				replacedBy[n] = m
			}
		}
	}
	active := func(m *django.Migration) *django.Migration {
		for range 8 { // squashes of squashes, without looping on bad input
			r := replacedBy[m]
			if r == nil {
				break
			}
			m = r
		}
		return m
	}
	var live []*django.Migration
	for _, m := range all {
		if replacedBy[m] == nil {
			live = append(live, m)
		}
	}

	byApp := map[string][]*django.Migration{}
	for _, m := range live {
		byApp[m.App] = append(byApp[m.App], m)
	}
	// resolve turns one dependency into a live migration, or nil.
	var sameAppDeps func(m *django.Migration) []*django.Migration
	resolve := func(ref django.MigrationRef) *django.Migration {
		switch ref.Name {
		case "__first__", "__latest__":
			var pick *django.Migration
			for _, m := range byApp[ref.App] {
				isRoot := len(sameAppDeps(m)) == 0
				if ref.Name == "__first__" && isRoot && (pick == nil || m.Name < pick.Name) {
					pick = m
				}
				if ref.Name == "__latest__" && (pick == nil || m.Name > pick.Name) {
					pick = m
				}
			}
			return pick
		}
		if n := nodes[ref]; n != nil {
			return active(n)
		}
		return nil
	}
	sameAppDeps = func(m *django.Migration) []*django.Migration {
		var out []*django.Migration
		for _, d := range m.Dependencies {
			if d.App == m.App && d.Name != "__first__" && d.Name != "__latest__" {
				if n := nodes[d]; n != nil && active(n) != m {
					out = append(out, active(n))
				}
			}
		}
		return out
	}

	deps := map[*django.Migration][]*django.Migration{}
	add := func(m *django.Migration, refs []django.MigrationRef) {
		for _, r := range refs {
			d := resolve(r)
			if d != nil && d != m && !slices.Contains(deps[m], d) {
				deps[m] = append(deps[m], d)
			}
		}
	}
	for _, m := range all {
		owner := active(m)
		add(owner, m.Dependencies)
	}

	// Kahn's algorithm, taking the smallest (app, name) ready first so that
	// the order is stable.
	indeg := map[*django.Migration]int{}
	children := map[*django.Migration][]*django.Migration{}
	for _, m := range live {
		indeg[m] += 0
		for _, d := range deps[m] {
			indeg[m]++
			children[d] = append(children[d], m)
		}
	}
	ready := &migHeap{}
	for _, m := range live {
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
	for _, m := range live {
		if !done[m] {
			order = append(order, m) // a cycle: keep going in name order
		}
	}
	return order, deps
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
