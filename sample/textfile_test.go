//go:build linux

package sample

import (
	"almanac/schema"
	"bytes"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// textfileRun samples the textfile directory dir n+1 times, 10 s apart
// (the first reading appends nothing), and returns the rows of the last
// sample and the log.
type textfileRun struct {
	c   *textfileCollector
	log *bytes.Buffer
	now time.Time
}

func newTextfileRun(dir string, maxSeries, maxTotal int) *textfileRun {
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	r := &textfileRun{c: newTextfileCollector(dir, maxSeries, maxTotal, log), log: &buf,
		now: time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)}
	r.sample(true)
	return r
}

func (r *textfileRun) sample(first bool) []schema.CustomRow {
	var b schema.Batch
	r.now = r.now.Add(10 * time.Second)
	if err := r.c.Collect(Source{}, Tick{Now: r.now, Time: schema.Micros(r.now), First: first}, &b); err != nil {
		panic(err)
	}
	return b.Custom
}

// rowText is a custom row without time, labels or help, as one line.
func rowText(rows []schema.CustomRow) []string {
	var out []string
	for _, r := range rows {
		out = append(out, strings.Join([]string{r.File, r.Metric, r.Series, r.Type, r.Unit,
			strconv.FormatFloat(r.Value, 'f', -1, 64)}, " "))
	}
	return out
}

func TestTextfileGood(t *testing.T) {
	r := newTextfileRun("testdata/textfile/good", 0, 0)
	rows := r.sample(false)
	want := []string{
		`backup.prom backup_age_seconds {db="app"} gauge seconds 3600`,
		`backup.prom backup_age_seconds {db="web",host_group="eu \"west\""} gauge seconds 120.5`,
		`backup.prom backup_size_bytes {db="app"} gauge bytes 1073741824`,
		`backup.prom backup_size_bytes {db="web",host_group="eu \"west\""} gauge bytes 536870912`,
		`jobs.prom job_duration_seconds_bucket {le="+Inf"} histogram seconds 43`,
		`jobs.prom job_duration_seconds_bucket {le="300"} histogram seconds 42`,
		`jobs.prom job_duration_seconds_bucket {le="60"} histogram seconds 30`,
		`jobs.prom job_duration_seconds_count  histogram seconds 43`,
		`jobs.prom job_duration_seconds_sum  histogram seconds 4321.5`,
		`jobs.prom job_runs_total {outcome="failed"} counter  2`,
		`jobs.prom job_runs_total {outcome="ok"} counter  41`,
		`jobs.prom queue_length  untyped  7`,
		`jobs.prom rpc_latency_seconds {quantile="0.5"} summary seconds 0.012`,
		`jobs.prom rpc_latency_seconds {quantile="0.99"} summary seconds 0.2`,
		`jobs.prom rpc_latency_seconds_count  summary seconds 1000`,
		`jobs.prom rpc_latency_seconds_sum  summary seconds 12.5`,
	}
	if diff := cmp.Diff(want, rowText(rows)); diff != "" {
		t.Errorf("rows (-want +got):\n%s", diff)
	}
	for _, row := range rows {
		if row.Time != schema.Micros(r.now) {
			t.Errorf("%s: time %d, want the sample's", row.Metric, row.Time)
		}
		if got := canonicalSeries(row.Labels); got != row.Series {
			t.Errorf("%s: labels %v give %s, series says %s", row.Metric, row.Labels, got, row.Series)
		}
	}
	if rows[1].Help != "Seconds since the last backup finished." || rows[1].Labels[1] != (schema.Label{Name: "host_group", Value: `eu "west"`}) {
		t.Errorf("help or labels of %+v", rows[1])
	}
	if r.log.Len() != 0 {
		t.Errorf("a good directory logged:\n%s", r.log)
	}
}

func TestTextfileBad(t *testing.T) {
	r := newTextfileRun("testdata/textfile/bad", 0, 0)
	rows := r.sample(false)
	for _, row := range rows {
		if row.File != "fine.prom" {
			t.Errorf("row of %s, a bad file", row.File)
		}
	}
	if len(rows) != 4 {
		t.Errorf("%d rows, want the 4 of fine.prom", len(rows))
	}
	log := r.log.String()
	for _, want := range []string{
		"syntax.prom", "line 3",
		"timestamp.prom", "a timestamp",
		"halfwritten.prom", "no newline at the end",
		"dup.prom", "twice",
		"typeclash.prom",
	} {
		if !strings.Contains(log, want) {
			t.Errorf("log lacks %q:\n%s", want, log)
		}
	}
	if n := strings.Count(log, "level=WARN"); n != 5 {
		t.Errorf("%d warnings, want one per bad file (5):\n%s", n, log)
	}
	// Unchanged files are not parsed or logged again.
	r.log.Reset()
	if rows := r.sample(false); len(rows) != 4 {
		t.Errorf("second sample: %d rows, want 4", len(rows))
	}
	if r.log.Len() != 0 {
		t.Errorf("unchanged bad files logged again:\n%s", r.log)
	}
}

// writeRename writes a textfile as a script should: to a temporary name,
// then renamed into place.
func writeRename(t *testing.T, dir, name, content string) {
	t.Helper()
	tmp := filepath.Join(dir, "."+name+".tmp")
	if err := os.WriteFile(tmp, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
		t.Fatal(err)
	}
}

