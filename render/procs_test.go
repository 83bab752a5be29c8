package render

import (
	"slices"
	"strings"
	"testing"
	"time"

	gocmp "github.com/google/go-cmp/cmp"

	"almanac/archive"
	"almanac/schema"
	"almanac/synth"
)

// procCounter is a scanner that counts the reads of the per-hour process
// rollup.
type procCounter struct {
	*archive.Store
	rollups int
}

func (c *procCounter) ScanFiles(res archive.Resolution, d archive.DayFiles, from, to time.Time, cols ...string) (*archive.Frame, error) {
	if d.Table == schema.TableProcess && res == archive.PerHour {
		c.rollups++
	}
	return c.Store.ScanFiles(res, d, from, to, cols...)
}

// TestTopProcessesLongRange ranks processes over 7 days from the per-hour
// rollup of closed days and the raw rows of today: a process busy only on
// an old day ranks first, and a pid reused by a new process is two
// processes.
func TestTopProcessesLongRange(t *testing.T) {
	st, w := web1Writer(t, t.TempDir())
	boot := fixedNow.AddDate(0, 0, -30)
	start := func(d time.Time) int64 { return d.UnixMicro() }
	type proc struct {
		pid      int32
		start    int64
		comm     string
		cpu      float64 // user %; system % is a tenth of it
		from, to time.Time
	}
	oldDay := fixedNow.AddDate(0, 0, -5).Add(-2 * time.Hour) // the 5th 10:00
	day3 := fixedNow.AddDate(0, 0, -3)                       // the 7th 12:00
	briefStart := oldDay.Add(-8*time.Hour + 39*time.Minute + 57*time.Second)
	procs := []proc{
		{500, start(boot), "oldbusy", 80, oldDay, oldDay.Add(2 * time.Hour)},                                             // 88 % x 120 samples
		{600, start(boot), "steady", 5, fixedNow.Add(-20 * time.Hour), fixedNow},                                         // 5.5 % x 1200
		{700, start(day3), "first", 30, day3, day3.Add(time.Hour)},                                                       // 33 % x 60
		{700, start(fixedNow.Add(-2 * time.Hour)), "second", 10, fixedNow.Add(-2 * time.Hour), fixedNow.Add(-time.Hour)}, // 11 % x 60
		// Started in the middle of an hour of a closed day, gone before its end.
		{800, start(briefStart), "brief", 1, briefStart.Add(3 * time.Second), briefStart.Add(10*time.Minute + 3*time.Second)}, // 1.1 % x 10
	}
	// A sample a minute whenever a process runs.
	times := map[time.Time]bool{}
	for _, p := range procs {
		for at := p.from.Truncate(time.Minute); at.Before(p.to); at = at.Add(time.Minute) {
			times[at] = true
		}
	}
	var samples int
	for at := fixedNow.AddDate(0, 0, -8); at.Before(fixedNow); at = at.Add(time.Minute) {
		if !times[at] {
			continue
		}
		samples++
		b := &schema.Batch{Time: at, System: []schema.SystemRow{{Time: at.UnixMicro(), BootTime: boot.UnixMicro(), IntervalMs: 60000}}}
		for _, p := range procs {
			if !at.Before(p.from) && at.Before(p.to) {
				b.Process = append(b.Process, schema.ProcessRow{Time: at.UnixMicro(), PID: p.pid, StartTime: p.start,
					User: "root", Comm: p.comm, State: "R", CPUUserPct: schema.ToCenti(p.cpu), CPUSystemPct: schema.ToCenti(p.cpu / 10),
					RSSBytes: int64(p.pid) << 20, Threads: 1})
			}
		}
		if err := w.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Compact("web1", fixedNow); err != nil {
		t.Fatal(err)
	}
	src := &procCounter{Store: st}
	d, err := gather(src, "web1", hostDir("web1"), fixedNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	if src.rollups == 0 {
		t.Error("the 7-day top processes did not read the per-hour process rollup")
	}
	type top struct {
		PID        int32
		Comm, Time string
	}
	tops := func(rows []ProcRow) []top {
		var out []top
		for _, r := range rows {
			out = append(out, top{r.PID, r.Comm, r.CPUTime})
		}
		return out
	}
	// CPU time: (user + system) % / 100 x samples x 60 s.
	want7d := []top{
		{500, "oldbusy", "1h 45m"}, // 0.88 x 120 x 60 s = 6336 s
		{600, "steady", "1h 6m"},   // 0.055 x 1200 x 60 s = 3960 s
		{700, "first", "19m 48s"},  // 0.33 x 60 x 60 s = 1188 s
		{700, "second", "6m 36s"},  // 0.11 x 60 x 60 s = 396 s
		{800, "brief", "6.60s"},    // 0.011 x 10 x 60 s = 6.6 s
	}
	if diff := gocmp.Diff(want7d, tops(d.procs[1].TopCPU)); diff != "" {
		t.Errorf("7-day top by CPU (-want +got):\n%s", diff)
	}
	want24h := []top{{600, "steady", "1h 6m"}, {700, "second", "6m 36s"}}
	if diff := gocmp.Diff(want24h, tops(d.procs[0].TopCPU)); diff != "" {
		t.Errorf("24-hour top by CPU (-want +got):\n%s", diff)
	}
	// The mean counts every sample of the range (absent as zero).
	if got, want := d.procs[1].TopCPU[0].CPU, fmtPct(88.0*120/float64(samples)); got != want {
		t.Errorf("7-day mean CPU of oldbusy = %s, want %s", got, want)
	}
	if got := d.procs[1].TopMem; len(got) != 5 || got[0].PID != 800 || got[1].PID != 700 || got[2].PID != 700 || got[3].PID != 600 {
		t.Errorf("7-day top by memory = %v, want pid 800, 700 twice, then 600", tops(got))
	}
	// Seen times: never before the start; a process seen in one hour of a
	// closed day is last seen at its last sample of that hour, not at the
	// hour's start.
	for r := range ranges {
		for _, row := range d.procs[r].TopCPU {
			started, first, seen := isoTime(t, row.Started), isoTime(t, row.FirstSeen), isoTime(t, row.Seen)
			if seen.Before(started) || seen.Before(first) || first.Before(started.Truncate(time.Second)) {
				t.Errorf("%s: pid %d started %v, first seen %v, last seen %v", ranges[r].Name, row.PID, started, first, seen)
			}
			if row.PID == 800 {
				if want := briefStart.Add(9*time.Minute + 3*time.Second); !seen.Equal(want) {
					t.Errorf("%s: brief last seen %v, want %v (its last sample)", ranges[r].Name, seen, want)
				}
			}
		}
	}
	// The lines of the 7-day page: one per process, hourly.
	var cpuChart *Chart
	for i := range d.procs[1].Charts {
		if d.procs[1].Charts[i].ID == "top-cpu" {
			cpuChart = &d.procs[1].Charts[i]
		}
	}
	if cpuChart == nil {
		t.Fatal("7-day page has no top-cpu chart")
	}
	if got := len(cpuChart.data.Cols); got != 5 {
		t.Errorf("top-cpu lines = %d, want 5", got)
	}
	for i := 1; i < len(cpuChart.data.T); i++ {
		if step := cpuChart.data.T[i] - cpuChart.data.T[i-1]; step%time.Hour.Microseconds() != 0 && step < time.Hour.Microseconds() {
			t.Errorf("top-cpu points %v apart, want hours", time.Duration(step)*time.Microsecond)
			break
		}
	}
}

// isoTime parses the ISO form of a page time.
func isoTime(t *testing.T, pt Time) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, pt.ISO)
	if err != nil {
		t.Fatalf("page time %+v: %v", pt, err)
	}
	return v
}

