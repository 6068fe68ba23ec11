// Package version tells which palabre this is, from the build's own
// information: the module version (or "devel") and the commit.
package version

import (
	"fmt"
	"runtime/debug"
)

// Info is what the build says of itself.
type Info struct {
	Version string // the module's version, or "devel"
	Commit  string // the first 12 digits of the commit, when known
	Go      string // the Go version it was built with
}

// Read returns the build's information.
func Read() Info {
	in := Info{Version: "devel"}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return in
	}
	in.Go = bi.GoVersion
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		in.Version = v
	}
	for _, s := range bi.Settings {
		if s.Key == "vcs.revision" && len(s.Value) >= 12 {
			in.Commit = s.Value[:12]
		}
	}
	return in
}

// String describes the build: "palabre v1.2.0 0123456789ab (go1.26.8)".
func (in Info) String() string {
	commit := ""
	if in.Commit != "" {
		commit = " " + in.Commit
	}
	return fmt.Sprintf("palabre %s%s (%s)", in.Version, commit, in.Go)
}

// UserAgent is how palabre names itself to the servers it fetches from:
// "palabre/v1.2.0 (self-hosted community management)", palabre/devel
// for a build outside a release.
func (in Info) UserAgent() string {
	return "palabre/" + in.Version + " (self-hosted community management)"
}
