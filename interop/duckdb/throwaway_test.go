package duckdb

import (
	"fmt"
	"io"
	"log/slog"
	"sync"
	"testing"
	"time"

	"almanac/archive"
	"almanac/schema"
)

// throwV1 is a table that exists only in this test, with a column of
// every kind; throwV2 is the same table once a column was appended.
type throwV1 struct {
	Time    int64        `parquet:"time,timestamp(microsecond),delta" kind:"time" doc:"time of the sample"`
	Key     string       `parquet:"key,dict" kind:"identity" doc:"the series"`
	Label   string       `parquet:"label,dict,optional" kind:"label" doc:"a label"`
	Stamp   int64        `parquet:"stamp,timestamp(microsecond),delta" kind:"timestamp" doc:"an instant"`
	Gauge   int64        `parquet:"gauge,delta" kind:"gauge" unit:"bytes" doc:"a level"`
	Rate    schema.Centi `parquet:"rate,decimal(2:18),delta" kind:"rate" unit:"1/s" doc:"a rate"`
	Pct     schema.Centi `parquet:"pct,decimal(2:18),delta" kind:"percent" unit:"%" doc:"a share"`
	Count   int64        `parquet:"count,delta" kind:"count" doc:"events in the interval"`
	Counter int64        `parquet:"counter,delta" kind:"counter" doc:"events since the start"`
}

type throwV2 struct {
	Time    int64        `parquet:"time,timestamp(microsecond),delta" kind:"time" doc:"time of the sample"`
	Key     string       `parquet:"key,dict" kind:"identity" doc:"the series"`
	Label   string       `parquet:"label,dict,optional" kind:"label" doc:"a label"`
	Stamp   int64        `parquet:"stamp,timestamp(microsecond),delta" kind:"timestamp" doc:"an instant"`
	Gauge   int64        `parquet:"gauge,delta" kind:"gauge" unit:"bytes" doc:"a level"`
	Rate    schema.Centi `parquet:"rate,decimal(2:18),delta" kind:"rate" unit:"1/s" doc:"a rate"`
	Pct     schema.Centi `parquet:"pct,decimal(2:18),delta" kind:"percent" unit:"%" doc:"a share"`
	Count   int64        `parquet:"count,delta" kind:"count" doc:"events in the interval"`
	Counter int64        `parquet:"counter,delta" kind:"counter" doc:"events since the start"`
	Added   *int64       `parquet:"added,optional" kind:"gauge" doc:"a column appended later"`
}

// sideRows holds a throwaway table's rows beside each Batch, as a field
// of Batch holds a declared table's.
type sideRows[T any] struct {
	mu   sync.Mutex
	rows map[*schema.Batch]*[]T
}

func (s *sideRows[T]) of(b *schema.Batch) *[]T {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rows == nil {
		s.rows = map[*schema.Batch]*[]T{}
	}
	p, ok := s.rows[b]
	if !ok {
		p = new([]T)
		s.rows[b] = p
	}
	return p
}

