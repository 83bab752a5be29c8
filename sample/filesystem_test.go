//go:build linux

package sample

import (
	"almanac/schema"
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"golang.org/x/sys/unix"
)

func TestParseMountinfo(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []mountEntry
		wantErr bool
	}{
		{
			name: "optional fields and escapes",
			in:   "53 27 254:16 /sub /data\\040disk ro,relatime shared:7 master:1 - xfs /dev/my\\040vdb rw,attr2\n",
			want: []mountEntry{{dev: "254:16", root: "/sub", mountpoint: "/data disk", fstype: "xfs",
				source: "/dev/my vdb", readOnly: true}},
		},
		{
			name: "read-only superblock, no optional fields, no final newline",
			in:   "27 1 254:0 / / rw,relatime - ext4 /dev/vda ro,discard",
			want: []mountEntry{{dev: "254:0", root: "/", mountpoint: "/", fstype: "ext4", source: "/dev/vda", readOnly: true}},
		},
		{
			name: "an option that only starts with ro",
			in:   "27 1 254:0 / / rw,rootcontext=x - ext4 /dev/vda rw,rootflags\n",
			want: []mountEntry{{dev: "254:0", root: "/", mountpoint: "/", fstype: "ext4", source: "/dev/vda"}},
		},
		{
			name:    "no separator: the line is skipped, the others kept",
			in:      "1 0 8:1 / /a rw shared:1\n2 0 8:2 / /b rw - ext4 /dev/sdb rw\n",
			want:    []mountEntry{{dev: "8:2", root: "/", mountpoint: "/b", fstype: "ext4", source: "/dev/sdb"}},
			wantErr: true,
		},
		{name: "too few fields", in: "1 0 8:1 /\n", wantErr: true},
		{name: "no source", in: "1 0 8:1 / /a rw - ext4\n", wantErr: true},
		{name: "mount id not a number", in: "x 0 8:1 / /a rw - ext4 /dev/sda rw\n", wantErr: true},
		{name: "device without a colon", in: "1 0 81 / /a rw - ext4 /dev/sda rw\n", wantErr: true},
		{name: "empty", in: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseMountinfo([]byte(tt.in), nil)
			if (err != nil) != tt.wantErr {
				t.Errorf("parseMountinfo() error = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(mountEntry{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("parseMountinfo() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUnescapeMount(t *testing.T) {
	for in, want := range map[string]string{
		`/plain`:                     "/plain",
		`/a\040b`:                    "/a b",
		`/tab\011nl\012bs\134`:       "/tab\tnl\nbs\\",
		`/short\04`:                  `/short\04`,
		`/end\`:                      `/end\`,
		`/big\400`:                   `/big\400`,
		`/high\377`:                  "/high\xff",
		`/not\08x`:                   `/not\08x`,
		`/<script>alert(1)</script>`: "/<script>alert(1)</script>",
	} {
		if got := unescapeMount([]byte(in)); got != want {
			t.Errorf("unescapeMount(%q) = %q, want %q", in, got, want)
		}
	}
}

func FuzzParseMountinfo(f *testing.F) {
	b, err := os.ReadFile("testdata/proc/1/mountinfo")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Add([]byte("1 0 8:1 / /a\\04 rw - ext4 /dev/sda rw\n"))
	f.Add([]byte("1 0 8:1 / /a rw - -\n- - - - - - - - -\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, _ := parseMountinfo(data, nil)
		for _, m := range got {
			if m.mountpoint == "" || m.fstype == "" || m.source == "" || !strings.Contains(m.dev, ":") {
				t.Errorf("incomplete mount %+v from %q", m, data)
			}
		}
		sel := selectMounts(got)
		if len(sel) > len(got) {
			t.Errorf("selected %d of %d mounts", len(sel), len(got))
		}
		seen := map[string]bool{}
		for _, m := range sel {
			if seen[m.dev] {
				t.Errorf("device %s selected twice", m.dev)
			}
			seen[m.dev] = true
		}
	})
}

func fixtureMounts(t *testing.T) []mountEntry {
	t.Helper()
	b, err := os.ReadFile("testdata/proc/1/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	all, err := parseMountinfo(b, nil)
	if err != nil {
		t.Fatal(err)
	}
	return all
}

// fixtureSelected are the mount points the fixture's mount table reports:
// no kernel or container trees, no pseudo filesystems, /home is a bind
// mount of / and /mnt/over is mounted twice.
var fixtureSelected = []string{"/", "/run", "/boot", "/data disk", "/mnt/<script>alert(1)</script>",
	"/mnt/nfs", "/evil", "/../../../etc", "/mnt/over", "/media/usb\ttab\\back", "/mnt/\xffbad", "/mnt/empty"}

func TestSelectMounts(t *testing.T) {
	var got []string
	sel := selectMounts(fixtureMounts(t))
	for _, m := range sel {
		got = append(got, m.mountpoint)
	}
	if diff := cmp.Diff(fixtureSelected, got); diff != "" {
		t.Errorf("selectMounts() mismatch (-want +got):\n%s", diff)
	}
	for _, m := range sel {
		if m.mountpoint == "/mnt/over" && m.source != "/dev/vdg" {
			t.Errorf("/mnt/over is %s, want the top mount /dev/vdg", m.source)
		}
	}

	// A bind mount of part of a filesystem that comes first loses to the
	// mount of the whole; between two whole mounts the shorter path wins.
	tests := []struct {
		name string
		in   []mountEntry
		want []string
	}{
		{
			name: "whole filesystem wins over a bind of a folder",
			in:   []mountEntry{{dev: "8:1", root: "/srv", mountpoint: "/a"}, {dev: "8:1", root: "/", mountpoint: "/data/long"}},
			want: []string{"/data/long"},
		},
		{
			name: "shortest mount point wins",
			in:   []mountEntry{{dev: "8:1", root: "/", mountpoint: "/x/y"}, {dev: "8:1", root: "/", mountpoint: "/x"}},
			want: []string{"/x"},
		},
		{
			name: "a tie keeps the first",
			in:   []mountEntry{{dev: "8:1", root: "/", mountpoint: "/b"}, {dev: "8:1", root: "/", mountpoint: "/a"}},
			want: []string{"/b"},
		},
		{
			name: "a folder that only starts like a skipped tree is kept",
			in:   []mountEntry{{dev: "8:1", root: "/", mountpoint: "/developer"}, {dev: "8:2", root: "/", mountpoint: "/sys2"}},
			want: []string{"/developer", "/sys2"},
		},
		{
			name: "a relative mount point is not a host path",
			in:   []mountEntry{{dev: "8:1", root: "/", mountpoint: "relative"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, m := range selectMounts(tt.in) {
				got = append(got, m.mountpoint)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("selectMounts() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFilesystemRow(t *testing.T) {
	m := mountEntry{dev: "8:1", mountpoint: "/a\xff", fstype: "ext4", source: "/dev/sda1", readOnly: true}
	tests := []struct {
		name string
		st   unix.Statfs_t
		want schema.FilesystemRow
		ok   bool
	}{
		{
			name: "a filesystem",
			st:   unix.Statfs_t{Blocks: 1000, Bfree: 400, Bavail: 350, Frsize: 4096, Bsize: 8192, Files: 100, Ffree: 30},
			want: schema.FilesystemRow{Time: 5, Mountpoint: `/a\xff`, Device: "/dev/sda1", FSType: "ext4", SizeBytes: 4096000,
				UsedBytes: 2457600, AvailBytes: 1433600, InodesTotal: 100, InodesUsed: 70, ReadOnly: true},
			ok: true,
		},
		{
			name: "no fragment size: the block size",
			st:   unix.Statfs_t{Blocks: 10, Bfree: 10, Bavail: 10, Bsize: 512},
			want: schema.FilesystemRow{Time: 5, Mountpoint: `/a\xff`, Device: "/dev/sda1", FSType: "ext4", SizeBytes: 5120,
				AvailBytes: 5120, ReadOnly: true},
			ok: true,
		},
		{
			name: "more free than total (a racing update) and no inode counts",
			st:   unix.Statfs_t{Blocks: 10, Bfree: 11, Bavail: 11, Frsize: 1, Files: 0, Ffree: 5},
			want: schema.FilesystemRow{Time: 5, Mountpoint: `/a\xff`, Device: "/dev/sda1", FSType: "ext4", SizeBytes: 10,
				AvailBytes: 11, ReadOnly: true},
			ok: true,
		},
		{
			name: "sizes beyond int64 are capped",
			st:   unix.Statfs_t{Blocks: 1 << 62, Frsize: 1 << 20, Files: 1 << 63},
			want: schema.FilesystemRow{Time: 5, Mountpoint: `/a\xff`, Device: "/dev/sda1", FSType: "ext4", SizeBytes: 1<<63 - 1,
				UsedBytes: 1<<63 - 1, InodesTotal: 1<<63 - 1, InodesUsed: 1<<63 - 1, ReadOnly: true},
			ok: true,
		},
		{name: "no blocks: a dummy filesystem", st: unix.Statfs_t{Frsize: 4096, Files: 10}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := filesystemRow(m, &tt.st, 5)
			if ok != tt.ok {
				t.Fatalf("filesystemRow() ok = %v, want %v", ok, tt.ok)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("filesystemRow() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// fakeStatfs answers statfs for mount points: block on blocked, fail on
// failing, no blocks for empty; every other mount point has fakeFS.
type fakeStatfs struct {
	mu      sync.Mutex
	calls   map[string]int
	blocked string
	release chan struct{}
	failing string
	empty   string
}

var fakeFS = unix.Statfs_t{Blocks: 100, Bfree: 40, Bavail: 30, Frsize: 4096, Files: 10, Ffree: 4}

func (f *fakeStatfs) statfs(path string, st *unix.Statfs_t) error {
	f.mu.Lock()
	f.calls[path]++
	f.mu.Unlock()
	switch path {
	case f.blocked:
		<-f.release
	case f.failing:
		return unix.EIO
	case f.empty:
		*st = unix.Statfs_t{}
		return nil
	}
	*st = fakeFS
	return nil
}

func (f *fakeStatfs) count(path string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[path]
}

func mountpoints(rows []schema.FilesystemRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.Mountpoint)
	}
	return out
}

// A statfs that blocks (a dead NFS server) costs one timeout, then the
// mount is left out without a new call until the blocked call returns.
func TestFilesystemCollectorStuckMount(t *testing.T) {
	fake := &fakeStatfs{calls: map[string]int{}, blocked: "/mnt/nfs", release: make(chan struct{}),
		failing: "/evil", empty: "/mnt/empty"}
	var logs bytes.Buffer
	c := &filesystemCollector{
		log:     slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		statfs:  fake.statfs,
		timeout: 50 * time.Millisecond,
	}
	src := openSource(t, "testdata/proc", "testdata/sys", "/")
	tk := firstTick(fixtureEpoch)
	collect := func() []schema.FilesystemRow {
		t.Helper()
		b := &schema.Batch{}
		if err := c.Collect(src, tk, b); err != nil {
			t.Fatal(err)
		}
		tk = laterTick(tk, tk.Now.Add(10*time.Second))
		return b.Filesystem
	}
	if rows := collect(); len(rows) != 0 || len(fake.calls) != 0 {
		t.Errorf("first reading: %d rows and %d statfs calls, want none", len(rows), len(fake.calls))
	}
	var healthy []string // every mount but the blocked, failing and empty ones
	for _, mp := range fixtureSelected {
		if mp != "/mnt/nfs" && mp != "/evil" && mp != "/mnt/empty" {
			healthy = append(healthy, strings.ToValidUTF8(mp, `\xff`))
		}
	}
	rows := collect()
	if diff := cmp.Diff(healthy, mountpoints(rows)); diff != "" {
		t.Errorf("with a stuck mount (-want +got):\n%s", diff)
	}
	if got, want := rows[0], (schema.FilesystemRow{Time: rows[0].Time, Mountpoint: "/", Device: "/dev/vda", FSType: "ext4",
		SizeBytes: 409600, UsedBytes: 245760, AvailBytes: 122880, InodesTotal: 10, InodesUsed: 6, Disk: "vda"}); got != want {
		t.Errorf("row of / = %+v, want %+v", got, want)
	}
	if diff := cmp.Diff(healthy, mountpoints(collect())); diff != "" {
		t.Errorf("still stuck (-want +got):\n%s", diff)
	}
	if n := fake.count("/mnt/nfs"); n != 1 {
		t.Errorf("statfs of the stuck mount called %d times, want 1", n)
	}
	close(fake.release)
	<-c.stuck["/mnt/nfs"].done
	rows = collect()
	if !strings.Contains(strings.Join(mountpoints(rows), "|"), "|/mnt/nfs|") {
		t.Errorf("the mount that came back has no row: %v", mountpoints(rows))
	}
	if n := fake.count("/mnt/nfs"); n != 2 {
		t.Errorf("statfs of the mount that came back called %d times, want 2", n)
	}
	if n := strings.Count(logs.String(), "statfs failed"); n != 1 {
		t.Errorf("failing statfs logged %d times over 3 samples, want once:\n%s", n, logs.String())
	}
	if n := strings.Count(logs.String(), "statfs timed out"); n != 1 {
		t.Errorf("timeout logged %d times, want once:\n%s", n, logs.String())
	}
}

// With a root filesystem other than /, mount points are looked up inside
// it: ".." and symbolic links cannot lead out. The fixture's mount points
// are folders of a temporary root, so every statfs gives the figures of
// the filesystem holding it.
func TestFilesystemCollectorRootFS(t *testing.T) {
	root := t.TempDir()
	for _, mp := range fixtureSelected {
		if mp == "/evil" || mp == "/boot" || mp == "/../../../etc" {
			continue
		}
		if err := os.MkdirAll(filepath.Join(root, mp), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// Escapes: an absolute and a relative link to kernel trees outside the root.
	if err := os.Symlink("/proc", filepath.Join(root, "evil")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../../../../../../../sys", filepath.Join(root, "boot")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"evil", "boot"} {
		if _, err := os.Stat(filepath.Join(root, p)); err != nil {
			t.Fatalf("the escape %s does not lead out of the root, so the test proves nothing: %v", p, err)
		}
	}
	var st unix.Statfs_t
	if err := unix.Statfs(root, &st); err != nil {
		t.Fatal(err)
	}
	c := &filesystemCollector{log: slog.New(slog.DiscardHandler)}
	src := openSource(t, "testdata/proc", "testdata/sys", root)
	t1 := firstTick(fixtureEpoch)
	if err := c.Collect(src, t1, &schema.Batch{}); err != nil {
		t.Fatal(err)
	}
	b := &schema.Batch{}
	if err := c.Collect(src, laterTick(t1, fixtureEpoch.Add(time.Second)), b); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, mp := range fixtureSelected {
		if mp != "/evil" && mp != "/boot" && mp != "/../../../etc" {
			want = append(want, strings.ToValidUTF8(mp, `\xff`))
		}
	}
	if diff := cmp.Diff(want, mountpoints(b.Filesystem)); diff != "" {
		t.Errorf("mount points (-want +got):\n%s", diff)
	}
	size := int64(st.Blocks) * st.Frsize
	for _, r := range b.Filesystem {
		if r.SizeBytes != size || r.InodesTotal != int64(st.Files) || r.UsedBytes > r.SizeBytes || r.AvailBytes > r.SizeBytes {
			t.Errorf("row %+v: want the size %d and %d inodes of the root's filesystem", r, size, st.Files)
		}
		if want := r.Mountpoint == "/data disk" || r.Mountpoint == "/mnt/over"; r.ReadOnly != want {
			t.Errorf("%s read-only = %v, want %v", r.Mountpoint, r.ReadOnly, want)
		}
	}
}

// Without a readable /proc/1/mountinfo the collector reads the mount table
// of its own process.
func TestFilesystemCollectorSelfMountinfo(t *testing.T) {
	proc := t.TempDir()
	b, err := os.ReadFile("testdata/proc/1/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(proc, "self"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(proc, "self", "mountinfo"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	fake := &fakeStatfs{calls: map[string]int{}}
	c := &filesystemCollector{statfs: fake.statfs}
	src := openSource(t, proc, "testdata/sys", "/")
	t1 := firstTick(fixtureEpoch)
	if err := c.Collect(src, t1, &schema.Batch{}); err != nil {
		t.Fatal(err)
	}
	batch := &schema.Batch{}
	if err := c.Collect(src, laterTick(t1, fixtureEpoch.Add(time.Second)), batch); err != nil {
		t.Fatal(err)
	}
	if got, want := len(batch.Filesystem), len(fixtureSelected); got != want {
		t.Errorf("%d rows from self/mountinfo, want %d", got, want)
	}

	// Neither file: an error, no rows.
	c = &filesystemCollector{statfs: fake.statfs}
	if err := c.Collect(openSource(t, t.TempDir(), "testdata/sys", "/"), t1, &schema.Batch{}); err == nil {
		t.Error("Collect without a mount table: no error")
	}
}

// On this machine: / is a real filesystem and kernel trees are left out.
func TestFilesystemCollectorLive(t *testing.T) {
	b := collectLive(t, &filesystemCollector{log: slog.New(slog.DiscardHandler)}, nil)
	var root *schema.FilesystemRow
	for i, r := range b.Filesystem {
		if r.Mountpoint == "/" {
			root = &b.Filesystem[i]
		}
		if inSkippedTree(r.Mountpoint) || pseudoFS[r.FSType] {
			t.Errorf("pseudo or kernel filesystem reported: %+v", r)
		}
		if r.SizeBytes <= 0 || r.UsedBytes < 0 || r.UsedBytes > r.SizeBytes || r.AvailBytes < 0 ||
			r.InodesUsed > r.InodesTotal {
			t.Errorf("implausible row: %+v", r)
		}
	}
	if root == nil {
		t.Fatalf("no row for / in %+v", b.Filesystem)
	}
	var st unix.Statfs_t
	if err := unix.Statfs("/", &st); err != nil {
		t.Fatal(err)
	}
	if got, want := root.SizeBytes, int64(st.Blocks)*st.Frsize; got != want {
		t.Errorf("size of / = %d, want %d", got, want)
	}
}

// BenchmarkCollectFilesystem measures one reading of this machine's mount
// table and a statfs of each filesystem; BenchmarkReadMountsStatfs is its
// floor: reading the table and calling statfs on the same mount points.
//
//	go test ./sample -run '^$' -bench 'Filesystem|MountsStatfs' -benchmem
func BenchmarkCollectFilesystem(b *testing.B) {
	src := openSource(b, "/proc", "/sys", "/")
	c := &filesystemCollector{log: slog.New(slog.DiscardHandler)}
	t := firstTick(time.Now())
	if err := c.Collect(src, t, &schema.Batch{}); err != nil {
		b.Fatal(err)
	}
	batch := &schema.Batch{}
	b.ReportAllocs()
	for b.Loop() {
		t = laterTick(t, t.Now.Add(time.Second))
		batch.Filesystem = batch.Filesystem[:0]
		if err := c.Collect(src, t, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(batch.Filesystem)), "mounts")
}

func BenchmarkReadMountsStatfs(b *testing.B) {
	c := &filesystemCollector{}
	if err := c.readTable(openSource(b, "/proc", "/sys", "/")); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, 64<<10)
	var st unix.Statfs_t
	b.ReportAllocs()
	for b.Loop() {
		f, err := os.Open("/proc/1/mountinfo")
		if err != nil {
			b.Fatal(err)
		}
		for {
			n, err := f.Read(buf)
			if n == 0 || err != nil {
				break
			}
		}
		f.Close()
		for _, m := range c.mounts {
			unix.Statfs(m.mountpoint, &st)
		}
	}
}

// A mount made after the first reading is seen at the next one: procfs
// signals the change through poll(2). The test mounts a tmpfs in a mount
// namespace of its own thread, so the host's mount table is not touched,
// and reads that thread's table through a proc tree whose "1" is
// /proc/thread-self.
func TestFilesystemCollectorSeesNewMount(t *testing.T) {
	done := make(chan struct{})
	var skip error
	go func() {
		defer close(done)
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		if err := unix.Unshare(unix.CLONE_NEWNS); err != nil {
			skip = err
			return
		}
		if err := unix.Mount("", "/", "", unix.MS_PRIVATE|unix.MS_REC, ""); err != nil {
			t.Errorf("make mounts private: %v", err)
			return
		}
		proc := t.TempDir()
		if err := os.Symlink("/proc/thread-self", filepath.Join(proc, "1")); err != nil {
			t.Error(err)
			return
		}
		mp := filepath.Join(t.TempDir(), "new mount")
		if err := os.Mkdir(mp, 0o755); err != nil {
			t.Error(err)
			return
		}
		c := &filesystemCollector{log: slog.New(slog.DiscardHandler)}
		src := openSource(t, proc, "/sys", "/")
		tk := firstTick(time.Now())
		collect := func() []schema.FilesystemRow {
			b := &schema.Batch{}
			if err := c.Collect(src, tk, b); err != nil {
				t.Error(err)
			}
			tk = laterTick(tk, tk.Now.Add(time.Second))
			return b.Filesystem
		}
		has := func(rows []schema.FilesystemRow) bool {
			for _, r := range rows {
				// Only the table is per thread: statfs runs on other threads, in
				// the process's namespace, so the size is not the tmpfs's.
				if r.Mountpoint == mp && r.FSType == "tmpfs" && r.Device == "almanac-test" {
					return true
				}
			}
			return false
		}
		collect()
		if !c.tableProc {
			t.Errorf("%s/1/mountinfo not recognised as a procfs file", proc)
		}
		if has(collect()) {
			t.Errorf("row for %s before it was mounted", mp)
		}
		if err := unix.Mount("almanac-test", mp, "tmpfs", 0, "size=1m"); err != nil {
			t.Errorf("mount tmpfs: %v", err)
			return
		}
		if !has(collect()) {
			t.Errorf("no row for the new mount %s", mp)
		}
		if err := unix.Unmount(mp, 0); err != nil {
			t.Errorf("unmount: %v", err)
		}
		if has(collect()) {
			t.Errorf("row for %s after it was unmounted", mp)
		}
	}()
	<-done
	if skip != nil {
		t.Skipf("no mount namespace for this test (needs CAP_SYS_ADMIN): %v", skip)
	}
}

func TestDiskOf(t *testing.T) {
	tests := []struct {
		name, majmin, want string
	}{
		{"whole disk", "254:0", "vda"},
		{"partition: its disk", "254:1", "vda"},
		{"another disk", "254:16", "vdb"},
		{"partition of sdb", "8:17", "sdb"},
		{"tmpfs has major 0", "0:40", ""},
		{"unknown to sysfs", "254:32", ""},
		{"hostile", "../../../etc", ""},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := diskOf("testdata/sys", tt.majmin); got != tt.want {
				t.Errorf("diskOf(%q) = %q, want %q", tt.majmin, got, tt.want)
			}
		})
	}
}
