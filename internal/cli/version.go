package cli

import (
	"context"
	"fmt"
	"runtime/debug"

	"palabre/internal/config"
)

func runVersion(_ context.Context, args []string, env Env) error {
	var cfg config.Config
	if rest, err := parse("version", args, env, &cfg); err != nil {
		return err
	} else if len(rest) > 0 {
		return usagef("version takes no arguments")
	}
	fmt.Fprintln(env.Stdout, versionString())
	return nil
}

// versionString describes the build: module version, commit and Go version.
func versionString() string {
	version, commit, goVersion := "devel", "", ""
	if bi, ok := debug.ReadBuildInfo(); ok {
		goVersion = bi.GoVersion
		if v := bi.Main.Version; v != "" && v != "(devel)" {
			version = v
		}
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				commit = " " + s.Value[:12]
			}
		}
	}
	return fmt.Sprintf("palabre %s%s (%s)", version, commit, goVersion)
}
