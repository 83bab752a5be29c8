//go:build linux

package sample

import (
	"almanac/schema"
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseHwmonTemp(t *testing.T) {
	tests := []struct {
		in      string
		want    schema.Centi
		wantErr bool
	}{
		{in: "45000\n", want: 4500},
		{in: "27800", want: 2780},
		{in: "1234\n", want: 123},
		{in: "1235\n", want: 124},
		{in: "-5500\n", want: -550},
		{in: "-1235\n", want: -124},
		{in: "+7\n", want: 1},
		{in: "  0 \n", want: 0},
		{in: "-273150\n", want: -27315},
		{in: "-273151\n", wantErr: true},
		{in: "", wantErr: true},
		{in: "\n", wantErr: true},
		{in: "garbage\n", wantErr: true},
		{in: "45.5\n", wantErr: true},
		{in: "--1\n", wantErr: true},
		{in: "-\n", wantErr: true},
		{in: "99999999999999999999999\n", wantErr: true},
		{in: "45000\n46000\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseHwmonTemp([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseHwmonTemp(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
			if got != tt.want {
				t.Errorf("parseHwmonTemp(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzParseHwmonTemp(f *testing.F) {
	for _, s := range []string{"45000\n", "-5500\n", "garbage\n", "", "+1", "-273150"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := parseHwmonTemp(b)
		if err != nil {
			if got != 0 {
				t.Errorf("parseHwmonTemp(%q) = %v with error %v", b, got, err)
			}
			return
		}
		if got < -27315 {
			t.Errorf("parseHwmonTemp(%q) = %v, below absolute zero", b, got)
		}
	})
}

func TestParseTempInputName(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"temp1_input", 1, true},
		{"temp10_input", 10, true},
		{"temp0_input", 0, true},
		{"temp1_label", 0, false},
		{"temp_input", 0, false},
		{"temp-1_input", 0, false},
		{"temp+1_input", 0, false},
		{"temp1x_input", 0, false},
		{"fan1_input", 0, false},
		{"temp99999999999_input", 0, false},
	}
	for _, tt := range tests {
		got, ok := parseTempInputName(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("parseTempInputName(%q) = %d, %v, want %d, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func FuzzParseHwmonName(f *testing.F) {
	for _, s := range []string{"temp1_input", "temp10_input", "temp_input", "temp-1_input"} {
		f.Add(s, []byte("Package id 0\n"))
	}
	f.Add("x", []byte("a\xffb\nsecond line"))
	f.Fuzz(func(t *testing.T, name string, label []byte) {
		if n, ok := parseTempInputName(name); ok {
			if n < 0 || name != "temp"+strconv.Itoa(n)+"_input" {
				t.Errorf("parseTempInputName(%q) = %d, which does not spell the name", name, n)
			}
		}
		l := parseSysfsLabel(label)
		if strings.ContainsAny(l, "\n") || strings.TrimSpace(l) != l {
			t.Errorf("parseSysfsLabel(%q) = %q: not one trimmed line", label, l)
		}
	})
}

func TestParseSysfsLabel(t *testing.T) {
	for in, want := range map[string]string{
		"coretemp\n":                     "coretemp",
		"  Package id 0 \n":              "Package id 0",
		"":                               "",
		"a\nb\n":                         "a",
		"n\xffme\n":                      `n\xffme`,
		"<script>alert(1)</script>\n":    "<script>alert(1)</script>",
		"Tctl\t\n":                       "Tctl",
		"two  spaces inside kept\n":      "two  spaces inside kept",
		"\xe2\x82\xac euro sign valid\n": "€ euro sign valid",
	} {
		if got := parseSysfsLabel([]byte(in)); got != want {
			t.Errorf("parseSysfsLabel(%q) = %q, want %q", in, got, want)
		}
	}
}

// The fixture holds thermal zones (one empty temp file, one zone without a
// temp file, a zone numbered 10 that sorts after 3) and hwmon chips: one
// without labels, coretemp with labels and a garbage input, a chip without a
// name whose files are in device/, nvme with a hostile label, and a chip
// with fans only.
func TestTemperatureCollectorFixture(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	first, second := collectFixture(t, &temperatureCollector{log: log})
	if len(first.Temperature) != 0 {
		t.Errorf("first reading gave %d rows, want none", len(first.Temperature))
	}
	tm := schema.Micros(fixtureEpoch.Add(10 * time.Second))
	row := func(sensor, label string, c schema.Centi) schema.TemperatureRow {
		return schema.TemperatureRow{Time: tm, Sensor: sensor, Label: label, Celsius: c}
	}
	want := []schema.TemperatureRow{
		row("thermal_zone0", "x86_pkg_temp", 4500),
		row("thermal_zone1", "acpitz", 2780),
		row("thermal_zone10", "pch_skylake", -550),
		row("hwmon0/temp1", "acpitz temp1", 2780),
		row("hwmon1/temp1", "coretemp Package id 0", 4500),
		row("hwmon1/temp2", "coretemp Core 0", 4300),
		row("hwmon2/temp1", "hwmon2 temp1", 3850),
		row("hwmon3/temp1", "nvme Composite", 3685),
		row("hwmon3/temp2", "nvme <script>alert(1)</script>", 124),
		row("hwmon3/temp10", "nvme Sensor 10", 5000),
	}
	if diff := cmp.Diff(want, second.Temperature); diff != "" {
		t.Errorf("temperature rows mismatch (-want +got):\n%s", diff)
	}
	// The two unreadable sensors are each logged once; a zone without a
	// temp file is no sensor.
	for s, want := range map[string]int{"thermal_zone2": 1, "hwmon1/temp3": 1, "thermal_zone3": 0} {
		if n := strings.Count(logs.String(), "sensor="+s+" "); n != want {
			t.Errorf("sensor %s logged %d times, want %d:\n%s", s, n, want, logs.String())
		}
	}
}

// A sensor that fails is logged once, not at every sample, and is read
// again when it comes back.
func TestTemperatureCollectorFailingSensor(t *testing.T) {
	sys := t.TempDir()
	zone := filepath.Join(sys, "class", "thermal", "thermal_zone0")
	if err := os.MkdirAll(zone, 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(zone, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("type", "acpitz\n")
	write("temp", "oops\n")
	var logs bytes.Buffer
	c := &temperatureCollector{log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	src := openSource(t, "testdata/proc", sys, "/")
	tk := firstTick(fixtureEpoch)
	var rows []schema.TemperatureRow
	for i := range 4 {
		if i == 3 {
			write("temp", "30000\n")
		}
		b := &schema.Batch{}
		if err := c.Collect(src, tk, b); err != nil {
			t.Fatal(err)
		}
		rows = append(rows, b.Temperature...)
		tk = laterTick(tk, tk.Now.Add(time.Second))
	}
	want := []schema.TemperatureRow{{Time: schema.Micros(fixtureEpoch.Add(3 * time.Second)), Sensor: "thermal_zone0", Label: "acpitz", Celsius: 3000}}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("rows mismatch (-want +got):\n%s", diff)
	}
	if n := strings.Count(logs.String(), "temperature sensor unreadable"); n != 1 {
		t.Errorf("failing sensor logged %d times, want once:\n%s", n, logs.String())
	}
}

// A host without sensors gives no rows and says so once.
func TestTemperatureCollectorNoSensors(t *testing.T) {
	var logs bytes.Buffer
	c := &temperatureCollector{log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))}
	src := openSource(t, "testdata/proc", t.TempDir(), "/")
	tk := firstTick(fixtureEpoch)
	for range 3 {
		b := &schema.Batch{}
		if err := c.Collect(src, tk, b); err != nil {
			t.Fatal(err)
		}
		if len(b.Temperature) != 0 {
			t.Errorf("rows without sensors: %+v", b.Temperature)
		}
		tk = laterTick(tk, tk.Now.Add(sensorRescan)) // each sample rescans
	}
	if n := strings.Count(logs.String(), "no temperature sensors"); n != 1 {
		t.Errorf("absence logged %d times, want once:\n%s", n, logs.String())
	}
}

// A sensor that appears (a driver loaded) is found at the next rescan.
func TestTemperatureCollectorRescan(t *testing.T) {
	sys := t.TempDir()
	c := &temperatureCollector{}
	src := openSource(t, "testdata/proc", sys, "/")
	tk := firstTick(fixtureEpoch)
	if err := c.Collect(src, tk, &schema.Batch{}); err != nil {
		t.Fatal(err)
	}
	chip := filepath.Join(sys, "class", "hwmon", "hwmon0")
	if err := os.MkdirAll(chip, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(chip, "temp1_input"), []byte("41000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	count := func(after time.Duration) int {
		tk = laterTick(tk, tk.Now.Add(after))
		b := &schema.Batch{}
		if err := c.Collect(src, tk, b); err != nil {
			t.Fatal(err)
		}
		return len(b.Temperature)
	}
	if n := count(time.Second); n != 0 {
		t.Errorf("%d rows before the rescan, want 0 (the list is cached)", n)
	}
	if n := count(sensorRescan); n != 1 {
		t.Errorf("%d rows after the rescan, want 1", n)
	}
}

// This machine may have no sensors at all (a VM): then the live test checks
// that nothing is reported; with sensors, that readings are plausible.
func TestTemperatureCollectorLive(t *testing.T) {
	b := collectLive(t, &temperatureCollector{log: slog.New(slog.DiscardHandler)}, nil)
	zones, _ := filepath.Glob("/sys/class/thermal/thermal_zone*/temp")
	inputs, _ := filepath.Glob("/sys/class/hwmon/hwmon*/temp*_input")
	old, _ := filepath.Glob("/sys/class/hwmon/hwmon*/device/temp*_input")
	if files := len(zones) + len(inputs) + len(old); len(b.Temperature) > files {
		t.Errorf("%d rows from %d sensor files", len(b.Temperature), files)
	} else if files == 0 && len(b.Temperature) != 0 {
		t.Errorf("rows without sensor files: %+v", b.Temperature)
	}
	t.Logf("%d sensors on this machine", len(b.Temperature))
	for _, r := range b.Temperature {
		if r.Celsius < -5000 || r.Celsius > 20000 || r.Sensor == "" || r.Label == "" {
			t.Errorf("implausible row: %+v", r)
		}
	}
}

// BenchmarkCollectTemperature measures one reading of the fixture's
// sensors (this machine has none); BenchmarkReadTemperatureFiles is its
// floor, reading the same files.
//
//	go test ./sample -run '^$' -bench 'Temperature' -benchmem
func BenchmarkCollectTemperature(b *testing.B) {
	src := openSource(b, "/proc", "testdata/sys", "/")
	if zones, _ := filepath.Glob("/sys/class/thermal/thermal_zone*/temp"); len(zones) > 0 {
		src = openSource(b, "/proc", "/sys", "/")
	}
	c := &temperatureCollector{}
	t := firstTick(time.Now())
	if err := c.Collect(src, t, &schema.Batch{}); err != nil {
		b.Fatal(err)
	}
	batch := &schema.Batch{}
	b.ReportAllocs()
	for b.Loop() {
		t = laterTick(t, t.Now.Add(time.Second))
		batch.Temperature = batch.Temperature[:0]
		if err := c.Collect(src, t, batch); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(batch.Temperature)), "sensors")
}

func BenchmarkReadTemperatureFiles(b *testing.B) {
	files, _ := filepath.Glob("/sys/class/thermal/thermal_zone*/temp")
	if len(files) == 0 {
		files, _ = filepath.Glob("testdata/sys/class/thermal/thermal_zone*/temp")
		more, _ := filepath.Glob("testdata/sys/class/hwmon/hwmon*/temp*_input")
		dev, _ := filepath.Glob("testdata/sys/class/hwmon/hwmon*/device/temp*_input")
		files = append(append(files, more...), dev...)
	}
	buf := make([]byte, 64)
	b.ReportAllocs()
	for b.Loop() {
		for _, p := range files {
			f, err := os.Open(p)
			if err != nil {
				continue
			}
			f.Read(buf)
			f.Close()
		}
	}
}
