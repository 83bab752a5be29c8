//go:build linux

package sample

import (
	"almanac/schema"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestNameOOMVictims(t *testing.T) {
	boot := time.Unix(1754006400, 0).UTC()
	web := &procCgroup{path: "/system.slice/web.service", labels: cgroupLabels{unit: "web.service"}}
	box := &procCgroup{path: "/system.slice/docker-" + testCID + ".scope",
		labels: cgroupLabels{unit: "docker-" + testCID + ".scope", container: testCID, runtime: "docker"}}
	gone := []procReading{
		{pid: 10, start: 100, comm: "small", uid: 0, rssMax: 10, cg: web},
		{pid: 11, start: 100, comm: "huge", uid: 1000, rssMax: 9000, cg: web},
		{pid: 12, start: 200, comm: "java", uid: 1000, rssMax: 5000, cg: box},
		{pid: 13, start: 300, comm: "nocg", uid: 0, rssMax: 7000},
	}
	user := func(uid uint32) string { return "u" + strconv.Itoa(int(uid)) }
	row := func(p procReading, how string) schema.OOMKillRow {
		r := schema.OOMKillRow{Time: 5, PID: p.pid, Comm: p.comm, User: user(p.uid), RSSBytes: p.rssMax * 4096,
			StartTime: schema.Micros(boot) + int64(p.start)*10_000, How: how}
		if p.cg != nil {
			r.Cgroup, r.Unit, r.Container = p.cg.path, p.cg.labels.unit, p.cg.labels.container
		}
		return r
	}
	tests := []struct {
		name      string
		kills     int64
		perCgroup map[string]int64
		gone      []procReading
		want      []schema.OOMKillRow
	}{
		{"no kill", 0, nil, gone, nil},
		{"host: the largest that vanished", 1, nil, gone, []schema.OOMKillRow{row(gone[1], "host")}},
		{"the cgroup that counted it, over a larger process elsewhere", 1, map[string]int64{box.path: 1}, gone,
			[]schema.OOMKillRow{row(gone[2], "cgroup")}},
		{"a cgroup, then the host", 2, map[string]int64{box.path: 1}, gone,
			[]schema.OOMKillRow{row(gone[2], "cgroup"), row(gone[1], "host")}},
		{"a cgroup counting more than vmstat", 1, map[string]int64{web.path: 2}, gone,
			[]schema.OOMKillRow{row(gone[1], "cgroup")}},
		{"more kills than processes", 2, nil, gone[:1],
			[]schema.OOMKillRow{row(gone[0], "host"), {Time: 5, How: "unseen"}}},
		{"nothing vanished", 1, map[string]int64{web.path: 1}, nil, []schema.OOMKillRow{{Time: 5, How: "unseen"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := nameOOMVictims(oomInput{time: 5, kills: tt.kills, perCgroup: tt.perCgroup, gone: tt.gone,
				boot: boot, pageSize: 4096, user: user})
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestGoneProcesses(t *testing.T) {
	prev := map[int32]procReading{
		1: {pid: 1, start: 1, state: 'S'},
		2: {pid: 2, start: 5, state: 'S'},  // gone
		3: {pid: 3, start: 7, state: 'R'},  // a zombie now
		4: {pid: 4, start: 9, state: 'S'},  // its pid reused
		5: {pid: 5, start: 11, state: 'Z'}, // a zombie already
	}
	cur := []procReading{{pid: 1, start: 1, state: 'S'}, {pid: 3, start: 7, state: 'Z'},
		{pid: 4, start: 99, state: 'S'}, {pid: 5, start: 11, state: 'Z'}, {pid: 6, start: 100, state: 'R'}}
	got := map[int32]bool{}
	for _, p := range goneProcesses(prev, cur, nil) {
		got[p.pid] = true
	}
	if want := map[int32]bool{2: true, 3: true, 4: true}; !cmp.Equal(want, got) {
		t.Errorf("gone = %v, want %v", got, want)
	}
}

// TestOOMKillsWait checks that a kill counted before its victim has gone
// waits one sample for it, with its cgroup's count, and is recorded as
// unseen when none turns up.
func TestOOMKillsWait(t *testing.T) {
	box := &procCgroup{path: "/box"}
	proc := &processCollector{pageSize: 4096, users: userNames{log: discardLog()}}
	c := newCgroupCollector(proc, discardLog())
	one := int64(1)
	// Sample 1: vmstat and the cgroup count a kill; the victim still runs.
	out := c.appendOOMKills(nil, 1, 1, []schema.CgroupRow{{Cgroup: box.path, OOMKills: &one}})
	if len(out) != 0 || c.pending != 1 || c.pendingCg[box.path] != 1 {
		t.Fatalf("sample 1: rows %+v, pending %d %v; want none, 1 and the cgroup's", out, c.pending, c.pendingCg)
	}
	// Sample 2: it has gone; no new count.
	proc.gone = []procReading{{pid: 7, comm: "big", rssMax: 1000, cg: box}, {pid: 8, comm: "bigger", rssMax: 5000}}
	zero := int64(0)
	out = c.appendOOMKills(nil, 2, 0, []schema.CgroupRow{{Cgroup: box.path, OOMKills: &zero}})
	if len(out) != 1 || out[0].PID != 7 || out[0].How != "cgroup" || c.pending != 0 || len(c.pendingCg) != 0 {
		t.Fatalf("sample 2: rows %+v, pending %d %v; want pid 7 by cgroup, nothing pending", out, c.pending, c.pendingCg)
	}
	// A kill whose victim never shows: unseen one sample later.
	proc.gone = nil
	if out = c.appendOOMKills(nil, 3, 1, nil); len(out) != 0 || c.pending != 1 {
		t.Fatalf("sample 3: rows %+v, pending %d", out, c.pending)
	}
	if out = c.appendOOMKills(nil, 4, 0, nil); len(out) != 1 || out[0].How != "unseen" || c.pending != 0 {
		t.Fatalf("sample 4: rows %+v, pending %d; want one unseen", out, c.pending)
	}
}

// TestOOMKillsHostLate checks that a kill its cgroup counts a sample
// before /proc/vmstat does (it came between the two reads) names its
// victim by the cgroup when the host counts it.
func TestOOMKillsHostLate(t *testing.T) {
	box := &procCgroup{path: "/box"}
	proc := &processCollector{pageSize: 4096, users: userNames{log: discardLog()}}
	c := newCgroupCollector(proc, discardLog())
	one, zero := int64(1), int64(0)
	// Sample 1: the cgroup counts a kill, vmstat not yet.
	out := c.oomKills(nil, 1, 0, []schema.CgroupRow{{Cgroup: box.path, OOMKills: &one}, {Cgroup: "/other", OOMKills: &zero}})
	if len(out) != 0 || c.pending != 0 || c.pendingCg[box.path] != 1 || len(c.pendingCg) != 1 {
		t.Fatalf("sample 1: rows %+v, pending %d %v; want none, 0 and the cgroup's kill", out, c.pending, c.pendingCg)
	}
	// Sample 2: vmstat counts it; the victim has gone, a larger process too.
	proc.gone = []procReading{{pid: 7, comm: "big", rssMax: 1000, cg: box}, {pid: 8, comm: "bigger", rssMax: 5000}}
	out = c.oomKills(nil, 2, 1, []schema.CgroupRow{{Cgroup: box.path, OOMKills: &zero}})
	if len(out) != 1 || out[0].PID != 7 || out[0].How != "cgroup" || c.pending != 0 || len(c.pendingCg) != 0 {
		t.Fatalf("sample 2: rows %+v, pending %d %v; want pid 7 by cgroup, nothing pending", out, c.pending, c.pendingCg)
	}
	// No kill at all: nothing.
	if out = c.oomKills(nil, 3, 0, []schema.CgroupRow{{Cgroup: box.path, OOMKills: &zero}}); len(out) != 0 || len(c.pendingCg) != 0 {
		t.Fatalf("sample 3: rows %+v, pending %v; want none", out, c.pendingCg)
	}
}
