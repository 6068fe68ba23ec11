//go:build unix

package bench

import (
	"fmt"
	"os"
	"syscall"
)

// openFiles counts the process's open file descriptors, from /proc/self/fd
// (Linux) or /dev/fd; -1 when neither can be read.
func openFiles() int {
	for _, dir := range []string{"/proc/self/fd", "/dev/fd"} {
		f, err := os.Open(dir)
		if err != nil {
			continue
		}
		names, err := f.Readdirnames(-1)
		f.Close()
		if err != nil {
			continue
		}
		return len(names) - 1 // the directory being read is one
	}
	return -1
}

// raiseFileLimit raises the soft limit on open files to the hard limit
// (Go does so at start on Linux already; not everywhere) and fails when
// even that leaves fewer than need.
func raiseFileLimit(need uint64) (uint64, error) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("bench: read the limit on open files: %w", err)
	}
	if lim.Cur < lim.Max {
		raised := lim
		raised.Cur = lim.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised); err == nil {
			lim = raised
		}
	}
	if uint64(lim.Cur) < need {
		return uint64(lim.Cur), fmt.Errorf("bench: the process may open %d files, the run needs about %d: raise the hard limit (ulimit -Hn) or ask for fewer clients", lim.Cur, need)
	}
	return uint64(lim.Cur), nil
}
