package render

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"almanac/archive"
	"almanac/schema"
	"almanac/synth"
)

// fixedNow is the render's now in the tests.
var fixedNow = time.Date(2026, 3, 10, 12, 0, 0, 0, time.UTC)

// evilProc is a process name that runs script if it reaches a page raw.
const evilProc = `</script><script>alert(1)</script>`

// evilHost is a host name (as a host fact, and as seen by the renderer
// through renamedHosts) that turns bold if it reaches a page raw.
const evilHost = `<b>x</b>`

// span is a stretch of samples of a fixture host.
type span struct {
	From, To time.Time // samples at From, From+Every, ... < To
	Boot     time.Time // the boot time reported (zero: synth's)
}

// fixtureHost is a host of a fixture archive.
type fixtureHost struct {
	Name       string
	Every      time.Duration
	Spans      []span
	Processes  int
	Interfaces []string // network interfaces (nil: synth's)
	Hostile    bool     // name a process evilProc and the hostname fact evilHost
	Seed       uint64
	Alerts     []schema.AlertRow // rows of the alert table, each written with the first sample at or after its Time
}

// writeFixture writes the hosts into a new archive in a temporary folder.
func writeFixture(t testing.TB, hosts ...fixtureHost) *archive.Store {
	t.Helper()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	st, err := archive.Open(t.TempDir(), log)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, h := range hosts {
		w, err := st.Writer(h.Name, archive.WriterOptions{NoSync: true, FlushEvery: 1000 * time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		g := synth.New(synth.Host{Name: h.Name, Processes: h.Processes, Seed: h.Seed, Interfaces: h.Interfaces,
			Boot: h.Spans[0].From.Add(-48 * time.Hour)})
		for _, s := range h.Spans {
			for at := s.From; at.Before(s.To); at = at.Add(h.Every) {
				b := g.Batch(at)
				if !s.Boot.IsZero() {
					boot := s.Boot.UnixMicro()
					for i := range b.System {
						b.System[i].BootTime = boot
					}
					for i := range b.Host {
						b.Host[i].BootTime = boot
					}
				}
				for _, a := range h.Alerts {
					if t := time.UnixMicro(a.Time); !t.After(at) && t.After(at.Add(-h.Every)) {
						a.Time = at.UnixMicro()
						b.Alert = append(b.Alert, a)
					}
				}
				if h.Hostile {
					for i := range b.Host {
						b.Host[i].Hostname = evilHost
					}
					if len(b.Process) > 0 {
						b.Process[0].Comm = evilProc
						b.Process[0].CPUUserPct = schema.ToCenti(90)
					}
				}
				if err := w.Append(b); err != nil {
					t.Fatal(err)
				}
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// renamedHosts shows the hosts of an archive under other names, to test
// host names the archive itself would refuse as folder names.
type renamedHosts struct {
	*archive.Store
	names map[string]string // shown name -> archive name
}

func (r renamedHosts) Hosts() ([]string, error) {
	var out []string
	for shown := range r.names {
		out = append(out, shown)
	}
	return out, nil
}

func (r renamedHosts) Scan(table, host string, from, to time.Time, cols ...string) (*archive.Frame, error) {
	return r.Store.Scan(table, r.names[host], from, to, cols...)
}

// smallFleet is the fixture of the golden files: web1 sampled every
// minute for the last three hours, with the sampler off for 20 minutes and
// a reboot, and db1 silent for the last 30 minutes; their incidents are
// smallFleetAlerts.
func smallFleet() []fixtureHost {
	n := fixedNow
	return []fixtureHost{
		{
			Name: "web1", Every: time.Minute, Processes: 6, Hostile: true, Seed: 1, Alerts: smallFleetAlerts("web1"),
			Spans: []span{
				{From: n.Add(-3 * time.Hour), To: n.Add(-2 * time.Hour)},
				// sampler off from -2h to -1h40m: no data
				{From: n.Add(-100 * time.Minute), To: n.Add(-60 * time.Minute)},
				// down from -61m to the boot at -55m; sampler back at -54m
				{From: n.Add(-54 * time.Minute), To: n.Add(time.Second), Boot: n.Add(-55 * time.Minute)},
			},
		},
		{
			Name: "db1", Every: time.Minute, Processes: 4, Seed: 2, Alerts: smallFleetAlerts("db1"),
			Spans: []span{{From: n.Add(-3 * time.Hour), To: n.Add(-30 * time.Minute)}},
		},
	}
}

// smallFleetAlerts are the incidents of the small fleet's hosts: on web1,
// a filesystem incident that escalated and resolved, memory low going on
// (open), load per core going on since just after the reboot (inhibited)
// and an OOM kill; on db1, which is silent now, a filesystem incident going
// on (inhibited: no data).
func smallFleetAlerts(host string) []schema.AlertRow {
	at := func(m int) int64 { return fixedNow.Add(time.Duration(m) * time.Minute).UnixMicro() }
	fs := "fstype=ext4,mountpoint=/"
	if host == "db1" {
		return []schema.AlertRow{
			{Time: at(-60), Rule: "filesystem full", Series: fs, State: "firing", Severity: "warn", Since: at(-65), Value: 91, Peak: 91},
		}
	}
	return []schema.AlertRow{
		{Time: at(-175), Rule: "filesystem full", Series: fs, State: "pending", Severity: "warn", Since: at(-175), Value: 91, Peak: 91},
		{Time: at(-170), Rule: "filesystem full", Series: fs, State: "firing", Severity: "warn", Since: at(-175), Value: 92, Peak: 92},
		{Time: at(-160), Rule: "filesystem full", Series: fs, State: "escalated", Severity: "crit", Since: at(-175), Value: 96, Peak: 96},
		{Time: at(-130), Rule: "filesystem full", Series: fs, State: "resolved", Severity: "crit", Since: at(-175), Value: 80, Peak: 97},
		{Time: at(-50), Rule: "load per core", State: "firing", Severity: "warn", Since: at(-52), Value: 3, Peak: 3},
		{Time: at(-25), Rule: "memory low", State: "firing", Severity: "warn", Since: at(-30), Value: 8, Peak: 7.5},
		{Time: at(-20), Rule: "oom kill", State: "event", Severity: "warn", Since: at(-20), Value: 1, Peak: 1},
	}
}

func (r renamedHosts) Partitions(table, host string) ([]archive.Partition, error) {
	return r.Store.Partitions(table, r.names[host])
}

func (r renamedHosts) DaysCached(table, host string, from time.Time, l *archive.Listings) ([]archive.DayFiles, error) {
	return r.Store.DaysCached(table, r.names[host], from, l)
}

// appendLate writes the batches bs of host to st as one part, as a
// late part arrives.
func appendLate(t *testing.T, st *archive.Store, host string, bs ...*schema.Batch) {
	t.Helper()
	w, err := st.Writer(host, archive.WriterOptions{NoSync: true, FlushEvery: 1000 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		if err := w.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// batches returns n batches of g, every step from t on.
func batches(g *synth.Generator, t time.Time, n int, step time.Duration) []*schema.Batch {
	out := make([]*schema.Batch, n)
	for i := range out {
		out[i] = g.Batch(t.Add(time.Duration(i) * step))
	}
	return out
}

// web1Writer opens the archive in dir (closed when the test ends) and a
// writer of host web1 that flushes only when it is closed.
func web1Writer(t *testing.T, dir string) (*archive.Store, *archive.Writer) {
	t.Helper()
	st, err := archive.Open(dir, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	w, err := st.Writer("web1", archive.WriterOptions{NoSync: true, FlushEvery: 1000 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	return st, w
}
