package cli

import (
	"context"
	"fmt"

	"palabre/internal/config"
	"palabre/internal/version"
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
func versionString() string { return version.Read().String() }
