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
// a reboot, and db1 silent for the last 30 minutes.
func smallFleet() []fixtureHost {
	n := fixedNow
	return []fixtureHost{
		{
			Name: "web1", Every: time.Minute, Processes: 6, Hostile: true, Seed: 1,
			Spans: []span{
				{From: n.Add(-3 * time.Hour), To: n.Add(-2 * time.Hour)},
				// sampler off from -2h to -1h40m: no data
				{From: n.Add(-100 * time.Minute), To: n.Add(-60 * time.Minute)},
				// down from -61m to the boot at -55m; sampler back at -54m
				{From: n.Add(-54 * time.Minute), To: n.Add(time.Second), Boot: n.Add(-55 * time.Minute)},
			},
		},
		{
			Name: "db1", Every: time.Minute, Processes: 4, Seed: 2,
			Spans: []span{{From: n.Add(-3 * time.Hour), To: n.Add(-30 * time.Minute)}},
		},
	}
}

func (r renamedHosts) Partitions(table, host string) ([]archive.Partition, error) {
	return r.Store.Partitions(table, r.names[host])
}

func (r renamedHosts) RollupDays(res archive.Resolution, table, host string) ([]time.Time, error) {
	return r.Store.RollupDays(res, table, r.names[host])
}

func (r renamedHosts) ScanRollup(res archive.Resolution, table, host string, from, to time.Time, cols ...string) (*archive.Frame, error) {
	return r.Store.ScanRollup(res, table, r.names[host], from, to, cols...)
}
