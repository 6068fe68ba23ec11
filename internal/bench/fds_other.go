//go:build !unix

package bench

// openFiles is unknown here: -1.
func openFiles() int { return -1 }

// raiseFileLimit does nothing where there is no such limit to raise.
func raiseFileLimit(need uint64) (uint64, error) { return need, nil }
