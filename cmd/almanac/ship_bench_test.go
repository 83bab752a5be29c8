package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
	"time"

	"almanac/archive"
	"almanac/internal/s3test"
	"almanac/internal/testfs"
	"almanac/synth"
)

// shipFleet writes (once, then reuses from $TMPDIR) an archive of 10 hosts
// over 30 days at a 1-minute interval, every closed day compacted: the
// files a fleet's ship moves (10 hosts x 30 days x 12 tables).
func shipFleet(b *testing.B) string {
	b.Helper()
	return testfs.Kept(b, "almanac-ship-bench-v1", func(dir string) { writeShipFleet(b, dir) })
}

// writeShipFleet writes shipFleet's archive into dir.
func writeShipFleet(b *testing.B, dir string) {
	st, err := archive.Open(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	end := time.Now().UTC().Truncate(24 * time.Hour)
	for i := range 10 {
		host := fmt.Sprintf("web%02d", i)
		w, err := st.Writer(host, archive.WriterOptions{NoSync: true, FlushEvery: 6 * time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		g := synth.New(synth.Host{Name: host, Seed: uint64(i + 1), Processes: 20})
		for at := end.Add(-30 * 24 * time.Hour); at.Before(end); at = at.Add(time.Minute) {
			if err := w.Append(g.Batch(at)); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
		if _, err := st.Compact(host, end.Add(time.Hour)); err != nil {
			b.Fatal(err)
		}
	}
}

var shippedRe = regexp.MustCompile(`(\d+) uploaded, \d+ deleted, (\d+) unchanged, (\d+) bytes`)

// BenchmarkShipFleet ships a 10-host x 30-day archive to a real S3 server
// on 127.0.0.1, then renders the fleet's site and publishes it there: for
// each, a first run (everything moves) and a second with nothing changed
// (nothing may move). It reports seconds, files and bytes of each.
//
//	go test ./cmd/almanac -run '^$' -bench ShipFleet -benchtime 1x -timeout 30m
func BenchmarkShipFleet(b *testing.B) {
	dir := shipFleet(b)
	srv := s3test.Start(b)
	s3test.Env(b)
	for i := range b.N {
		bucket := fmt.Sprintf("ship%d", i)
		srv.MakeBucket(b, bucket)
		s3 := []string{"--endpoint", srv.Endpoint(), "--path-style", "--log-level", "warn"}
		site := filepath.Join(b.TempDir(), "site")
		var stdout, stderr bytes.Buffer
		if code := run(context.Background(), append([]string{"render", "--archive", dir, "--out", site}, s3[2:]...), &stdout, &stderr); code != 0 {
			b.Fatalf("render: exit %d: %s%s", code, &stdout, &stderr)
		}
		for _, job := range []struct {
			name string
			args []string
		}{
			{"ship", append([]string{"ship", "--archive", dir, "--to", "s3://" + bucket + "/almanac"}, s3...)},
			{"publish", append([]string{"publish", "--site", site, "--to", "s3://" + bucket + "/site"}, s3...)},
		} {
			shipOrPublish(b, job.name, job.args)
		}
	}
}

// shipOrPublish runs almanac ship or publish twice and reports both runs.
func shipOrPublish(b *testing.B, name string, args []string) {
	b.Helper()
	for _, pass := range []string{"first", "second"} {
		var stdout, stderr bytes.Buffer
		start := time.Now()
		if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
			b.Fatalf("%s: exit %d: %s%s", name, code, &stdout, &stderr)
		}
		secs := time.Since(start).Seconds()
		m := shippedRe.FindStringSubmatch(stdout.String())
		if m == nil {
			b.Fatalf("%s printed %q", name, &stdout)
		}
		files, _ := strconv.Atoi(m[1])
		moved, _ := strconv.ParseFloat(m[3], 64)
		b.ReportMetric(secs, name+"-"+pass+"-s")
		b.ReportMetric(float64(files), name+"-"+pass+"-files")
		b.ReportMetric(moved, name+"-"+pass+"-bytes")
		if pass == "second" && (files != 0 || moved != 0) {
			b.Errorf("a %s with nothing changed moved %d files, %.0f bytes", name, files, moved)
		}
	}
}
