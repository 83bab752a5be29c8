package alert

import (
	"testing"
	"time"

	"almanac/schema"
)

func TestExtractor(t *testing.T) {
	rules := append(Defaults(), Rule{Name: "busy", Metric: "disk.busy_pct", Warn: &Threshold{Above: true, Value: 90}},
		Rule{Name: "proc io", Metric: "process.read_bytes_per_s", Warn: &Threshold{Above: true, Value: 1}})
	x := NewExtractor(rules)
	us := t0.UnixMicro()
	rd := int64(4096)
	b := &schema.Batch{Time: t0,
		CPU:        []schema.CPURow{{Time: us, CPU: "all"}, {Time: us, CPU: "0"}, {Time: us, CPU: "1"}},
		System:     []schema.SystemRow{{Time: us, BootTime: 1e12, Load1: 500}},
		Memory:     []schema.MemoryRow{{Time: us, TotalBytes: 1000, AvailableBytes: 80, SwapTotalBytes: 0, OOMKills: 2}},
		Filesystem: []schema.FilesystemRow{{Time: us, Mountpoint: "/var", FSType: "ext4", UsedBytes: 90, AvailBytes: 10, InodesTotal: 0}},
		Disk:       []schema.DiskRow{{Time: us, Device: "sda", BusyPct: 9550}},
		Process:    []schema.ProcessRow{{Time: us, PID: 7, StartTime: 5, Comm: "cp", ReadBytesPerS: &rd}, {Time: us, PID: 8, Comm: "idle"}},
	}
	got := map[string]Value{}
	for _, v := range x.Values(b) {
		got[v.Metric+"{"+v.series()+"}"] = v
	}
	want := map[string]float64{
		"memory.available_pct{}":                           8,
		"filesystem.used_pct{fstype=ext4,mountpoint=/var}": 90,
		"system.load_per_core{}":                           2.5,
		"event:oom_kill{}":                                 2,
		"disk.busy_pct{device=sda}":                        95.5,
		"proc_count.zombie{}":                              0, // no row: absent
	}
	delete(want, "proc_count.zombie{}")
	for k, v := range want {
		if g, ok := got[k]; !ok || g.V != v {
			t.Errorf("%s = %v (present %v), want %v", k, g.V, ok, v)
		}
	}
	if _, ok := got["swap.used_pct{}"]; ok {
		t.Error("swap used % of a host without swap")
	}
	if _, ok := got["filesystem.inodes_pct{fstype=ext4,mountpoint=/var}"]; ok {
		t.Error("inodes % of a filesystem without inodes")
	}
	if v, ok := got["process.read_bytes_per_s{comm=cp,pid=7,start_time=5}"]; !ok || v.V != 4096 {
		t.Errorf("process read rate: %+v, %v; the process with NULL I/O must be left out: %v", v, ok, got)
	}
	if len(got) == 0 {
		t.Fatal("no values")
	}
	// A boot time that moves by a second is no reboot; by an hour it is.
	for i, boot := range []int64{1e12 + 1e6, 1e12 + 3600e6} {
		b.System[0].BootTime = boot
		n := 0
		for _, v := range x.Values(b) {
			if v.Metric == "event:reboot" {
				n++
			}
		}
		if want := i; n != want {
			t.Errorf("boot time +%v: %d reboot events, want %d", time.Duration(boot-1e12)*time.Microsecond, n, want)
		}
	}
}

// TestStateSurvivesRestart: a sampler restarted while an incident fires
// resolves it (with the incident's start and peak) and does not fire it
// again.
func TestStateSurvivesRestart(t *testing.T) {
	r := Rule{Name: "fs", Metric: "filesystem.used_pct", Warn: &Threshold{Above: true, Value: 90}, KeepFiringFor: 10 * time.Second}
	fs := func(v float64) []Value {
		return []Value{{Metric: r.Metric, Labels: map[string]string{"mountpoint": "/"}, V: v}}
	}
	e := NewEvaluator([]Rule{r})
	if got := e.Eval("h", t0, fs(95)); len(got) != 1 || got[0].Kind != KindFiring {
		t.Fatalf("first: %v", got)
	}
	saved, err := e.MarshalState()
	if err != nil {
		t.Fatal(err)
	}
	e2 := NewEvaluator([]Rule{r})
	if err := e2.RestoreState(saved); err != nil {
		t.Fatal(err)
	}
	if got := e2.Eval("h", t0.Add(time.Minute), fs(96)); len(got) != 0 {
		t.Errorf("after the restart, still breached: %v, want nothing (no second firing)", got)
	}
	e2.Eval("h", t0.Add(70*time.Second), fs(50))
	got := e2.Eval("h", t0.Add(80*time.Second), fs(50))
	if len(got) != 1 || got[0].Kind != KindResolved || !got[0].Since.Equal(t0) || got[0].Peak != 96 {
		t.Errorf("resolve after the restart: %+v, want resolved since %v with peak 96", got, t0)
	}
	if err := e2.RestoreState([]byte("{")); err == nil {
		t.Error("a damaged state: no error")
	}
}
