package report

import (
	"bytes"
	"flag"
	"io"
	"log/slog"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"almanac/archive"
	"almanac/schema"
	"almanac/synth"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// The fixture: two hosts sampled every minute from fixDay-1 00:00 UTC to
// fixDay 06:00, the first day compacted (with its rollups), the second in
// parts. One process of web1 has a name that would move a terminal's
// cursor.
var (
	fixDay  = time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	fixNow  = fixDay.Add(6 * time.Hour)
	fixZone = time.FixedZone("+0545", 5*3600+45*60)
)

const evilComm = "evil\x1b[2J\nname"

// writeFixture writes the fixture archive into a new folder; compact says
// whether the closed day is compacted (rollups written).
func writeFixture(t testing.TB, compact bool) *archive.Store {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := archive.Open(t.TempDir(), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for i, host := range []string{"web1", "db1"} {
		w, err := st.Writer(host, archive.WriterOptions{NoSync: true, FlushEvery: 1000 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		g := synth.New(synth.Host{Name: host, Cores: 2, Processes: 6, Seed: uint64(i + 3), Boot: fixDay.AddDate(0, 0, -3)})
		for at := fixDay.AddDate(0, 0, -1); at.Before(fixNow); at = at.Add(time.Minute) {
			b := g.Batch(at)
			if host == "web1" && len(b.Process) > 0 {
				b.Process[0].Comm = evilComm
				b.Process[0].CPUUserPct = schema.ToCenti(90)
			}
			if err := w.Append(b); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
		if compact {
			if _, err := st.Compact(host, fixNow); err != nil {
				t.Fatal(err)
			}
		}
	}
	return st
}

// goldenOptions is the golden report: across midnight UTC, so it reads the
// closed day's per-minute rollups and the next day's raw rows.
func goldenOptions() Options {
	return Options{Hosts: []string{"web1", "db1"}, From: fixDay.Add(-2 * time.Hour), To: fixDay.Add(2 * time.Hour),
		Every: 30 * time.Minute, TZ: fixZone, Top: 3}
}

func checkGolden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run: go test ./report -update)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s is stale; run go test ./report -update and review git diff\ngot:\n%s", path, got)
	}
}

func TestGolden(t *testing.T) {
	st := writeFixture(t, true)
	rep, err := Build(st, goldenOptions())
	if err != nil {
		t.Fatal(err)
	}
	// The JSON golden: a smaller report of the same shape.
	small := goldenOptions()
	small.Hosts, small.Sections, small.From, small.To = []string{"web1"}, []string{"disk", "processes"}, fixDay.Add(-time.Hour), fixDay.Add(time.Hour)
	smallRep, err := Build(st, small)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct {
		name  string
		rep   *Report
		write func(io.Writer, *Report) error
	}{{"report.txt", rep, WriteText}, {"report.csv", rep, WriteCSV}, {"report.json", smallRep, WriteJSON}} {
		t.Run(f.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := f.write(&buf, f.rep); err != nil {
				t.Fatal(err)
			}
			checkGolden(t, f.name, buf.Bytes())
			if f.name == "report.txt" {
				if strings.Contains(buf.String(), "\x1b") {
					t.Error("a process name's escape sequence reached the terminal output raw")
				}
				if !strings.Contains(buf.String(), `"evil\x1b[2J\nname"`) {
					t.Error("the hostile process name is not shown quoted")
				}
			}
		})
	}
	// Every section has rows on both sides of midnight UTC (rollups, then
	// raw rows) and an Average row per series.
	for _, h := range rep.Hosts {
		for _, s := range h.Sections {
			var before, after bool
			for _, r := range s.Rows {
				before = before || r.Time.Before(fixDay)
				after = after || !r.Time.Before(fixDay)
			}
			if !before || !after {
				t.Errorf("%s %s: rows before midnight %v, after %v; want both", h.Host, s.Name, before, after)
			}
			if s.Name != "top" && len(s.Average) == 0 {
				t.Errorf("%s %s: no Average row", h.Host, s.Name)
			}
		}
	}
}

// TestRollupsAgreeWithRaw checks that a report reads the same from the
// per-minute and per-hour rollups of a compacted day as from its raw rows
// (an archive of the same samples, not compacted): the means of a step
// weigh each rollup row by its samples.
func TestRollupsAgreeWithRaw(t *testing.T) {
	rolled, raw := writeFixture(t, true), writeFixture(t, false)
	for _, every := range []time.Duration{10 * time.Minute, 2 * time.Hour} {
		o := Options{Hosts: []string{"web1"}, From: fixDay.Add(-24 * time.Hour), To: fixDay, Every: every, TZ: time.UTC,
			Sections: []string{"cpu", "load", "memory", "disk", "network", "filesystem", "pressure", "self"}}
		if Resolution("cpu", every) == archive.Raw {
			t.Fatalf("step %v reads raw rows: the test compares nothing", every)
		}
		a, err := Build(rolled, o)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Build(raw, o)
		if err != nil {
			t.Fatal(err)
		}
		for i, sa := range a.Hosts[0].Sections {
			sb := b.Hosts[0].Sections[i]
			if len(sa.Rows) != len(sb.Rows) || len(sa.Rows) != int(24*time.Hour/every)*max(1, seriesCount(sa)) {
				t.Errorf("every %v, %s: %d rows from rollups, %d from raw rows", every, sa.Name, len(sa.Rows), len(sb.Rows))
				continue
			}
			for j, ra := range append(sa.Rows, sa.Average...) {
				rb := append(sb.Rows, sb.Average...)[j]
				for k, v := range ra.Values {
					// Rollup means of DECIMAL(18,2) columns are rounded to
					// two decimals (tps adds two of them).
					if tol := 0.011 + 1e-9*math.Abs(v); math.Abs(v-rb.Values[k]) > tol {
						t.Errorf("every %v, %s %v %v %s: %v from rollups, %v from raw rows", every, sa.Name, ra.Time, ra.Labels, sa.Columns[k], v, rb.Values[k])
					}
				}
			}
		}
	}
}

func seriesCount(s Section) int { return len(s.Average) }

func TestCheckSections(t *testing.T) {
	if err := CheckSections([]string{"cpu", "disks", "fs", "top"}); err != nil {
		t.Errorf("aliases refused: %v", err)
	}
	err := CheckSections([]string{"cpu", "gpu"})
	if err == nil || !strings.Contains(err.Error(), `"gpu"`) || !strings.Contains(err.Error(), "filesystem") {
		t.Errorf("CheckSections(gpu) = %v, want an error naming gpu and the sections", err)
	}
	if got := Tables([]string{"processes", "cpu"}); strings.Join(got, ",") != "proc_count,process,cpu" {
		t.Errorf("Tables = %v", got)
	}
}

func TestBuildBadRange(t *testing.T) {
	st := writeFixture(t, false)
	if _, err := Build(st, Options{Hosts: []string{"web1"}, From: fixDay, To: fixDay, Every: time.Minute}); err == nil {
		t.Error("an empty range gave no error")
	}
	if _, err := Build(st, Options{Hosts: []string{"web1"}, From: fixDay, To: fixNow}); err == nil {
		t.Error("no step gave no error")
	}
}

func TestFmtEvery(t *testing.T) {
	for d, want := range map[time.Duration]string{30 * time.Second: "30s", 10 * time.Minute: "10m",
		time.Hour: "1h", 90 * time.Minute: "1h30m", 90 * time.Second: "1m30s"} {
		if got := fmtEvery(d); got != want {
			t.Errorf("fmtEvery(%v) = %q, want %q", d, got, want)
		}
	}
}
