package render

import (
	"cmp"
	"math"
	"time"
)

// fullHorizon is the longest time until full that is worth showing.
const fullHorizon = 30 * 24 * time.Hour

// timeUntilFull returns how long until a filesystem with avail bytes free
// fills up if its used bytes keep growing at the trend of the samples
// (ts in µs, ascending): the least-squares slope of used over time. It
// returns false when the trend is flat or shrinking, when the samples span
// less than an hour or are fewer than ten, or when the result is beyond
// fullHorizon.
func timeUntilFull(ts []int64, used []float64, avail float64) (time.Duration, bool) {
	var n, sx, sy, sxx, sxy float64
	var t0 int64
	first := true
	var span int64
	for i, t := range ts {
		y := used[i]
		if math.IsNaN(y) {
			continue
		}
		if first {
			t0, first = t, false
		}
		x := float64(t-t0) / 1e6 // seconds
		n++
		sx += x
		sy += y
		sxx += x * x
		sxy += x * y
		span = t - t0
	}
	if n < 10 || span < time.Hour.Microseconds() || avail <= 0 {
		return 0, false
	}
	den := n*sxx - sx*sx
	if den == 0 {
		return 0, false
	}
	slope := (n*sxy - sx*sy) / den // bytes per second
	if slope <= 0 {
		return 0, false
	}
	secs := avail / slope
	if secs > fullHorizon.Seconds() {
		return 0, false
	}
	return time.Duration(secs * float64(time.Second)), true
}

// procID is the identity of a process across samples.
type procID struct {
	PID   int32
	Start int64 // start time, µs
}

// procStat sums what the samples say about one process over a range.
type procStat struct {
	ID          procID
	Comm, User  string
	Unit        string  // the systemd unit it is grouped under, in its last sample ("" for none)
	Container   string  // the container it is grouped under, in its last sample ("" for none)
	State       string  // the state in its last sample
	CPUAvg      float64 // mean CPU % (of one core) over every sample of the range
	RSSMax      float64 // bytes
	RSSLast     float64 // bytes
	First, Last int64   // first and last sample it was seen in (µs)
	cpuSum      float64
	// Disk I/O: the sums of its read and write rates over its samples,
	// and its peak read + write rate (bytes/s: of a sample on the 24-hour
	// page, of an hour's mean on the others). hasIO is false when no
	// sample had them.
	ioRead, ioWrite, ioPeak float64
	hasIO                   bool
}

// procRows is the process table as columns.
type procRows struct {
	T                []int64
	PID, Start       []float64
	CPUUser, CPUSys  []float64
	RSS              []float64
	Comm, User, Stat []string
	IORead, IOWrite  []float64 // bytes/s; NaN when unreadable (nil: not read)
	// Groups holds the unit and container of each process in its newest
	// row: a map, not two columns of every row, which would take 32 bytes a
	// row (nil: not read).
	Groups map[procID]procGroups
}

// procGroups are the unit and container a process is grouped under (""
// for none).
type procGroups struct{ unit, container string }

// io returns the disk I/O rates of row i (bytes/s; 0 for an unreadable
// one); ok is false when the row has neither.
func (p procRows) io(i int) (ok bool, read, write float64) {
	if p.IORead == nil || p.IOWrite == nil {
		return false, 0, 0
	}
	r, w := p.IORead[i], p.IOWrite[i]
	if math.IsNaN(r) && math.IsNaN(w) {
		return false, 0, 0
	}
	return true, nz(r), nz(w)
}

// rankIO returns the n first of all by disk I/O (read + written), ties by
// identity; processes without I/O are left out.
func rankIO(all []procStat, n int) []procStat {
	var io []procStat
	for _, s := range all {
		if s.ioRead+s.ioWrite > 0 {
			io = append(io, s)
		}
	}
	return firstBy(io, n, func(a, b *procStat) int { return cmp.Compare(b.ioRead+b.ioWrite, a.ioRead+a.ioWrite) })
}

// nz returns v, or 0 when v is NaN.
func nz(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return v
}
