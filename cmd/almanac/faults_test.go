//go:build linux

package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"almanac/archive"
	"almanac/internal/testfs"
	"almanac/schema"
)

// These tests run a real almanac sample over the fixture tree and inflict
// real faults on its archive: a full tmpfs (they need root to mount it)
// and a partition folder that cannot be written.

// faultRun is an almanac sample process whose JSON log lines are kept.
type faultRun struct {
	t    *testing.T
	cmd  *exec.Cmd
	done chan struct{}

	mu    sync.Mutex
	lines []map[string]any
	more  chan struct{} // a line arrived
}

func startFaultRun(t *testing.T, bin, dir string, extra ...string) *faultRun {
	t.Helper()
	fixture := filepath.Join("..", "..", "sample", "testdata")
	args := append([]string{"sample", "--archive", dir, "--host", "faulthost",
		"--proc", filepath.Join(fixture, "proc"), "--sys", filepath.Join(fixture, "sys"),
		"--rootfs", filepath.Join(fixture, "rootfs"),
		"--interval", "1s", "--flush", "1s", "--no-sync", "--log-level", "debug", "--log-format", "json"}, extra...)
	cmd := exec.Command(bin, args...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &faultRun{t: t, cmd: cmd, done: make(chan struct{}), more: make(chan struct{}, 1)}
	go func() {
		defer close(r.done)
		sc := bufio.NewScanner(stderr)
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) != nil {
				line = map[string]any{"msg": sc.Text()}
			}
			r.mu.Lock()
			r.lines = append(r.lines, line)
			r.mu.Unlock()
			select {
			case r.more <- struct{}{}:
			default:
			}
		}
	}()
	t.Cleanup(func() {
		if r.cmd.ProcessState == nil {
			r.cmd.Process.Kill()
			<-r.done
			r.cmd.Wait()
		}
	})
	return r
}

// count returns how many log lines have msg (from line from on).
func (r *faultRun) count(msg string, from int) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, l := range r.lines[min(from, len(r.lines)):] {
		if l["msg"] == msg {
			n++
		}
	}
	return n
}

func (r *faultRun) mark() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.lines)
}

// find returns the first log line with msg from line from on.
func (r *faultRun) find(msg string, from int) map[string]any {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, l := range r.lines[min(from, len(r.lines)):] {
		if l["msg"] == msg {
			return l
		}
	}
	return nil
}

// waitFor waits until ok holds, the process ends or the deadline passes.
func (r *faultRun) waitFor(what string, d time.Duration, ok func() bool) {
	r.t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for !ok() {
		select {
		case <-r.more:
		case <-r.done:
			if ok() {
				return
			}
			r.t.Fatalf("almanac sample ended while waiting for %s:\n%s", what, r.log())
		case <-deadline.C:
			r.t.Fatalf("no %s after %v:\n%s", what, d, r.log())
		}
	}
}

// samples returns the times of the samples logged as appended or queued.
func (r *faultRun) samples(msg string) []int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []int64
	for _, l := range r.lines {
		if l["msg"] == msg {
			out = append(out, int64(l["sample_time_us"].(float64)))
		}
	}
	return out
}

