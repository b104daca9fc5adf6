package buildinfo

import (
	"runtime/debug"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestGet(t *testing.T) {
	vcs := &debug.BuildInfo{
		Main: debug.Module{Version: "(devel)"},
		Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "0123456789abcdef0123456789abcdef01234567"},
			{Key: "vcs.time", Value: "2025-06-01T12:00:00Z"},
			{Key: "vcs.modified", Value: "false"},
		},
	}
	dirty := &debug.BuildInfo{Main: vcs.Main, Settings: append(vcs.Settings[:2:2], debug.BuildSetting{Key: "vcs.modified", Value: "true"})}
	tests := map[string]struct {
		version, commit, date string
		bi                    *debug.BuildInfo
		want                  string
		wantTool              string
	}{
		"release build": {
			"v1.2.3", "fedcba9876543210fedcba9876543210fedcba98", "2025-07-01T08:30:00Z", vcs,
			"v1.2.3 (commit fedcba987654, built 2025-07-01T08:30:00Z)", "v1.2.3",
		},
		"go build in a clone": {
			"", "", "", vcs,
			"(devel) (commit 0123456789ab, built 2025-06-01T12:00:00Z)", "0.0.0-devel",
		},
		"go build with uncommitted changes": {
			"", "", "", dirty,
			"(devel) (commit 0123456789ab-dirty, built 2025-06-01T12:00:00Z)", "0.0.0-devel",
		},
		"go install of a tag": {
			"", "", "", &debug.BuildInfo{Main: debug.Module{Version: "v1.2.3"}},
			"v1.2.3", "v1.2.3",
		},
		"go run": {
			"", "", "", &debug.BuildInfo{Main: debug.Module{Version: "(devel)"}},
			"(devel)", "0.0.0-devel",
		},
		"no build information": {
			"", "", "", nil,
			"unknown", "0.0.0-devel",
		},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			info := get(tc.version, tc.commit, tc.date, tc.bi)
			if diff := cmp.Diff(tc.want, info.String()); diff != "" {
				t.Errorf("String() (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantTool, info.ToolVersion()); diff != "" {
				t.Errorf("ToolVersion() (-want +got):\n%s", diff)
			}
		})
	}
}
