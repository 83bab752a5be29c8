//go:build linux

package sample

import (
	"almanac/schema"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func ptr[T any](v T) *T { return &v }

// gpuTicks runs a gpu collector over the sys tree dir for two samples, 10 s
// apart, and returns the rows of the second.
func gpuTicks(t *testing.T, dir string, between func()) []schema.GPURow {
	t.Helper()
	c := &gpuCollector{log: slog.New(slog.DiscardHandler)}
	src := Source{SysPath: dir}
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	var b schema.Batch
	if err := c.Collect(src, Tick{Now: t0, Time: schema.Micros(t0), First: true}, &b); err != nil {
		t.Fatal(err)
	}
	if len(b.GPU) != 0 {
		t.Fatalf("first sample: %d rows, want none", len(b.GPU))
	}
	if between != nil {
		between()
	}
	t1 := t0.Add(10 * time.Second)
	if err := c.Collect(src, Tick{Now: t1, Time: schema.Micros(t1), Interval: 10 * time.Second}, &b); err != nil {
		t.Fatal(err)
	}
	return b.GPU
}

func TestGPUFixtures(t *testing.T) {
	us := schema.Micros(time.Date(2026, 11, 30, 12, 0, 10, 0, time.UTC))
	tests := []struct {
		tree string
		want []schema.GPURow
	}{
		{"amdgpu", []schema.GPURow{
			{Time: us, Card: "card0", Driver: "amdgpu", Name: "0000:03:00.0", BusyPct: ptr[schema.Centi](3700),
				MemUsedBytes: ptr[int64](2147483648), MemTotalBytes: ptr[int64](17163091968), Celsius: ptr[schema.Centi](5100),
				PowerWatts: ptr[schema.Centi](8712), GraphicsMHz: ptr[int64](1950), MemoryMHz: ptr[int64](1000)},
			{Time: us, Card: "card1", Driver: "amdgpu", Name: "0000:0a:00.0", BusyPct: ptr[schema.Centi](500)},
		}},
		{"i915", []schema.GPURow{
			{Time: us, Card: "card0", Driver: "i915", Name: "0000:00:02.0", GraphicsMHz: ptr[int64](300), GraphicsMax: ptr[int64](1300)},
			// energy1_input did not move: 0 W.
			{Time: us, Card: "card1", Driver: "i915", Name: "0000:03:00.0", GraphicsMHz: ptr[int64](2000), GraphicsMax: ptr[int64](2400),
				PowerWatts: ptr[schema.Centi](0)},
		}},
		{"xe", []schema.GPURow{
			{Time: us, Card: "card0", Driver: "xe", Name: "0000:03:00.0", GraphicsMHz: ptr[int64](1750), GraphicsMax: ptr[int64](2450),
				Celsius: ptr[schema.Centi](4800), PowerWatts: ptr[schema.Centi](0)},
		}},
		{"none", nil},
		{"absent", nil},
	}
	for _, tt := range tests {
		t.Run(tt.tree, func(t *testing.T) {
			got := gpuTicks(t, filepath.Join("testdata", "gpu", tt.tree), nil)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("rows (-want +got):\n%s", diff)
			}
		})
	}
}

// TestGPUPowerFromEnergy checks that a card with only an energy counter
// gets its power from the counter's change over the interval.
func TestGPUPowerFromEnergy(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/gpu/xe")); err != nil {
		t.Fatal(err)
	}
	energy := filepath.Join(dir, "class/drm/card0/device/hwmon/hwmon2/energy1_input")
	rows := gpuTicks(t, dir, func() {
		// 5 J to 255 J in 10 s: 25 W.
		if err := os.WriteFile(energy, []byte("255000000\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	if len(rows) != 1 || rows[0].PowerWatts == nil || *rows[0].PowerWatts != 2500 {
		t.Fatalf("power from energy: %+v, want 25.00 W", rows)
	}
}

// TestGPUFileVanishes checks that a file that goes away gives a NULL column
// and no error.
func TestGPUFileVanishes(t *testing.T) {
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS("testdata/gpu/amdgpu")); err != nil {
		t.Fatal(err)
	}
	rows := gpuTicks(t, dir, func() {
		if err := os.Remove(filepath.Join(dir, "class/drm/card0/device/gpu_busy_percent")); err != nil {
			t.Fatal(err)
		}
	})
	if len(rows) != 2 || rows[0].BusyPct != nil || rows[0].MemUsedBytes == nil {
		t.Fatalf("rows after busy file vanished: %+v", rows)
	}
}

func TestParseUevent(t *testing.T) {
	tests := []struct{ in, driver, slot string }{
		{"DRIVER=amdgpu\nPCI_SLOT_NAME=0000:03:00.0\n", "amdgpu", "0000:03:00.0"},
		{"PCI_ID=8086:56A0\nDRIVER=i915", "i915", ""},
		{"", "", ""},
		{"garbage\n=\nDRIVER\n", "", ""},
	}
	for _, tt := range tests {
		d, s := parseUevent([]byte(tt.in))
		if d != tt.driver || s != tt.slot {
			t.Errorf("parseUevent(%q) = %q, %q; want %q, %q", tt.in, d, s, tt.driver, tt.slot)
		}
	}
}

// TestGPULiveSys reads the live /sys: whatever GPUs it has give rows with
// a known driver, and no error.
func TestGPULiveSys(t *testing.T) {
	if _, err := os.Stat("/sys/class/drm"); err != nil {
		t.Skip("no /sys/class/drm on this machine")
	}
	rows := gpuTicks(t, "/sys", nil)
	for _, r := range rows {
		if !strings.Contains(" amdgpu i915 xe ", " "+r.Driver+" ") {
			t.Errorf("card %s: driver %q", r.Card, r.Driver)
		}
	}
	t.Logf("%d GPUs in the live /sys/class/drm", len(rows))
}

func FuzzParseUevent(f *testing.F) {
	for _, s := range []string{"DRIVER=amdgpu\nPCI_SLOT_NAME=0000:03:00.0\n", "DRIVER=\n", "=\n", "DRIVER=a=b"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		d, s := parseUevent(data)
		if strings.ContainsAny(d+s, "\n") {
			t.Fatalf("a newline in %q %q", d, s)
		}
	})
}
