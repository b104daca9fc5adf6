// Package writesite finds the ORM write sites of one Python file
// (create, get_or_create, update_or_create, bulk_create, update, and
// save of an instance built or fetched in the function) and what
// surrounds each: its function and decorators, the try statements and
// transaction.atomic blocks around it, the existence checks before it,
// the request data its values come from, and the locks, reads and
// validations of its function.
//
// Extract works on one parsed file at a time and touches the rest of the
// project only through the qualify function it is handed, which resolves
// a name through the file's imports. It knows nothing of other files, of
// models or apps (a model is the expression as written, or an
// apps.get_model reference, which package django resolves), of migrations,
// of the rules or of GitHub.
package writesite
