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

// serverCPU is the CPU time of the postmaster, of the backends it has
// reaped, and of its processes still running (checkpointer, WAL writer...).
func serverCPU(c *Cluster) time.Duration {
	pm := postmasterPID(filepath.Join(c.Dir, "data"))
	if pm <= 0 {
		return 0
	}
	total := procTicks(pm, true)
	procs, _ := filepath.Glob("/proc/[0-9]*")
	for _, p := range procs {
		pid, _ := strconv.Atoi(filepath.Base(p))
		if f := procStat(pid); len(f) > 1 && f[1] == strconv.Itoa(pm) {
			total += procTicks(pid, false)
		}
	}
	return time.Duration(total) * time.Second / 100 // USER_HZ
}

// procStat returns the fields of /proc/PID/stat after the command: state,
// ppid, ...
func procStat(pid int) []string {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil
	}
	_, rest, _ := strings.Cut(string(b), ") ")
	return strings.Fields(rest)
}

// procTicks is utime plus stime of a process, and with reaped its reaped
// children's too.
func procTicks(pid int, reaped bool) int64 {
	f := procStat(pid)
	if len(f) < 15 {
		return 0
	}
	n := 2
	if reaped {
		n = 4
	}
	var ticks int64
	for _, s := range f[11 : 11+n] {
		t, _ := strconv.ParseInt(s, 10, 64)
		ticks += t
	}
	return ticks
}
