//go:build linux

package sample

import (
	"almanac/schema"
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/prometheus/procfs"
	"golang.org/x/sys/unix"
)

// The fixture readings: testdata/proc-prev at boot+1000 s, then
// testdata/proc ten seconds later.
var (
	fixtureBoot = time.Unix(1754006400, 0).UTC()
	fixturePrev = fixtureBoot.Add(1000 * time.Second)
	fixtureNow  = fixtureBoot.Add(1010 * time.Second)
)

func fixtureTick(now time.Time, first bool) Tick {
	t := Tick{Now: now, Time: schema.Micros(now), First: first, BootTime: fixtureBoot}
	if !first {
		t.Interval = 10 * time.Second
	}
	return t
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// collectTwice runs c over the readings prevDir then curDir and returns
// the batch of the second.
func collectTwice(t *testing.T, c *processCollector, prevDir, curDir, rootfs string) *schema.Batch {
	t.Helper()
	var first schema.Batch
	if err := c.Collect(Source{ProcPath: prevDir, RootFS: rootfs}, fixtureTick(fixturePrev, true), &first); err != nil {
		t.Fatalf("first reading: %v", err)
	}
	if n := first.Rows(); n != 0 {
		t.Errorf("first reading appended %d rows, want 0", n)
	}
	b := &schema.Batch{Time: fixtureNow}
	if err := c.Collect(Source{ProcPath: curDir, RootFS: rootfs}, fixtureTick(fixtureNow, false), b); err != nil {
		t.Fatalf("second reading: %v", err)
	}
	return b
}

// ownerName is the user the collector should report for the folder dir:
// its owner uid, named through the fixture passwd.
func ownerName(t *testing.T, dir string) string {
	t.Helper()
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	uid := fi.Sys().(*syscall.Stat_t).Uid
	f, err := os.Open("testdata/rootfs/etc/passwd")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	names, err := parsePasswd(f)
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := names[uid]; ok {
		return n
	}
	return strconv.FormatUint(uint64(uid), 10)
}

func i64(v int64) *int64 { return &v }

var burn int // keeps the live test's busy loop from being optimised away

// wantFixtureRows is the process table of the fixture's second reading,
// worked out by hand from the two trees (interval 10 s, 4 KiB pages).
func wantFixtureRows(user string) []schema.ProcessRow {
	tm := schema.Micros(fixtureNow)
	start := func(ticks int64) int64 { return schema.Micros(fixtureBoot) + ticks*10_000 }
	row := func(pid, ppid int32, startTicks int64, comm, state string, userPct, sysPct schema.Centi,
		rssPages, vsize int64, threads int32, rd, wr *int64) schema.ProcessRow {
		return schema.ProcessRow{Time: tm, PID: pid, PPID: ppid, StartTime: start(startTicks), User: user,
			Comm: comm, State: state, CPUUserPct: userPct, CPUSystemPct: sysPct,
			RSSBytes: rssPages * 4096, VSizeBytes: vsize, Threads: threads,
			ReadBytesPerS: rd, WriteBytesPerS: wr}
	}
	return []schema.ProcessRow{
		// utime 83 -> 133 and stime 362 -> 382 ticks in 10 s; no io file.
		row(1, 0, 30, "systemd", "S", 500, 200, 4618, 51138560, 13, nil, nil),
		row(2, 0, 30, "kthreadd", "S", 0, 0, 0, 0, 1, i64(0), i64(0)),
		row(10, 2, 30, "kworker/0:0H-events_highpri", "I", 0, 0, 0, 0, 1, i64(0), i64(0)),
		// stime +1 tick; 10 MiB read and 2,048,000 bytes written in 10 s.
		row(1034, 1033, 5371, "bash", "S", 0, 10, 1024, 5386240, 1, i64(1048576), i64(204800)),
		row(4242, 1034, 6000, "<script>alert(1)</script>", "R", 2000, 0, 250, 10000000, 2, i64(0), i64(0)),
		row(4243, 1034, 6001, "evil) (R 99", "S", 0, 0, 300, 10000000, 1, i64(0), i64(0)),
		row(4244, 1034, 6002, "two\nlines", "S", 0, 0, 300, 10000000, 1, i64(0), i64(0)),
		row(4245, 1034, 6003, "bad\uFFFDname", "S", 0, 0, 300, 10000000, 1, i64(0), i64(0)),
		row(4246, 1034, 6004, "dpkg-deb", "Z", 0, 0, 0, 0, 1, i64(0), i64(0)),
		// 4247 vanished: no row.
		// 4250 is a new process on a reused pid, started at 1003 s: all
		// its 150+50 ticks and 4,096,000 bytes belong to the interval.
		row(4250, 1034, 100300, "newjob", "R", 1500, 500, 900, 9000000, 1, i64(409600), i64(0)),
		// 4251 started at 1005 s.
		row(4251, 1, 100500, "cron", "S", 200, 100, 800, 9000000, 1, i64(0), i64(100)),
		row(4252, 1034, 6005, "vim", "T", 0, 0, 1000, 20000000, 1, i64(0), i64(0)),
		row(4253, 1034, 6006, "sync", "D", 0, 0, 100, 3000000, 1, i64(0), i64(0)),
		// 4254 started before the first reading but was not in it: no baseline.
		row(4254, 1, 5500, "late", "S", 0, 0, 800, 9000000, 1, nil, nil),
	}
}

func TestProcessCollectorFixture(t *testing.T) {
	var logs bytes.Buffer
	c := newProcessCollector(false, slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})))
	c.pageSize = 4096
	b := collectTwice(t, c, "testdata/proc-prev", "testdata/proc", "testdata/rootfs")

	user := ownerName(t, "testdata/proc/1")
	want := wantFixtureRows(user)
	if diff := cmp.Diff(want, b.Process); diff != "" {
		t.Errorf("process rows mismatch (-want +got):\n%s", diff)
	}

	wantCount := []schema.ProcCountRow{{Time: schema.Micros(fixtureNow), Total: 14, Threads: 27,
		Running: 2, Sleeping: 8, DiskSleep: 1, Zombie: 1, Stopped: 1, Idle: 1}}
	if diff := cmp.Diff(wantCount, b.ProcCount); diff != "" {
		t.Errorf("proc_count mismatch (-want +got):\n%s", diff)
	}

	sum := schema.ProcUserRow{Time: schema.Micros(fixtureNow), User: user}
	for _, r := range want {
		sum.Processes++
		sum.Threads += r.Threads
		sum.CPUPct += r.CPUUserPct + r.CPUSystemPct
		sum.RSSBytes += r.RSSBytes
	}
	if diff := cmp.Diff([]schema.ProcUserRow{sum}, b.ProcUser); diff != "" {
		t.Errorf("proc_user mismatch (-want +got):\n%s", diff)
	}

	// The vanished pid is a debug line, nothing louder.
	if !strings.Contains(logs.String(), "level=DEBUG msg=\"process skipped\" pid=4247") {
		t.Errorf("no debug line for the vanished pid 4247:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), "level=INFO") || strings.Contains(logs.String(), "level=WARN") {
		t.Errorf("logged above debug:\n%s", logs.String())
	}
}