// TestNoSwapCharts: a host without swap has no swap charts (an axis of 0
// to 1 B says nothing); one with swap has them.
func TestNoSwapCharts(t *testing.T) {
	for _, swap := range []bool{false, true} {
		st, w := web1Writer(t, t.TempDir())
		g := synth.New(synth.Host{Name: "web1", Seed: 1, Boot: fixedNow.Add(-48 * time.Hour)})
		for at := fixedNow.Add(-time.Hour); at.Before(fixedNow); at = at.Add(time.Minute) {
			b := g.Batch(at)
			if !swap {
				for i := range b.Memory {
					b.Memory[i].SwapTotalBytes, b.Memory[i].SwapFreeBytes = 0, 0
				}
			}
			if err := w.Append(b); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		d, err := gather(st, "web1", hostDir("web1"), fixedNow, nil)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range d.ranges[0] {
			for _, c := range s.Charts {
				ids = append(ids, c.ID)
			}
		}
		if got := slices.Contains(ids, "swap") && slices.Contains(ids, "swap-io"); got != swap {
			t.Errorf("host with swap %v: swap charts shown %v (charts %v)", swap, got, ids)
		}
	}
}

// TestZombieParents: the zombies table names each zombie's parent (its
// PPID and command), which has not reaped it.
func TestZombieParents(t *testing.T) {
	st, w := web1Writer(t, t.TempDir())
	boot := fixedNow.Add(-48 * time.Hour).UnixMicro()
	for at := fixedNow.Add(-10 * time.Minute); at.Before(fixedNow); at = at.Add(time.Minute) {
		us := at.UnixMicro()
		b := &schema.Batch{Time: at, System: []schema.SystemRow{{Time: us, BootTime: boot, IntervalMs: 60000}},
			Process: []schema.ProcessRow{
				{Time: us, PID: 900, PPID: 1, StartTime: boot, User: "www", Comm: "httpd", State: "S"},
				{Time: us, PID: 901, PPID: 900, StartTime: boot, User: "www", Comm: "cgi", State: "Z"},
				{Time: us, PID: 950, PPID: 4242, StartTime: boot, User: "root", Comm: "orphan", State: "Z"},
			}}
		if err := w.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	d, err := gather(st, "web1", hostDir("web1"), fixedNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	type zombie struct {
		PID, PPID int32
		Parent    string
	}
	var got []zombie
	for _, z := range d.procs[0].Zombies {
		got = append(got, zombie{z.PID, z.PPID, z.Parent})
	}
	want := []zombie{{901, 900, "httpd"}, {950, 4242, ""}}
	if diff := gocmp.Diff(want, got); diff != "" {
		t.Errorf("zombies (-want +got):\n%s", diff)
	}
}

// TestMarks: OOM kills are marked on the time axis of every line chart
// like reboots, and outages are shaded (down red, no data grey).
func TestMarks(t *testing.T) {
	st, w := web1Writer(t, t.TempDir())
	g := synth.New(synth.Host{Name: "web1", Seed: 1, Boot: fixedNow.Add(-48 * time.Hour)})
	kill := fixedNow.Add(-30 * time.Minute)
	for at := fixedNow.Add(-2 * time.Hour); at.Before(fixedNow); at = at.Add(time.Minute) {
		if at.After(fixedNow.Add(-90*time.Minute)) && at.Before(fixedNow.Add(-70*time.Minute)) {
			continue // the sampler stopped: no data
		}
		b := g.Batch(at)
		for i := range b.Memory {
			b.Memory[i].OOMKills = 0
			if at.Equal(kill) {
				b.Memory[i].OOMKills = 1
			}
		}
		if err := w.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	d, err := gather(st, "web1", hostDir("web1"), fixedNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"load", "cpu", "memory"} {
		s := chartOf(t, d, 0, id).Option.MultiSeries[0]
		var oom []int64
		if s.MarkLines != nil {
			for _, m := range s.MarkLines.Data {
				if m := m.(timeMark); m.Name == "OOM kill" {
					oom = append(oom, m.XAxis)
				}
			}
		}
		if want := []int64{kill.UnixMilli()}; !slices.Equal(oom, want) {
			t.Errorf("%s: OOM kill marks %v, want %v", id, oom, want)
		}
		if ma := s.MarkAreas; ma == nil || len(ma.Data) != 1 {
			t.Errorf("%s: outage areas %v, want the 20 minutes without data", id, ma)
		}
	}
}

// TestOverviewWeek: the overview row of a host sampled over the rollup
// fixture's days has its 7-day CPU, memory and load, and the CPU peak is
// the fixture's spike of the 7th (read from a per-minute rollup).
func TestOverviewWeek(t *testing.T) {
	st := writeRollupFixture(t, t.TempDir(), true)
	d, err := gather(st, "web1", hostDir("web1"), fixedNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	s := d.sum
	if !strings.HasSuffix(s.CPU7, " / 99.5 %") || s.CPU7Sort <= 0 || s.CPU7Sort > 99.5 {
		t.Errorf("CPU 7 d = %q (mean %v), want a mean and the spike 99.5 %% as peak", s.CPU7, s.CPU7Sort)
	}
	if s.Mem7 == "" || s.Mem7Sort <= 0 || s.Load7 == "" || s.Load7Sort <= 0 {
		t.Errorf("memory 7 d = %q (%v), load 7 d = %q (%v)", s.Mem7, s.Mem7Sort, s.Load7, s.Load7Sort)
	}
}
