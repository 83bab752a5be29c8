package archive

import (
	"errors"
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"time"
)

// DayFiles is one day of a table of a host as Store.Days found it: the
// files of the day's folder and, per resolution, the day's current
// rollup. Store.ScanFiles then reads the day without listing it again, so
// a reader that plans and reads a year day by day (render) lists each day
// folder once, not once to find the days with a current rollup at each
// resolution and again to read them.
type DayFiles struct {
	Partition
	names   []string      // the day folder's usable names; nil when it has none
	stats   []fileStat    // beside names: each regular file as listed
	rollups [2]listedFile // the current rollup at each of resolutions (PerMinute, PerHour), in its order
}

// rollup returns the day's current rollup at res (no path: none).
func (d DayFiles) rollup(res Resolution) listedFile {
	if i := slices.Index(resolutions, res); i >= 0 && i < len(d.rollups) {
		return d.rollups[i]
	}
	return listedFile{}
}

// listedFile is a file as Days found it: its path in the archive, and its
// size and modification time when Days looked.
type listedFile struct {
	path string
	stat fileStat
}

// Current returns the resolutions at which the day has a current rollup
// (see ScanRollup), in the order of the archive's resolutions.
func (d DayFiles) Current() []Resolution {
	var out []Resolution
	for _, res := range resolutions {
		if d.rollup(res).path != "" {
			out = append(out, res)
		}
	}
	return out
}

// Days returns the days of table for host that a reader may read, oldest
// first (the day folders, and the days that have only rollups, as
// RollupDays and ScanRollup see them), each with its files: one listing
// of each day folder, and a look for the rollups of its day file (a
// listing of its rollup folders when it has no data file).
func (s *Store) Days(table, host string) ([]DayFiles, error) {
	return s.DaysCached(table, host, time.Time{}, nil)
}

// DaysCached is Days from the day that holds from on (the zero time: every
// day), with listings of closed day folders kept from an earlier call
// (nil: none), which it uses instead of listing a folder unchanged since,
// and adds to (Listings). The days that end at or before from are left
// out without a look at their folders: a render reads back to its longest
// range's start, and an archive that keeps more days than that costs it
// one name each in the table's listing, not a look at each day's files.
func (s *Store) DaysCached(table, host string, from time.Time, l *Listings) ([]DayFiles, error) {
	if err := CheckTable(table); err != nil {
		return nil, err
	}
	if err := CheckHost(host); err != nil {
		return nil, err
	}
	parts, err := s.daysFrom(table, host, from)
	if err != nil {
		return nil, fmt.Errorf("archive: days of %s for %q: %w", table, host, err)
	}
	// Each day's folders are listed, and looked in, from their parent
	// folders, opened once (dirAt: a listing or a look a few system
	// calls, where there are thousands a host-year).
	hostDir := table + "/host=" + host
	tableRes := tableResolutions(table)
	dirs := make([]*dirAt, 1+len(tableRes)) // nil: list through the root
	none := make([]bool, len(dirs))         // no such folder: nothing to list in it
	rollupDirs := rollupHostDirs(table, host, tableRes)
	for i, dir := range slices.Concat([]string{hostDir}, rollupDirs) {
		d, err := s.openDirAt(dir)
		if err != nil {
			none[i] = errors.Is(err, fs.ErrNotExist)
			continue
		}
		defer d.Close()
		dirs[i] = &d
	}
	out := make([]DayFiles, 0, len(parts))
	settled := time.Now().Add(-listingSettled).UnixNano() // a folder changed before then may be kept
	for _, p := range parts {
		d := DayFiles{Partition: p}
		date := dayFolder(p.Day)
		if !none[0] {
			if d.names, d.stats, err = s.listDayKept(dirs[0], date, hostDir+"/"+date, l, settled); err != nil {
				return nil, fmt.Errorf("archive: days of %s for %q: %w", table, host, err)
			}
		}
		live, _ := liveFiles(d.names)
		for i, res := range tableRes {
			if none[1+i] || len(live) > 1 || len(live) == 1 && live[0].kind != kindDay {
				continue // no rollup, or not a current one: parts since
			}
			dir := rollupDirs[i] + "/" + date // as rollupPath(res, p) names it, the date formatted once
			var name string
			var st fileStat
			if len(live) == 1 {
				// The rollup of the day file, if it was written: a look
				// at one name instead of a listing.
				rname := rollupName(live[0])
				var ok bool
				var err error
				if dirs[1+i] != nil {
					st, ok, err = dirs[1+i].stat(date + "/" + rname)
				}
				if dirs[1+i] == nil || err != nil {
					// Through the root, which says what is wrong.
					st, ok = s.regular(dir + "/" + rname)
				}
				if ok {
					name = rname
				}
			} else {
				rnames, rstats, err := s.listDay(dirs[1+i], date, dir)
				if err != nil {
					return nil, fmt.Errorf("archive: days of %s for %q: %w", table, host, err)
				}
				name, _ = currentRollupName(d.names, rnames)
				if j, found := slices.BinarySearch(rnames, name); found && name != "" {
					st = rstats[j]
				}
			}
			if name != "" {
				d.rollups[slices.Index(resolutions, res)] = listedFile{dir + "/" + name, st} // by the archive's resolutions, not the table's
			}
		}
		out = append(out, d)
	}
	return out, nil
}

