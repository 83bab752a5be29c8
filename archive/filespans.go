package archive

import (
	"errors"
	"io/fs"
	"strconv"
)

// FileSpan is one file a raw read of a day takes (a live file of its
// folder, see liveFiles): its path in the archive, size and modification
// time, and the first and last time of its rows, from its row groups'
// statistics. Known is false when the file's footer could not be read or
// has no statistics: the file may then hold rows of any time.
type FileSpan struct {
	Name    string
	Size    int64
	ModTime int64 // ns since the epoch
	Lo, Hi  int64 // µs, inclusive
	Known   bool
}

// Overlaps reports whether the file may hold rows with from <= time < to
// (µs).
func (f FileSpan) Overlaps(from, to int64) bool {
	return !f.Known || f.Lo < to && f.Hi >= from
}

// Stamp returns the part of a Stamp that f makes: name, size and
// modification time.
func (f FileSpan) Stamp() string { return string(f.AppendStamp(nil)) }

// AppendStamp appends f's Stamp to b: a render keys each hour it keeps
// by the stamps of its files, thousands a render.
func (f FileSpan) AppendStamp(b []byte) []byte {
	b = append(b, f.Name...)
	b = append(b, ' ')
	b = strconv.AppendInt(b, f.Size, 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, f.ModTime, 10)
	return append(b, '\n')
}

// FileSpans returns the files a raw read of the day d takes, as Days listed
// them, each with the times of its rows: a reader that keeps what it
// derived from a span of time (render's memo of an hour of processes) keys
// it by the files that may hold rows of that span, so that a part written
// for the next hour does not change the key of the hours before. A file
// that is gone since the listing is left out (its rows are in the file
// that replaced it, which a new listing finds). A file whose span l holds
// (the same path, size and modification time) is not opened: its span is
// taken from l, and every span returned is kept in l (nil: none).
func (s *Store) FileSpans(d DayFiles, l *Listings) ([]FileSpan, error) {
	if err := CheckTable(d.Table); err != nil {
		return nil, err
	}
	if err := CheckHost(d.Host); err != nil {
		return nil, err
	}
	live, _ := liveFiles(d.names)
	out := make([]FileSpan, 0, len(live))
	for _, lf := range live {
		st, err := s.statListed(d, lf.name)
		if err != nil {
			if s.skip(st.path, err, true) {
				continue
			}
			return nil, s.explain(st.path, err)
		}
		f := FileSpan{Name: st.path, Size: st.stat.size, ModTime: st.stat.mtime}
		if k, ok := l.span(f); ok {
			out = append(out, k)
			continue
		}
		var gone bool
		f.Lo, f.Hi, f.Known, gone = s.timeSpan(st.path)
		if gone {
			continue
		}
		l.keepSpan(f)
		out = append(out, f)
	}
	return out, nil
}

// timeSpan returns the first and last time of the rows of a data file,
// from the statistics of its row groups; ok is false when they cannot be
// read (a damaged file: its reader reports it) or a group has none, and
// gone is true when the file is no longer there.
func (s *Store) timeSpan(name string) (lo, hi int64, ok, gone bool) {
	pf, _, err := s.openFooter(name)
	if err != nil {
		return 0, 0, false, errors.Is(err, fs.ErrNotExist)
	}
	leaf, found := pf.Schema().Lookup(timeColumn)
	if !found {
		return 0, 0, false, false
	}
	groups := pf.RowGroups()
	for i, rg := range groups {
		b, isB := rg.ColumnChunks()[leaf.ColumnIndex].(bounded)
		if !isB {
			return 0, 0, false, false
		}
		l, h, has := b.Bounds()
		if !has {
			if rg.NumRows() == 0 {
				continue
			}
			return 0, 0, false, false
		}
		if i == 0 || !ok {
			lo, hi, ok = l.Int64(), h.Int64(), true
			continue
		}
		lo, hi = min(lo, l.Int64()), max(hi, h.Int64())
	}
	return lo, hi, ok, false
}
