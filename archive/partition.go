package archive

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// maxHostLen is the longest host name accepted, the limit of a DNS name.
const maxHostLen = 253

// CheckHost reports whether host can name a host folder of the archive:
// 1 to 253 letters, digits, '.', '_' or '-', and not "." or "..". Host names
// come from the hosts themselves, so they are checked before any path is
// built from them.
func CheckHost(host string) error {
	switch {
	case host == "":
		return errors.New("archive: empty host name")
	case host == "." || host == "..":
		return fmt.Errorf("archive: host %q: not a name", host)
	case len(host) > maxHostLen:
		return fmt.Errorf("archive: host %q: longer than %d bytes", host[:32]+"…", maxHostLen)
	}
	for i := 0; i < len(host); i++ {
		if !hostByte(host[i]) {
			return fmt.Errorf("archive: host %q: want letters, digits, '.', '_' or '-'", host)
		}
	}
	return nil
}

func hostByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
		c == '.' || c == '_' || c == '-'
}

// CheckTable reports whether table is one the archive stores (schema.Tables).
func CheckTable(table string) error {
	if !slices.Contains(tableNames(), table) {
		return fmt.Errorf("archive: table %q: want one of %s", table, strings.Join(tableNames(), ", "))
	}
	return nil
}

// Dir returns the partition's folder relative to the archive root:
// <table>/host=<host>/date=<YYYY-MM-DD>.
func (p Partition) Dir() string {
	return p.Table + "/host=" + p.Host + "/" + dayFolder(p.Day)
}

// dayFolder returns the name of the folder of the day that starts at day
// (midnight UTC): date=<YYYY-MM-DD>.
func dayFolder(day time.Time) string { return "date=" + day.UTC().Format(time.DateOnly) }

// End returns the end of the partition's day (the next midnight UTC).
func (p Partition) End() time.Time { return p.Day.UTC().AddDate(0, 0, 1) }

// ParsePartition parses a folder name made by Partition.Dir, checking the
// table, the host and the date.
func ParsePartition(dir string) (Partition, error) {
	parts := strings.Split(strings.Trim(dir, "/"), "/")
	if len(parts) != 3 {
		return Partition{}, fmt.Errorf("archive: partition %q: want <table>/host=<host>/date=<YYYY-MM-DD>", dir)
	}
	table := parts[0]
	host, okHost := strings.CutPrefix(parts[1], "host=")
	date, okDate := strings.CutPrefix(parts[2], "date=")
	if !okHost || !okDate {
		return Partition{}, fmt.Errorf("archive: partition %q: want <table>/host=<host>/date=<YYYY-MM-DD>", dir)
	}
	if err := CheckTable(table); err != nil {
		return Partition{}, err
	}
	if err := CheckHost(host); err != nil {
		return Partition{}, err
	}
	day, err := parseDay(date)
	if err != nil {
		return Partition{}, fmt.Errorf("archive: partition %q: %w", dir, err)
	}
	return Partition{Table: table, Host: host, Day: day}, nil
}

