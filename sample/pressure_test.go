//go:build linux

package sample

import (
	"almanac/schema"
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParsePSI(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    psiReading
		wantErr bool
	}{
		{
			name: "some and full",
			in: "some avg10=0.06 avg60=0.21 avg300=0.99 total=8537362\n" +
				"full avg10=0.00 avg60=0.13 avg300=0.96 total=8183134\n",
			want: psiReading{
				some:    psiLine{avg10: 6, avg60: 21, avg300: 99, total: 8537362},
				full:    psiLine{avg10: 0, avg60: 13, avg300: 96, total: 8183134},
				hasSome: true, hasFull: true,
			},
		},
		{
			name:    "cpu before Linux 5.13: no full line",
			in:      "some avg10=100.00 avg60=52.50 avg300=7.25 total=1\n",
			want:    psiReading{some: psiLine{avg10: 10000, avg60: 5250, avg300: 725, total: 1}, hasSome: true},
			wantErr: false,
		},
		{
			name: "unknown lines and fields are skipped",
			in: "some avg10=1.00 avg60=2.00 avg300=3.00 total=4 avg1200=5.00\n" +
				"other avg10=x\n\n",
			want: psiReading{some: psiLine{avg10: 100, avg60: 200, avg300: 300, total: 4}, hasSome: true},
		},
		{name: "no total", in: "some avg10=1.00 avg60=2.00 avg300=3.00\n", wantErr: true},
		{name: "bad number", in: "some avg10=1.00 avg60=2.00 avg300=3.00 total=-4\n", wantErr: true},
		{name: "field without =", in: "some avg10 1.00 avg60=2.00 avg300=3.00 total=4\n", wantErr: true},
		{name: "only full", in: "full avg10=0.00 avg60=0.00 avg300=0.00 total=0\n", wantErr: true},
		{name: "empty", in: "", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parsePSI(strings.NewReader(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parsePSI() error = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(psiReading{}, psiLine{})); diff != "" {
				t.Errorf("parsePSI() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParsePSI(f *testing.F) {
	for _, dir := range []string{"testdata/proc/pressure", "testdata/proc2/pressure"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, p := range files {
			data, err := os.ReadFile(p)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(data)
		}
	}
	f.Add([]byte("some avg10=0.1.2 avg60== avg300=3 total=99999999999999999999\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := parsePSI(bytes.NewReader(data))
		if err != nil {
			return
		}
		if !p.hasSome {
			t.Errorf("parsePSI(%q) = %+v without a some line and no error", data, p)
		}
		for _, v := range []schema.Centi{p.some.avg10, p.some.avg60, p.some.avg300, p.full.avg10, p.full.avg60, p.full.avg300} {
			if v < 0 {
				t.Errorf("parsePSI(%q): negative average in %+v", data, p)
			}
		}
	})
}

func TestPressureRow(t *testing.T) {
	line := func(avg10 schema.Centi, total uint64) psiLine {
		return psiLine{avg10: avg10, avg60: avg10 / 2, avg300: avg10 / 4, total: total}
	}
	both := func(some, full psiLine) psiReading {
		return psiReading{some: some, full: full, hasSome: true, hasFull: true}
	}
	tests := []struct {
		name      string
		prev, cur psiReading
		d         time.Duration
		want      schema.PressureRow
		ok        bool
	}{
		{
			name: "stalled a quarter and a tenth of 2 s",
			prev: both(line(0, 1_000_000), line(0, 500)),
			cur:  both(line(2000, 1_500_000), line(800, 200_500)),
			d:    2 * time.Second,
			want: schema.PressureRow{SomeAvg10: 2000, SomeAvg60: 1000, SomeAvg300: 500, SomeStallPct: 2500,
				FullAvg10: 800, FullAvg60: 400, FullAvg300: 200, FullStallPct: 1000},
			ok: true,
		},
		{
			name: "more stall than time: at most 100",
			prev: both(line(0, 0), line(0, 0)),
			cur:  both(line(10000, 1_000_300), line(0, 0)),
			d:    time.Second,
			want: schema.PressureRow{SomeAvg10: 10000, SomeAvg60: 5000, SomeAvg300: 2500, SomeStallPct: 10000},
			ok:   true,
		},
		{
			name: "cpu without full",
			prev: psiReading{some: line(0, 100), hasSome: true},
			cur:  psiReading{some: line(100, 10_100), hasSome: true},
			d:    time.Second,
			want: schema.PressureRow{SomeAvg10: 100, SomeAvg60: 50, SomeAvg300: 25, SomeStallPct: 100},
			ok:   true,
		},
		{
			name: "some total went backwards",
			prev: both(line(0, 1000), line(0, 0)),
			cur:  both(line(0, 999), line(0, 0)),
			d:    time.Second,
		},
		{
			name: "full total went backwards",
			prev: both(line(0, 1000), line(0, 10)),
			cur:  both(line(0, 2000), line(0, 9)),
			d:    time.Second,
		},
		{
			name: "no time passed",
			prev: both(line(0, 1000), line(0, 10)),
			cur:  both(line(0, 1000), line(0, 10)),
			d:    0,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := pressureRow(tt.prev, tt.cur, tt.d)
			if ok != tt.ok {
				t.Fatalf("pressureRow() ok = %v, want %v", ok, tt.ok)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("pressureRow() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// debugLines returns a logger writing debug lines to a buffer.
func debugLines() (*slog.Logger, *bytes.Buffer) {
	var buf bytes.Buffer
	return slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})), &buf
}

func TestPressureCollectorFixture(t *testing.T) {
	log, logged := debugLines()
	c := &pressureCollector{log: log}
	b := collectFixturePair(t, c)
	at := schema.Micros(statEpoch.Add(10 * time.Second))
	want := []schema.PressureRow{
		// some total +1234567 µs in 10 s; full stays 0.
		{Time: at, Resource: "cpu", SomeAvg10: 1240, SomeAvg60: 310, SomeAvg300: 271, SomeStallPct: 1235},
		// some +250000 µs, full +100000 µs.
		{Time: at, Resource: "memory", SomeAvg10: 248, SomeAvg60: 61, SomeAvg300: 13, SomeStallPct: 250,
			FullAvg10: 99, FullAvg60: 24, FullAvg300: 5, FullStallPct: 100},
		// some +3000000 µs, full +2500000 µs.
		{Time: at, Resource: "io", SomeAvg10: 2987, SomeAvg60: 702, SomeAvg300: 188, SomeStallPct: 3000,
			FullAvg10: 2491, FullAvg60: 577, FullAvg300: 151, FullStallPct: 2500},
		// irq: no file in the tree, no row.
	}
	if diff := cmp.Diff(want, b.Pressure); diff != "" {
		t.Errorf("pressure rows mismatch (-want +got):\n%s", diff)
	}
	// Two readings without /proc/pressure/irq: one debug line.
	if n := strings.Count(logged.String(), "\n"); n != 1 || !strings.Contains(logged.String(), "resources=irq") {
		t.Errorf("logged %d lines, want 1 naming irq:\n%s", n, logged)
	}
}

// A kernel without PSI (or booted with psi=0) gives no rows, no error and
// a single debug line however many samples are taken.
func TestPressureCollectorNoPSI(t *testing.T) {
	log, logged := debugLines()
	c := &pressureCollector{log: log}
	src := Source{ProcPath: t.TempDir()}
	for i := range 3 {
		now := statEpoch.Add(time.Duration(i) * time.Second)
		tick := Tick{Now: now, Time: schema.Micros(now), First: i == 0, Interval: time.Second}
		b := &schema.Batch{}
		if err := c.Collect(src, tick, b); err != nil {
			t.Fatalf("Collect %d: %v", i, err)
		}
		if len(b.Pressure) != 0 {
			t.Errorf("Collect %d: %d rows, want 0", i, len(b.Pressure))
		}
	}
	out := logged.String()
	if n := strings.Count(out, "\n"); n != 1 || !strings.Contains(out, "resources=cpu,memory,io,irq") {
		t.Errorf("logged %d lines, want 1 naming every resource:\n%s", n, out)
	}
}

// A file that cannot be parsed is an error naming it; the other
// resources still give their rows.
func TestPressureCollectorBadFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "pressure"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, "pressure", name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("cpu", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
	write("io", "some avg10=0.00 avg60=0.00 avg300=0.00 total=0\n")
	c := &pressureCollector{log: slog.New(slog.DiscardHandler)}
	src := Source{ProcPath: dir}
	if err := c.Collect(src, Tick{Now: statEpoch, First: true}, &schema.Batch{}); err != nil {
		t.Fatal(err)
	}
	write("cpu", "some avg10=0.00 avg60=0.00 avg300=0.00 total=1000000\n")
	write("io", "some avg10=garbage\n")
	b := &schema.Batch{}
	err := c.Collect(src, Tick{Now: statEpoch.Add(time.Second), Interval: time.Second}, b)
	if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, "pressure", "io")) {
		t.Errorf("Collect with a bad io file: err = %v, want one naming it", err)
	}
	if len(b.Pressure) != 1 || b.Pressure[0].Resource != "cpu" || b.Pressure[0].SomeStallPct != 10000 {
		t.Errorf("rows = %+v, want the cpu row at 100%%", b.Pressure)
	}
}

func TestPressureCollectorLive(t *testing.T) {
	if _, err := os.Stat("/proc/pressure/cpu"); err != nil {
		// Still drive it: no rows and no error is the promise here.
		b, _ := collectLiveTwice(t, &pressureCollector{log: slog.New(slog.DiscardHandler)})
		if len(b.Pressure) != 0 {
			t.Errorf("no /proc/pressure, but %d rows", len(b.Pressure))
		}
		return
	}
	b, _ := collectLiveTwice(t, &pressureCollector{log: slog.New(slog.DiscardHandler)})
	files, _ := filepath.Glob("/proc/pressure/*")
	known := map[string]bool{"cpu": true, "memory": true, "io": true, "irq": true}
	var want []string
	for _, res := range psiResources {
		for _, f := range files {
			if filepath.Base(f) == res && known[res] {
				want = append(want, res)
			}
		}
	}
	var got []string
	for _, r := range b.Pressure {
		got = append(got, r.Resource)
		for _, v := range []schema.Centi{r.SomeAvg10, r.SomeAvg60, r.SomeAvg300, r.SomeStallPct,
			r.FullAvg10, r.FullAvg60, r.FullAvg300, r.FullStallPct} {
			if v < 0 || v > 10000 {
				t.Errorf("%s: a value outside 0..100: %+v", r.Resource, r)
			}
		}
		if r.FullStallPct > r.SomeStallPct {
			t.Errorf("%s: full stall above some stall: %+v", r.Resource, r)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("resources mismatch (-want +got):\n%s", diff)
	}
}

// BenchmarkCollectPressure measures the pressure rows of one sample from
// this machine's /proc/pressure.
// Run: go test ./sample -run '^$' -bench CollectPressure -benchmem
func BenchmarkCollectPressure(b *testing.B) {
	src := procSource(b, "/proc")
	c := &pressureCollector{log: slog.New(slog.DiscardHandler)}
	now := time.Now()
	if err := c.Collect(src, Tick{Now: now, First: true}, &schema.Batch{}); err != nil {
		b.Fatal(err)
	}
	tick := Tick{Now: now, Interval: 10 * time.Second}
	batch := &schema.Batch{}
	b.ReportAllocs()
	for b.Loop() {
		batch.Pressure = batch.Pressure[:0]
		if err := c.Collect(src, tick, batch); err != nil {
			b.Fatal(err)
		}
	}
}
