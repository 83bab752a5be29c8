package fleetgen

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"

	"almanac/archive"
	"almanac/schema"
)

var now = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

func TestGenerate(t *testing.T) {
	dir := t.TempDir()
	o := Options{Dir: dir, Hosts: 5, Days: 2, Every: time.Minute, Processes: 5, ProcDays: 1, Templates: 4, Now: now}
	if err := Generate(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	st, err := archive.Open(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	hosts, err := st.Hosts()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"host0000", "host0001", "host0002", "host0003", "host0004"}
	if !slices.Equal(hosts, want) {
		t.Fatalf("hosts = %v, want %v", hosts, want)
	}
	from, to := now.AddDate(0, 0, -3), now.Add(time.Hour)

	// The crash: two boot times. The stopped sampler: a gap of 3 hours
	// with one boot time.
	boots := func(h string) []float64 {
		f, err := st.Scan(schema.TableSystem, h, from, to, "boot_time")
		if err != nil {
			t.Fatal(err)
		}
		return slices.Compact(slices.Clone(f.Num["boot_time"]))
	}
	if b := boots("host0000"); len(b) != 2 {
		t.Errorf("the crashing host has boot times %v, want 2", b)
	}
	if b := boots("host0001"); len(b) != 1 {
		t.Errorf("the stopped host has boot times %v, want 1", b)
	}
	f, err := st.Scan(schema.TableSystem, "host0001", from, to)
	if err != nil {
		t.Fatal(err)
	}
	var gap int64
	for i := 1; i < f.Len(); i++ {
		gap = max(gap, f.Time[i]-f.Time[i-1])
	}
	if gap < (3 * time.Hour).Microseconds() {
		t.Errorf("the stopped host's longest gap is %v, want 3 h", time.Duration(gap)*time.Microsecond)
	}
	// The OOM kill.
	m, err := st.Scan(schema.TableMemory, "host0002", from, to, "oom_kills")
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(m.Num["oom_kills"], 1) {
		t.Error("the OOM host has no OOM kill")
	}
	// The filling /var: over 95 % at the end.
	fs, err := st.Scan(schema.TableFilesystem, "host0003", now.Add(-time.Hour), to, "mountpoint", "used_bytes", "size_bytes")
	if err != nil {
		t.Fatal(err)
	}
	var last float64
	for i := range fs.Len() {
		if fs.Str["mountpoint"][i] == "/var" {
			last = fs.Num["used_bytes"][i] / fs.Num["size_bytes"][i]
		}
	}
	if last < 0.95 {
		t.Errorf("/var of the filling host is %.0f %% full at the end, want over 95 %%", last*100)
	}

	// The clone: hard links to its template's files, its own host table.
	var linked, own int
	err = filepath.WalkDir(filepath.Join(dir, "cpu", "host=host0004"), func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(filepath.Join(dir, "cpu", "host=host0004"), p)
		a, _ := os.Stat(p)
		b, err := os.Stat(filepath.Join(dir, "cpu", "host=host0000", rel))
		if err != nil {
			return err
		}
		if a.Sys().(*syscall.Stat_t).Ino == b.Sys().(*syscall.Stat_t).Ino {
			linked++
		}
		return nil
	})
	if err != nil || linked == 0 {
		t.Errorf("the clone's cpu files: %d hard links to its template's (%v)", linked, err)
	}
	h, err := st.Scan(schema.TableHost, "host0004", from, to, "hostname")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range h.Str["hostname"] {
		if n != "host0004" {
			t.Errorf("the clone's hostname fact is %q", n)
		}
		own++
	}
	if own == 0 {
		t.Error("the clone has no host table")
	}
	if b := boots("host0004"); len(b) != 2 {
		t.Errorf("the clone of the crashing host has boot times %v, want 2", b)
	}

	// A second run keeps what is there.
	before, _ := os.Stat(filepath.Join(dir, ".fleetgen-host0004"))
	if err := Generate(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	after, _ := os.Stat(filepath.Join(dir, ".fleetgen-host0004"))
	if !before.ModTime().Equal(after.ModTime()) {
		t.Error("a second run wrote the complete clone again")
	}
}

// TestGenerateCustom checks that Custom gives every host custom metrics,
// and that without it there are none.
func TestGenerateCustom(t *testing.T) {
	for _, custom := range []bool{false, true} {
		dir := t.TempDir()
		o := Options{Dir: dir, Hosts: 2, Days: 1, Every: 10 * time.Minute, Processes: 1, ProcDays: 1, Templates: 1, Now: now, Custom: custom}
		if err := Generate(context.Background(), o); err != nil {
			t.Fatal(err)
		}
		st, err := archive.Open(dir, slog.New(slog.DiscardHandler))
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range []string{"host0000", "host0001"} {
			f, err := st.Scan(schema.TableCustom, h, now.AddDate(0, 0, -2), now.Add(time.Hour), "metric")
			if got := err == nil && f.Len() > 0; got != custom {
				t.Errorf("Custom %t: %s has custom rows: %t (%v)", custom, h, got, err)
			}
		}
		st.Close()
	}
}

func TestOptionsErrors(t *testing.T) {
	for _, o := range []Options{{Now: now}, {Dir: t.TempDir()}} {
		if err := Generate(context.Background(), o); err == nil {
			t.Errorf("Generate(%+v) = nil, want an error", o)
		}
	}
}
