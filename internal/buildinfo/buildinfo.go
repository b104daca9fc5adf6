// Package buildinfo says which build of djintegrity is running: the
// release build (scripts/release.sh) stamps the version, commit and date
// with -ldflags -X; other builds fall back to what the Go toolchain
// recorded (the module version of `go install ...@vX`, the VCS revision
// and time of a `go build` in a clone).
package buildinfo

import (
	"runtime/debug"
	"strings"
)

// Set by the release build: -X github.com/djintegrity/djintegrity/internal/buildinfo.version=v1.2.3
// (and .commit, .date). Empty in any other build.
var (
	version string
	commit  string
	date    string
)

// Info is one build's identity; a field is "" when the build did not
// record it.
type Info struct {
	Version string // "v1.2.3", or "(devel)" for a local build
	Commit  string // the full commit id, with "-dirty" when the tree had changes
	Date    string // RFC 3339: the commit's time, so that a build is reproducible
}

// Get returns the running binary's build information.
func Get() Info {
	bi, _ := debug.ReadBuildInfo()
	return get(version, commit, date, bi)
}

// get prefers the stamped values and fills the rest from the toolchain's
// record (nil when the binary has none).
func get(version, commit, date string, bi *debug.BuildInfo) Info {
	info := Info{Version: version, Commit: commit, Date: date}
	if bi == nil {
		if info.Version == "" {
			info.Version = "unknown"
		}
		return info
	}
	if info.Version == "" {
		info.Version = bi.Main.Version
	}
	if info.Version == "" {
		info.Version = "(devel)"
	}
	var modified bool
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			if info.Commit == "" {
				info.Commit = s.Value
			}
		case "vcs.time":
			if info.Date == "" {
				info.Date = s.Value
			}
		case "vcs.modified":
			modified = s.Value == "true"
		}
	}
	if modified && commit == "" && info.Commit != "" {
		info.Commit += "-dirty"
	}
	return info
}

// String is the line `djintegrity version` prints after the name:
// "v1.2.3 (commit 0123456789ab, built 2025-06-01T12:00:00Z)", leaving out
// what the build did not record.
func (i Info) String() string {
	var extra []string
	if i.Commit != "" {
		c, dirty := strings.CutSuffix(i.Commit, "-dirty")
		if len(c) > 12 {
			c = c[:12]
		}
		if dirty {
			c += "-dirty"
		}
		extra = append(extra, "commit "+c)
	}
	if i.Date != "" {
		extra = append(extra, "built "+i.Date)
	}
	if len(extra) == 0 {
		return i.Version
	}
	return i.Version + " (" + strings.Join(extra, ", ") + ")"
}

// ToolVersion is the version for SARIF's tool.driver.version: the
// release's or module's version, "0.0.0-devel" for a local build.
func (i Info) ToolVersion() string {
	if i.Version == "" || i.Version == "(devel)" || i.Version == "unknown" {
		return "0.0.0-devel"
	}
	return i.Version
}
