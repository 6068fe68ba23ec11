// Command palabre is the community-management platform: one binary whose
// subcommands import, analyse, export and serve a brand's conversations.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	// Time zones of CM profiles work on machines without system tzdata:
	// the binary must run offline anywhere.
	_ "time/tzdata"

	"palabre/internal/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], cli.Env{
		Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv,
	})
	stop()
	os.Exit(code)
}
