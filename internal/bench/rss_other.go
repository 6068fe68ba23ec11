//go:build !unix

package bench

import (
	"os"
	"time"
)

// maxRSS returns 0: this system's process usage is not read here.
func maxRSS(*os.ProcessState) int64 { return 0 }

// selfUsage returns zeros: this system's process usage is not read here.
func selfUsage() (time.Duration, int64) { return 0, 0 }
