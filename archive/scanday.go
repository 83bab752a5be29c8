package archive

import (
	"errors"
	"fmt"
	"time"
)

// ScanDay reads one day partition, p, of a table: its raw rows (res Raw,
// as Scan reads them) or its current rollup at res (as ScanRollup), for
// rows with from <= time < to, in time order. It lists only the day's own
// folders, where Scan and ScanRollup list every day of the host first: a
// reader that goes through a year day by day (render) reads each listing
// once instead of once per day. A day without files, or without a current
// rollup at res, gives an empty frame and no error.
func (s *Store) ScanDay(res Resolution, p Partition, from, to time.Time, cols ...string) (*Frame, error) {
	if err := CheckTable(p.Table); err != nil {
		return nil, err
	}
	if err := CheckHost(p.Host); err != nil {
		return nil, err
	}
	p.Day = p.Day.UTC()
	r := rangeOf(from, to)
	if res == Raw {
		want, err := scanColumns(tables[p.Table].schema(), cols)
		if err != nil {
			return nil, fmt.Errorf("archive: scan %s: %w", p.Table, err)
		}
		fr := newFrame(want)
		if !p.Day.Before(to) || !p.End().After(from) {
			return fr, nil
		}
		errs := s.scanPartition(p, r, want, fr)
		fr.sortByTime()
		if len(errs) > 0 {
			return fr, fmt.Errorf("archive: scan %s of %q: %w", p.Table, p.Host, errors.Join(errs...))
		}
		return fr, nil
	}
	if err := checkResolution(res); err != nil {
		return nil, err
	}
	if !HasResolution(p.Table, res) {
		return nil, fmt.Errorf("archive: table %s has no %v rollups", p.Table, res)
	}
	want, err := scanColumns(rollupSpecs[p.Table].schema, cols)
	if err != nil {
		return nil, fmt.Errorf("archive: scan rollup %s: %w", p.Table, err)
	}
	fr := newFrame(want)
	if !p.Day.Before(to) || !p.End().After(from) {
		return fr, nil
	}
	name, ok, err := s.currentRollup(res, p)
	if err == nil && ok {
		err = s.scanFile(name, r, want, fr)
	}
	fr.sortByTime()
	if err != nil {
		return fr, fmt.Errorf("archive: scan rollup %s of %q: %w", p.Table, p.Host, err)
	}
	return fr, nil
}