func (r *faultRun) log() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b strings.Builder
	for _, l := range r.lines {
		if l["level"] != "DEBUG" {
			j, _ := json.Marshal(l)
			b.Write(j)
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// stop sends sig and waits for the process; it returns its exit error.
func (r *faultRun) stop(sig syscall.Signal) error {
	r.t.Helper()
	if err := r.cmd.Process.Signal(sig); err != nil {
		r.t.Fatal(err)
	}
	<-r.done
	return r.cmd.Wait()
}

// running fails the test if the process has ended.
func (r *faultRun) running() {
	r.t.Helper()
	select {
	case <-r.done:
		r.t.Fatalf("almanac sample ended: %v\n%s", r.cmd.Wait(), r.log())
	default:
	}
}

// checkOnce scans table of faulthost and checks that each time of want is
// there exactly once and no other time is.
func checkOnce(t *testing.T, dir, table string, want []int64) {
	t.Helper()
	store, err := archive.Open(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	frame, err := store.Scan(table, "faulthost", time.Unix(0, 0), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	have := map[int64]int{}
	for _, ts := range frame.Time {
		have[ts]++
	}
	for _, ts := range want {
		if have[ts] != 1 {
			t.Errorf("%s: sample at %s is in the archive %d times, want once", table,
				time.UnixMicro(ts).UTC().Format(time.RFC3339Nano), have[ts])
		}
		delete(have, ts)
	}
	for ts, n := range have {
		t.Errorf("%s: %d rows at %s, which no run reported taking", table, n, time.UnixMicro(ts).UTC().Format(time.RFC3339Nano))
	}
}

// TestSampleDiskFull fills the tmpfs of a running sampler's archive: it
// keeps sampling into memory, says what to do, and writes every sample
// once space is back. It is killed while the disk is full again, and
// started on the full disk: it replays nothing it cannot, samples all the
// same, and catches up once space is back.
func TestSampleDiskFull(t *testing.T) {
	mnt := testfs.MountTmpfs(t, "3m")
	dir := filepath.Join(mnt, "archive")
	bin := buildAlmanac(t)

	r := startFaultRun(t, bin, dir, "--queue", "1m")
	r.waitFor("2 samples appended", 30*time.Second, func() bool { return r.count("sample appended", 0) >= 2 })
	free := testfs.FillDisk(t, mnt)
	m := r.mark()
	r.waitFor("3 samples queued", 30*time.Second, func() bool { return r.count("sample queued", m) >= 3 })
	r.running()
	warn := r.find("journal cannot be written, samples wait in memory", m)
	if warn == nil {
		t.Fatalf("no warning about the full journal:\n%s", r.log())
	}
	hint, _ := warn["hint"].(string)
	if !strings.Contains(hint, "free space on "+mnt) || !strings.Contains(hint, "60 samples (1m0s") {
		t.Errorf("hint %q: want where to free space and what the queue holds", hint)
	}
	if n := r.count("journal cannot be written, samples wait in memory", m); n != 1 {
		t.Errorf("the full journal was logged %d times in %d samples, want once a minute", n, r.count("sample queued", m))
	}
	free()
	m = r.mark()
	r.waitFor("the journal to be written again", 30*time.Second, func() bool { return r.count("journal written again", m) == 1 })
	r.waitFor("2 samples appended", 30*time.Second, func() bool { return r.count("sample appended", m) >= 2 })

	// Full again, and killed: what was queued is lost, what was appended
	// waits in the journal.
	free = testfs.FillDisk(t, mnt)
	m = r.mark()
	kept := r.count("sample queued", 0)
	r.waitFor("a sample queued", 30*time.Second, func() bool { return r.count("sample queued", m) >= 1 })
	r.stop(syscall.SIGKILL)
	taken := append(r.samples("sample appended"), r.samples("sample queued")[:kept]...)

	// Start-up on the full disk.
	r = startFaultRun(t, bin, dir, "--queue", "1m")
	r.waitFor("3 samples queued", 30*time.Second, func() bool { return r.count("sample queued", 0) >= 3 })
	r.running()
	if r.count("journal replay failed, kept for a later flush", 0) != 1 {
		t.Errorf("start-up on a full disk did not report the replay it could not write:\n%s", r.log())
	}
	free()
	r.waitFor("the journal to be written again", 30*time.Second, func() bool { return r.count("journal written again", 0) == 1 })
	m = r.mark()
	r.waitFor("2 samples appended", 30*time.Second, func() bool { return r.count("sample appended", m) >= 2 })
	if err := r.stop(syscall.SIGINT); err != nil {
		t.Errorf("almanac sample after SIGINT: %v, want exit 0\n%s", err, r.log())
	}
	taken = append(taken, r.samples("sample appended")...)
	taken = append(taken, r.samples("sample queued")...)
	checkOnce(t, dir, schema.TableSystem, taken)
	checkParquetFiles(t, dir)
	if segs, _ := filepath.Glob(filepath.Join(dir, ".journal", "*.seg")); len(segs) != 0 {
		t.Errorf("journal segments left after a clean stop: %v", segs)
	}
	t.Logf("%d samples taken in two runs, %d queued while the disk was full", len(taken), len(r.samples("sample queued")))
}

// TestSampleUnwritableFolder replaces a partition folder of a running
// sampler with a file: the other tables keep flushing, almanac health
// says since when and why samples do not reach Parquet, and once the
// folder is back everything is there once and health is ok again. SIGHUP
// flushes and the sampler carries on.
func TestSampleUnwritableFolder(t *testing.T) {
	dir := t.TempDir()
	bin := buildAlmanac(t)
	r := startFaultRun(t, bin, dir)
	r.waitFor("2 samples appended", 30*time.Second, func() bool { return r.count("sample appended", 0) >= 2 })
	today := time.Now().UTC().Format(time.DateOnly)
	memDir := filepath.Join(dir, "memory", "host=faulthost", "date="+today)
	aside := filepath.Join(dir, "memory", "host=faulthost", "aside")
	if err := os.MkdirAll(memDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(memDir, aside); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(memDir, []byte("in the way"), 0o644); err != nil {
		t.Fatal(err)
	}
	health := func() (int, string) {
		var stdout, stderr bytes.Buffer
		code := run(context.Background(), []string{"health", "--archive", dir, "--host", "faulthost"}, &stdout, &stderr)
		return code, stdout.String() + stderr.String()
	}
	systemParts := func() int {
		files, _ := filepath.Glob(filepath.Join(dir, "system", "host=faulthost", "date=*", "part-*.parquet"))
		return len(files)
	}
	before := systemParts()
	var msg string
	r.waitFor("almanac health to fail", 30*time.Second, func() bool {
		code, out := health()
		msg = out
		return code == 1
	})
	if !strings.Contains(msg, "samples are being taken but have not reached Parquet since ") ||
		!strings.Contains(msg, "table memory:") || !strings.Contains(msg, "not a directory") {
		t.Errorf("health says %q: want since when and why", msg)
	}
	if after := systemParts(); after <= before {
		t.Errorf("system parts %d before the memory folder broke, %d after: the other tables stopped", before, after)
	}
	r.running()

	if err := os.Remove(memDir); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(aside, memDir); err != nil {
		t.Fatal(err)
	}
	r.waitFor("almanac health to pass", 30*time.Second, func() bool {
		code, out := health()
		msg = out
		return code == 0
	})
	m := r.mark()
	if err := r.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	r.waitFor("SIGHUP logged", 30*time.Second, func() bool { return r.count("SIGHUP: flushing the journal (nothing to reload)", m) == 1 })
	r.waitFor("a sample after SIGHUP", 30*time.Second, func() bool { return r.count("sample appended", m) >= 1 })
	if err := r.stop(syscall.SIGINT); err != nil {
		t.Errorf("almanac sample after SIGINT: %v, want exit 0\n%s", err, r.log())
	}
	// The first reading only primes the rates: the memory and system
	// tables have a row for every sample.
	taken := r.samples("sample appended")
	checkOnce(t, dir, schema.TableSystem, taken)
	checkOnce(t, dir, schema.TableMemory, taken)
	if code, out := health(); code != 0 {
		t.Errorf("health after the fix: exit %d: %s", code, out)
	}
}
