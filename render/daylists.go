package render

import (
	"time"

	"almanac/archive"
)

// dayLists holds the days of a host's tables as its render listed them
// (archive.Store.DaysCached, from the longest range's start: no reader
// looks before it), each table once, so that the readers of a table see
// the same files: the render cache keys the host's pages by the files of
// those days (renderCache.key), and the readers read them, from one look
// at each day folder.
type dayLists struct {
	src   scanner
	host  string
	from  time.Time
	l     *archive.Listings // the day folders' listings kept by the render before; nil: none
	lists map[string][]archive.DayFiles
}

// newDayLists returns the day lists of host from from (µs; a render's:
// its render time less the longest range), with the listings l kept by
// the render before (nil: none).
func newDayLists(src scanner, host string, from int64, l *archive.Listings) *dayLists {
	return &dayLists{src: src, host: host, from: time.UnixMicro(from), l: l, lists: map[string][]archive.DayFiles{}}
}

// days returns the days of table that end after from, oldest first, with
// their files; none when the host has no such table.
func (d *dayLists) days(table string) ([]archive.DayFiles, error) {
	if days, ok := d.lists[table]; ok {
		return days, nil
	}
	days, err := d.src.DaysCached(table, d.host, d.from, d.l)
	if err != nil && !isNoData(err) {
		return nil, err
	}
	d.lists[table] = days
	return days, nil
}