func TestProcessCollectorCmdline(t *testing.T) {
	c := newProcessCollector(true, discardLog())
	b := collectTwice(t, c, "testdata/proc-prev", "testdata/proc", "testdata/rootfs")
	got := map[int32]string{}
	for _, r := range b.Process {
		if r.Cmdline == nil {
			t.Fatalf("pid %d: cmdline NULL with --cmdline", r.PID)
		}
		got[r.PID] = *r.Cmdline
	}
	want := map[int32]string{
		1: "/sbin/init splash", 2: "", 10: "", 1034: "bash --login",
		4242: "<script>alert(1)</script> --x=</script>", 4243: "evil) (R 99",
		4244: "two\nlines", 4245: "bad\uFFFDname arg", 4246: "", 4250: "newjob --fast",
		4251: "cron -f", 4252: "vim notes.txt", 4253: "sync", 4254: "late",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cmdlines mismatch (-want +got):\n%s", diff)
	}

	// Without --cmdline no command line is read.
	c = newProcessCollector(false, discardLog())
	for _, r := range collectTwice(t, c, "testdata/proc-prev", "testdata/proc", "testdata/rootfs").Process {
		if r.Cmdline != nil {
			t.Errorf("pid %d: cmdline %q recorded without --cmdline; want NULL (unknown)", r.PID, *r.Cmdline)
		}
	}
}

