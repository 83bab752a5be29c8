// Package fleetgen writes synthetic fleets into an archive, for
// benchmarks of render at scale: a few distinct template hosts are sampled
// (package synth) through the archive's own writer and compacted, which
// writes their day files and rollups, and every further host is a clone of
// one of them whose files are hard links to the template's (its host
// table, which carries the hostname the facts page shows, is written for
// it). Render reads a host only from its own partitions, so a clone costs
// render as much as its template while costing the generator almost
// nothing: 100 hosts × 30 days take the time of the templates.
//
// The templates have the shapes a fleet has: one crashes (a reboot after
// 20 minutes without samples), one has its sampler stopped for three
// hours (same boot time: "no data"), one has an OOM kill, one has a /var
// filling up over its last week; the others are plain.
package fleetgen

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"almanac/archive"
	"almanac/schema"
	"almanac/synth"
)

// Options say what fleet Generate writes.
type Options struct {
	Dir       string        // the archive folder (created when missing)
	Hosts     int           // hosts in the fleet (default 10)
	Days      int           // days of samples up to Now (default 30)
	Every     time.Duration // sampling interval (default 10 s)
	Processes int           // processes in the process table (default 60)
	ProcDays  int           // days, up to Now, with the process table (default 2)
	Templates int           // distinct hosts sampled; the others are clones (default min(Hosts, 4))
	Jobs      int           // templates written at once (default 2)
	Now       time.Time     // end of the samples (required)
	Prefix    string        // host name prefix (default "host")
	Custom    bool          // custom metrics in every sample (synth.Host.Custom)
	Log       *slog.Logger
}

// Name returns the name of host number i of a fleet made with prefix.
func Name(prefix string, i int) string {
	if prefix == "" {
		prefix = "host"
	}
	return fmt.Sprintf("%s%04d", prefix, i)
}

