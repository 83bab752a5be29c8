package archive

import (
	"almanac/schema"
	"slices"
	"strings"
	"time"
)

// The read planner: which day of a table a render reads at which
// resolution. It is the one place that says it; render follows it when it
// reads, and RenderKeys when it picks the files a render fetches from
// object storage, so the two cannot drift apart.
//
// The policy, for the charts of a day of a table:
//
//   - the host table has no rollups: raw;
//   - the process table has per-hour rollups only, which its long ranges
//     read for every closed day that has a current one (its 24-hour page
//     reads raw rows, see ReadsRaw); other days raw;
//   - a day that ends in the last 24 hours is read raw (the 24-hour range
//     draws samples), and so is a day that a range drawing every sample
//     covers (a host sampled so seldom that its 7-day range has at most
//     a chart's points);
//   - a day whose rollups are not all current (not compacted yet, a late
//     part written since, a rollup missing) is read raw;
//   - other days of the last 30 days are read per minute, older ones per
//     hour.
//
// Besides the charts, a render reads the raw rows of every day of the
// system table (availability needs every sample time) and of the host
// table (facts), and the last 24 hours of the process table (ReadsRaw).

// Raw is the Resolution of a day's own rows, as opposed to a rollup.
const Raw Resolution = 0

// RawWindow is how far back from now days are always read raw: the
// 24-hour range draws every sample.
const RawWindow = 24 * time.Hour

// MinuteWindow is how far back from now closed days are read from their
// per-minute rollups; older ones from their per-hour ones.
const MinuteWindow = 30 * 24 * time.Hour

// fetchRawDays is how many recent days of raw rows RenderKeys keeps
// whatever their rollups: a render's 7- and 30-day ranges draw every
// sample of a host sampled seldom (and then read those days raw), which
// the keys do not tell; plus a day of slack.
const fetchRawDays = 31

// PlanDay returns what a render at now reads of day (midnight UTC) of
// table for its charts: Raw, PerMinute or PerHour. current lists the
// resolutions at which the day has a current rollup (see DayFiles). Days
// that end after rawAfter are read raw: it is the start of the longest
// range of the render that draws every sample; the zero time means none
// but the last 24 hours (RawWindow), which are read raw whatever rawAfter.
func PlanDay(now, day time.Time, table string, current []Resolution, rawAfter time.Time) Resolution {
	if !HasRollups(table) {
		return Raw
	}
	for _, res := range tableResolutions(table) {
		if !slices.Contains(current, res) {
			return Raw // not compacted, a late part, a rollup missing
		}
	}
	if table == schema.TableProcess {
		return PerHour
	}
	end := day.AddDate(0, 0, 1)
	if end.After(now.Add(-RawWindow)) || !rawAfter.IsZero() && end.After(rawAfter) {
		return Raw
	}
	if end.After(now.Add(-MinuteWindow)) && HasResolution(table, PerMinute) {
		return PerMinute
	}
	return PerHour // a table rolled up per hour only (proc_group) reads its hours
}

// ReadsRaw reports whether a render at now reads the raw rows of day
// (midnight UTC) of table whatever PlanDay says: every day of the system
// table (the timeline needs every sample time) and of the host table
// (facts), and the days of the process table that end in the last 24
// hours (its 24-hour page lists processes from raw rows).
func ReadsRaw(now, day time.Time, table string) bool {
	switch table {
	case schema.TableSystem, schema.TableHost:
		return true
	case schema.TableProcess:
		return day.AddDate(0, 0, 1).After(now.Add(-RawWindow))
	}
	return false
}

// currentRollups returns the resolutions at which a day has a current
// rollup (see currentRollupName), from the names in its folder (names) and
// in its rollup folder at each resolution (rollups).
func currentRollups(names []string, rollups map[Resolution][]string) []Resolution {
	var out []Resolution
	for _, res := range resolutions {
		if _, ok := currentRollupName(names, rollups[res]); ok {
			out = append(out, res)
		}
	}
	return out
}

// currentRollupName returns the name of the current rollup of a day among
// rnames (its rollup folder at one resolution), from names (the day's
// folder): the rollup made from the day's only live file, a day file. A
// day not compacted yet, or with a part written since, has none. A day
// without any data file (a copy of the archive that left its raw rows out,
// as RenderKeys does only when its rollups are current) reads its newest
// rollup.
func currentRollupName(names, rnames []string) (string, bool) {
	live, _ := liveFiles(names)
	if len(live) == 0 {
		return newestRollup(rnames)
	}
	if len(live) != 1 || live[0].kind != kindDay {
		return "", false
	}
	want := rollupName(live[0])
	return want, slices.Contains(rnames, want)
}

// days lists the days of table for host that a reader may read, oldest
// first: the day folders, and the days that have only rollups (a copy of
// the archive without their raw rows, see RenderKeys).
func (s *Store) days(table, host string) ([]Partition, error) {
	return s.daysFrom(table, host, time.Time{})
}

// daysFrom is days without the days that end at or before from
// (partitionsFrom).
func (s *Store) daysFrom(table, host string, from time.Time) ([]Partition, error) {
	parts, err := s.partitionsFrom(table, host, from)
	if err != nil || !HasRollups(table) {
		return parts, err
	}
	have := make(map[time.Time]bool, len(parts))
	for _, p := range parts {
		have[p.Day] = true
	}
	first := firstDayName(from)
	for _, dir := range rollupHostDirs(table, host, tableResolutions(table)) {
		names, err := s.readDirNames(dir)
		if err != nil {
			return nil, err
		}
		for _, n := range names {
			if n < first {
				continue
			}
			date, ok := strings.CutPrefix(n, "date=")
			if !ok {
				continue
			}
			if day, err := parseDay(date); err == nil && !have[day] {
				have[day] = true
				parts = append(parts, Partition{Table: table, Host: host, Day: day})
			}
		}
	}
	slices.SortFunc(parts, func(a, b Partition) int { return a.Day.Compare(b.Day) })
	return parts, nil
}
