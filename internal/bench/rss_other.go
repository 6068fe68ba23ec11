//go:build !unix

package bench

import "os"

// maxRSS returns 0: this system's process usage is not read here.
func maxRSS(*os.ProcessState) int64 { return 0 }
