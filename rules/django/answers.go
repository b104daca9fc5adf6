package django

import (
	"slices"
	"strings"

	"github.com/djintegrity/djintegrity/rules/django/writesite"
)

// HandlesIntegrityError reports whether fn, a function of file f, is a
// method of a view class whose handle_exception(), its own or a base's of
// the repository, names IntegrityError (Class.HandlesIntegrity): DRF sends
// every exception a view method raises there, so the view answers the
// error itself instead of with a 500.
func (p *Project) HandlesIntegrityError(f *File, fn *writesite.Function) bool {
	if fn.Class == "" {
		return false
	}
	_, c := p.classIn(f, fn.Class, p.qualify(f, fn.Class, 0))
	handles, drf := c != nil && c.HandlesIntegrity, false
	p.eachBase(f, c, fn.ClassBases, func(name string, bc *Class) bool {
		handles = handles || bc != nil && bc.HandlesIntegrity
		// Only DRF's dispatch calls handle_exception: APIView and the
		// generic views and viewsets built on it.
		last := lastName(name)
		drf = drf || strings.HasSuffix(last, "APIView") || strings.HasSuffix(last, "ViewSet")
		return !handles || !drf
	})
	return handles && drf
}

// SaveReads reports whether the save() of m, or of a model base of the
// repository, reads self.<attr> before it saves (Class.SaveReads). For a
// foreign key attr, that read fetches the parent: an unknown id raises
// DoesNotExist there, before the INSERT could fail on the constraint.
func (p *Project) SaveReads(m *Model, attr string) bool {
	seen := map[*Model]bool{}
	var reads func(m *Model, depth int) bool
	reads = func(m *Model, depth int) bool {
		if m == nil || seen[m] || depth > 10 {
			return false
		}
		seen[m] = true
		if c := m.ClassOf(); c != nil && slices.Contains(c.SaveReads, attr) {
			return true
		}
		return slices.ContainsFunc(m.Bases, func(b *Model) bool { return reads(b, depth+1) })
	}
	return reads(m, 0)
}
