package duckdb

import (
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"almanac/archive"
	"almanac/report"
)

// reportSQL is, per section of almanac report, the SQL that computes its
// columns from the raw rows: the means of the step's samples, and the
// derived columns from those means. %[1]s is the series column (” when
// the section has none), %[2]s the view.
var reportSQL = map[string]struct{ series, view, where, cols string }{
	"cpu": {"cpu", "cpu", "AND cpu = 'all'",
		"avg(user_pct), avg(nice_pct), avg(system_pct), avg(iowait_pct), avg(steal_pct), avg(idle_pct)"},
	"load": {"''", "system", "",
		"avg(procs_running), avg(procs_blocked), avg(load1), avg(load5), avg(load15)"},
	"memory": {"''", "memory", "",
		"avg(free_bytes)/1024, avg(available_bytes)/1024, (avg(total_bytes)-avg(available_bytes))/1024, " +
			"100*(avg(total_bytes)-avg(available_bytes))/avg(total_bytes), avg(buffers_bytes)/1024, avg(cached_bytes)/1024, " +
			"avg(dirty_bytes)/1024, (avg(swap_total_bytes)-avg(swap_free_bytes))/1024, " +
			"100*(avg(swap_total_bytes)-avg(swap_free_bytes))/avg(swap_total_bytes)"},
	"disk": {"device", "disk", "",
		"avg(reads_per_s)+avg(writes_per_s), avg(read_bytes_per_s)/1024, avg(write_bytes_per_s)/1024, avg(queue_size), avg(await_ms), avg(busy_pct)"},
	"network": {"interface", "network", "",
		"avg(rx_packets_per_s), avg(tx_packets_per_s), avg(rx_bytes_per_s)/1024, avg(tx_bytes_per_s)/1024, " +
			"avg(rx_errors_per_s), avg(tx_errors_per_s), avg(rx_drops_per_s), avg(tx_drops_per_s)"},
	"filesystem": {"mountpoint", "filesystem", "",
		"avg(avail_bytes)/2^20, avg(used_bytes)/2^20, 100*avg(used_bytes)/(avg(used_bytes)+avg(avail_bytes)), " +
			"avg(inodes_total)-avg(inodes_used), 100*avg(inodes_used)/avg(inodes_total)"},
	"pressure": {"resource", "pressure", "",
		"avg(some_avg10), avg(some_avg60), avg(some_avg300), avg(full_avg10), avg(full_avg60), avg(full_avg300)"},
	"processes": {"''", "proc_count", "",
		"avg(total), avg(threads), avg(running), avg(sleeping), avg(disk_sleep), avg(zombie), avg(stopped), avg(idle)"},
	"self": {"''", "self", "",
		"avg(cpu_pct), avg(rss_bytes)/2^20, avg(written_bytes)/1024, avg(sample_ms)"},
}

// TestReportMatchesDuckDB builds almanac report's numbers over the test
// archive (yesterday compacted, read from its per-minute and per-hour
// rollups; today raw) and checks every step, series and Average row
// against the same means computed by DuckDB from the raw rows.
func TestReportMatchesDuckDB(t *testing.T) {
	f := theFleet
	st, err := archive.Open(f.dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	db := openDB(t)
	for _, v := range []string{"cpu", "system", "memory", "disk", "network", "filesystem", "pressure", "proc_count", "process", "self"} {
		if _, err := db.Exec(fmt.Sprintf("CREATE VIEW %s AS FROM %s", v, readParquet(f.dir, v))); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		name     string
		from, to time.Time
		every    time.Duration
	}{
		{"yesterday per hour (1h rollups)", f.yesterday(), f.today, 2 * time.Hour},
		{"yesterday every 10m (1m rollups)", f.yesterday().Add(9 * time.Hour), f.yesterday().Add(15 * time.Hour), 10 * time.Minute},
		{"across midnight every 30m (rollups, then raw rows)", f.today.Add(-3 * time.Hour), f.today.Add(time.Hour), 30 * time.Minute},
		{"today every 5m (raw rows)", f.today, f.today.Add(time.Hour), 5 * time.Minute},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if c.to.After(f.now) { // just after midnight UTC: the archive ends at now
				c.to = f.now
			}
			o := report.Options{Hosts: []string{hostWeb, hostDB}, From: c.from, To: c.to, Every: c.every, TZ: time.UTC}
			rep, err := report.Build(st, o)
			if err != nil {
				t.Fatal(err)
			}
			checked := 0
			for _, h := range rep.Hosts {
				for _, s := range h.Sections {
					if s.Name == "top" {
						checked += checkTop(t, db, h.Host, c.from, c.to, c.every, s)
						continue
					}
					q, ok := reportSQL[s.Name]
					if !ok {
						t.Errorf("section %s has no SQL in this test", s.Name)
						continue
					}
					cond := fmt.Sprintf("host = '%s' AND epoch_us(time) >= %d AND epoch_us(time) < %d %s",
						h.Host, c.from.UnixMicro(), c.to.UnixMicro(), q.where)
					steps := query(t, db, fmt.Sprintf("SELECT (epoch_us(time) - %d) // %d AS step, %s AS series, %s FROM %s WHERE %s GROUP BY ALL ORDER BY step, series",
						c.from.UnixMicro(), c.every.Microseconds(), q.series, q.cols, q.view, cond))
					avgs := query(t, db, fmt.Sprintf("SELECT %s AS series, %s FROM %s WHERE %s GROUP BY ALL ORDER BY series",
						q.series, q.cols, q.view, cond))
					if len(steps) != len(s.Rows) || len(avgs) != len(s.Average) || len(steps) == 0 {
						t.Errorf("%s %s: %d rows and %d averages, DuckDB %d and %d", h.Host, s.Name, len(s.Rows), len(s.Average), len(steps), len(avgs))
						continue
					}
					for i, r := range s.Rows {
						step := r.Time.Sub(c.from) / c.every
						if got := steps[i][0].(int64); got != int64(step) || !sameSeries(steps[i][1], r.Labels) {
							t.Errorf("%s %s row %d: step %d %v, DuckDB step %d %v", h.Host, s.Name, i, step, r.Labels, got, steps[i][1])
							continue
						}
						checked += compareValues(t, h.Host+" "+s.Name+" "+r.Time.Format(time.RFC3339), s.Columns, r.Values, steps[i][2:])
					}
					for i, r := range s.Average {
						checked += compareValues(t, h.Host+" "+s.Name+" Average "+strings.Join(r.Labels, ","), s.Columns, r.Values, avgs[i][1:])
					}
				}
			}
			if checked < 500 {
				t.Errorf("only %d values compared", checked)
			}
		})
	}
}

