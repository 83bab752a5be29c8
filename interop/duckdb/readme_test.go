package duckdb

import (
	"bufio"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"math"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/duckdb/duckdb-go/v2"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"almanac/archive"
	"almanac/schema"
	"almanac/synth"
)

// readmePath is the project README, whose "Query with DuckDB" section
// (between the duckdb markers) this test runs.
const readmePath = "../../README.md"

// placeholder is what the README's queries say where the archive's folder goes.
const placeholder = "ARCHIVE"

// sqlBlock is one ```sql block of the README section.
type sqlBlock struct {
	name string // from <!-- query: NAME -->; empty when not run
	skip string // from <!-- not run: WHY -->
	line int
	sql  string
}

// readmeBlocks returns the ```sql blocks between the duckdb markers of the
// README. Every block must be preceded by a "query" or a "not run" comment.
func readmeBlocks(path string) ([]sqlBlock, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var (
		blocks     []sqlBlock
		in, inSQL  bool
		pending    sqlBlock
		hasPending bool
		cur        strings.Builder
		n          int
	)
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		n++
		line := sc.Text()
		trimmed := strings.TrimSpace(line)
		switch {
		case trimmed == "<!-- duckdb:begin -->":
			in = true
			continue
		case trimmed == "<!-- duckdb:end -->":
			if inSQL {
				return nil, fmt.Errorf("%s:%d: sql block not closed before the end marker", path, n)
			}
			return blocks, nil
		case !in:
			continue
		}
		if inSQL {
			if trimmed == "```" {
				pending.sql = cur.String()
				blocks = append(blocks, pending)
				inSQL, hasPending = false, false
				continue
			}
			cur.WriteString(line + "\n")
			continue
		}
		if name, ok := strings.CutPrefix(trimmed, "<!-- query: "); ok {
			pending, hasPending = sqlBlock{name: strings.TrimSuffix(name, " -->")}, true
			continue
		}
		if why, ok := strings.CutPrefix(trimmed, "<!-- not run: "); ok {
			pending, hasPending = sqlBlock{skip: strings.TrimSuffix(why, " -->")}, true
			continue
		}
		if strings.HasPrefix(trimmed, "```sql") {
			if !hasPending {
				return nil, fmt.Errorf("%s:%d: sql block without a <!-- query: NAME --> or <!-- not run: WHY --> line before it", path, n)
			}
			pending.line = n
			inSQL = true
			cur.Reset()
			continue
		}
		if trimmed != "" && hasPending {
			return nil, fmt.Errorf("%s:%d: %q must be followed by a ```sql block", path, n, pending.name+pending.skip)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return nil, fmt.Errorf("%s: no <!-- duckdb:end --> marker", path)
}

// result is a query's rows, with values normalized for comparison:
// strings, int64, float64 (for doubles and decimals), time.Time in UTC,
// duckdb.Interval, nil.
type result [][]any

func normalize(v any) any {
	switch v := v.(type) {
	case duckdb.Decimal:
		return v.Float64()
	case time.Time:
		return v.UTC()
	case int8:
		return int64(v)
	case int16:
		return int64(v)
	case int32:
		return int64(v)
	case uint32:
		return int64(v)
	case uint64:
		return int64(v)
	case float32:
		return float64(v)
	}
	return v
}

func query(t *testing.T, db *sql.DB, q string) result {
	t.Helper()
	rows, err := db.Query(q)
	if err != nil {
		t.Fatalf("query: %v\n%s", err, q)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var res result
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		for i := range vals {
			vals[i] = normalize(vals[i])
		}
		res = append(res, vals)
	}
	if err := rows.Err(); err != nil {
		t.Fatalf("query: %v\n%s", err, q)
	}
	return res
}

// round rounds v to n decimals, as DuckDB's round does.
func round(v float64, n int) float64 {
	p := math.Pow(10, float64(n))
	return math.Round(v*p) / p
}

func micros(us int64) time.Time { return time.UnixMicro(us).UTC() }

// TestReadmeQueries runs every SQL block of the README's "Query with
// DuckDB" section against the test archive and checks each result against
// what the test wrote.
func TestReadmeQueries(t *testing.T) {
	f := theFleet
	blocks, err := readmeBlocks(readmePath)
	if err != nil {
		t.Fatal(err)
	}
	checks := map[string]func(t *testing.T, db *sql.DB, q string){
		"open":                f.checkOpen,
		"cpu_busy_hourly":     f.checkCPUBusyHourly,
		"top_cpu_yesterday":   f.checkTopCPUYesterday,
		"filesystems_over_90": f.checkFilesystemsOver90,
		"filesystem_disks":    f.checkFilesystemDisks,
		"incidents":           f.checkIncidents,
		"reboots":             f.checkReboots,
		"memory_hourly":       f.checkMemoryHourly,
		"oom_kills":           f.checkOOMKills,
		"busiest_disks":       f.checkBusiestDisks,
		"top_services_week":   f.checkTopServicesWeek,
		"oom_victims":         f.checkOOMVictims,
		"last_sample":         f.checkLastSample,
		"self_cost":           f.checkSelfCost,
		"range_macros":        f.checkRangeMacros,
		"cpu_range":           f.checkCPURange,
		"custom_backups":      f.checkCustomBackups,
		"custom_counter":      f.checkCustomCounter,
		"gpu_hourly":          f.checkGPUHourly,
	}
	if len(blocks) == 0 || blocks[0].name != "open" {
		t.Fatalf("the README section must start with the block that opens the archive (<!-- query: open -->)")
	}
	db := openDB(t)
	// The README sets the time zone itself; start from one 5:45 off UTC to prove it.
	if _, err := db.Exec("SET TimeZone = 'Asia/Kathmandu'"); err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, b := range blocks {
		if b.skip != "" {
			t.Logf("README.md:%d: not run (%s):\n%s", b.line, b.skip, b.sql)
			continue
		}
		check := checks[b.name]
		if check == nil {
			t.Errorf("README.md:%d: query %q has no check in this test", b.line, b.name)
			continue
		}
		if seen[b.name] {
			t.Errorf("README.md:%d: query %q appears twice", b.line, b.name)
		}
		seen[b.name] = true
		q := strings.ReplaceAll(b.sql, placeholder, f.dir)
		if b.name == "open" {
			// Not a subtest: every other query needs it, whatever -run says.
			check(t, db, q)
			checkOpenDigitsHost(t, b.sql)
			continue
		}
		t.Run(b.name, func(t *testing.T) {
			if got := archive.Day(time.Now()); !got.Equal(f.today) {
				t.Fatalf("the UTC day changed from %s to %s while the test ran, so current_date no longer matches the data; run it again",
					f.today.Format(time.DateOnly), got.Format(time.DateOnly))
			}
			check(t, db, q)
		})
	}
	for name := range checks {
		if !seen[name] {
			t.Errorf("the README has no query %q any more: remove its check or put the query back", name)
		}
	}
}

// eachRow calls fn for every row that rows picks from the batches written
// for host, with its batch.
func eachRow[T any](f *fleet, host string, rows func(*schema.Batch) []T, fn func(b *schema.Batch, r *T)) {
	for _, b := range f.batches[host] {
		rs := rows(b)
		for i := range rs {
			fn(b, &rs[i])
		}
	}
}

func (f *fleet) yesterday() time.Time { return f.today.AddDate(0, 0, -1) }

func (f *fleet) checkOpen(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	for _, table := range schema.Names() {
		if table == schema.TableAlert || table == schema.TableCustom || table == schema.TableGPU || table == schema.TableOOMKill {
			continue // their views are made by the incidents, custom, gpu and oom_victims blocks
		}
		var want int64
		for _, host := range sortedHosts() {
			for _, b := range f.batches[host] {
				want += int64(rowsOf(b, table).Len())
			}
		}
		var got int64
		if err := db.QueryRow("SELECT count(*) FROM " + table).Scan(&got); err != nil {
			t.Fatalf("view %s: %v", table, err)
		}
		if got != want {
			t.Errorf("SELECT count(*) FROM %s = %d, want %d", table, got, want)
		}
	}
	got := query(t, db, "SELECT DISTINCT host FROM cpu ORDER BY host")
	want := result{{hostNum}, {hostDB}, {hostWeb}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("hosts of the cpu view (-want +got):\n%s", diff)
	}
	var tz string
	if err := db.QueryRow("SELECT current_setting('TimeZone')").Scan(&tz); err != nil || tz != "UTC" {
		t.Errorf("TimeZone after the open block = %q (%v), want UTC", tz, err)
	}
}

// checkOpenDigitsHost runs the open block on an archive whose only host is
// named with digits, where DuckDB would guess the host column to be a
// number, and checks that it stays the string written.
func checkOpenDigitsHost(t *testing.T, open string) {
	t.Helper()
	dir := t.TempDir()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	store, err := archive.Open(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	w, err := store.Writer(hostNum, archive.WriterOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	g := synth.New(synth.Host{Name: hostNum, Processes: 3, Seed: 9})
	start := time.Now().UTC().Add(-time.Hour)
	for i := range 3 {
		if err := w.Append(g.Batch(start.Add(time.Duration(i) * time.Minute))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	db := openDB(t)
	if _, err := db.Exec(strings.ReplaceAll(open, placeholder, dir)); err != nil {
		t.Fatalf("open an archive of host %s: %v", hostNum, err)
	}
	for _, table := range []string{schema.TableCPU, schema.TableSystem, schema.TableProcess} {
		got := query(t, db, "SELECT DISTINCT host FROM "+table)
		if diff := cmp.Diff(result{{hostNum}}, got); diff != "" {
			t.Errorf("hosts of %s in an archive of host %s alone (-want +got):\n%s", table, hostNum, diff)
		}
	}
}

func (f *fleet) checkCPUBusyHourly(t *testing.T, db *sql.DB, q string) {
	type acc struct {
		sum  float64
		n    int
		peak schema.Centi
	}
	var want result
	for _, host := range sortedHosts() {
		hours := map[time.Time]*acc{}
		eachRow(f, host, func(b *schema.Batch) []schema.CPURow { return b.CPU }, func(b *schema.Batch, r *schema.CPURow) {
			if r.CPU != "all" {
				return
			}
			h := micros(r.Time).Truncate(time.Hour)
			a := hours[h]
			busy := 10000 - r.IdlePct - r.IOWaitPct
			if a == nil {
				a = &acc{peak: busy}
				hours[h] = a
			}
			a.sum += busy.Float()
			a.n++
			a.peak = max(a.peak, busy)
		})
		for _, h := range slices.SortedFunc(mapKeys(hours), func(a, b time.Time) int { return a.Compare(b) }) {
			a := hours[h]
			want = append(want, []any{host, h, round(a.sum/float64(a.n), 2), a.peak.Float()})
		}
	}
	got := query(t, db, q)
	if len(want) < 48 {
		t.Fatalf("the test wrote only %d host-hours of cpu rows", len(want))
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 0.0101)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func (f *fleet) checkTopCPUYesterday(t *testing.T, db *sql.DB, q string) {
	type key struct{ host, comm, user string }
	type ident struct {
		pid   int32
		start int64
	}
	type acc struct {
		secs  float64
		procs map[ident]bool
	}
	sums := map[key]*acc{}
	y := f.yesterday()
	for _, host := range sortedHosts() {
		for _, b := range f.batches[host] {
			if !archive.Day(b.Time).Equal(y) || len(b.System) == 0 {
				continue
			}
			ms := float64(b.System[0].IntervalMs)
			for _, p := range b.Process {
				k := key{host, p.Comm, p.User}
				a := sums[k]
				if a == nil {
					a = &acc{procs: map[ident]bool{}}
					sums[k] = a
				}
				a.procs[ident{p.PID, p.StartTime}] = true
				a.secs += (p.CPUUserPct + p.CPUSystemPct).Float() / 100 * ms / 1000
			}
		}
	}
	var want result
	for k, a := range sums {
		want = append(want, []any{k.host, k.comm, k.user, int64(len(a.procs)), round(a.secs, 1)})
	}
	slices.SortFunc(want, func(a, b []any) int {
		if c := -cmpFloat(a[4].(float64), b[4].(float64)); c != 0 {
			return c
		}
		for i := range 3 {
			if c := strings.Compare(a[i].(string), b[i].(string)); c != 0 {
				return c
			}
		}
		return 0
	})
	want = want[:min(10, len(want))]
	got := query(t, db, q)
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 0.101)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// The planted job leads: 150 % of a core over the day, less the hour
	// its host was down, run by two processes (before and after the reboot).
	if len(got) == 0 || got[0][0] != hostDB || got[0][1] != jobComm || got[0][3] != int64(2) {
		t.Fatalf("first row %v, want %s %s run by 2 processes", got[:min(1, len(got))], hostDB, jobComm)
	}
	if secs, want := got[0][4].(float64), 1.5*(24-1)*3600; math.Abs(secs-want) > 1.5*2*60 {
		t.Errorf("%s cpu_seconds = %v, want about %v", jobComm, secs, want)
	}
}

func (f *fleet) checkFilesystemsOver90(t *testing.T, db *sql.DB, q string) {
	type key struct{ host, mount string }
	type acc struct {
		peak  float64
		first int64
	}
	over := map[key]*acc{}
	for _, host := range sortedHosts() {
		eachRow(f, host, func(b *schema.Batch) []schema.FilesystemRow { return b.Filesystem }, func(b *schema.Batch, r *schema.FilesystemRow) {
			room := r.UsedBytes + r.AvailBytes
			if 10*r.UsedBytes <= 9*room { // used_bytes > 0.9 * (used + avail), exactly
				return
			}
			k := key{host, r.Mountpoint}
			pct := 100 * float64(r.UsedBytes) / float64(room)
			a := over[k]
			if a == nil {
				over[k] = &acc{peak: pct, first: r.Time}
				return
			}
			a.peak = max(a.peak, pct)
			a.first = min(a.first, r.Time)
		})
	}
	var want result
	for k, a := range over {
		want = append(want, []any{k.host, k.mount, round(a.peak, 1), micros(a.first)})
	}
	slices.SortFunc(want, func(a, b []any) int {
		if c := -cmpFloat(a[2].(float64), b[2].(float64)); c != 0 {
			return c
		}
		if c := strings.Compare(a[0].(string), b[0].(string)); c != 0 {
			return c
		}
		return strings.Compare(a[1].(string), b[1].(string))
	})
	got := query(t, db, q)
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 0.101)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	found := slices.ContainsFunc(got, func(r []any) bool {
		return r[0] == hostNum && r[1] == fullMount && r[3] == f.fullFrom
	})
	if !found {
		t.Errorf("no row for %s %s over 90 %% from %v", hostNum, fullMount, f.fullFrom)
	}
}

func (f *fleet) checkReboots(t *testing.T, db *sql.DB, q string) {
	var want result
	for _, host := range sortedHosts() {
		var prev int64
		eachRow(f, host, func(b *schema.Batch) []schema.SystemRow { return b.System }, func(b *schema.Batch, r *schema.SystemRow) {
			if d := r.BootTime - prev; prev != 0 && (d > 5e6 || d < -5e6) {
				want = append(want, []any{host, micros(r.BootTime), micros(prev), micros(r.Time)})
			}
			prev = r.BootTime
		})
	}
	got := query(t, db, q)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// web1's boot time moved by a second (f.jitterFrom): not a reboot.
	if len(got) != 1 || got[0][0] != hostDB || got[0][1] != f.rebootBoot || got[0][3] != f.rebootUp {
		t.Errorf("got %v, want one reboot of %s booted at %v, first sample %v", got, hostDB, f.rebootBoot, f.rebootUp)
	}
}

func (f *fleet) checkMemoryHourly(t *testing.T, db *sql.DB, q string) {
	type acc struct {
		minAvail int64
		sumPct   float64
		n        int
	}
	var want result
	for _, host := range sortedHosts() {
		hours := map[time.Time]*acc{}
		eachRow(f, host, func(b *schema.Batch) []schema.MemoryRow { return b.Memory }, func(b *schema.Batch, r *schema.MemoryRow) {
			if archive.Day(b.Time).Before(f.yesterday()) {
				return
			}
			h := micros(r.Time).Truncate(time.Hour)
			a := hours[h]
			if a == nil {
				a = &acc{minAvail: r.AvailableBytes}
				hours[h] = a
			}
			a.minAvail = min(a.minAvail, r.AvailableBytes)
			a.sumPct += 100 * float64(r.AvailableBytes) / float64(r.TotalBytes)
			a.n++
		})
		for _, h := range slices.SortedFunc(mapKeys(hours), func(a, b time.Time) int { return a.Compare(b) }) {
			a := hours[h]
			want = append(want, []any{host, h, round(float64(a.minAvail)/(1<<30), 2), round(a.sumPct/float64(a.n), 1)})
		}
	}
	got := query(t, db, q)
	if len(want) < 24 {
		t.Fatalf("the test wrote only %d host-hours of memory rows since yesterday", len(want))
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 0.101)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func (f *fleet) checkOOMKills(t *testing.T, db *sql.DB, q string) {
	var want result
	for _, host := range sortedHosts() {
		type acc struct {
			sum   int64
			first int64
		}
		days := map[time.Time]*acc{}
		eachRow(f, host, func(b *schema.Batch) []schema.MemoryRow { return b.Memory }, func(b *schema.Batch, r *schema.MemoryRow) {
			if r.OOMKills == 0 {
				return
			}
			d := archive.Day(b.Time)
			a := days[d]
			if a == nil {
				a = &acc{first: r.Time}
				days[d] = a
			}
			a.sum += r.OOMKills
			a.first = min(a.first, r.Time)
		})
		for _, d := range slices.SortedFunc(mapKeys(days), func(a, b time.Time) int { return a.Compare(b) }) {
			want = append(want, []any{host, d, days[d].sum, micros(days[d].first)})
		}
	}
	got := query(t, db, q)
	// sum() of a BIGINT is a HUGEINT, which the driver returns as *big.Int.
	for _, r := range got {
		if len(r) > 2 {
			if v, ok := r[2].(interface{ Int64() int64 }); ok {
				r[2] = v.Int64()
			}
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !slices.ContainsFunc(got, func(r []any) bool { return r[0] == hostWeb && r[3] == f.oomAt }) {
		t.Errorf("no OOM kill of %s at %v", hostWeb, f.oomAt)
	}
}

func (f *fleet) checkBusiestDisks(t *testing.T, db *sql.DB, q string) {
	type key struct{ host, dev string }
	type acc struct {
		peak, peakAwait schema.Centi
		sum             float64
		n               int
	}
	disks := map[key]*acc{}
	for _, host := range sortedHosts() {
		eachRow(f, host, func(b *schema.Batch) []schema.DiskRow { return b.Disk }, func(b *schema.Batch, r *schema.DiskRow) {
			if !archive.Day(b.Time).Equal(f.today) {
				return
			}
			k := key{host, r.Device}
			a := disks[k]
			if a == nil {
				a = &acc{peak: r.BusyPct, peakAwait: r.AwaitMs}
				disks[k] = a
			}
			a.peak = max(a.peak, r.BusyPct)
			a.peakAwait = max(a.peakAwait, r.AwaitMs)
			a.sum += r.BusyPct.Float()
			a.n++
		})
	}
	var want result
	for k, a := range disks {
		want = append(want, []any{k.host, k.dev, a.peak.Float(), round(a.sum/float64(a.n), 2), a.peakAwait.Float()})
	}
	slices.SortFunc(want, func(a, b []any) int {
		if c := -cmpFloat(a[2].(float64), b[2].(float64)); c != 0 {
			return c
		}
		if c := strings.Compare(a[0].(string), b[0].(string)); c != 0 {
			return c
		}
		return strings.Compare(a[1].(string), b[1].(string))
	})
	want = want[:min(10, len(want))]
	got := query(t, db, q)
	if len(want) == 0 {
		t.Fatal("the test wrote no disk rows today")
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 0.0101)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func (f *fleet) checkLastSample(t *testing.T, db *sql.DB, q string) {
	var want result
	for _, host := range sortedHosts() {
		var last *schema.SystemRow
		eachRow(f, host, func(b *schema.Batch) []schema.SystemRow { return b.System }, func(b *schema.Batch, r *schema.SystemRow) {
			if last == nil || r.Time > last.Time {
				last = r
			}
		})
		want = append(want, []any{host, micros(last.Time), "age", last.Load1.Float(), int64(last.ProcsRunning)})
	}
	before := time.Now()
	got := query(t, db, q)
	after := time.Now()
	for i, r := range got {
		if len(r) < 3 || i >= len(want) {
			continue
		}
		age, ok := r[2].(duckdb.Interval)
		if !ok {
			t.Errorf("%v: age is a %T, want an interval", r[0], r[2])
			continue
		}
		d := time.Duration(age.Days)*24*time.Hour + time.Duration(age.Micros)*time.Microsecond
		last := want[i][1].(time.Time)
		if lo, hi := before.Sub(last).Truncate(time.Second), after.Sub(last); age.Months != 0 || d < lo || d > hi {
			t.Errorf("%v: age %v, want between %v and %v", r[0], d, lo, hi)
		}
		r[2] = "age"
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func mapKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// sortedHosts returns the hosts in the order of ORDER BY host.
func sortedHosts() []string { return slices.Sorted(slices.Values(fleetHosts)) }

func (f *fleet) checkFilesystemDisks(t *testing.T, db *sql.DB, q string) {
	type key struct{ host, mount, disk string }
	type acc struct {
		sum  float64
		n    int
		peak schema.Centi
	}
	accs := map[key]*acc{}
	for _, host := range sortedHosts() {
		for _, b := range f.batches[host] {
			if !archive.Day(b.Time).Equal(f.today) {
				continue
			}
			busy := map[string]schema.Centi{}
			for _, d := range b.Disk {
				busy[d.Device] = d.BusyPct
			}
			for _, fs := range b.Filesystem {
				v, ok := busy[fs.Disk]
				if fs.Disk == "" || !ok {
					continue
				}
				k := key{host, fs.Mountpoint, fs.Disk}
				a := accs[k]
				if a == nil {
					a = &acc{peak: v}
					accs[k] = a
				}
				a.sum += v.Float()
				a.n++
				a.peak = max(a.peak, v)
			}
		}
	}
	var want result
	for k, a := range accs {
		want = append(want, []any{k.host, k.mount, k.disk, round(a.sum/float64(a.n), 2), a.peak.Float()})
	}
	slices.SortFunc(want, func(a, b []any) int {
		if c := strings.Compare(a[0].(string), b[0].(string)); c != 0 {
			return c
		}
		return strings.Compare(a[1].(string), b[1].(string))
	})
	if len(want) == 0 {
		t.Fatal("the test wrote no filesystem on a sampled disk today")
	}
	got := query(t, db, q)
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 0.0101)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func (f *fleet) checkIncidents(t *testing.T, db *sql.DB, q string) {
	stmts := strings.Split(strings.TrimSpace(q), ";\n")
	for _, s := range stmts[:len(stmts)-1] {
		if _, err := db.Exec(s); err != nil {
			t.Fatalf("%v\n%s", err, s)
		}
	}
	type key struct {
		host, rule, series string
		since              int64
	}
	type inc struct {
		sev         string
		last, ended int64
		peak        float64
	}
	incs := map[key]*inc{}
	var keys []key
	for _, host := range sortedHosts() {
		for _, b := range f.batches[host] {
			for _, r := range b.Alert {
				if r.State != "firing" && r.State != "escalated" && r.State != "resolved" && r.State != "event" {
					continue
				}
				k := key{host, r.Rule, r.Series, r.Since}
				in := incs[k]
				if in == nil {
					in = &inc{}
					incs[k] = in
					keys = append(keys, k)
				}
				if r.Time >= in.last {
					in.last, in.sev, in.peak = r.Time, r.Severity, r.Peak
				}
				if r.State == "resolved" {
					in.ended = r.Time
				}
			}
		}
	}
	slices.SortFunc(keys, func(a, b key) int {
		if a.since != b.since {
			return cmpInt64(a.since, b.since)
		}
		for _, c := range [][2]string{{a.host, b.host}, {a.rule, b.rule}, {a.series, b.series}} {
			if d := strings.Compare(c[0], c[1]); d != 0 {
				return d
			}
		}
		return 0
	})
	var want result
	for _, k := range keys {
		in := incs[k]
		var ended, sev any
		if in.ended != 0 {
			ended = micros(in.ended)
		}
		if in.sev != "" {
			sev = in.sev
		}
		want = append(want, []any{k.host, k.rule, k.series, sev, micros(k.since), ended, in.peak})
	}
	if len(want) == 0 {
		t.Fatal("the default rules saw no incident in the test fleet")
	}
	// The planted facts: /var of 1234 filled up, and web1's OOM kills.
	if !slices.ContainsFunc(want, func(r []any) bool { return r[0] == hostNum && r[1] == "filesystem full" }) ||
		!slices.ContainsFunc(want, func(r []any) bool { return r[0] == hostWeb && r[1] == "oom kill" }) {
		t.Errorf("incidents %v lack the full /var of %s or the OOM kills of %s", want, hostNum, hostWeb)
	}
	got := query(t, db, stmts[len(stmts)-1])
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 1e-9)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func cmpInt64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// checkRangeMacros creates the README's macros and checks that
// almanac_range and the per-table ones return the rows of the range, from
// closed days and today alike.
func (f *fleet) checkRangeMacros(t *testing.T, db *sql.DB, q string) {
	t.Helper()
	if _, err := db.Exec(q); err != nil {
		t.Fatalf("%v\n%s", err, q)
	}
	from, to := f.yesterday().Add(20*time.Hour+30*time.Minute), f.today.Add(time.Hour)
	count := func(rows func(b *schema.Batch) int) int64 {
		var n int64
		for _, host := range sortedHosts() {
			for _, b := range f.batches[host] {
				if !b.Time.Before(from) && b.Time.Before(to) {
					n += int64(rows(b))
				}
			}
		}
		return n
	}
	lit := func(t time.Time) string { return "TIMESTAMPTZ '" + t.Format("2006-01-02 15:04:05+00") + "'" }
	for _, c := range []struct {
		query string
		want  int64
	}{
		{"SELECT count(*) FROM almanac_range('system', " + lit(from) + ", " + lit(to) + ")", count(func(b *schema.Batch) int { return len(b.System) })},
		{"SELECT count(*) FROM almanac_cpu(" + lit(from) + ", " + lit(to) + ")", count(func(b *schema.Batch) int { return len(b.CPU) })},
		{"SELECT count(*) FROM almanac_process(" + lit(from) + ", " + lit(to) + ")", count(func(b *schema.Batch) int { return len(b.Process) })},
		{"SELECT count(*) FROM almanac_memory('" + from.Format(time.DateTime) + "', '" + to.Format(time.DateTime) + "')", count(func(b *schema.Batch) int { return len(b.Memory) })},
	} {
		var got int64
		if err := db.QueryRow(c.query).Scan(&got); err != nil {
			t.Fatalf("%s: %v", c.query, err)
		}
		if got != c.want || c.want == 0 {
			t.Errorf("%s = %d, want %d (and not 0)", c.query, got, c.want)
		}
	}
}

func (f *fleet) checkCPURange(t *testing.T, db *sql.DB, q string) {
	from, to := f.yesterday().Add(10*time.Hour), f.yesterday().Add(12*time.Hour)
	var want result
	for _, host := range sortedHosts() {
		var n int64
		var sum float64
		eachRow(f, host, func(b *schema.Batch) []schema.CPURow { return b.CPU }, func(b *schema.Batch, r *schema.CPURow) {
			if tm := micros(r.Time); r.CPU == "all" && !tm.Before(from) && tm.Before(to) {
				n++
				sum += 100 - r.IdlePct.Float() - r.IOWaitPct.Float()
			}
		})
		if n > 0 {
			want = append(want, []any{host, n, round(sum/float64(n), 2)})
		}
	}
	if len(want) == 0 {
		t.Fatal("the test wrote no cpu rows yesterday from 10:00 to 12:00")
	}
	got := query(t, db, q)
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 0.0101)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// orNull is a string column's value as the driver returns it: nil for an
// empty (NULL) string.
func orNull(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (f *fleet) checkTopServicesWeek(t *testing.T, db *sql.DB, q string) {
	type key struct{ host, cgroup, unit, container string }
	type acc struct {
		us      int64
		peak    int64
		hasPeak bool
	}
	sums := map[key]*acc{}
	from := f.now.Add(-7 * 24 * time.Hour)
	for _, host := range sortedHosts() {
		eachRow(f, host, func(b *schema.Batch) []schema.CgroupRow { return b.Cgroup }, func(b *schema.Batch, r *schema.CgroupRow) {
			if r.Cgroup == "/" || micros(r.Time).Before(from) {
				return
			}
			k := key{host, r.Cgroup, r.Unit, r.Container}
			a := sums[k]
			if a == nil {
				a = &acc{}
				sums[k] = a
			}
			if r.CPUUsec != nil {
				a.us += *r.CPUUsec
			}
			if r.MemoryPeakBytes != nil {
				a.peak, a.hasPeak = max(a.peak, *r.MemoryPeakBytes), true
			}
		})
	}
	var want result
	for k, a := range sums {
		var peak any
		if a.hasPeak {
			peak = a.peak
		}
		want = append(want, []any{k.host, k.cgroup, orNull(k.unit), orNull(k.container), round(float64(a.us)/1e6, 1), peak})
	}
	slices.SortFunc(want, func(a, b []any) int {
		if c := -cmpFloat(a[4].(float64), b[4].(float64)); c != 0 {
			return c
		}
		if c := strings.Compare(a[0].(string), b[0].(string)); c != 0 {
			return c
		}
		return strings.Compare(a[1].(string), b[1].(string))
	})
	if len(want) < 10 {
		t.Fatalf("the fleet has %d services, want at least 10 to rank", len(want))
	}
	want = want[:10]
	got := query(t, db, q)
	if diff := cmp.Diff(want, got, cmpopts.EquateApprox(0, 0.101)); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func (f *fleet) checkOOMVictims(t *testing.T, db *sql.DB, q string) {
	var want result
	from := f.now.Add(-30 * 24 * time.Hour)
	for _, host := range sortedHosts() {
		eachRow(f, host, func(b *schema.Batch) []schema.OOMKillRow { return b.OOMKill }, func(b *schema.Batch, r *schema.OOMKillRow) {
			if micros(r.Time).Before(from) {
				return
			}
			service := orNull(r.Container)
			if service == nil {
				service = orNull(r.Unit)
			}
			if service == nil {
				service = orNull(r.Cgroup)
			}
			want = append(want, []any{host, micros(r.Time), int64(r.PID), orNull(r.Comm), orNull(r.User), r.RSSBytes, service, r.How})
		})
	}
	slices.SortStableFunc(want, func(a, b []any) int {
		if c := a[1].(time.Time).Compare(b[1].(time.Time)); c != 0 {
			return c
		}
		if c := strings.Compare(a[0].(string), b[0].(string)); c != 0 {
			return c
		}
		return int(a[2].(int64) - b[2].(int64))
	})
	got := query(t, db, q)
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if !slices.ContainsFunc(got, func(r []any) bool {
		return r[0] == hostWeb && r[1] == f.oomAt && r[3] == "java" && r[6] == oomContainer && r[7] == "cgroup"
	}) {
		t.Errorf("the planted victim java in container %s at %v is not among %v", oomContainer, f.oomAt, got)
	}
}