func TestTextfileChanges(t *testing.T) {
	dir := t.TempDir()
	writeRename(t, dir, "a.prom", "# HELP x An x.\n# TYPE x gauge\nx 1\n")
	r := newTextfileRun(dir, 0, 0)
	if got := rowText(r.sample(false)); !cmp.Equal(got, []string{"a.prom x  gauge  1"}) {
		t.Fatalf("first: %v", got)
	}
	writeRename(t, dir, "a.prom", "x 2\n")
	if got := rowText(r.sample(false)); !cmp.Equal(got, []string{"a.prom x  untyped  2"}) {
		t.Errorf("after a rewrite: %v", got)
	}
	// A broken rewrite: skipped, logged once; fixed: read again.
	writeRename(t, dir, "a.prom", "x{\n")
	if rows := r.sample(false); len(rows) != 0 {
		t.Errorf("broken file gave %d rows", len(rows))
	}
	writeRename(t, dir, "a.prom", "x 3\n")
	if got := rowText(r.sample(false)); !cmp.Equal(got, []string{"a.prom x  untyped  3"}) {
		t.Errorf("after the fix: %v", got)
	}
	if n := strings.Count(r.log.String(), "a.prom"); n != 1 {
		t.Errorf("a.prom named %d times in the log, want once:\n%s", n, r.log)
	}
	// The same series in a second file: the first file's is kept.
	writeRename(t, dir, "b.prom", "x 9\ny 1\n")
	if got := rowText(r.sample(false)); !cmp.Equal(got, []string{"a.prom x  untyped  3", "b.prom y  untyped  1"}) {
		t.Errorf("duplicate across files: %v", got)
	}
	if !strings.Contains(r.log.String(), "also in an earlier file") {
		t.Errorf("duplicate not logged:\n%s", r.log)
	}
	// The directory goes away: one warning, no rows, no error.
	os.RemoveAll(dir)
	r.log.Reset()
	r.sample(false)
	r.sample(false)
	if n := strings.Count(r.log.String(), "level=WARN"); n != 1 {
		t.Errorf("missing directory: %d warnings, want 1:\n%s", n, r.log)
	}
}

func TestTextfileLimits(t *testing.T) {
	// Per file: backup.prom has 4 series, jobs.prom 12.
	r := newTextfileRun("testdata/textfile/good", 4, 0)
	rows := r.sample(false)
	if len(rows) != 4 || rows[0].File != "backup.prom" {
		t.Errorf("limit 4 per file: %d rows (%v)", len(rows), rowText(rows))
	}
	if !strings.Contains(r.log.String(), "12, more than the limit of 4 per file (--textfile-max-series)") {
		t.Errorf("no clear warning for too many series:\n%s", r.log)
	}
	// Per sample: backup.prom fits, jobs.prom does not.
	r = newTextfileRun("testdata/textfile/good", 0, 10)
	rows = r.sample(false)
	if len(rows) != 4 || !strings.Contains(r.log.String(), "--textfile-max-total") || !strings.Contains(r.log.String(), "jobs.prom") {
		t.Errorf("limit 10 per sample: %d rows; log:\n%s", len(rows), r.log)
	}
	r.log.Reset()
	r.sample(false)
	if r.log.Len() != 0 {
		t.Errorf("over-total warning repeated:\n%s", r.log)
	}
}

func TestUnitOf(t *testing.T) {
	for name, want := range map[string]string{
		"backup_age_seconds": "seconds", "written_bytes_total": "bytes", "job_runs_total": "",
		"temp_celsius": "celsius", "queue": "", "x_": "", "cache_hit_ratio": "ratio",
	} {
		if got := unitOf(name); got != want {
			t.Errorf("unitOf(%q) = %q, want %q", name, got, want)
		}
	}
}

func FuzzParseTextfile(f *testing.F) {
	for _, dir := range []string{"testdata/textfile/good", "testdata/textfile/bad"} {
		ents, _ := os.ReadDir(dir)
		for _, e := range ents {
			if b, err := os.ReadFile(filepath.Join(dir, e.Name())); err == nil {
				f.Add(b)
			}
		}
	}
	f.Add([]byte("a{b=\"\\n\\\\\\\"\"} NaN\nb +Inf\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := parseTextfile(data, 50)
		if err != nil {
			if rows != nil {
				t.Fatalf("rows and an error")
			}
			return
		}
		if len(rows) > 50 {
			t.Fatalf("%d series, over the limit", len(rows))
		}
		for i, r := range rows {
			if r.metric == "" || canonicalSeries(r.labels) != r.series {
				t.Fatalf("row %d: metric %q, series %q for labels %v", i, r.metric, r.series, r.labels)
			}
			if i > 0 && rows[i-1].metric == r.metric && rows[i-1].series == r.series {
				t.Fatalf("series %s%s twice", r.metric, r.series)
			}
			_ = math.IsNaN(r.value)
		}
	})
}

// TestTextfileExample runs the example script examples/textfile/backup-metrics.sh
// and reads what it writes: the sampler takes its metrics.
func TestTextfileExample(t *testing.T) {
	dir := t.TempDir()
	backups := filepath.Join(dir, "backups")
	if err := os.MkdirAll(backups, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(backups, "db.sql.gz"), make([]byte, 4321), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "textfile")
	cmd := exec.Command("../examples/textfile/backup-metrics.sh")
	cmd.Env = append(os.Environ(), "BACKUP_DIR="+backups, "TEXTFILE_DIR="+out)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("backup-metrics.sh: %v\n%s", err, msg)
	}
	r := newTextfileRun(out, 0, 0)
	got := map[string]schema.CustomRow{}
	for _, row := range r.sample(false) {
		got[row.Metric] = row
	}
	if len(got) != 3 || got["backup_size_bytes"].Value != 4321 || got["backup_files"].Value != 1 ||
		got["backup_age_seconds"].Value > 60 || got["backup_age_seconds"].Unit != "seconds" ||
		got["backup_size_bytes"].Help != "Size of the newest backup." {
		t.Errorf("rows from the example: %+v", got)
	}
	if r.log.Len() != 0 {
		t.Errorf("log:\n%s", r.log)
	}
}
