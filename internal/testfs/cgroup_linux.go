package testfs

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Cgroup is a control group a test made for its processes: on a cgroup v2
// host one folder of /sys/fs/cgroup, on a v1 or hybrid host one folder in
// each of the memory, cpuacct and blkio controllers (and in the v2
// hierarchy at /sys/fs/cgroup/unified, when there is one).
type Cgroup struct {
	// Path is the cgroup's path as /proc/<pid>/cgroup gives it, for a
	// process at the root of the test's cgroup namespace.
	Path string
	// V2 says the host is a pure cgroup v2 one.
	V2   bool
	dirs []string
}

// NewCgroup makes a cgroup called name below the root of each hierarchy,
// removed when the test ends (its processes must have ended by then). A
// memLimit above 0 caps its memory (memory.max on v2,
// memory.limit_in_bytes on v1), swap included, so that the OOM killer
// kills inside it. It needs root.
func NewCgroup(t testing.TB, name string, memLimit int64) *Cgroup {
	t.Helper()
	NeedRoot(t)
	const base = "/sys/fs/cgroup"
	cg := &Cgroup{Path: "/" + name}
	mk := func(dir string) {
		t.Helper()
		if err := os.Mkdir(dir, 0o755); err != nil {
			t.Fatalf("make the test's cgroup: %v", err)
		}
		cg.dirs = append(cg.dirs, dir)
	}
	t.Cleanup(func() {
		for _, d := range cg.dirs {
			// A killed process leaves its cgroup a moment after it is reaped.
			var err error
			for range 50 {
				if err = os.Remove(d); err == nil || errors.Is(err, os.ErrNotExist) {
					break
				}
				time.Sleep(20 * time.Millisecond)
			}
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Errorf("remove the test's cgroup: %v", err)
			}
		}
	})
	limit := strconv.FormatInt(memLimit, 10)
	if _, err := os.Stat(filepath.Join(base, "cgroup.controllers")); err == nil {
		cg.V2 = true
		// Let children have the memory, cpu and io controllers; already so
		// on a systemd host.
		_ = os.WriteFile(filepath.Join(base, "cgroup.subtree_control"), []byte("+memory +cpu +io"), 0o644)
		dir := filepath.Join(base, name)
		mk(dir)
		if memLimit > 0 {
			write(t, filepath.Join(dir, "memory.max"), limit)
			_ = os.WriteFile(filepath.Join(dir, "memory.swap.max"), []byte("0"), 0o644)
		}
		return cg
	}
	for _, c := range []string{"memory", "cpuacct", "blkio", "unified"} {
		if _, err := os.Stat(filepath.Join(base, c, "cgroup.procs")); err == nil {
			mk(filepath.Join(base, c, name))
		}
	}
	if memLimit > 0 {
		dir := filepath.Join(base, "memory", name)
		write(t, filepath.Join(dir, "memory.limit_in_bytes"), limit)
		if _, err := os.Stat(filepath.Join(dir, "memory.memsw.limit_in_bytes")); err == nil {
			write(t, filepath.Join(dir, "memory.memsw.limit_in_bytes"), limit)
		}
	}
	return cg
}

// Add moves the process pid into the cgroup, in every hierarchy.
func (cg *Cgroup) Add(pid int) error {
	for _, d := range cg.dirs {
		if err := os.WriteFile(filepath.Join(d, "cgroup.procs"), []byte(strconv.Itoa(pid)), 0o644); err != nil {
			return fmt.Errorf("move pid %d into %s: %w", pid, d, err)
		}
	}
	return nil
}

func write(t testing.TB, path, v string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(v), 0o644); err != nil {
		t.Fatalf("set %s: %v", path, err)
	}
}

// ChildEnv is the environment variable that makes a test binary a child
// process of a cgroup test (see ChildMain).
const ChildEnv = "ALMANAC_TEST_CHILD"

// ChildMain, called first in a TestMain, turns the test binary into a
// child process when ChildEnv is set, and exits: it reads a line from
// standard input (sent once the child is in its cgroup), then
//
//	burn:  holds 64 MiB of memory (then writes "ready" to standard
//	       output) and keeps a CPU busy
//	alloc: takes 4 MiB more memory every 20 ms until the OOM killer kills it
//
// until it is killed.
func ChildMain() {
	mode := os.Getenv(ChildEnv)
	if mode == "" {
		return
	}
	var b [1]byte
	os.Stdin.Read(b[:])
	var hold [][]byte
	touch := func(n int) {
		m := make([]byte, n)
		for i := 0; i < n; i += 4096 {
			m[i] = 1
		}
		hold = append(hold, m)
	}
	switch strings.TrimSpace(mode) {
	case "burn":
		touch(64 << 20)
		fmt.Println("ready")
		x := 0
		for {
			for i := range 1 << 20 {
				x = x*31 + i
			}
			if x == 42 {
				fmt.Println(len(hold))
			}
		}
	case "alloc":
		// Slowly (about a second to 48 MiB), so that a sampler on a loaded
		// machine sees the process before the OOM killer takes it: a
		// victim never seen cannot be named.
		for {
			touch(2 << 20)
			time.Sleep(50 * time.Millisecond)
		}
	}
	fmt.Fprintf(os.Stderr, "%s: unknown mode %q\n", ChildEnv, mode)
	os.Exit(2)
}