func sameSeries(v any, labels []string) bool {
	s, _ := v.(string)
	if len(labels) == 0 {
		return s == ""
	}
	return s == labels[0]
}

// compareValues compares the report's values with DuckDB's: rollup means
// of DECIMAL(18,2) columns are rounded to two decimals, so a column that
// adds two of them (tps) may be off by 0.01.
func compareValues(t *testing.T, what string, cols []string, got []float64, want []any) int {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, DuckDB %d", what, len(got), len(want))
		return 0
	}
	for i, g := range got {
		w, ok := want[i].(float64)
		if !ok {
			if n, isInt := want[i].(int64); isInt {
				w, ok = float64(n), true
			}
		}
		if want[i] == nil {
			if !math.IsNaN(g) {
				t.Errorf("%s %s: %v, DuckDB NULL", what, cols[i], g)
			}
			continue
		}
		if !ok {
			t.Errorf("%s %s: DuckDB gave a %T", what, cols[i], want[i])
			continue
		}
		if tol := 0.011 + 1e-9*math.Abs(w); math.Abs(g-w) > tol {
			t.Errorf("%s %s: report %v, DuckDB %v", what, cols[i], g, w)
		}
	}
	return len(got)
}

// checkTop checks each process of the top section against DuckDB's means
// of its rows in the step, and that no process DuckDB finds used more
// CPU in that step than the last one listed.
func checkTop(t *testing.T, db *sql.DB, host string, from, to time.Time, every time.Duration, s report.Section) int {
	t.Helper()
	rows := query(t, db, fmt.Sprintf(`SELECT (epoch_us(time) - %d) // %d AS step, pid::BIGINT,
		avg(cpu_user_pct), avg(cpu_system_pct), avg(cpu_user_pct) + avg(cpu_system_pct), avg(rss_bytes)/2^20
		FROM process WHERE host = '%s' AND epoch_us(time) >= %d AND epoch_us(time) < %d
		GROUP BY step, pid, start_time`, from.UnixMicro(), every.Microseconds(), host, from.UnixMicro(), to.UnixMicro()))
	type key struct{ step, pid int64 }
	byKey := map[key][]any{}
	for _, r := range rows {
		byKey[key{r[0].(int64), r[1].(int64)}] = r[2:]
	}
	if len(s.Rows) == 0 {
		t.Errorf("%s top: no rows", host)
	}
	n := 0
	listed := map[key]bool{}
	lowest := map[int64]float64{} // the step's smallest %CPU listed
	for _, r := range s.Rows {
		step := int64(r.Time.Sub(from) / every)
		var pid int64
		fmt.Sscan(r.Labels[0], &pid)
		listed[key{step, pid}] = true
		if l, ok := lowest[step]; !ok || r.Values[2] < l {
			lowest[step] = r.Values[2]
		}
		want, ok := byKey[key{step, pid}]
		if !ok {
			t.Errorf("%s top %v: pid %d not in DuckDB's rows", host, r.Time, pid)
			continue
		}
		n += compareValues(t, fmt.Sprintf("%s top %v pid %d", host, r.Time, pid), s.Columns, r.Values, want)
	}
	for k, v := range byKey {
		if cpu, ok := v[2].(float64); ok && !listed[k] && cpu > lowest[k.step]+0.011 {
			t.Errorf("%s top, step %d: pid %d used %v %% CPU, more than the last one listed (%v)", host, k.step, k.pid, cpu, lowest[k.step])
		}
	}
	return n
}
