package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"almanac/archive"
	"almanac/internal/s3test"
	"almanac/synth"
)

// fleetHost is one host of the fleet test: its samples every minute over
// the last day, with the spans it was silent and the boot time after each.
type fleetHost struct {
	name string
	gaps []fleetGap
	want float64 // availability over 24 h, computed by hand
}

type fleetGap struct {
	from, to time.Duration // before now: silent from now-from to now-to
	reboot   time.Duration // before now: the new boot time, or 0 (same boot: the sampler was off)
}

// writeFleetHost writes one host's own archive, as its sampler would. It
// runs beside the other hosts' (a goroutine of its own), so it returns its
// error rather than failing the test.
func writeFleetHost(dir string, h fleetHost, now time.Time, seed uint64) error {
	st, err := archive.Open(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		return err
	}
	defer st.Close()
	// A part every 4 h of samples: several a day, as ship and compaction need.
	w, err := st.Writer(h.name, archive.WriterOptions{NoSync: true, FlushEvery: 4 * time.Hour})
	if err != nil {
		return err
	}
	boot := now.Add(-40 * 24 * time.Hour).UnixMicro()
	g := synth.New(synth.Host{Name: h.name, Seed: seed, Processes: 5, Boot: time.UnixMicro(boot)})
	for at := now.Add(-24*time.Hour - 5*time.Minute); !at.After(now); at = at.Add(time.Minute) {
		silent := false
		for _, gp := range h.gaps {
			if at.After(now.Add(-gp.from)) && at.Before(now.Add(-gp.to)) {
				silent = true
			}
			if gp.reboot != 0 && !at.Before(now.Add(-gp.to)) {
				boot = now.Add(-gp.reboot).UnixMicro()
			}
		}
		b := g.Batch(at)
		if silent {
			continue
		}
		for i := range b.System {
			b.System[i].BootTime = boot
		}
		for i := range b.Host {
			b.Host[i].BootTime = boot
		}
		if err := w.Append(b); err != nil {
			w.Close()
			return fmt.Errorf("write %s: %w", h.name, err)
		}
	}
	return w.Close()
}

// almanac runs the CLI in-process and fails the test on a non-zero exit.
func almanac(t *testing.T, args ...string) string {
	t.Helper()
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
		t.Fatalf("almanac %s: exit %d\n%s%s", strings.Join(args, " "), code, &stdout, &stderr)
	}
	return stdout.String()
}