// regular reports whether name (relative to the root) is a regular
// file, as a listing's usable entry, and gives its size and modification
// time.
func (s *Store) regular(name string) (fileStat, bool) {
	fi, err := s.root.Stat(name)
	if err != nil || !fi.Mode().IsRegular() {
		return fileStat{}, false
	}
	return fileStat{fi.Size(), fi.ModTime().UnixNano(), true}, true
}

// listDay lists the day folder date of d (nil: none open), dir relative
// to the root, as listDir does; whatever fails that way (a missing folder,
// a symlink) is listed again through the root, which says what is wrong.
func (s *Store) listDay(d *dirAt, date, dir string) ([]string, []fileStat, error) {
	return s.listDayKept(d, date, dir, nil, 0)
}

// listDayKept is listDay with the listings l kept (nil: none): a folder
// whose listing l holds, unchanged since, is not listed again (only its
// files stat'ed), and the listing of one changed before settled (ns since
// the epoch) that holds nothing but regular files is kept in l.
func (s *Store) listDayKept(d *dirAt, date, dir string, l *Listings, settled int64) ([]string, []fileStat, error) {
	if d != nil {
		if k, ok := l.get(dir); ok {
			if st, ok := d.known(date, k); ok {
				l.keep(dir, k, true)
				return slices.Clone(k.names), st, nil
			}
		}
		if ents, id, err := d.list(date, l != nil); err == nil {
			names, st := s.usableOf(dir, ents, true)
			if l != nil && id.mtime < settled && len(names) == len(ents) && !slices.ContainsFunc(ents, func(e entry) bool { return !e.typ.IsRegular() }) {
				id.names = names
				l.keep(dir, id, false)
			}
			return names, st, nil
		}
	}
	return s.listDir(dir)
}

// rollupHostDirs returns the folders of the rollups of table for host at
// each of resolutions.
func rollupHostDirs(table, host string, resolutions []Resolution) []string {
	out := make([]string, len(resolutions))
	for i, res := range resolutions {
		out[i] = rollupDir + "/" + res.String() + "/" + table + "/host=" + host
	}
	return out
}