func (o *Options) defaults() error {
	if o.Dir == "" {
		return errors.New("fleetgen: no archive folder")
	}
	if o.Now.IsZero() {
		return errors.New("fleetgen: no end time (Options.Now)")
	}
	if o.Hosts <= 0 {
		o.Hosts = 10
	}
	if o.Days <= 0 {
		o.Days = 30
	}
	if o.Every <= 0 {
		o.Every = 10 * time.Second
	}
	if o.Processes < 0 {
		o.Processes = 0
	} else if o.Processes == 0 {
		o.Processes = 60
	}
	if o.ProcDays <= 0 {
		o.ProcDays = 2
	}
	if o.Templates <= 0 {
		o.Templates = min(o.Hosts, 4)
	}
	o.Templates = min(o.Templates, o.Hosts)
	if o.Jobs <= 0 {
		o.Jobs = 2
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Generate writes the fleet of o into o.Dir. Hosts already in the archive
// are left as they are, so an interrupted run can be finished by running
// it again (a template is written again from scratch when it has no
// .fleetgen-<host> marker).
func Generate(ctx context.Context, o Options) error {
	if err := o.defaults(); err != nil {
		return err
	}
	if err := os.MkdirAll(o.Dir, 0o755); err != nil {
		return fmt.Errorf("fleetgen: %w", err)
	}
	st, err := archive.Open(o.Dir, o.Log)
	if err != nil {
		return fmt.Errorf("fleetgen: %w", err)
	}
	defer st.Close()

	var wg sync.WaitGroup
	errs := make([]error, o.Templates)
	sem := make(chan struct{}, o.Jobs)
	for t := range o.Templates {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			if ctx.Err() != nil {
				errs[t] = ctx.Err()
				return
			}
			errs[t] = writeTemplate(st, o, t)
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("fleetgen: %w", err)
	}
	for i := o.Templates; i < o.Hosts; i++ {
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("fleetgen: %w", err)
		}
		if err := writeClone(st, o, i); err != nil {
			return fmt.Errorf("fleetgen: %w", err)
		}
	}
	return nil
}

// marker is the file that says host is complete.
func marker(o Options, host string) string {
	return filepath.Join(o.Dir, ".fleetgen-"+host)
}

// shape is what happens to a template host.
type shape int

const (
	plain shape = iota
	crash
	stopped
	oom
	filling
)

// shapeOf returns the shape of template t: the first four have one each.
func shapeOf(t int) shape {
	switch t {
	case 0:
		return crash
	case 1:
		return stopped
	case 2:
		return oom
	case 3:
		return filling
	}
	return plain
}

// writeTemplate samples template host number t and compacts its closed days.
func writeTemplate(st *archive.Store, o Options, t int) error {
	name := Name(o.Prefix, t)
	if _, err := os.Stat(marker(o, name)); err == nil {
		return nil
	}
	if err := removeHost(o.Dir, name); err != nil {
		return err
	}
	start := time.Now()
	w, err := st.Writer(name, archive.WriterOptions{NoSync: true, FlushEvery: 1000 * time.Hour})
	if err != nil {
		return err
	}
	end := o.Now
	from := end.Add(-time.Duration(o.Days) * 24 * time.Hour)
	procFrom := end.Add(-time.Duration(o.ProcDays) * 24 * time.Hour)
	host := synth.Host{Name: name, Seed: uint64(t + 1), Boot: from.Add(-time.Hour), Custom: o.Custom}
	sh := shapeOf(t)
	// The events of the shapes, at fixed fractions of the range.
	span := end.Sub(from)
	event := from.Add(span * 2 / 3).Truncate(o.Every)
	var gapEnd time.Time
	switch sh {
	case crash:
		gapEnd = event.Add(20 * time.Minute)
	case stopped:
		gapEnd = event.Add(3 * time.Hour)
	}
	fillFrom := end.Add(-7 * 24 * time.Hour)
	g := synth.New(host)
	for at := from; at.Before(end); at = at.Add(o.Every) {
		if !gapEnd.IsZero() && !at.Before(event) && at.Before(gapEnd) {
			continue
		}
		if !gapEnd.IsZero() && at.Equal(gapEnd) {
			// The sampler starts again: after a crash on a new boot.
			if sh == crash {
				host.Boot = gapEnd.Add(-2 * time.Minute)
			}
			host.Seed += 1000
			g = synth.New(host)
		}
		if !at.Before(procFrom) && host.Processes == 0 && o.Processes > 0 {
			host.Processes = o.Processes
			g = synth.New(host)
			g.Batch(at.Add(-o.Every)) // prime the rates
		}
		b := g.Batch(at)
		switch {
		case sh == oom && at.Equal(event):
			for i := range b.Memory {
				b.Memory[i].OOMKills = 1
				b.Memory[i].FreeBytes = 64 << 20
				b.Memory[i].AvailableBytes = 96 << 20
			}
		case sh == filling && !at.Before(fillFrom):
			fill(b, "/var", float64(at.Sub(fillFrom))/float64(end.Sub(fillFrom)))
		}
		if err := w.Append(b); err != nil {
			w.Close()
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	cs, err := st.Compact(name, o.Now)
	if err != nil {
		return err
	}
	o.Log.Info("template host written", "host", name, "partitions", cs.Partitions, "rollups", cs.Rollups,
		"seconds", time.Since(start).Seconds())
	return os.WriteFile(marker(o, name), nil, 0o644)
}

// fill sets the filesystem mounted at mount to be filling up: from 70 %
// at f = 0 to 97 % at f = 1.
func fill(b *schema.Batch, mount string, f float64) {
	for i := range b.Filesystem {
		r := &b.Filesystem[i]
		if r.Mountpoint != mount {
			continue
		}
		r.UsedBytes = int64((0.70+0.27*f)*float64(r.SizeBytes)) / 4096 * 4096
		r.AvailBytes = max(0, r.SizeBytes-r.UsedBytes-r.SizeBytes/20)
	}
}

// writeClone makes host number i a clone of template i % Templates: hard
// links to every file of the template's partitions and rollups but the
// host table, which is written for the clone (it holds the hostname).
func writeClone(st *archive.Store, o Options, i int) error {
	name := Name(o.Prefix, i)
	if _, err := os.Stat(marker(o, name)); err == nil {
		return nil
	}
	if err := removeHost(o.Dir, name); err != nil {
		return err
	}
	tmpl := Name(o.Prefix, i%o.Templates)
	hostDir := "host=" + tmpl
	hostTable := string(schema.TableHost)
	err := filepath.WalkDir(o.Dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(o.Dir, p)
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") && p != o.Dir {
				return fs.SkipDir // .journal and the like
			}
			if strings.HasPrefix(d.Name(), "host=") && d.Name() != hostDir {
				return fs.SkipDir
			}
			return nil
		}
		parts := strings.Split(filepath.ToSlash(rel), "/")
		k := -1
		for j, s := range parts {
			if s == hostDir {
				k = j
			}
		}
		if k < 1 || parts[k-1] == hostTable || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		parts[k] = "host=" + name
		dst := filepath.Join(o.Dir, filepath.FromSlash(strings.Join(parts, "/")))
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		return os.Link(p, dst)
	})
	if err != nil {
		return fmt.Errorf("clone %s of %s: %w", name, tmpl, err)
	}
	// The host table: one row a day, as the template has, with this name.
	fr, err := st.Scan(schema.TableHost, tmpl, o.Now.AddDate(-2, 0, 0), o.Now.Add(time.Hour), "boot_time")
	if err != nil {
		return fmt.Errorf("clone %s: read the host table of %s: %w", name, tmpl, err)
	}
	w, err := st.Writer(name, archive.WriterOptions{NoSync: true, FlushEvery: 1000 * time.Hour})
	if err != nil {
		return err
	}
	g := synth.New(synth.Host{Name: name, Seed: uint64(i%o.Templates + 1)})
	for k, us := range fr.Time {
		at := time.UnixMicro(us).UTC()
		b := g.Batch(at)
		facts := &schema.Batch{Time: at, Host: b.Host}
		if len(facts.Host) == 0 {
			continue
		}
		for j := range facts.Host {
			facts.Host[j].Time = us
			facts.Host[j].BootTime = int64(fr.Num["boot_time"][k])
		}
		if err := w.Append(facts); err != nil {
			w.Close()
			return err
		}
		g = synth.New(synth.Host{Name: name, Seed: uint64(i%o.Templates + 1)}) // facts on every call
	}
	if err := w.Close(); err != nil {
		return err
	}
	if _, err := st.Compact(name, o.Now); err != nil {
		return err
	}
	return os.WriteFile(marker(o, name), nil, 0o644)
}

// removeHost removes what an interrupted run left of host.
func removeHost(dir, host string) error {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var todo []string
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if e.Name() == "rollup" {
			res, _ := os.ReadDir(filepath.Join(dir, "rollup"))
			for _, r := range res {
				tabs, _ := os.ReadDir(filepath.Join(dir, "rollup", r.Name()))
				for _, t := range tabs {
					todo = append(todo, filepath.Join(dir, "rollup", r.Name(), t.Name(), "host="+host))
				}
			}
			continue
		}
		todo = append(todo, filepath.Join(dir, e.Name(), "host="+host))
	}
	for _, p := range todo {
		if err := os.RemoveAll(p); err != nil {
			return err
		}
	}
	return nil
}
