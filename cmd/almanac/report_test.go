package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"almanac/archive"
	"almanac/internal/s3test"
	"almanac/synth"
)

// writeReportArchive writes host web1 sampled every minute over the two
// days before today (UTC) and today's first hour, the closed days
// compacted, and returns the archive folder and yesterday.
func writeReportArchive(t *testing.T) (string, time.Time) {
	t.Helper()
	dir := t.TempDir()
	st, err := archive.Open(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w, err := st.Writer("web1", archive.WriterOptions{NoSync: true, FlushEvery: 6 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	today := archive.Day(time.Now())
	g := synth.New(synth.Host{Name: "web1", Processes: 4, Seed: 5})
	for at := today.AddDate(0, 0, -2); at.Before(today.Add(time.Hour)); at = at.Add(time.Minute) {
		if err := w.Append(g.Batch(at)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Compact("web1", today.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	return dir, today.AddDate(0, 0, -1)
}

func TestReportBadFlags(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown section", []string{"cpu", "gpu"}, `no section "gpu": want cpu, load, memory`},
		{"bad time", []string{"--from", "yesterday"}, `--from "yesterday": not a time`},
		{"bad relative time", []string{"--from", "-2x"}, `--from "-2x": not a duration`},
		{"to before from", []string{"--from", "2026-11-29 14:00", "--to", "2026-11-29 13:00"}, "--to 2026-11-29 13:00:00 is not after --from 2026-11-29 14:00:00"},
		{"day with from", []string{"--day", "2026-11-29", "--from", "10:00"}, "--day goes without --from and --to"},
		{"bad day", []string{"--day", "29.11.2026"}, `--day "29.11.2026" is not a date`},
		{"bad format", []string{"--format", "xml"}, `--format "xml": want text, csv or json`},
		{"step too short", []string{"--every", "10ms"}, "--every 10ms is below 1s"},
		{"bad zone", []string{"--tz", "Mars/Olympus"}, `--tz "Mars/Olympus" is not a time zone`},
		{"bad glob", []string{"--host", "web["}, `--host "web[" is not a glob`},
		{"unknown flag", []string{"--hots", "x"}, "unknown flag: --hots"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), append([]string{"report", "--archive", dir}, tt.args...), &stdout, &stderr)
			if code != 2 || stdout.Len() != 0 || !strings.Contains(stderr.String(), tt.want) || !strings.Contains(stderr.String(), "\ntry: almanac report") {
				t.Errorf("exit %d, stdout %q, stderr %q; want 2 and an error with %q and a try: line", code, &stdout, &stderr, tt.want)
			}
		})
	}
}

func TestParseWhen(t *testing.T) {
	loc := time.FixedZone("X", 3600)
	now := time.Date(2026, 11, 30, 15, 30, 0, 0, loc)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"2026-11-29", time.Date(2026, 11, 29, 0, 0, 0, 0, loc)},
		{"2026-11-29 14:05", time.Date(2026, 11, 29, 14, 5, 0, 0, loc)},
		{"2026-11-29T14:05:09", time.Date(2026, 11, 29, 14, 5, 9, 0, loc)},
		{"09:15", time.Date(2026, 11, 30, 9, 15, 0, 0, loc)},
		{"2026-11-29T14:05:00Z", time.Date(2026, 11, 29, 14, 5, 0, 0, time.UTC)},
		{"-2h", now.Add(-2 * time.Hour)},
		{"-3d", now.AddDate(0, 0, -3)},
	}
	for _, tt := range tests {
		got, err := parseWhen(tt.in, now)
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("parseWhen(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

// TestReportCSV runs almanac report over a compacted day at a step of an
// hour and checks the shape of its CSV: a header, 24 rows and an Average.
func TestReportCSV(t *testing.T) {
	dir, yesterday := writeReportArchive(t)
	out := almanac(t, "report", "--archive", dir, "--day", yesterday.Format(time.DateOnly), "--tz", "UTC",
		"--every", "1h", "--format", "csv", "memory")
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if len(recs) != 26 || strings.Join(recs[0][:4], ",") != "host,section,time,kbmemfree" || recs[25][2] != "Average" {
		t.Errorf("csv: %d records, want a header, 24 hours and an Average:\n%s", len(recs), out)
	}
	if recs[1][2] != yesterday.Format(time.RFC3339) {
		t.Errorf("first step %s, want %s", recs[1][2], yesterday.Format(time.RFC3339))
	}
	text := almanac(t, "report", "--archive", dir, "--day", yesterday.Format(time.DateOnly), "--tz", "UTC", "--every", "6h")
	for _, want := range []string{"web1  ", "\ncpu ", "\nmemory ", "\ndisk ", "\nnetwork ", "\nfilesystem ", "\npressure ", "\nprocesses ", "\ntop ", "\nself ", "\nAverage:"} {
		if !strings.Contains(text, want) {
			t.Errorf("the text report has no %q:\n%s", want, text)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), []string{"report", "--archive", dir, "--host", "db*"}, &stdout, &stderr); code != 1 || !strings.Contains(stderr.String(), `no host in `+dir+` matches --host "db*"`) {
		t.Errorf("no matching host: exit %d, %s", code, &stderr)
	}
}

// TestReportS3 ships the archive to an S3 server on 127.0.0.1 and reports
// from the bucket: the numbers are those of the local archive, and the
// cache holds the rollups of the compacted day and not its raw rows.
func TestReportS3(t *testing.T) {
	dir, yesterday := writeReportArchive(t)
	srv := s3test.Start(t)
	s3test.Env(t)
	srv.MakeBucket(t, "metrics")
	s3 := []string{"--endpoint", srv.Endpoint(), "--path-style", "--log-level", "warn"}
	almanac(t, append([]string{"ship", "--archive", dir, "--to", "s3://metrics/almanac"}, s3...)...)
	cache := t.TempDir()
	args := []string{"--day", yesterday.Format(time.DateOnly), "--tz", "UTC", "--every", "10m", "--format", "json", "cpu", "network"}
	remote := almanac(t, append(append([]string{"report", "--archive", "s3://metrics/almanac", "--cache", cache}, s3...), args...)...)
	local := almanac(t, append([]string{"report", "--archive", dir}, args...)...)
	var a, b any
	if err := json.Unmarshal([]byte(remote), &a); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(local), &b); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Errorf("the report from S3 differs from the local one:\n%s\n%s", remote, local)
	}
	day := "date=" + yesterday.Format(time.DateOnly)
	raw, _ := filepath.Glob(filepath.Join(cache, "*", "host=web1", day, "*.parquet"))
	rolled, _ := filepath.Glob(filepath.Join(cache, "rollup", "1m", "*", "host=web1", day, "*.parquet"))
	others, _ := filepath.Glob(filepath.Join(cache, "rollup", "1h", "*", "host=web1", day, "*.parquet"))
	if len(raw) != 0 || len(rolled) != 2 || len(others) != 0 {
		t.Errorf("cache holds raw %v, per-minute rollups %v, per-hour %v; want the per-minute rollups of cpu and network only", raw, rolled, others)
	}
}

// FuzzParseWhen feeds --from and --to values to parseWhen: it must return
// a time or an error, never panic.
func FuzzParseWhen(f *testing.F) {
	for _, s := range []string{"2026-11-29", "2026-11-29 14:05", "09:15", "-2h", "-3d", "-", "-d", "2026-11-29T14:05:00Z", "25:99", ""} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 30, 15, 30, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		parseWhen(s, now)
	})
}