// ScanFiles reads the day d, its raw rows (res Raw, as Scan reads them)
// or its current rollup at res (as ScanRollup), for rows with from <=
// time < to, in time order, from the files Days listed: a day with no current
// rollup at res gives an empty frame, and so does a rollup replaced since
// (a compaction ran again: read the day's raw rows then). Raw rows whose
// file vanished since the listing are read again from a new listing, as
// Scan does.
func (s *Store) ScanFiles(res Resolution, d DayFiles, from, to time.Time, cols ...string) (*Frame, error) {
	p := d.Partition
	if err := CheckTable(p.Table); err != nil {
		return nil, err
	}
	if err := CheckHost(p.Host); err != nil {
		return nil, err
	}
	r := rangeOf(from, to)
	if res == Raw {
		return s.scanDay(d, nil, from, to, cols)
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
	name := d.rollup(res).path
	if name == "" || !p.Day.Before(to) || !p.End().After(from) {
		return fr, nil
	}
	if _, err := s.scanFileGone(name, r, want, fr, 1); err != nil {
		return fr, fmt.Errorf("archive: scan rollup %s of %q: %w", p.Table, p.Host, err)
	}
	fr.sortByTime()
	return fr, nil
}

// ScanSpans is ScanFiles of the day d's raw rows, opening only the files
// that spans (FileSpans of d) say may hold rows with from <= time < to: a
// read of the open hour does not open the day's hour files, nor a day
// file. A file that spans lack, or whose times they do not know, is read.
func (s *Store) ScanSpans(d DayFiles, spans []FileSpan, from, to time.Time, cols ...string) (*Frame, error) {
	if err := CheckTable(d.Table); err != nil {
		return nil, err
	}
	if err := CheckHost(d.Host); err != nil {
		return nil, err
	}
	return s.scanDay(d, spans, from, to, cols)
}

// scanDay reads the raw rows of the day d (ScanFiles), passing over the
// files spans know to lie outside [from, to) (nil: none).
func (s *Store) scanDay(d DayFiles, spans []FileSpan, from, to time.Time, cols []string) (*Frame, error) {
	p := d.Partition
	want, err := scanColumns(tables[p.Table].schema(), cols)
	if err != nil {
		return nil, fmt.Errorf("archive: scan %s: %w", p.Table, err)
	}
	fr := newFrame(want)
	if !p.Day.Before(to) || !p.End().After(from) {
		return fr, nil
	}
	errs := s.scanListed(p, d.names, spans, rangeOf(from, to), want, fr)
	fr.sortByTime()
	if len(errs) > 0 {
		return fr, fmt.Errorf("archive: scan %s of %q: %w", p.Table, p.Host, errors.Join(errs...))
	}
	return fr, nil
}

// Stamp returns what identifies the files ScanFiles reads for the day d at
// res: the name, size and modification time of each, as Days listed them
// (a symlink's, as of now). A reader
// that keeps what it made of a day (render's day memo) keys it with the
// stamp: a replaced day file, a late part, a new compaction or a rewritten
// rollup changes it. A day with nothing to read at res has an empty stamp.
func (s *Store) Stamp(res Resolution, d DayFiles) (string, error) {
	var b strings.Builder
	if res == Raw {
		live, _ := liveFiles(d.names)
		for _, f := range live {
			st, err := s.statListed(d, f.name)
			if err != nil {
				return "", fmt.Errorf("archive: stamp of %s: %w", st.path, err)
			}
			fmt.Fprintf(&b, "%s %d %d\n", st.path, st.stat.size, st.stat.mtime)
		}
	} else if r := d.rollup(res); r.path != "" {
		if !r.stat.ok {
			fi, err := s.root.Stat(r.path)
			if err != nil {
				return "", fmt.Errorf("archive: stamp of %s: %w", r.path, err)
			}
			r.stat = fileStat{fi.Size(), fi.ModTime().UnixNano(), true}
		}
		fmt.Fprintf(&b, "%s %d %d\n", r.path, r.stat.size, r.stat.mtime)
	}
	return b.String(), nil
}

// statListed returns the path of the file name of the day d and its size
// and modification time as Days listed them, or, for a name the listing
// could not stat (a symlink), as a stat by path says now.
func (s *Store) statListed(d DayFiles, name string) (listedFile, error) {
	f := listedFile{path: d.Partition.Dir() + "/" + name}
	if i, found := slices.BinarySearch(d.names, name); found && i < len(d.stats) && d.stats[i].ok {
		f.stat = d.stats[i]
		return f, nil
	}
	fi, err := s.root.Stat(f.path)
	if err != nil {
		return f, err
	}
	f.stat = fileStat{fi.Size(), fi.ModTime().UnixNano(), true}
	return f, nil
}