// TestFleet ships three hosts' archives to a real S3 server on 127.0.0.1,
// compacts and ships again (the parts a day file replaces disappear from
// the bucket), renders the fleet from the bucket and publishes the site
// back to it twice (the second run moves nothing). The overview must show
// the three hosts with the availability worked out by hand.
func TestFleet(t *testing.T) {
	srv := s3test.Start(t)
	s3test.Env(t)
	srv.MakeBucket(t, "fleet")
	s3 := []string{"--endpoint", srv.Endpoint(), "--path-style", "--log-level", "warn"}
	now := time.Now().UTC().Truncate(time.Minute)
	hosts := []fleetHost{
		{name: "steady", want: 100},
		// Down for an hour: the boot time changed across the gap.
		{name: "down1h", gaps: []fleetGap{{from: 10 * time.Hour, to: 9*time.Hour - time.Minute, reboot: 9 * time.Hour}}, want: 100 * 23.0 / 24},
		// The sampler was off for two hours (same boot: unknown, not down),
		// then a reboot took five minutes.
		{name: "rebooted", gaps: []fleetGap{
			{from: 20 * time.Hour, to: 18 * time.Hour},
			{from: 6 * time.Hour, to: 6*time.Hour - 6*time.Minute, reboot: 6*time.Hour - 5*time.Minute},
		}, want: 100 * (22*60 - 5) / (22 * 60.0)},
	}
	root := t.TempDir()
	// The hosts' archives are independent: write them side by side.
	errs := make([]error, len(hosts))
	var wg sync.WaitGroup
	for i, h := range hosts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = writeFleetHost(filepath.Join(root, h.name), h, now, uint64(i+1))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		dir := filepath.Join(root, h.name)
		out := almanac(t, append([]string{"ship", "--archive", dir, "--to", "s3://fleet/almanac"}, s3...)...)
		if !strings.Contains(out, "0 deleted") {
			t.Errorf("first ship of %s deleted something: %s", h.name, out)
		}
		if again := almanac(t, append([]string{"ship", "--archive", dir, "--to", "s3://fleet/almanac"}, s3...)...); !strings.Contains(again, " 0 uploaded") {
			t.Errorf("second ship of %s uploaded again: %s", h.name, again)
		}
	}

	// Compact yesterday (the last 24 h span two UTC days) and ship again:
	// the day files go up, the parts they replace go away.
	dir := filepath.Join(root, "steady")
	almanac(t, "archive", "compact", "--archive", dir, "--log-level", "warn")
	out := almanac(t, append([]string{"ship", "--archive", dir, "--to", "s3://fleet/almanac"}, s3...)...)
	if strings.Contains(out, " 0 deleted") {
		t.Errorf("ship after compaction deleted no superseded part: %s", out)
	}
	yesterday := now.Add(-24 * time.Hour).Format(time.DateOnly)
	cpuDay := filepath.Join(srv.Dir, "fleet", "almanac", "cpu", "host=steady", "date="+yesterday)
	names, err := os.ReadDir(cpuDay)
	if err != nil {
		t.Fatal(err)
	}
	if len(names) != 1 || !strings.HasPrefix(names[0].Name(), "day-") {
		var got []string
		for _, n := range names {
			got = append(got, n.Name())
		}
		t.Errorf("bucket folder %s holds %v, want one day file", cpuDay, got)
	}

	// Render the fleet from the bucket, then publish the site to it.
	site := filepath.Join(root, "site")
	cache := filepath.Join(root, "cache")
	out = almanac(t, append([]string{"render", "--archive", "s3://fleet/almanac", "--cache", cache, "--out", site}, s3...)...)
	if !strings.Contains(out, "3 hosts") {
		t.Errorf("render: %s", out)
	}
	index, err := os.ReadFile(filepath.Join(site, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hosts {
		got := overviewAvailability(t, index, h.name)
		if d := got - h.want; d > 0.1 || d < -0.1 {
			t.Errorf("%s: availability over 24 h = %.3f %%, want %.3f %%", h.name, got, h.want)
		}
	}
	if again := almanac(t, append([]string{"render", "--archive", "s3://fleet/almanac", "--cache", cache, "--out", site}, s3...)...); !strings.Contains(again, "3 hosts") {
		t.Errorf("second render from the cache: %s", again)
	}
	out = almanac(t, append([]string{"publish", "--site", site, "--to", "s3://fleet/site"}, s3...)...)
	if strings.Contains(out, " 0 uploaded") {
		t.Errorf("first publish uploaded nothing: %s", out)
	}
	if _, err := os.Stat(filepath.Join(srv.Dir, "fleet", "site", "index.html")); err != nil {
		t.Errorf("published site lacks index.html: %v", err)
	}
	out = almanac(t, append([]string{"publish", "--site", site, "--to", "s3://fleet/site"}, s3...)...)
	if !strings.Contains(out, " 0 uploaded, 0 deleted") || !strings.Contains(out, " 0 bytes") {
		t.Errorf("a publish with nothing changed moved something: %s", out)
	}
}

// overviewAvailability reads a host's 24 h availability from the fleet
// overview: the data-v of the first availability cell of its row.
func overviewAvailability(t *testing.T, index []byte, host string) float64 {
	t.Helper()
	re := regexp.MustCompile(`(?s)<tr data-host="` + regexp.QuoteMeta(host) + `">.*?<td class="num" data-v="([0-9.]+)"><a class="avail`)
	m := re.FindSubmatch(index)
	if m == nil {
		t.Fatalf("overview has no availability for %s", host)
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}
