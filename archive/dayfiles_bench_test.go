package archive

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"almanac/schema"
)

// BenchmarkDaysCached lists a host-year of compacted days of every table
// as a timer's render does (DaysCached from the 365-day range's start,
// with the listings the render before kept): what a render pays per day
// of history before it reads anything. The files are empty (only their
// names, sizes and times are looked at); the folders are settled, so
// that their listings are kept. One op is every table of the host once.
//
//	go test ./archive -run '^$' -bench DaysCached -benchmem
func BenchmarkDaysCached(b *testing.B) {
	dir := b.TempDir()
	const host, days = "web1", 365
	first := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var tables []string
	for _, table := range schema.Names() {
		if CheckTable(table) != nil {
			continue
		}
		tables = append(tables, table)
		for d := range days {
			p := Partition{Table: table, Host: host, Day: first.AddDate(0, 0, d)}
			f := dataFile{name: "day-" + strconv.FormatInt(p.Day.UnixMicro(), 10) + ".parquet", kind: kindDay}
			folders := []string{p.Dir()}
			for _, res := range tableResolutions(table) {
				folders = append(folders, rollupPath(res, p))
			}
			for i, folder := range folders {
				name := f.name
				if i > 0 {
					name = rollupName(f)
				}
				if err := os.MkdirAll(filepath.Join(dir, folder), 0o755); err != nil {
					b.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, folder, name), nil, 0o644); err != nil {
					b.Fatal(err)
				}
				settle(b, filepath.Join(dir, folder))
			}
		}
	}
	s := openStore(b, dir)
	from := first.AddDate(0, 0, days-365)
	kept := NewListings()
	list := func(l *Listings) int {
		n := 0
		for _, table := range tables {
			got, err := s.DaysCached(table, host, from, l)
			if err != nil {
				b.Fatal(err)
			}
			n += len(got)
		}
		return n
	}
	want := list(kept)
	if want != len(tables)*days {
		b.Fatalf("%d table-days listed, want %d", want, len(tables)*days)
	}
	enc := kept.Marshal()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		l, err := ParseListings(enc)
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if got := list(l); got != want || l.Hits() != want {
			b.Fatalf("%d table-days, %d from kept listings; want %d of each", got, l.Hits(), want)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(want), "ns/table-day")
}
