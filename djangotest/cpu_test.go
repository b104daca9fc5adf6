package djangotest

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// printCPU prints (with -v) the CPU time the proofs used: this test
// process, its children (the drivers and their runs, initdb, pg_ctl) and
// the PostgreSQL server (which pg_ctl detaches, so it is not among the
// children). On a shared machine wall time measures the neighbours too.
func printCPU(c *Cluster) {
	if c == nil {
		return
	}
	rusage := func(who int) time.Duration {
		var ru syscall.Rusage
		if err := syscall.Getrusage(who, &ru); err != nil {
			return 0
		}
		return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
	}
	fmt.Printf("djangotest: CPU time: test process %v, drivers and tools %v, PostgreSQL %v\n",
		rusage(syscall.RUSAGE_SELF).Round(10*time.Millisecond),
		rusage(syscall.RUSAGE_CHILDREN).Round(10*time.Millisecond),
		serverCPU(c).Round(10*time.Millisecond))
}

// serverCPU is the CPU time of the postmaster and of the backends it has
// reaped (utime, stime, cutime and cstime of /proc/PID/stat).
func serverCPU(c *Cluster) time.Duration {
	pid := postmasterPID(filepath.Join(c.Dir, "data"))
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	f := strings.Fields(rest)
	if len(f) < 15 {
		return 0
	}
	var ticks int64
	for _, s := range f[11:15] {
		n, _ := strconv.ParseInt(s, 10, 64)
		ticks += n
	}
	return time.Duration(ticks) * time.Second / 100 // USER_HZ
}
