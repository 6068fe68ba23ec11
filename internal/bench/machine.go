package bench

import (
	"bufio"
	"os"
	"runtime"
	"strconv"
	"strings"
)

// Machine describes where a benchmark ran.
type Machine struct {
	CPU      string  `json:"cpu"`       // model name, from /proc/cpuinfo on Linux
	Cores    int     `json:"cores"`     // logical CPUs usable by the process
	MemoryGB float64 `json:"memory_gb"` // total memory, GiB; 0 when unknown
	OS       string  `json:"os"`        // GOOS/GOARCH
	Go       string  `json:"go"`        // Go version of this build
}

// ThisMachine describes the machine the program runs on.
func ThisMachine() Machine {
	m := Machine{
		CPU:   procField("/proc/cpuinfo", "model name"),
		Cores: runtime.NumCPU(),
		OS:    runtime.GOOS + "/" + runtime.GOARCH,
		Go:    runtime.Version(),
	}
	if m.CPU == "" {
		m.CPU = "unknown " + runtime.GOARCH
	}
	// "MemTotal:       24684452 kB"
	if kb, err := strconv.ParseFloat(strings.TrimSuffix(procField("/proc/meminfo", "MemTotal"), " kB"), 64); err == nil {
		m.MemoryGB = kb / (1 << 20)
	}
	return m
}

// procField returns the value of the first "key: value" line of a /proc
// file, or "" when there is none.
func procField(path, key string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if ok && strings.TrimSpace(k) == key {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