// parseDay parses a YYYY-MM-DD date as midnight UTC, refusing any other
// spelling of the same day so that one day has one folder name.
func parseDay(s string) (time.Time, error) {
	day, err := time.Parse(time.DateOnly, s)
	if err != nil || day.Format(time.DateOnly) != s {
		return time.Time{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return day, nil
}

// Day returns midnight UTC of the day t falls on.
func Day(t time.Time) time.Time {
	y, m, d := t.UTC().Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// dayOfMicros returns midnight UTC of the day of a time column value.
func dayOfMicros(us int64) time.Time { return Day(time.UnixMicro(us)) }

// Expired returns the partitions of parts whose day ended more than keep
// before now, in the order of parts.
func Expired(parts []Partition, now time.Time, keep time.Duration) []Partition {
	cut := now.Add(-keep)
	var out []Partition
	for _, p := range parts {
		if p.End().Before(cut) {
			out = append(out, p)
		}
	}
	return out
}

// File kinds inside a partition folder.
const (
	kindPart = iota // part-<seq>.parquet: a flush of the journal
	kindDay         // day-<maxseq>.parquet: a compaction of every file up to maxseq
	kindHour        // hour-<lo>-<hi>.parquet: a consolidation of the files from lo to hi
)

// dataFile is one Parquet file of a partition, named by parseFileName. It
// holds the rows of the parts whose seqs lie in [lo, seq]: a part its own
// seq only, an hour file the parts it merged, a day file every part up to
// its seq (lo is 0).
type dataFile struct {
	name string
	kind int
	lo   int64
	seq  int64
}

// parseFileName parses part-<seq>.parquet, hour-<lo>-<hi>.parquet and
// day-<seq>.parquet.
func parseFileName(name string) (dataFile, bool) {
	base, ok := strings.CutSuffix(name, ".parquet")
	if !ok {
		return dataFile{}, false
	}
	if num, ok := strings.CutPrefix(base, "part-"); ok {
		seq, ok := parseSeq(num)
		return dataFile{name: name, kind: kindPart, lo: seq, seq: seq}, ok
	}
	if num, ok := strings.CutPrefix(base, "day-"); ok {
		seq, ok := parseSeq(num)
		return dataFile{name: name, kind: kindDay, seq: seq}, ok
	}
	if nums, ok := strings.CutPrefix(base, "hour-"); ok {
		a, b, ok := strings.Cut(nums, "-")
		if !ok {
			return dataFile{}, false
		}
		lo, okLo := parseSeq(a)
		hi, okHi := parseSeq(b)
		if !okLo || !okHi || lo >= hi {
			return dataFile{}, false
		}
		return dataFile{name: name, kind: kindHour, lo: lo, seq: hi}, true
	}
	return dataFile{}, false
}

// parseSeq parses a seq as names spell it: decimal, no sign, no leading zero.
func parseSeq(num string) (int64, bool) {
	seq, err := strconv.ParseInt(num, 10, 64)
	if err != nil || seq < 0 || strconv.FormatInt(seq, 10) != num {
		return 0, false
	}
	return seq, true
}

func partName(seq int64) string { return "part-" + strconv.FormatInt(seq, 10) + ".parquet" }
func dayName(seq int64) string  { return "day-" + strconv.FormatInt(seq, 10) + ".parquet" }
func hourName(lo, hi int64) string {
	return "hour-" + strconv.FormatInt(lo, 10) + "-" + strconv.FormatInt(hi, 10) + ".parquet"
}

// liveFiles splits the data files of a partition folder into the ones
// readers use, in the order to read them (by the first seq they hold: the
// newest day file first), and the covered ones, which a crash during a
// compaction or a consolidation left behind and which the next one
// deletes. A file is covered when another file's range of seqs holds its
// own (a day file covers the parts and hour files up to its seq and older
// day files; an hour file the parts it merged): their rows are in that
// file, so a reader that took both would count them twice. Compaction and
// consolidation only ever merge whole runs of live files, so the ranges of
// live files never overlap. Names that are not data files are ignored.
func liveFiles(names []string) (live, covered []dataFile) {
	files := make([]dataFile, 0, len(names))
	for _, n := range names {
		if f, ok := parseFileName(n); ok {
			files = append(files, f)
		}
	}
	// By first seq, the widest range first: a file is covered if and only
	// if one before it reaches at least as far.
	slices.SortFunc(files, func(a, b dataFile) int {
		if c := cmpInt(a.lo, b.lo); c != 0 {
			return c
		}
		if c := cmpInt(b.seq, a.seq); c != 0 {
			return c
		}
		return cmpInt(b.kind, a.kind)
	})
	var reach int64 = -1
	for _, f := range files {
		if f.seq <= reach {
			covered = append(covered, f)
			continue
		}
		live = append(live, f)
		reach = f.seq
	}
	slices.SortFunc(covered, func(a, b dataFile) int { return strings.Compare(a.name, b.name) })
	return live, covered
}

func cmpInt[T int | int32 | int64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
