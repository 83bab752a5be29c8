package archive

import (
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/parquet-go/parquet-go"

	"almanac/schema"
	"almanac/synth"
)

var t0 = time.Date(2026, 8, 21, 9, 0, 0, 0, time.UTC)

func testLog(t testing.TB) *slog.Logger {
	t.Helper()
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

func openStore(t testing.TB, dir string) *Store {
	t.Helper()
	s, err := Open(dir, testLog(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// batches returns n consecutive batches of a host with every table filled,
// one every interval from start. Like a sampler's, the first batch has
// no rates; the others have rows in every table but host.
func batches(host string, start time.Time, n int, interval time.Duration) []*schema.Batch {
	g := synth.New(synth.Host{Name: host, Cores: 2, Processes: 20, Seed: 7, Custom: true, GPUs: 2})
	out := make([]*schema.Batch, n)
	for i := range out {
		out[i] = g.Batch(start.Add(time.Duration(i) * interval))
		if i%5 == 2 { // an incident now and then
			us := out[i].Time.UnixMicro()
			out[i].Alert = []schema.AlertRow{{Time: us, Rule: "filesystem full", Series: "mountpoint=/var",
				State: "firing", Severity: "warn", Since: us - 60e6, Value: 91.5 + float64(i), Peak: 92.25 + float64(i)}}
		}
		if i%7 == 3 { // and an OOM kill
			us := out[i].Time.UnixMicro()
			out[i].OOMKill = []schema.OOMKillRow{{Time: us, PID: int32(4000 + i), StartTime: us - 5e6, Comm: "java",
				User: "app", RSSBytes: 3 << 30, Cgroup: "/system.slice/app.service", Unit: "app.service", How: "cgroup"}}
		}
	}
	return out
}

// merged concatenates the batches table by table.
func merged(bs []*schema.Batch) *schema.Batch {
	var all schema.Batch
	for _, b := range bs {
		for _, t := range tables {
			t.move(&all, b)
		}
	}
	return &all
}

func appendAll(t testing.TB, w *Writer, bs []*schema.Batch) {
	t.Helper()
	for _, b := range bs {
		if err := w.Append(b); err != nil {
			t.Fatal(err)
		}
	}
}

// readTable reads every live row of table for host, file by file in read
// order, with parquet-go's row reader.
func readTable[T any](t *testing.T, dir, table, host string) []T {
	t.Helper()
	var rows []T
	days, _ := filepath.Glob(filepath.Join(dir, table, "host="+host, "date=*"))
	slices.Sort(days)
	for _, d := range days {
		ents, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range ents {
			names = append(names, e.Name())
		}
		live, _ := liveFiles(names)
		for _, f := range live {
			got, err := parquet.ReadFile[T](filepath.Join(d, f.name))
			if err != nil {
				t.Fatalf("read %s: %v", f.name, err)
			}
			rows = append(rows, got...)
		}
	}
	return rows
}

func checkTables(t *testing.T, dir, host string, want *schema.Batch) {
	t.Helper()
	check := func(table string, diff string) {
		t.Helper()
		if diff != "" {
			t.Errorf("table %s mismatch (-want +got):\n%s", table, diff)
		}
	}
	check("host", cmp.Diff(want.Host, readTable[schema.HostRow](t, dir, "host", host)))
	check("cpu", cmp.Diff(want.CPU, readTable[schema.CPURow](t, dir, "cpu", host)))
	check("system", cmp.Diff(want.System, readTable[schema.SystemRow](t, dir, "system", host)))
	check("pressure", cmp.Diff(want.Pressure, readTable[schema.PressureRow](t, dir, "pressure", host)))
	check("memory", cmp.Diff(want.Memory, readTable[schema.MemoryRow](t, dir, "memory", host)))
	check("disk", cmp.Diff(want.Disk, readTable[schema.DiskRow](t, dir, "disk", host)))
	check("filesystem", cmp.Diff(want.Filesystem, readTable[schema.FilesystemRow](t, dir, "filesystem", host)))
	check("network", cmp.Diff(want.Network, readTable[schema.NetworkRow](t, dir, "network", host)))
	check("temperature", cmp.Diff(want.Temperature, readTable[schema.TemperatureRow](t, dir, "temperature", host)))
	check("proc_count", cmp.Diff(want.ProcCount, readTable[schema.ProcCountRow](t, dir, "proc_count", host)))
	check("proc_user", cmp.Diff(want.ProcUser, readTable[schema.ProcUserRow](t, dir, "proc_user", host)))
	check("process", cmp.Diff(want.Process, readTable[schema.ProcessRow](t, dir, "process", host)))
	check("alert", cmp.Diff(want.Alert, readTable[schema.AlertRow](t, dir, "alert", host)))
	check("custom", cmp.Diff(want.Custom, readTable[schema.CustomRow](t, dir, "custom", host)))
	check("gpu", cmp.Diff(want.GPU, readTable[schema.GPURow](t, dir, "gpu", host)))
	check("cgroup", cmp.Diff(want.Cgroup, readTable[schema.CgroupRow](t, dir, "cgroup", host)))
	check("oom_kill", cmp.Diff(want.OOMKill, readTable[schema.OOMKillRow](t, dir, "oom_kill", host)))
	check("proc_group", cmp.Diff(want.ProcGroup, readTable[schema.ProcGroupRow](t, dir, "proc_group", host)))
}

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	w, err := s.Writer("web1", WriterOptions{FlushEvery: time.Minute, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	bs := batches("web1", t0, 20, 10*time.Second)
	appendAll(t, w, bs)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	want := merged(bs)
	for _, table := range schema.Names() {
		if tables[table].count(want) == 0 {
			t.Fatalf("test batches have no %s rows", table)
		}
	}
	checkTables(t, dir, "web1", want)

	// 20 batches 10 s apart, a flush when the oldest pending batch is a
	// minute old: 3 parts per table (7+7+6 batches).
	parts, _ := filepath.Glob(filepath.Join(dir, "cpu", "host=web1", "date=2026-08-21", "part-*.parquet"))
	if got, want := len(parts), 3; got != want {
		t.Errorf("cpu parts = %d, want %d: %v", got, want, parts)
	}
	if fi, err := os.Stat(filepath.Join(dir, journalDir, "web1.wal")); err != nil || fi.Size() != 0 {
		t.Errorf("journal after close: %v, %v; want empty", fi, err)
	}
}

func TestDayChangeFlushes(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	w, err := s.Writer("h", WriterOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 8, 21, 23, 59, 30, 0, time.UTC)
	bs := batches("h", start, 6, 10*time.Second)
	appendAll(t, w, bs)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// Three batches each side of midnight; the first has no system row.
	for day, want := range map[string]int{"2026-08-21": 2, "2026-08-22": 3} {
		rows := 0
		files, _ := filepath.Glob(filepath.Join(dir, "system", "host=h", "date="+day, "*.parquet"))
		for _, f := range files {
			got, err := parquet.ReadFile[schema.SystemRow](f)
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range got {
				if d := dayOfMicros(r.Time).Format(time.DateOnly); d != day {
					t.Errorf("row of %s in folder of %s", d, day)
				}
			}
			rows += len(got)
		}
		if rows != want {
			t.Errorf("system rows on %s = %d, want %d", day, rows, want)
		}
	}
	checkTables(t, dir, "h", merged(bs))
}

func TestScan(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	w, err := s.Writer("web1", WriterOptions{FlushEvery: time.Minute, NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	bs := batches("web1", t0, 30, 10*time.Second)
	appendAll(t, w, bs)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	all := merged(bs)
	from, to := t0.Add(50*time.Second), t0.Add(200*time.Second)

	t.Run("cpu", func(t *testing.T) {
		f, err := s.Scan("cpu", "web1", from, to, "cpu", "user_pct", "idle_pct")
		if err != nil {
			t.Fatal(err)
		}
		want := &Frame{Num: map[string][]float64{"user_pct": {}, "idle_pct": {}}, Str: map[string][]string{"cpu": {}}}
		for _, r := range all.CPU {
			if r.Time < from.UnixMicro() || r.Time >= to.UnixMicro() {
				continue
			}
			want.Time = append(want.Time, r.Time)
			want.Str["cpu"] = append(want.Str["cpu"], r.CPU)
			want.Num["user_pct"] = append(want.Num["user_pct"], r.UserPct.Float())
			want.Num["idle_pct"] = append(want.Num["idle_pct"], r.IdlePct.Float())
		}
		if diff := cmp.Diff(want, f); diff != "" {
			t.Errorf("Scan mismatch (-want +got):\n%s", diff)
		}
		if f.Len() != 15*3 {
			t.Errorf("Len = %d, want %d", f.Len(), 45)
		}
	})
	t.Run("process nulls and booleans", func(t *testing.T) {
		f, err := s.Scan("process", "web1", t0, t0.Add(time.Hour), "pid", "read_bytes_per_s", "comm")
		if err != nil {
			t.Fatal(err)
		}
		if got, want := f.Len(), len(all.Process); got != want {
			t.Fatalf("Len = %d, want %d", got, want)
		}
		nulls := 0
		for i, r := range all.Process {
			got := f.Num["read_bytes_per_s"][i]
			if r.ReadBytesPerS == nil {
				nulls++
				if !math.IsNaN(got) {
					t.Errorf("row %d read_bytes_per_s = %v, want NaN", i, got)
				}
			} else if got != float64(*r.ReadBytesPerS) {
				t.Errorf("row %d read_bytes_per_s = %v, want %v", i, got, *r.ReadBytesPerS)
			}
			if f.Str["comm"][i] != r.Comm || f.Num["pid"][i] != float64(r.PID) {
				t.Errorf("row %d = %v %v, want %v %v", i, f.Str["comm"][i], f.Num["pid"][i], r.Comm, r.PID)
			}
		}
		if nulls == 0 {
			t.Error("test data has no null read_bytes_per_s")
		}
	})
	t.Run("list column", func(t *testing.T) {
		f, err := s.Scan("host", "web1", t0, t0.Add(time.Hour), "mounts.mountpoint", "mounts.fstype", "cpu_cores")
		if err != nil {
			t.Fatal(err)
		}
		want := &Frame{Time: []int64{all.Host[0].Time},
			Num: map[string][]float64{"cpu_cores": {2}},
			Str: map[string][]string{"mounts.mountpoint": {"/\n/boot\n/var"}, "mounts.fstype": {"ext4\next4\next4"}}}
		if diff := cmp.Diff(want, f); diff != "" {
			t.Errorf("Scan mismatch (-want +got):\n%s", diff)
		}
	})
	t.Run("unknown column", func(t *testing.T) {
		if _, err := s.Scan("cpu", "web1", from, to, "nope"); err == nil {
			t.Error("Scan of an unknown column: no error")
		}
	})
	t.Run("no data", func(t *testing.T) {
		f, err := s.Scan("cpu", "other", from, to, "user_pct")
		if !errorsIs(err, ErrNoData) || f.Len() != 0 {
			t.Errorf("Scan of unknown host = %d rows, %v; want 0, ErrNoData", f.Len(), err)
		}
	})
	t.Run("hosts", func(t *testing.T) {
		hosts, err := s.Hosts()
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff([]string{"web1"}, hosts); diff != "" {
			t.Errorf("Hosts mismatch (-want +got):\n%s", diff)
		}
		parts, err := s.Partitions("cpu", "web1")
		if err != nil {
			t.Fatal(err)
		}
		want := []Partition{{Table: "cpu", Host: "web1", Day: Day(t0)}}
		if diff := cmp.Diff(want, parts); diff != "" {
			t.Errorf("Partitions mismatch (-want +got):\n%s", diff)
		}
	})
}

func errorsIs(err, target error) bool { return err != nil && errorsIsStd(err, target) }

// TestInvalidUTF8 checks that a string that is not UTF-8 (a process name
// is bytes to the kernel) reaches the files as valid UTF-8: DuckDB refuses
// a whole Parquet file over one bad string.
func TestInvalidUTF8(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	w, err := s.Writer("web1", WriterOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	b := &schema.Batch{Time: t0, Process: []schema.ProcessRow{{Time: t0.UnixMicro(), PID: 7, Comm: "ok\xff\xfe<x>", User: "r\xc3"}}}
	appendAll(t, w, []*schema.Batch{b})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	got := readTable[schema.ProcessRow](t, dir, "process", "web1")
	if len(got) != 1 {
		t.Fatalf("%d rows, want 1", len(got))
	}
	if got[0].Comm != "ok\uFFFD<x>" || got[0].User != "r\uFFFD" {
		t.Errorf("comm %q user %q, want invalid bytes replaced by U+FFFD", got[0].Comm, got[0].User)
	}
}

// TestWriterFlushes checks that Flushes says which Append seals the open
// segment: the parts it writes appear with that Append, not before.
func TestWriterFlushes(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	w, err := s.Writer("web1", WriterOptions{NoSync: true, FlushEvery: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	parts := func() int { return globCount(t, filepath.Join(dir, "*", "host=web1", "*", "part-*.parquet")) }
	midnight := t0.Truncate(24*time.Hour).AddDate(0, 0, 1)
	for i, tc := range []struct {
		at   time.Time
		want bool
	}{
		{t0, false},                       // no open segment
		{t0.Add(30 * time.Second), false}, // within FlushEvery of its first
		{t0.Add(time.Minute), true},       // FlushEvery after its first
		{t0.Add(70 * time.Second), false}, // the first of a new segment
		{t0.Add(80 * time.Second), false},
		{t0.Add(-time.Minute), true}, // a clock stepped back by FlushEvery
		{midnight, true},             // another day
	} {
		b := batches("web1", tc.at, 1, time.Second)[0]
		if got := w.Flushes(tc.at); got != tc.want {
			t.Errorf("batch %d at %s: Flushes = %v, want %v", i, tc.at.Format(time.TimeOnly), got, tc.want)
		}
		before := parts()
		if err := w.Append(b); err != nil {
			t.Fatal(err)
		}
		if flushed := parts() > before; flushed != tc.want {
			t.Errorf("batch %d at %s: the Append flushed = %v, want %v", i, tc.at.Format(time.TimeOnly), flushed, tc.want)
		}
	}
}
