package duckdb

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"almanac/alert"
	"almanac/archive"
	"almanac/schema"
	"almanac/synth"
)

// The fleet the tests write: three hosts sampled every minute from the
// start of the day before yesterday (UTC) until now, with a few facts
// planted where the README's queries look for them.
//
// "1234" is a host name of digits only: DuckDB would read the host folder
// as a number without hive_types (when no other host name is a word).
const (
	hostWeb  = "web1"
	hostDB   = "db.example.org"
	hostNum  = "1234"
	interval = time.Minute
)

var fleetHosts = []string{hostWeb, hostDB, hostNum}

// fleet is what the tests wrote to the archive, kept to compute the
// expected answers in Go.
type fleet struct {
	dir     string
	now     time.Time // when the data ends; "today" is now's UTC day
	today   time.Time // midnight UTC
	batches map[string][]*schema.Batch

	// The planted facts.
	oomAt       time.Time // web1: 3 OOM kills in this sample, 1 more 20 minutes later
	rebootDown  time.Time // db: no samples in [rebootDown, rebootUp)
	rebootUp    time.Time
	rebootBoot  time.Time // db: the boot time from rebootUp on
	jitterFrom  time.Time // web1: the boot time a second later from here on
	jobFrom     time.Time // db: batch-job runs at 150 % of a core over all of yesterday
	fullFrom    time.Time // 1234: /var is 95 % full from here on
	hostileComm string    // web1: a process with this name, yesterday
}

const (
	oomKills     = 3
	oomContainer = "4f1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f9"
	jobComm      = "batch-job"
	jobUser      = "etl"
	jobUserPct   = 12000 // 120.00 %
	jobSysPct    = 3000  // 30.00 %
	fullMount    = "/var"
)

// writeFleet writes the fleet into a new archive under dir through
// almanac's own writer, flushing a part every six hours of samples, then
// compacts the closed days, so that both day files and today's parts exist.
func writeFleet(dir string, now time.Time) (*fleet, error) {
	now = now.UTC().Truncate(time.Second)
	today := archive.Day(now)
	yesterday := today.AddDate(0, 0, -1)
	f := &fleet{
		dir:         dir,
		now:         now,
		today:       today,
		batches:     map[string][]*schema.Batch{},
		oomAt:       yesterday.Add(10*time.Hour + 17*time.Minute),
		rebootDown:  yesterday.Add(3 * time.Hour),
		rebootUp:    yesterday.Add(4 * time.Hour),
		rebootBoot:  yesterday.Add(3*time.Hour + 58*time.Minute + 30*time.Second),
		jitterFrom:  yesterday.Add(7 * time.Hour),
		jobFrom:     yesterday,
		fullFrom:    yesterday.Add(14 * time.Hour),
		hostileComm: "it's \"x\" </script> ) (\n",
	}
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := archive.Open(dir, log)
	if err != nil {
		return nil, err
	}
	defer store.Close()
	start := today.AddDate(0, 0, -2)
	for i, host := range fleetHosts {
		g := synth.New(synth.Host{Name: host, Cores: 2 + 2*i, Processes: 12, Seed: uint64(i + 1), Custom: true, GPUs: 1 + i,
			Boot: start.AddDate(0, 0, -20)})
		extract, eval := alert.NewExtractor(alert.Defaults()), alert.NewEvaluator(alert.Defaults())
		w, err := store.Writer(host, archive.WriterOptions{FlushEvery: 24 * time.Hour, NoSync: true})
		if err != nil {
			return nil, err
		}
		lastFlush := start
		for t := start; !t.After(now); t = t.Add(interval) {
			b := g.Batch(t)
			if host == hostDB && !t.Before(f.rebootDown) && t.Before(f.rebootUp) {
				continue // down for an hour: the samples are lost
			}
			f.plant(host, b)
			// The sampler's own alerting, with the default rules.
			b.Alert = append(b.Alert, alert.Rows(eval.Eval(host, b.Time, extract.Values(b)))...)
			if err := w.Append(b); err != nil {
				return nil, fmt.Errorf("append %s %v: %w", host, t, err)
			}
			f.batches[host] = append(f.batches[host], b)
			if t.Sub(lastFlush) >= 6*time.Hour {
				if err := w.Flush(); err != nil {
					return nil, err
				}
				lastFlush = t
			}
		}
		if err := w.Close(); err != nil {
			return nil, err
		}
		if _, err := store.Compact(host, now); err != nil {
			return nil, fmt.Errorf("compact %s: %w", host, err)
		}
	}
	return f, nil
}

