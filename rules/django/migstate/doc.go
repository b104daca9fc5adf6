// Package migstate orders a project's migrations into a plan that
// respects their dependencies (squashed migrations standing in for those
// they replace) and replays the plan into the state of every model: what
// the database holds after each operation, as makemigrations would see it.
// Replay reads the migrations that package django parsed and changes
// nothing in the index.
//
// It knows only migrations: not the models of models.py (comparing the
// two is the rules' work), not the write sites of views, not the rules or
// GitHub.
package migstate