// copyTree copies the directory src to dst.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	if err := os.CopyFS(dst, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
}

// The user of a process is the owner of its /proc/<pid> folder, named
// through passwd; unknown uids show as numbers, and users are sorted.
func TestProcessCollectorUsers(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown the copied fixture folders")
	}
	dir := t.TempDir()
	prev, cur := filepath.Join(dir, "prev"), filepath.Join(dir, "cur")
	copyTree(t, "testdata/proc-prev", prev)
	copyTree(t, "testdata/proc", cur)
	owners := map[string]int{"1034": 1000, "4242": 1001, "4243": 4321, "4244": 4321, "4250": 1000}
	for _, tree := range []string{prev, cur} {
		for pid, uid := range owners {
			if err := os.Chown(filepath.Join(tree, pid), uid, uid); err != nil {
				t.Fatal(err)
			}
		}
		for _, pid := range []string{"1", "2", "10", "4245", "4246", "4247", "4251", "4252", "4253", "4254"} {
			if err := os.Chown(filepath.Join(tree, pid), 0, 0); err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.Fatal(err)
			}
		}
	}
	c := newProcessCollector(false, discardLog())
	c.pageSize = 4096
	b := collectTwice(t, c, prev, cur, "testdata/rootfs")

	names := map[int]string{0: "root", 1000: "alice", 1001: "<b>bob</b>", 4321: "4321"}
	want := wantFixtureRows("root")
	for i := range want {
		if uid, ok := owners[strconv.Itoa(int(want[i].PID))]; ok {
			want[i].User = names[uid]
		}
	}
	if diff := cmp.Diff(want, b.Process); diff != "" {
		t.Errorf("process rows mismatch (-want +got):\n%s", diff)
	}

	sums := map[string]*schema.ProcUserRow{}
	for _, r := range want {
		s := sums[r.User]
		if s == nil {
			s = &schema.ProcUserRow{Time: r.Time, User: r.User}
			sums[r.User] = s
		}
		s.Processes++
		s.Threads += r.Threads
		s.CPUPct += r.CPUUserPct + r.CPUSystemPct
		s.RSSBytes += r.RSSBytes
	}
	var wantUsers []schema.ProcUserRow
	for _, u := range []string{"4321", "<b>bob</b>", "alice", "root"} { // sorted
		wantUsers = append(wantUsers, *sums[u])
	}
	if diff := cmp.Diff(wantUsers, b.ProcUser); diff != "" {
		t.Errorf("proc_user mismatch (-want +got):\n%s", diff)
	}
}

func TestProcOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to chown")
	}
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "77"), 0o555); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Join(dir, "77"), 1234, 5678); err != nil {
		t.Fatal(err)
	}
	fd, err := unix.Open(dir, unix.O_RDONLY|unix.O_DIRECTORY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
	var st unix.Statx_t
	uid, err := procOwner(fd, []byte("77\x00"), &st)
	if err != nil || uid != 1234 {
		t.Errorf("procOwner(77) = %d, %v, want 1234", uid, err)
	}
	if _, err := procOwner(fd, []byte("78\x00"), &st); !vanished(err) {
		t.Errorf("procOwner(78) error = %v, want a vanished process", err)
	}
}