// plant changes the synthetic batch b of host to hold the facts the
// README's queries find.
func (f *fleet) plant(host string, b *schema.Batch) {
	t := b.Time
	us := t.UnixMicro()
	yesterday := f.today.AddDate(0, 0, -1)
	switch host {
	case hostWeb:
		// A restarted sampler sees the kernel's boot time a second later:
		// jitter, not a reboot (the reboots query must not report it).
		if !t.Before(f.jitterFrom) {
			for i := range b.System {
				b.System[i].BootTime += int64(time.Second / time.Microsecond)
			}
			for i := range b.Host {
				b.Host[i].BootTime += int64(time.Second / time.Microsecond)
			}
		}
		if t.Equal(f.oomAt) {
			for i := range b.Memory {
				b.Memory[i].OOMKills = oomKills
			}
			// The victims, as the sampler names them: two in cgroups that
			// counted a kill, one it did not see.
			b.OOMKill = []schema.OOMKillRow{
				{Time: us, PID: 5150, StartTime: us - 3600e6, Comm: "java", User: "app", RSSBytes: 3 << 30,
					Cgroup: "/system.slice/docker-" + oomContainer + ".scope", Unit: "docker-" + oomContainer + ".scope",
					Container: oomContainer, How: "cgroup"},
				{Time: us, PID: 5151, StartTime: us - 60e6, Comm: "postgres", User: "postgres", RSSBytes: 1 << 30,
					Cgroup: "/system.slice/postgresql.service", Unit: "postgresql.service", How: "cgroup"},
				{Time: us, How: "unseen"},
			}
		}
		// One more kill in the same hour: four in its hourly bucket.
		if t.Equal(f.oomAt.Add(20 * time.Minute)) {
			for i := range b.Memory {
				b.Memory[i].OOMKills = 1
			}
			b.OOMKill = []schema.OOMKillRow{{Time: us, PID: 6001, StartTime: us - 5e6, Comm: "node", User: "www-data",
				RSSBytes: 900 << 20, Cgroup: "/user.slice/user-1000.slice/session-3.scope", Unit: "session-3.scope", How: "host"}}
		}
		if !t.Before(yesterday.Add(12*time.Hour)) && t.Before(yesterday.Add(12*time.Hour+10*time.Minute)) && len(b.Process) > 0 {
			b.Process = append(b.Process, schema.ProcessRow{
				Time: us, PID: 31337, PPID: 1, StartTime: yesterday.Add(12 * time.Hour).UnixMicro(),
				User: "nobody", Comm: f.hostileComm, State: "S", CPUUserPct: 100, RSSBytes: 4096,
				VSizeBytes: 1 << 20, Threads: 1,
			})
		}
	case hostDB:
		if !t.Before(f.rebootUp) {
			for i := range b.System {
				b.System[i].BootTime = f.rebootBoot.UnixMicro()
			}
			for i := range b.Host {
				b.Host[i].BootTime = f.rebootBoot.UnixMicro()
			}
		}
		if !t.Before(f.jobFrom) && t.Before(f.today) && len(b.Process) > 0 {
			pid, start := int32(4242), yesterday.Add(-time.Hour)
			if !t.Before(f.rebootUp) {
				pid, start = 777, f.rebootUp.Add(-30*time.Second)
			}
			rd, wr := int64(1<<20), int64(0)
			b.Process = append(b.Process, schema.ProcessRow{
				Time: us, PID: pid, PPID: 1, StartTime: start.UnixMicro(), User: jobUser, Comm: jobComm,
				State: "R", CPUUserPct: jobUserPct, CPUSystemPct: jobSysPct, RSSBytes: 2 << 30,
				VSizeBytes: 5 << 30, Threads: 3, ReadBytesPerS: &rd, WriteBytesPerS: &wr,
			})
		}
	case hostNum:
		if !t.Before(f.fullFrom) {
			for i := range b.Filesystem {
				r := &b.Filesystem[i]
				if r.Mountpoint != fullMount {
					continue
				}
				room := r.UsedBytes + r.AvailBytes
				r.AvailBytes = room / 20
				r.UsedBytes = room - r.AvailBytes
			}
		}
	}
}

// dataFiles returns the Parquet files of the archive, relative to it.
func dataFiles(dir string) ([]string, error) {
	var files []string
	err := filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && path == filepath.Join(dir, "rollup") {
			return filepath.SkipDir // TestRollupsReadBack checks those
		}
		if !d.IsDir() && strings.HasSuffix(path, ".parquet") {
			rel, err := filepath.Rel(dir, path)
			if err != nil {
				return err
			}
			files = append(files, rel)
		}
		return nil
	})
	slices.Sort(files)
	return files, err
}

// theFleet is written once by TestMain and read by every test.
var theFleet *fleet

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "almanac-duckdb-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	theFleet, err = writeFleet(dir, time.Now())
	code := 1
	if err != nil {
		fmt.Fprintln(os.Stderr, "write the test archive:", err)
	} else {
		code = m.Run()
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// TestArchiveShape checks that the archive holds what the other tests need
// to mean something: a compacted day file for each closed day and only
// parts for today, for every table and host.
func TestArchiveShape(t *testing.T) {
	files, err := dataFiles(theFleet.dir)
	if err != nil {
		t.Fatal(err)
	}
	type key struct{ table, host, date string }
	kinds := map[key][]string{}
	for _, f := range files {
		parts := strings.Split(filepath.ToSlash(f), "/")
		if len(parts) != 4 {
			t.Errorf("%s: want <table>/host=<host>/date=<day>/<file>", f)
			continue
		}
		k := key{parts[0], strings.TrimPrefix(parts[1], "host="), strings.TrimPrefix(parts[2], "date=")}
		kind, _, _ := strings.Cut(parts[3], "-")
		kinds[k] = append(kinds[k], kind)
	}
	for _, table := range schema.Names() {
		for _, host := range fleetHosts {
			for d := 2; d >= 0; d-- {
				day := theFleet.today.AddDate(0, 0, -d).Format(time.DateOnly)
				got := kinds[key{table, host, day}]
				if (table == schema.TableHost || table == schema.TableAlert || table == schema.TableOOMKill) && len(got) == 0 {
					continue // host facts, alerts and OOM kills are written when they change or happen
				}
				switch {
				case d > 0 && !slices.Equal(got, []string{"day"}):
					t.Errorf("%s/host=%s/date=%s: files %v, want one compacted day file", table, host, day, got)
				case d == 0 && (len(got) == 0 || slices.Contains(got, "day")):
					t.Errorf("%s/host=%s/date=%s: files %v, want today's parts only", table, host, day, got)
				}
			}
		}
	}
}
