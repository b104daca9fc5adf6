// Package djangotest proves the rules by execution: it runs each rule's
// example changes (rules/testdata/<slug>/<case>, and the bundled
// examples/shop for the docs pages) under real Django, on SQLite and on a
// private PostgreSQL cluster, and checks that the failing examples raise the
// error their findings quote while the passing examples, and the failing ones
// with the rule's own suggestion applied, run clean.
//
// The Go side prepares a temporary copy of an example's head tree (never a
// reviewed project's code), applies suggestions with review.FixFile,
// and sends the run to driver.py (/usr/bin/python3 with Debian's
// python3-django, python3-djangorestframework and python3-psycopg2). One
// driver per database runs for the whole package: it imports Django once
// and forks a child per run, which
// configures Django in-process for the tree, runs the scenario's steps on a
// fresh database (a new SQLite file, or a database created in the package's
// one PostgreSQL cluster and dropped after) and reports what happened as a
// JSON line. Runs go on in parallel, as many at a time as GOMAXPROCS, each on
// both databases at once. Scenarios are data: testdata/<slug>/<case>.json.
// With -short the proofs are skipped.
package djangotest