// A pid folder that disappears is skipped; so is a pid whose stat names
// another pid, or cannot be parsed. The rest of the reading stands.
func TestProcessCollectorSkips(t *testing.T) {
	dir := t.TempDir()
	copyTree(t, "testdata/proc", dir)
	write := func(name, content string) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("5000/stat", statLine("wrongpid"))       // says 1034
	write("5001/stat", "5001 (truncated) S 1 2 3") // too short
	write("5002/status", "Name:\tgone\n")          // vanished
	write("notapid/stat", statLine("x"))
	c := newProcessCollector(false, discardLog())
	cur, err := c.read(dir)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int32
	for _, p := range cur {
		pids = append(pids, p.pid)
	}
	want := []int32{1, 2, 10, 1034, 4242, 4243, 4244, 4245, 4246, 4250, 4251, 4252, 4253, 4254}
	if diff := cmp.Diff(want, pids); diff != "" {
		t.Errorf("pids read mismatch (-want +got):\n%s", diff)
	}

	// A pid listed by getdents but gone by the time it is read.
	if _, err := c.readProcess(unix.AT_FDCWD, 999999); !vanished(err) {
		t.Errorf("readProcess(999999) error = %v, want a vanished process", err)
	}

	// A tree with no readable process at all is an error; an empty one is not.
	empty := t.TempDir()
	if _, err := c.read(empty); err != nil {
		t.Errorf("read(empty tree) = %v, want no error", err)
	}
	broken := t.TempDir()
	if err := os.Mkdir(filepath.Join(broken, "7"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := c.read(broken); err == nil {
		t.Errorf("read(tree without any stat) = nil error, want one")
	}
	if _, err := c.read(filepath.Join(empty, "missing")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("read(missing tree) error = %v, want ErrNotExist", err)
	}
}

func TestVanished(t *testing.T) {
	for _, tt := range []struct {
		err  error
		want bool
	}{
		{unix.ENOENT, true}, {unix.ESRCH, true}, {unix.EACCES, false}, {io.EOF, false},
	} {
		if got := vanished(tt.err); got != tt.want {
			t.Errorf("vanished(%v) = %v, want %v", tt.err, got, tt.want)
		}
	}
}

func reading(pid int32, start, utime, stime uint64, state byte, uid uint32) procReading {
	return procReading{pid: pid, start: start, utime: utime, stime: stime, state: state,
		uid: uid, threads: 1, ioOK: true, comm: "p" + strconv.Itoa(int(pid))}
}

// The pure part: identity, baselines, counters and sums.
func TestAppendProcessRows(t *testing.T) {
	iv := procInterval{time: schema.Micros(fixtureNow), prev: fixturePrev, interval: 10 * time.Second,
		boot: fixtureBoot, pageSize: 4096}
	names := map[uint32]string{0: "root", 1: "zed", 2: "amy", 3: "amy"}
	user := func(uid uint32) string { return names[uid] }
	withIO := func(p procReading, rd, wr uint64) procReading { p.readBytes, p.writeBytes = rd, wr; return p }
	noIO := func(p procReading) procReading { p.ioOK = false; return p }
	const afterPrev = 100_000 + 50 // ticks: prev reading is at 1000 s = 100,000 ticks
	type cpu struct {
		pid      int32
		user     schema.Centi
		sys      schema.Centi
		rd, wr   *int64
		startSec int64
	}
	tests := []struct {
		name string
		prev []procReading
		cur  []procReading
		want []cpu
	}{
		{"same process", []procReading{withIO(reading(7, 500, 100, 50, 'S', 0), 1000, 0)},
			[]procReading{withIO(reading(7, 500, 300, 60, 'S', 0), 21000, 10)},
			[]cpu{{7, 2000, 100, i64(2000), i64(1), 5}}},
		{"two cores busy", []procReading{reading(7, 500, 0, 0, 'R', 0)},
			[]procReading{reading(7, 500, 1500, 500, 'R', 0)},
			[]cpu{{7, 15000, 5000, i64(0), i64(0), 5}}},
		{"pid reused: not diffed with the old process", []procReading{withIO(reading(7, 500, 9000, 9000, 'S', 0), 1e9, 1e9)},
			[]procReading{withIO(reading(7, afterPrev, 100, 0, 'S', 0), 500, 0)},
			[]cpu{{7, 1000, 0, i64(50), i64(0), 1000}}},
		{"new process", nil,
			[]procReading{withIO(reading(8, afterPrev, 10, 20, 'S', 0), 0, 100)},
			[]cpu{{8, 100, 200, i64(0), i64(10), 1000}}},
		{"new process within the btime slack", nil,
			[]procReading{reading(8, 100_000-50, 10, 0, 'S', 0)},
			[]cpu{{8, 100, 0, i64(0), i64(0), 999}}},
		{"old process without baseline", nil,
			[]procReading{reading(9, 500, 10, 20, 'S', 0)},
			[]cpu{{9, 0, 0, nil, nil, 5}}},
		{"io unreadable now", []procReading{reading(7, 500, 0, 0, 'S', 0)},
			[]procReading{noIO(reading(7, 500, 0, 0, 'S', 0))},
			[]cpu{{7, 0, 0, nil, nil, 5}}},
		{"io unreadable before", []procReading{noIO(reading(7, 500, 0, 0, 'S', 0))},
			[]procReading{reading(7, 500, 0, 0, 'S', 0)},
			[]cpu{{7, 0, 0, nil, nil, 5}}},
		{"new process without io", nil,
			[]procReading{noIO(reading(8, afterPrev, 0, 0, 'S', 0))},
			[]cpu{{8, 0, 0, nil, nil, 1000}}},
		{"counters backwards", []procReading{withIO(reading(7, 500, 100, 100, 'S', 0), 100, 100)},
			[]procReading{withIO(reading(7, 500, 50, 50, 'S', 0), 50, 200)},
			[]cpu{{7, 0, 0, nil, nil, 5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			prev := map[int32]procReading{}
			for _, p := range tt.prev {
				prev[p.pid] = p
			}
			var b schema.Batch
			appendProcessRows(&b, iv, prev, tt.cur, user, nil)
			var got []cpu
			for _, r := range b.Process {
				got = append(got, cpu{r.PID, r.CPUUserPct, r.CPUSystemPct, r.ReadBytesPerS, r.WriteBytesPerS,
					(r.StartTime - schema.Micros(fixtureBoot)) / 1e6})
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(cpu{})); diff != "" {
				t.Errorf("rows mismatch (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("counts and users", func(t *testing.T) {
		var cur []procReading
		states := "RSDZTtIXWP"
		for i, s := range []byte(states) {
			p := reading(int32(100+i), 500, 0, 0, s, uint32(i%4))
			p.threads = int32(i + 1)
			p.rssPages = 1
			cur = append(cur, p)
		}
		prev := map[int32]procReading{}
		for _, p := range cur {
			p.utime, p.stime = 0, 0
			prev[p.pid] = p
		}
		cur[0].utime = 10 // R, uid 0: 1%
		cur[2].stime = 20 // D, uid 2: 2%
		cur[3].utime = 30 // Z, uid 3: 3%
		var b schema.Batch
		b.ProcUser = []schema.ProcUserRow{{User: "earlier sample"}}
		appendProcessRows(&b, iv, prev, cur, user, nil)
		wantCount := []schema.ProcCountRow{{Time: iv.time, Total: 10, Threads: 55, Running: 1, Sleeping: 1,
			DiskSleep: 1, Zombie: 1, Stopped: 1, TracingStop: 1, Idle: 1, Dead: 1, Other: 2}}
		if diff := cmp.Diff(wantCount, b.ProcCount); diff != "" {
			t.Errorf("count mismatch (-want +got):\n%s", diff)
		}
		// uid 0: pids 100,104,108 (threads 1+5+9); uid 1 "zed": 101,105,109 (2+6+10);
		// uids 2 and 3 are both "amy": 102,106 + 103,107 (3+7+4+8).
		wantUsers := []schema.ProcUserRow{
			{User: "earlier sample"},
			{Time: iv.time, User: "amy", Processes: 4, Threads: 22, CPUPct: 500, RSSBytes: 4 * 4096},
			{Time: iv.time, User: "root", Processes: 3, Threads: 15, CPUPct: 100, RSSBytes: 3 * 4096},
			{Time: iv.time, User: "zed", Processes: 3, Threads: 18, CPUPct: 0, RSSBytes: 3 * 4096},
		}
		if diff := cmp.Diff(wantUsers, b.ProcUser); diff != "" {
			t.Errorf("users mismatch (-want +got):\n%s", diff)
		}
		var states2 []string
		for _, r := range b.Process {
			states2 = append(states2, r.State)
		}
		if got := strings.Join(states2, ""); got != states {
			t.Errorf("states = %q, want %q", got, states)
		}
	})
}

func TestProcStateName(t *testing.T) {
	for _, tt := range []struct {
		in   byte
		want string
	}{{'R', "R"}, {'t', "t"}, {'I', "I"}, {'z', "z"}, {'A', "A"}, {'0', "?"}, {0xff, "?"}, {'{', "?"}} {
		if got := procStateName(tt.in); got != tt.want {
			t.Errorf("procStateName(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestAppendDirentPIDs(t *testing.T) {
	var b []byte
	add := func(name string) {
		reclen := (19 + len(name) + 1 + 7) &^ 7
		rec := make([]byte, reclen)
		binary.NativeEndian.PutUint16(rec[16:18], uint16(reclen))
		copy(rec[19:], name)
		b = append(b, rec...)
	}
	for _, n := range []string{".", "..", "1", "self", "4242", "12a", "0", "2147483647", "2147483648", "99999999999999999999", "thread-self", "7"} {
		add(n)
	}
	got := appendDirentPIDs(b, nil)
	if diff := cmp.Diff([]int32{1, 4242, 2147483647, 7}, got); diff != "" {
		t.Errorf("appendDirentPIDs mismatch (-want +got):\n%s", diff)
	}
	// A truncated or corrupt buffer ends the scan without a panic.
	if got := appendDirentPIDs(b[:30], nil); len(got) > 1 {
		t.Errorf("truncated buffer gave %v", got)
	}
	bad := slices.Clone(b)
	binary.NativeEndian.PutUint16(bad[16:18], 3)
	if got := appendDirentPIDs(bad, nil); len(got) != 0 {
		t.Errorf("reclen 3 gave %v", got)
	}
}

// The collector on this machine's /proc: this test process is there with
// its own pid, name and user, and the tables agree with each other.
func TestProcessCollectorLive(t *testing.T) {
	pfs, err := procfs.NewFS("/proc")
	if err != nil {
		t.Fatal(err)
	}
	stat, err := pfs.Stat()
	if err != nil {
		t.Fatal(err)
	}
	boot := time.Unix(int64(stat.BootTime), 0)
	src := Source{ProcPath: "/proc", RootFS: "/"}
	c := newProcessCollector(true, discardLog())

	t0 := time.Now()
	var first schema.Batch
	if err := c.Collect(src, Tick{Now: t0, Time: schema.Micros(t0), First: true, BootTime: boot}, &first); err != nil {
		t.Fatal(err)
	}
	if n := first.Rows(); n != 0 {
		t.Errorf("first reading appended %d rows, want 0", n)
	}
	// Burn CPU until the kernel has counted two more ticks for this process.
	ticks := func() uint64 {
		data, err := os.ReadFile("/proc/self/stat")
		if err != nil {
			t.Fatal(err)
		}
		s, err := parseProcStat(data)
		if err != nil {
			t.Fatal(err)
		}
		return s.UTime + s.STime
	}
	for until, x := ticks()+2, 0; ticks() < until; {
		for range 100000 {
			x = x*31 + 7
		}
		burn = x
	}
	t1 := time.Now()
	b := &schema.Batch{Time: t1}
	if err := c.Collect(src, Tick{Now: t1, Time: schema.Micros(t1), Interval: t1.Sub(t0), BootTime: boot}, b); err != nil {
		t.Fatal(err)
	}

	if len(b.ProcCount) != 1 {
		t.Fatalf("%d proc_count rows, want 1", len(b.ProcCount))
	}
	n := b.ProcCount[0]
	states := n.Running + n.Sleeping + n.DiskSleep + n.Zombie + n.Stopped + n.TracingStop + n.Idle + n.Dead + n.Other
	if states != n.Total || int(n.Total) != len(b.Process) {
		t.Errorf("states sum to %d, total %d, %d process rows: want all equal", states, n.Total, len(b.Process))
	}
	var threads, userProcs, userThreads int32
	for _, r := range b.Process {
		threads += r.Threads
		if r.Time != schema.Micros(t1) || r.PID <= 0 || r.Threads <= 0 || r.CPUUserPct < 0 || r.CPUSystemPct < 0 ||
			r.StartTime < schema.Micros(boot)-1e6 || r.StartTime > schema.Micros(t1)+1e6 || len(r.State) != 1 {
			t.Errorf("implausible row %+v", r)
		}
		if (r.ReadBytesPerS == nil) != (r.WriteBytesPerS == nil) {
			t.Errorf("pid %d: only one I/O rate is null", r.PID)
		}
	}
	for _, u := range b.ProcUser {
		userProcs += u.Processes
		userThreads += u.Threads
	}
	if threads != n.Threads || userThreads != n.Threads || userProcs != n.Total {
		t.Errorf("threads: rows %d, count %d, users %d; processes: users %d, count %d",
			threads, n.Threads, userThreads, userProcs, n.Total)
	}
	if !slices.IsSortedFunc(b.ProcUser, func(x, y schema.ProcUserRow) int { return strings.Compare(x.User, y.User) }) {
		t.Errorf("proc_user rows not sorted by user")
	}

	// This process.
	comm, err := os.ReadFile("/proc/self/comm")
	if err != nil {
		t.Fatal(err)
	}
	me, err := user.LookupId(strconv.Itoa(os.Geteuid()))
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(b.Process, func(r schema.ProcessRow) bool { return r.PID == int32(os.Getpid()) })
	if i < 0 {
		t.Fatalf("pid %d (this test) missing from the process table", os.Getpid())
	}
	r := b.Process[i]
	if r.Comm != strings.TrimSuffix(string(comm), "\n") || r.PPID != int32(os.Getppid()) || r.User != me.Username ||
		r.RSSBytes <= 0 || r.VSizeBytes <= 0 || r.Cmdline == nil || *r.Cmdline == "" || r.CPUUserPct+r.CPUSystemPct <= 0 {
		t.Errorf("this process: %+v; want comm %q, ppid %d, user %q, some memory, a cmdline and some CPU",
			r, comm, os.Getppid(), me.Username)
	}
	if r.ReadBytesPerS == nil {
		t.Errorf("this process: I/O rates null, but its own io file is readable")
	}

	// Pid 1: its io file may be refused even to root (no CAP_SYS_PTRACE
	// over it); the row is then kept with null I/O rates.
	if i := slices.IndexFunc(b.Process, func(r schema.ProcessRow) bool { return r.PID == 1 }); i >= 0 {
		_, err := os.ReadFile("/proc/1/io")
		null := b.Process[i].ReadBytesPerS == nil
		switch {
		case errors.Is(err, fs.ErrPermission) && !null:
			t.Errorf("pid 1: /proc/1/io is refused (%v) but the row has I/O rates", err)
		case err == nil && null:
			t.Errorf("pid 1: /proc/1/io is readable but the row has null I/O rates")
		}
	}
}

// btime moves by a second now and then (the kernel derives it from the
// wall clock, which NTP steers): start times, part of a process's
// identity, must not move with it.
func TestProcessCollectorBootJitter(t *testing.T) {
	c := newProcessCollector(false, nil)
	c.pageSize = 4096
	src := func(dir string) Source { return Source{ProcPath: dir, RootFS: "testdata/rootfs"} }
	if err := c.Collect(src("testdata/proc-prev"), fixtureTick(fixturePrev, true), &schema.Batch{}); err != nil {
		t.Fatal(err)
	}
	tick := fixtureTick(fixtureNow, false)
	tick.BootTime = fixtureBoot.Add(time.Second)
	var b schema.Batch
	if err := c.Collect(src("testdata/proc"), tick, &b); err != nil {
		t.Fatal(err)
	}
	want := wantFixtureRows(ownerName(t, "testdata/proc/1"))
	if diff := cmp.Diff(want, b.Process); diff != "" {
		t.Errorf("rows after a 1 s btime jitter mismatch (-want +got):\n%s", diff)
	}

	// A reboot (a first reading with a new boot time) takes the new one.
	reboot := fixtureBoot.Add(time.Hour)
	tick = Tick{Now: reboot.Add(time.Minute), Time: schema.Micros(reboot.Add(time.Minute)), First: true, BootTime: reboot}
	if err := c.Collect(src("testdata/proc"), tick, &schema.Batch{}); err != nil {
		t.Fatal(err)
	}
	if !c.boot.Equal(reboot) {
		t.Errorf("boot time after a reboot = %v, want %v", c.boot, reboot)
	}
}
