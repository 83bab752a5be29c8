//go:build linux

package main

import (
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"almanac/internal/testfs"
	"almanac/schema"
)

// closeSampler flushes what s took into the archive's files.
func closeSampler(t *testing.T, s *sampler) {
	t.Helper()
	s.wg.Wait()
	if err := s.w.Close(); err != nil {
		t.Fatal(err)
	}
}

// archiveRows reads every row of table from the archive's Parquet files.
func archiveRows[T any](t *testing.T, dir, table string) []T {
	t.Helper()
	var out []T
	err := filepath.WalkDir(filepath.Join(dir, table), func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".parquet") {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		r := parquet.NewGenericReader[T](f)
		defer r.Close()
		buf := make([]T, 256)
		for {
			n, err := r.Read(buf)
			out = append(out, buf[:n]...)
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return err
			}
		}
	})
	if err != nil {
		t.Fatalf("read %s: %v", table, err)
	}
	return out
}

// TestCgroupInArchiveLive runs the sampler while a busy process holding
// 64 MiB runs in a cgroup of its own, and finds in the archive the
// process in that cgroup and the cgroup's CPU and memory.
func TestCgroupInArchiveLive(t *testing.T) {
	cg := testfs.NewCgroup(t, "almanac-live-"+strconv.Itoa(os.Getpid()), 0)
	child, _ := cg.StartChild(t, "burn")
	pid := int32(child.Process.Pid)
	s := liveSampler(t, slog.New(slog.DiscardHandler), sampleOptions{interval: time.Second, flush: time.Hour, host: "live", noSync: true})
	dir := s.o.archive
	for i := range 3 {
		if i > 0 {
			time.Sleep(time.Second)
		}
		if err := s.take(time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	closeSampler(t, s)

	var rows []schema.CgroupRow
	for _, r := range archiveRows[schema.CgroupRow](t, dir, schema.TableCgroup) {
		if r.Cgroup == cg.Path {
			rows = append(rows, r)
		}
	}
	if len(rows) != 2 {
		t.Fatalf("%d rows of cgroup %s in the archive, want 2 (one per sample after the first)", len(rows), cg.Path)
	}
	var cpuUs int64
	for _, r := range rows {
		if r.Processes != 1 {
			t.Errorf("cgroup %s at %d: %d processes, want 1", r.Cgroup, r.Time, r.Processes)
		}
		if r.MemoryBytes == nil || *r.MemoryBytes < 64<<20 {
			t.Errorf("cgroup %s: memory_bytes %v, want at least the 64 MiB its process holds", r.Cgroup, r.MemoryBytes)
		}
		if r.CPUUsec != nil {
			cpuUs += *r.CPUUsec
		}
	}
	var procCPU float64 // seconds, from the process rows
	for _, p := range archiveRows[schema.ProcessRow](t, dir, schema.TableProcess) {
		if p.PID != pid {
			continue
		}
		if p.Cgroup != cg.Path {
			t.Errorf("the child's process row at %d names cgroup %q, want %q", p.Time, p.Cgroup, cg.Path)
		}
		procCPU += (p.CPUUserPct + p.CPUSystemPct).Float() / 100 // over 1 s intervals, about
	}
	t.Logf("cgroup CPU %d µs; the process's about %.2f s", cpuUs, procCPU)
	if cpuUs <= 0 || procCPU <= 0 {
		t.Errorf("cgroup cpu_usec %d, process CPU %.2f s: want both above 0 for a busy process", cpuUs, procCPU)
	}
	var unitCPU int64
	for _, g := range archiveRows[schema.ProcGroupRow](t, dir, schema.TableProcGroup) {
		if g.By == "comm" && g.Name == filepath.Base(os.Args[0])[:min(15, len(filepath.Base(os.Args[0])))] {
			unitCPU += g.CPUMs
		}
	}
	if unitCPU <= 0 {
		t.Errorf("proc_group has no CPU time for the child's command name")
	}
}

// TestOOMVictimLive runs the sampler while a process in a cgroup limited to
// 48 MiB allocates until the OOM killer kills it, and finds it named in the
// archive's oom_kill table with its cgroup.
func TestOOMVictimLive(t *testing.T) {
	cg := testfs.NewCgroup(t, "almanac-oom-"+strconv.Itoa(os.Getpid()), 48<<20)
	s := liveSampler(t, slog.New(slog.DiscardHandler), sampleOptions{interval: time.Second, flush: time.Hour, host: "live", noSync: true})
	dir := s.o.archive
	if err := s.take(time.Now()); err != nil {
		t.Fatal(err)
	}
	child, done := cg.StartChild(t, "alloc")
	pid := int32(child.Process.Pid)
	deadline := time.Now().Add(30 * time.Second)
	var exit error
	for exited := false; !exited; {
		time.Sleep(100 * time.Millisecond)
		select {
		case exit = <-done:
			exited = true
			done <- exit // for the cleanup
		default:
		}
		if time.Now().After(deadline) {
			t.Fatal("the child was not killed within 30 s")
		}
		if err := s.take(time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("the child ended: %v", exit)
	time.Sleep(100 * time.Millisecond)
	if err := s.take(time.Now()); err != nil {
		t.Fatal(err)
	}
	closeSampler(t, s)

	kills := archiveRows[schema.OOMKillRow](t, dir, schema.TableOOMKill)
	t.Logf("oom_kill rows: %+v", kills)
	var victim *schema.OOMKillRow
	for i := range kills {
		if kills[i].PID == pid {
			victim = &kills[i]
		}
	}
	if victim == nil {
		t.Fatalf("the child %d is not among the OOM victims %+v", pid, kills)
	}
	if victim.Cgroup != cg.Path || victim.How != "cgroup" {
		t.Errorf("victim in cgroup %q named by %q, want %q by cgroup", victim.Cgroup, victim.How, cg.Path)
	}
	// Its resident memory counts the test binary's mapped text, which
	// the cgroup need not be charged for: only a lower bound holds.
	if victim.RSSBytes < 4<<20 {
		t.Errorf("victim rss %d, want at least the 4 MiB it took first", victim.RSSBytes)
	}
	var counted int64
	for _, r := range archiveRows[schema.CgroupRow](t, dir, schema.TableCgroup) {
		if r.Cgroup == cg.Path && r.OOMKills != nil {
			counted += *r.OOMKills
		}
	}
	var memKills int64
	for _, r := range archiveRows[schema.MemoryRow](t, dir, schema.TableMemory) {
		memKills += r.OOMKills
	}
	if memKills < 1 {
		t.Errorf("the memory table counts %d OOM kills, want at least 1", memKills)
	}
	if counted != 1 {
		t.Errorf("the cgroup's rows count %d OOM kills, want 1", counted)
	}
}
