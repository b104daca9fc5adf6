package main

import "github.com/djintegrity/djintegrity/internal/buildinfo"

// version is what `djintegrity version` prints after the name: the
// version, commit and build date (see internal/buildinfo).
func version() string { return buildinfo.Get().String() }
