//go:build !linux

package wordpresstest

import "os/exec"

// Elsewhere than on Linux (where Debian's packages live) the processes
// are stopped one by one.

func ownGroup(cmd *exec.Cmd) {}

func terminate(cmd *exec.Cmd) { cmd.Process.Kill() }

func kill(cmd *exec.Cmd) { cmd.Process.Kill() }
