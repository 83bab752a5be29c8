package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"golang.org/x/sys/unix"

	"almanac/archive"
	"almanac/internal/s3test"
	"almanac/internal/testfs"
	"almanac/synth"
)

// faultDay is the day the fault tests' hosts sample: its previous day is
// closed and compacted, its own parts are open.
var faultDay = time.Date(2026, 8, 21, 0, 0, 0, 0, time.UTC)

// writeFaultHost writes a host's samples from 22:00 the day before
// faultDay to 02:00 on faultDay, one a minute, in parts of 30 minutes,
// and compacts the closed day.
func writeFaultHost(t *testing.T, dir, host string, seed uint64) {
	t.Helper()
	st, err := archive.Open(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w, err := st.Writer(host, archive.WriterOptions{NoSync: true, FlushEvery: 30 * time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	g := synth.New(synth.Host{Name: host, Seed: seed, Processes: 5})
	for at := faultDay.Add(-2 * time.Hour); at.Before(faultDay.Add(2 * time.Hour)); at = at.Add(time.Minute) {
		if err := w.Append(g.Batch(at)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// Closed days compacted; today's parts left as they are.
	if _, err := st.CompactWith(host, faultDay.Add(12*time.Hour), archive.CompactOptions{Consolidate: -1}); err != nil {
		t.Fatal(err)
	}
}

// one returns the single file matching the glob pattern under dir.
func one(t *testing.T, dir, pattern string) string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, filepath.FromSlash(pattern)))
	if err != nil || len(m) == 0 {
		t.Fatalf("no file matches %s: %v", pattern, err)
	}
	slices.Sort(m)
	return m[0]
}

// runCLI runs almanac in-process and returns the exit code and outputs.
func runCLI(args ...string) (int, string, string) {
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// plantCorrupt damages four files of the host web1 in dir, one of each
// kind a ship must never upload, and returns their keys.
func plantCorrupt(t *testing.T, dir string) []string {
	t.Helper()
	today := "host=web1/date=" + faultDay.Format(time.DateOnly)
	yesterday := "host=web1/date=" + faultDay.AddDate(0, 0, -1).Format(time.DateOnly)
	truncated := one(t, dir, "memory/"+today+"/part-*.parquet")
	fi, _ := os.Stat(truncated)
	if err := os.Truncate(truncated, fi.Size()*2/3); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(dir, "cpu", filepath.FromSlash(today), "part-1.parquet")
	text := filepath.Join(dir, "disk", filepath.FromSlash(today), "part-2.parquet")
	if err := os.WriteFile(empty, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(text, []byte("time,load1\n2026-08-21,0.5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	flipped := one(t, dir, "system/"+yesterday+"/day-*.parquet")
	testfs.FlipInPage(t, flipped, "load1", false)
	var keys []string
	for _, p := range []string{truncated, empty, text, flipped} {
		rel, _ := filepath.Rel(dir, p)
		keys = append(keys, filepath.ToSlash(rel))
	}
	slices.Sort(keys)
	return keys
}

// TestShipCorrupt ships an archive holding a truncated part, an empty
// file, a text file named like a part and a day file with a flipped byte
// in a data page to a real S3 server: none of them is uploaded, each is
// set aside and named, everything else is, ship exits 1 with the true
// counts, and every object in the bucket opens and reads whole with
// parquet-go. A second ship moves nothing and exits 0.
func TestShipCorrupt(t *testing.T) {
	srv := s3test.Start(t)
	s3test.Env(t)
	srv.MakeBucket(t, "fleet")
	s3 := []string{"--endpoint", srv.Endpoint(), "--path-style", "--log-level", "warn"}
	dir := t.TempDir()
	writeFaultHost(t, dir, "web1", 1)
	writeFaultHost(t, dir, "web2", 2)
	st, err := archive.Open(dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	all, err := st.ClosedFiles()
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	bad := plantCorrupt(t, dir)
	var good []string
	for _, k := range all {
		if !slices.Contains(bad, k) {
			good = append(good, k)
		}
	}
	// The empty and the text file are new names: all holds neither.
	if n := len(all) - len(good); n != 2 {
		t.Fatalf("%d of the damaged files were closed files, want 2", n)
	}

	args := append([]string{"ship", "--archive", dir, "--to", "s3://fleet/almanac"}, s3...)
	code, stdout, stderr := runCLI(args...)
	t.Logf("stderr:\n%s", stderr)
	if code != 1 {
		t.Fatalf("ship: exit %d, want 1\n%s%s", code, stdout, stderr)
	}
	summary := fmt.Sprintf("4 refused, 0 failed, 0 not attempted, 0 vanished; %d uploaded, 0 unchanged, 0 deleted", len(good))
	if !strings.Contains(stderr, summary) {
		t.Errorf("stderr lacks the summary %q", summary)
	}
	for _, k := range bad {
		if !strings.Contains(stderr, k+": archive: corrupt parquet file") || !strings.Contains(stderr, archive.QuarantineKey(k)) {
			t.Errorf("stderr does not name %s as corrupt and set aside", k)
		}
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(archive.QuarantineKey(k)))); err != nil {
			t.Errorf("%s not set aside: %v", k, err)
		}
	}
	if !strings.Contains(stderr, "crc32 checksum mismatch") {
		t.Error("the flipped byte was not caught by its page's checksum")
	}

	// The bucket holds exactly the good files, each readable whole.
	bucket := filepath.Join(srv.Dir, "fleet", "almanac")
	var got []string
	err = filepath.WalkDir(bucket, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".parquet") {
			return err
		}
		rel, _ := filepath.Rel(bucket, p)
		got = append(got, filepath.ToSlash(rel))
		readParquet(t, p)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if !slices.Equal(got, good) {
		t.Errorf("bucket holds %d files, want the %d good ones:\ngot  %v\nwant %v", len(got), len(good), got, good)
	}

	code, stdout, stderr = runCLI(args...)
	if code != 0 || !strings.Contains(stdout, " 0 uploaded") {
		t.Errorf("second ship: exit %d, want 0 and nothing uploaded\n%s%s", code, stdout, stderr)
	}
}

// readParquet opens the Parquet file p with parquet-go and reads every
// row, failing the test on any error.
func readParquet(t *testing.T, p string) {
	t.Helper()
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	pf, err := parquet.OpenFile(f, fi.Size())
	if err != nil {
		t.Errorf("%s: %v", p, err)
		return
	}
	r := parquet.NewReader(pf)
	defer r.Close()
	rows := make([]parquet.Row, 256)
	var n int64
	for {
		k, err := r.ReadRows(rows)
		n += int64(k)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Errorf("%s: row %d: %v", p, n, err)
			return
		}
	}
	if n != pf.NumRows() {
		t.Errorf("%s: read %d rows, want %d", p, n, pf.NumRows())
	}
}

// TestUnexpectedEntriesCLI plants a dangling symlink, a symlink to a
// Parquet file outside the archive and a folder named part-2.parquet:
// render and ship succeed with a warning naming each and what to do, the
// outside file is never shipped; with --strict both fail, naming each, and
// render keeps the old site.
func TestUnexpectedEntriesCLI(t *testing.T) {
	dir := t.TempDir()
	writeFaultHost(t, dir, "web1", 1)
	outside := t.TempDir()
	today := filepath.Join(dir, "memory", "host=web1", "date="+faultDay.Format(time.DateOnly))
	data, err := os.ReadFile(one(t, today, "part-*.parquet"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(outside, "secret.parquet"), data, 0o644)
	planted := []string{
		filepath.Join(today, "part-99999999990.parquet"), // dangling
		filepath.Join(today, "part-99999999991.parquet"), // out of the archive
		filepath.Join(today, "part-2.parquet"),           // a folder
	}
	if err := os.Symlink("part-404.parquet", planted[0]); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(filepath.Join(outside, "secret.parquet"), planted[1]); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(planted[2], 0o755); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "site")
	to := filepath.Join(t.TempDir(), "nfs")
	checkNamed := func(what, stderr string) {
		t.Helper()
		for _, p := range planted {
			if !strings.Contains(stderr, p) {
				t.Errorf("%s: stderr does not name %s:\n%s", what, p, stderr)
			}
		}
		for _, s := range []string{"dangling symlink", "outside the archive", "is a folder, not a Parquet file", "remove the link", "move it out of the archive"} {
			if !strings.Contains(stderr, s) {
				t.Errorf("%s: stderr does not say %q", what, s)
			}
		}
	}
	for _, cmd := range [][]string{
		{"render", "--archive", dir, "--out", out},
		{"ship", "--archive", dir, "--to", to},
	} {
		code, stdout, stderr := runCLI(cmd...)
		if code != 0 {
			t.Fatalf("%s: exit %d, want 0\n%s%s", cmd[0], code, stdout, stderr)
		}
		checkNamed(cmd[0], stderr)
		if n := strings.Count(stderr, "level=WARN"); n != len(planted) {
			t.Errorf("%s: %d warnings, want %d:\n%s", cmd[0], n, len(planted), stderr)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "index.html")); err != nil {
		t.Errorf("render wrote no site: %v", err)
	}
	filepath.WalkDir(to, func(p string, d fs.DirEntry, err error) error {
		if err == nil && (strings.Contains(p, "9999999999") || strings.HasSuffix(p, "part-2.parquet")) {
			t.Errorf("shipped %s", p)
		}
		return nil
	})
	index, _ := os.ReadFile(filepath.Join(out, "index.html"))
	for _, cmd := range [][]string{
		{"render", "--archive", dir, "--out", out, "--strict"},
		{"ship", "--archive", dir, "--to", to, "--strict"},
	} {
		code, stdout, stderr := runCLI(cmd...)
		if code != 1 {
			t.Errorf("%s --strict: exit %d, want 1\n%s%s", cmd[0], code, stdout, stderr)
		}
		if !strings.Contains(stderr, "3 unexpected entries") {
			t.Errorf("%s --strict: stderr does not count the entries:\n%s", cmd[0], stderr)
		}
		checkNamed(cmd[0]+" --strict", stderr)
	}
	if again, _ := os.ReadFile(filepath.Join(out, "index.html")); !bytes.Equal(index, again) {
		t.Error("render --strict replaced the site")
	}
}

// TestCompactEveryHost compacts an archive where one host has a corrupt
// file and another's compaction is locked by another process: the third
// host is compacted all the same, the exit code is 1 and both failures are
// named.
func TestCompactEveryHost(t *testing.T) {
	dir := t.TempDir()
	for i, h := range []string{"a1", "a2", "web1"} {
		st, err := archive.Open(dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		w, err := st.Writer(h, archive.WriterOptions{NoSync: true, FlushEvery: 30 * time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		g := synth.New(synth.Host{Name: h, Seed: uint64(i + 1)})
		for at := faultDay.Add(-2 * time.Hour); at.Before(faultDay); at = at.Add(time.Minute) {
			if err := w.Append(g.Batch(at)); err != nil {
				t.Fatal(err)
			}
		}
		w.Close()
		st.Close()
	}
	yesterday := "date=" + faultDay.AddDate(0, 0, -1).Format(time.DateOnly)
	bad := one(t, dir, "cpu/host=a1/"+yesterday+"/part-*.parquet")
	os.WriteFile(bad, []byte("not parquet"), 0o644)
	lock, err := os.OpenFile(filepath.Join(dir, ".journal", "a2.compact.lock"), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Close()
	if err := unix.Flock(int(lock.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		t.Fatal(err)
	}

	code, stdout, stderr := runCLI("archive", "compact", "--archive", dir, "--log-level", "warn")
	if code != 1 {
		t.Errorf("exit %d, want 1\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"2 of 3 hosts failed", `compact "a1"`, filepath.Base(bad), `compact "a2"`, "in use by another process"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr does not say %q:\n%s", want, stderr)
		}
	}
	// Each host's line says what was done in words, a failed host's too.
	for _, h := range []string{"a1", "a2", "web1"} {
		if !regexp.MustCompile(`(?m)^` + h + `: \d+ table-days compacted from \d+ files \(\d+ rows, \d+ bytes in, \d+ out\), \d+ rollups written, \d+ hour files consolidated, \d+ files removed$`).MatchString(stdout) {
			t.Errorf("stdout lacks the line of host %s:\n%s", h, stdout)
		}
	}
	if !regexp.MustCompile(`(?m)^web1: [1-9]\d* table-days compacted`).MatchString(stdout) {
		t.Errorf("stdout does not say that web1's days were compacted:\n%s", stdout)
	}
	for _, h := range []string{"a1", "web1"} {
		if m, _ := filepath.Glob(filepath.Join(dir, "system", "host="+h, yesterday, "day-*.parquet")); len(m) != 1 {
			t.Errorf("host %s not compacted: %v", h, m)
		}
	}
	if m, _ := filepath.Glob(filepath.Join(dir, "system", "host=a2", yesterday, "day-*.parquet")); len(m) != 0 {
		t.Errorf("host a2 compacted through its lock: %v", m)
	}
}
