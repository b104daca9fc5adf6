// Package django indexes a Django project from its source text: files and
// their imports, apps and their labels, models with their fields, inherited
// abstract bases, tables and constraints, the migration modules as written
// (dependencies and operations), and the resolution of names across the
// repository (Project.ResolveModel, RelatedModel, WriteModel), with module
// names taken from the tree's import roots (see layout). Build
// indexes a whole tree; Load reads only what the rules can need. It parses
// with tree-sitter and never imports or runs the project's Python.
//
// Two packages sit beside it. writesite extracts each file's ORM write
// sites; the index calls it while parsing a file, hands it the file's tree
// and imports, and stores its output in File.Writes and File.Functions.
// migstate reads the index to order the migrations and replay them into
// the schema they build. This package does not order or replay
// migrations, and knows nothing of the rules, of findings or of GitHub.
package django
