package testtree

import (
	"os"
	"syscall"
)

// MemoryRoot returns /dev/shm when it is a tmpfs this process may write
// with at least 1 GiB free, else "". Creating files is cheap there; on a
// busy ext4 /tmp, where many files were just deleted, each create can cost
// a millisecond of kernel time.
func MemoryRoot() string {
	const shm = "/dev/shm"
	const tmpfsMagic = 0x01021994 // statfs f_type of tmpfs
	var fs syscall.Statfs_t
	if err := syscall.Statfs(shm, &fs); err != nil || fs.Type != tmpfsMagic {
		return ""
	}
	if fs.Bavail*uint64(fs.Bsize) < 1<<30 || syscall.Access(shm, 2 /* W_OK */) != nil {
		return ""
	}
	return shm
}

// UseMemoryTempDir, for a TestMain, makes a new directory under MemoryRoot
// the process's temporary directory: TMPDIR, which t.TempDir and
// os.MkdirTemp use and the programs the tests start inherit. It does
// nothing when TMPDIR is set already or there is no MemoryRoot. The
// function it returns removes the directory and unsets TMPDIR.
func UseMemoryTempDir() (restore func()) {
	root := MemoryRoot()
	if os.Getenv("TMPDIR") != "" || root == "" {
		return func() {}
	}
	dir, err := os.MkdirTemp(root, "djintegrity-test-")
	if err != nil {
		return func() {}
	}
	os.Setenv("TMPDIR", dir)
	return func() {
		os.Unsetenv("TMPDIR")
		os.RemoveAll(dir)
	}
}
