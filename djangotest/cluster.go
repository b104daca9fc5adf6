package djangotest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// PGBinDir holds Debian's PostgreSQL 15 server binaries.
const PGBinDir = "/usr/lib/postgresql/15/bin"

// Cluster is a private PostgreSQL cluster: its own data directory in a
// temporary directory, listening on a free port of 127.0.0.1 and on a unix
// socket in that directory, trusting local connections as user postgres.
type Cluster struct {
	Dir  string // temporary directory: data/, the log, the socket
	Host string // 127.0.0.1
	Port int
	User string // superuser, trusted without a password

	asUser   []string  // runuser prefix when running as root
	watchdog *exec.Cmd // stops the cluster if this process dies first
	stopping sync.Mutex
}

// StartCluster runs initdb and pg_ctl start. initdb refuses to run as root,
// so as root the cluster belongs to the postgres user (runuser -u postgres).
// The server runs with fsync off, no WAL beyond crash recovery and no
// autovacuum: its data is thrown away at the end. The directory is in
// TempRoot.
func StartCluster(ctx context.Context) (*Cluster, error) {
	dir, err := os.MkdirTemp(TempRoot(), "djangotest-pg-")
	if err != nil {
		return nil, fmt.Errorf("start cluster: %w", err)
	}
	c := &Cluster{Dir: dir, Host: "127.0.0.1", User: "postgres"}
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("start cluster: initdb refuses root and there is no postgres user: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		if err := os.Chown(dir, uid, gid); err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("start cluster: %w", err)
		}
		c.asUser = []string{"runuser", "-u", "postgres", "--"}
	}
	data := filepath.Join(dir, "data")
	if out, err := c.run(ctx, filepath.Join(PGBinDir, "initdb"), "-D", data, "-U", c.User,
		"--auth=trust", "--encoding=UTF8", "--no-locale", "--no-sync"); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start cluster: initdb: %w\n%s", err, out)
	}
	// A free port can be taken between the probe and the server's bind:
	// try a few.
	var lastErr error
	for range 3 {
		port, err := freePort()
		if err != nil {
			lastErr = err
			continue
		}
		c.Port = port
		opts := strings.Join([]string{
			"-c listen_addresses=127.0.0.1",
			"-p " + strconv.Itoa(port),
			"-c unix_socket_directories=" + dir,
			"-c fsync=off",
			"-c synchronous_commit=off",
			"-c full_page_writes=off",
			"-c max_connections=200",
			"-c wal_level=minimal",
			"-c max_wal_senders=0",
			"-c max_wal_size=128MB",
			"-c autovacuum=off",
		}, " ")
		out, err := c.run(ctx, filepath.Join(PGBinDir, "pg_ctl"), "-D", data, "-l", filepath.Join(dir, "server.log"),
			"-w", "-t", "60", "-o", opts, "start")
		if err == nil {
			c.startWatchdog()
			return c, nil
		}
		log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
		lastErr = fmt.Errorf("pg_ctl start on port %d: %w\n%s\n%s", port, err, out, log)
	}
	os.RemoveAll(dir)
	return nil, fmt.Errorf("start cluster: %w", lastErr)
}

// Stop stops the server at once (its data is disposable) and removes the
// directory. It is safe to call more than once.
func (c *Cluster) Stop() error {
	if c == nil {
		return nil
	}
	c.stopping.Lock() // a signal handler and a deferred call may both stop it
	defer c.stopping.Unlock()
	if c.Dir == "" {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var errs []error
	data := filepath.Join(c.Dir, "data")
	if pid := postmasterPID(data); pid > 0 {
		if out, err := c.run(ctx, filepath.Join(PGBinDir, "pg_ctl"), "-D", data, "-m", "immediate", "-w", "stop"); err != nil {
			// pg_ctl failed: stop the postmaster itself (SIGQUIT is an
			// immediate shutdown) rather than leave it running.
			errs = append(errs, fmt.Errorf("pg_ctl stop: %w\n%s", err, out))
			if p, err := os.FindProcess(pid); err == nil {
				_ = p.Signal(syscall.SIGQUIT)
			}
			for i := 0; i < 100 && syscall.Kill(pid, 0) == nil; i++ {
				time.Sleep(50 * time.Millisecond)
			}
		}
	}
	if c.watchdog != nil && c.watchdog.Process != nil {
		_ = c.watchdog.Process.Kill()
		_ = c.watchdog.Wait()
		c.watchdog = nil
	}
	if err := os.RemoveAll(c.Dir); err != nil {
		errs = append(errs, err)
	}
	c.Dir = ""
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("stop cluster: %w", err)
	}
	return nil
}

// postmasterPID reads the server's pid from its data directory; 0 if none.
func postmasterPID(data string) int {
	b, err := os.ReadFile(filepath.Join(data, "postmaster.pid"))
	if err != nil {
		return 0
	}
	line, _, _ := strings.Cut(string(b), "\n")
	pid, _ := strconv.Atoi(strings.TrimSpace(line))
	return pid
}

// startWatchdog starts a shell that waits for this process to end and then
// stops the server and removes its directory: a panic, a test timeout or a
// kill skips Go's deferred calls, and the postmaster must not outlive us.
func (c *Cluster) startWatchdog() {
	// No redirections: the script must not depend on /dev/null (its
	// output goes where Go sends it, to the null device).
	script := `while kill -0 "$1"; do sleep 1; done
` + shellQuote(c.asUser) + ` "$2/pg_ctl" -D "$3/data" -m immediate stop
rm -rf "$3"`
	cmd := exec.Command("/bin/sh", "-c", script, "djangotest-watchdog",
		strconv.Itoa(os.Getpid()), PGBinDir, c.Dir)
	// Its own session: a Ctrl-C to the test's process group must not end it
	// before it has stopped the server.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err == nil {
		c.watchdog = cmd
	}
}

func shellQuote(args []string) string {
	var b strings.Builder
	for i, a := range args {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString("'" + strings.ReplaceAll(a, "'", `'\''`) + "'")
	}
	return b.String()
}

func (c *Cluster) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	argv := append(append([]string{}, c.asUser...), name)
	argv = append(argv, args...)
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	cmd.Dir = "/" // postgres may not read the caller's working directory
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	// pg_ctl leaves the server running with our stdout open unless told
	// otherwise; -l sends the server's output to the log, so only pg_ctl's
	// own output comes here.
	err := cmd.Run()
	return out.Bytes(), err
}

// TempRoot is where the cluster and the runs' trees go: $DJANGOTEST_TMPDIR
// if set; else /dev/shm when it is a tmpfs with 1 GiB free (the cluster
// takes under 100 MB); else the default temporary directory. Each run
// creates a database and drops it, some 300 files each time, and on a busy
// ext4 /tmp creating files where many were just deleted costs more kernel
// time than everything PostgreSQL does for the run; on tmpfs it is cheap.
func TempRoot() string {
	if dir := os.Getenv("DJANGOTEST_TMPDIR"); dir != "" {
		return dir
	}
	const shm = "/dev/shm"
	var fs syscall.Statfs_t
	if err := syscall.Statfs(shm, &fs); err == nil && fs.Type == tmpfsMagic &&
		fs.Bavail*uint64(fs.Bsize) >= 1<<30 && syscall.Access(shm, 2 /* W_OK */) == nil {
		return shm
	}
	return os.TempDir()
}

const tmpfsMagic = 0x01021994 // statfs f_type of tmpfs

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