// TestThrowawayTable declares a table in the test, with a column of every
// kind, and checks that the declaration alone carries it through the
// journal, the Parquet files, compaction and the rollups to DuckDB; then
// appends a column to the declaration and checks that it flows the same
// way, NULL in the rows written before it.
func TestThrowawayTable(t *testing.T) {
	const name = "throwaway"
	hour := time.Hour
	decl := schema.Decl{Name: name, Doc: "a test's table", Rollups: []time.Duration{time.Minute, hour}}
	var side1 sideRows[throwV1]
	var side2 sideRows[throwV2]
	v1 := schema.Declare(decl, side1.of)
	v2 := schema.Declare(decl, side2.of)

	dir := t.TempDir()
	now := time.Now().UTC()
	today := archive.Day(now)
	day1, day2 := today.AddDate(0, 0, -2), today.AddDate(0, 0, -1)
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	const step = 20 * time.Second
	n := int(2 * hour / step)
	counts := map[int]int64{10: 1, 11: 2, 40: 1} // four events on "a", in one hour
	write := func(day time.Time, add func(b *schema.Batch, i int, key string, counter int64)) {
		t.Helper()
		store, err := archive.Open(dir, log)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		w, err := store.Writer("h1", archive.WriterOptions{NoSync: true, FlushEvery: time.Hour})
		if err != nil {
			t.Fatal(err)
		}
		var counter int64
		for i := range n {
			at := day.Add(time.Hour + time.Duration(i)*step)
			b := &schema.Batch{Time: at, Memory: []schema.MemoryRow{{Time: at.UnixMicro(), TotalBytes: 1}}}
			counter += counts[i]
			for _, k := range []string{"a", "b"} {
				add(b, i, k, counter)
			}
			if err := w.Append(b); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatal(err)
		}
	}
	row := func(b *schema.Batch, i int, key string, counter int64) throwV1 {
		r := throwV1{Time: b.Time.UnixMicro(), Key: key, Stamp: day1.UnixMicro() + int64(i%7)*1e6,
			Gauge: int64(i * i % 97), Rate: schema.Centi(i * 37 % 1000), Pct: schema.Centi(i * 13 % 10000)}
		if i%3 != 0 {
			r.Label = fmt.Sprintf("l%d", i%5) // else NULL
		}
		if key == "a" {
			r.Count, r.Counter = counts[i], counter
		}
		return r
	}

	undo := archive.Register(v1)
	write(day1, func(b *schema.Batch, i int, key string, counter int64) {
		p := v1.Rows(b)
		*p = append(*p, row(b, i, key, counter))
	})
	undo()

	// The same table, one column appended: nothing else changes.
	undo = archive.Register(v2)
	defer undo()
	write(day2, func(b *schema.Batch, i int, key string, counter int64) {
		r := row(b, i, key, counter)
		added := int64(i)
		p := v2.Rows(b)
		*p = append(*p, throwV2{r.Time, r.Key, r.Label, r.Stamp, r.Gauge, r.Rate, r.Pct, r.Count, r.Counter, &added})
	})
	store, err := archive.Open(dir, log)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.Compact("h1", now); err != nil {
		t.Fatal(err)
	}
	store.Close()

	db := openDB(t)
	var rows, nulls, days int64
	q := fmt.Sprintf(`SELECT count(*), count(*) FILTER (WHERE added IS NULL), count(DISTINCT date) FROM %s`,
		fmt.Sprintf("read_parquet('%s/%s/**/*.parquet', hive_partitioning = true, union_by_name = true)", dir, name))
	if err := db.QueryRow(q).Scan(&rows, &nulls, &days); err != nil {
		t.Fatal(err)
	}
	if rows != int64(4*n) || nulls != int64(2*n) || days != 2 {
		t.Errorf("DuckDB read %d rows over %d days, %d with added NULL; want %d over 2, %d NULL (the first day's)", rows, days, nulls, 4*n, 2*n)
	}

	kinds := compareRollups(t, db, dir, v2)
	for _, k := range schema.Kinds() {
		if k != schema.KindTime && !kinds[k] {
			t.Errorf("kind %v not compared", k)
		}
	}
	for _, res := range []string{"1m", "1h"} {
		var lo, hi, added int64
		q := fmt.Sprintf(`SELECT min(s), max(s), sum(a) FROM (SELECT date, sum(count_sum) AS s, count(added_max) AS a FROM %s GROUP BY date)`,
			rollupGlob(dir, res, name))
		if err := db.QueryRow(q).Scan(&lo, &hi, &added); err != nil {
			t.Fatal(err)
		}
		if lo != 4 || hi != 4 || added == 0 {
			t.Errorf("%s: count_sum adds up to %d to %d a day (want 4 each day), %d buckets of the appended column", res, lo, hi, added)
		}
	}
}
