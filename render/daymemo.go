package render

import (
	"almanac/archive"
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"log/slog"
	"math"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
	"time"
)

// The day memo is the part of the render cache that keeps what each closed
// day of a table added to a host's page models, so that a later render
// (a timer's, minutes later) adds it again instead of reading and reducing
// the day again. Today and the days a range's start falls in are read raw
// an hour at a time (readHours), and their closed hours are kept alike,
// keyed by the files that may hold their rows; so are the process table's
// hours (procseg.go). A timer's render then reads the open hour, the hour
// the 24-hour window starts in, and what changed.
//
// What a day adds is kept as each accumulator (dayAcc) of the table's
// reader encodes it: the reduced series of each range (chart buckets start
// at multiples of their width from the epoch, so a day's are the same at
// every render), its share of the 7-day means, the newest values it saw.
// It is keyed by the stamp of the day's files (archive.Store.Stamp: names,
// sizes and modification times), the resolution the planner read it at,
// the columns, the sampling interval, and for each range whether the day
// is in it and how the range is drawn; and by this almanac's build. A day
// that a range's start falls in and is read from a rollup is kept without
// what it adds to that range, which moves with the render time (see
// dayAcc).
//
//	<cache>/days/<dir>/<table>.memo         one host's kept days of one table
//	<cache>/days/<dir>/<table>.spans.memo   and its kept hours
//
// A memo file is the format line, then per day its key and record, then
// the CRC-32C of all before it (memoSum): a damaged file is thrown away
// (and the days read again), never half used. The file holds only the
// days the last render used. A file of another format (an older almanac's)
// is read again quietly.
const dayMemoFormat = "almanac-day-memo-4\n"

// dayMemoFamily begins every format line a day memo ever had.
const dayMemoFamily = "almanac-day-memo-"

// memoSumSize is the size of a memo file's checksum.
const memoSumSize = 4

// memoCRC is the CRC-32C table (the Castagnoli polynomial, which hash/crc32
// computes with the processor's instruction where it has one).
var memoCRC = crc32.MakeTable(crc32.Castagnoli)

// memoSum appends the checksum of a memo file's body to it: a CRC-32C,
// as file systems and Parquet pages check what they read, where a render
// reads its memo files (tens of MB for ten hosts) at every render and a
// SHA-256 of them cost 5 % of a timer's render.
func memoSum(body []byte) []byte {
	return binary.BigEndian.AppendUint32(body, crc32.Checksum(body, memoCRC))
}

// dayMemoBase returns the part of every day key that is not the day's: the
// memo's format and this almanac's build.
func dayMemoBase() []byte {
	h := sha256.New()
	h.Write([]byte(dayMemoFormat))
	if bi, ok := debug.ReadBuildInfo(); ok {
		fmt.Fprintf(h, "build %s %s\n", bi.Main.Version, bi.Main.Sum)
		for _, s := range bi.Settings {
			if strings.HasPrefix(s.Key, "vcs.") {
				fmt.Fprintf(h, "%s=%s\n", s.Key, s.Value)
			}
		}
	}
	return h.Sum(nil)
}

// hostMemo is the day memo of one host, open for its render.
type hostMemo struct {
	c   *renderCache
	dir string // days/<the host's folder>
	log *slog.Logger

	mu       sync.Mutex
	releases []func() // of the memo files read (mapMemoFile)

	lists *dayLists // the host's days (days); nil: not listed yet
}

// days returns the host's day lists for a render at now, with the day
// folders' listings the render before kept: made once, for the render
// cache's key and the readers alike.
func (h *hostMemo) days(src scanner, host string, now time.Time) *dayLists {
	if h.lists == nil {
		h.lists = newDayLists(src, host, now.UnixMicro()-longest.Microseconds(), h.listings())
	}
	return h.lists
}

// release lets go of the memo files the host's render read: nothing may
// use their records after (renderHost calls it once the host's pages are
// written).
func (h *hostMemo) release() {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, f := range h.releases {
		f()
	}
	h.releases = nil
}

// testHookMemoRead, when set by a test, runs after a memo file is read.
var testHookMemoRead func(name string)

// memo returns the day memo of the host whose site folder is dir.
func (c *renderCache) memo(dir string, log *slog.Logger) *hostMemo {
	return &hostMemo{c: c, dir: "days/" + dir, log: log}
}

// tableMemo is the memo of one table of a host during its render: the
// days the files held, and those this render used or made. Whole days
// and spans (hours of the days read an hour at a time) are kept in two
// files, by the first byte of their keys (dayKeyPrefix, spanKeyPrefix):
// the spans change every hour, the days once a day, and a render rewrites
// only the file whose records changed.
type tableMemo struct {
	h       *hostMemo
	name    string // the table's (or reader's) name: its files are name.memo and name.spans.memo in h.dir
	old     map[string][]byte
	now     map[string][]byte
	held    [2]int  // per file, the records it held
	changed [2]bool // per file, a record was put or forgotten
	// days added from the memo, and read from the archive; spans of
	// days read an hour at a time (readHours, procSegments) likewise
	kept, read           int
	spansKept, spansRead int
}

// The first byte of a day memo key: a whole day's, or a span's.
const (
	dayKeyPrefix  = "d"
	spanKeyPrefix = "s"
)

// memoFile returns which file of a table's memo holds key: 0 for a day's,
// 1 for a span's.
func memoFile(key string) int {
	if strings.HasPrefix(key, spanKeyPrefix) {
		return 1
	}
	return 0
}

// file returns the name in h.dir of the memo file i of t.
func (t *tableMemo) file(i int) string {
	if i == 1 {
		return t.name + ".spans.memo"
	}
	return t.name + ".memo"
}

// open reads the memo of table, or of a reader by that name (none yet, or
// a damaged file: no records from it).
func (h *hostMemo) open(table string) *tableMemo {
	t := &tableMemo{h: h, name: table, old: map[string][]byte{}, now: map[string][]byte{}}
	for i := range t.held {
		data, release, err := mapMemoFile(h.c.root, h.dir+"/"+t.file(i))
		if err != nil {
			if !errors.Is(err, fs.ErrNotExist) {
				h.log.Warn("render cache: cannot read a day memo; reading its days", "file", h.dir+"/"+t.file(i), "err", err)
			}
			continue
		}
		h.mu.Lock()
		h.releases = append(h.releases, release)
		h.mu.Unlock()
		if testHookMemoRead != nil {
			testHookMemoRead(h.dir + "/" + t.file(i))
		}
		recs, err := parseMemo(data)
		if errors.Is(err, errMemoFormat) {
			h.log.Debug("render cache: a day memo of another format; reading its days", "file", h.dir+"/"+t.file(i))
			continue
		}
		if err != nil {
			h.log.Warn("render cache: a day memo is damaged; reading its days", "file", h.dir+"/"+t.file(i), "err", err)
			continue
		}
		for k, rec := range recs {
			if memoFile(k) == i {
				t.old[k] = rec
				t.held[i]++
			}
		}
	}
	return t
}

// errMemoFormat is parseMemo's error for a day memo of another format.
var errMemoFormat = errors.New("a day memo of another format")

// parseMemo reads a memo file's days.
func parseMemo(data []byte) (map[string][]byte, error) {
	if !bytes.HasPrefix(data, []byte(dayMemoFormat)) && bytes.HasPrefix(data, []byte(dayMemoFamily)) {
		return nil, errMemoFormat
	}
	if len(data) < len(dayMemoFormat)+memoSumSize || !bytes.HasPrefix(data, []byte(dayMemoFormat)) {
		return nil, errors.New("not a day memo")
	}
	body, sum := data[:len(data)-memoSumSize], data[len(data)-memoSumSize:]
	if binary.BigEndian.Uint32(sum) != crc32.Checksum(body, memoCRC) {
		return nil, errors.New("checksum mismatch")
	}
	r := memoReader{b: body[len(dayMemoFormat):]}
	out := map[string][]byte{}
	for len(r.b) > 0 && r.err == nil {
		key := r.bytes()
		rec := r.bytes()
		if r.err == nil {
			out[string(key)] = rec
		}
	}
	return out, r.err
}

// get returns the record of key, which this render then keeps.
func (t *tableMemo) get(key string) ([]byte, bool) {
	rec, ok := t.old[key]
	if ok {
		t.now[key] = rec
	}
	return rec, ok
}

// has reports whether the file held key.
func (t *tableMemo) has(key string) bool {
	_, ok := t.old[key]
	return ok
}

// put keeps rec under key. The file changes only when rec is new.
func (t *tableMemo) put(key string, rec []byte) {
	t.now[key] = rec
	if old, ok := t.old[key]; !ok || !bytes.Equal(old, rec) {
		t.changed[memoFile(key)] = true
	}
}

// forget drops key: its record could not be used.
func (t *tableMemo) forget(key string) {
	delete(t.now, key)
	t.changed[memoFile(key)] = true
}

// save writes the records this render used or made into each file whose
// records differ from what it held: through a temporary file renamed over
// it (a file left with none is removed).
func (t *tableMemo) save() {
	t.h.c.mu.Lock()
	t.h.c.daysKept += t.kept
	t.h.c.daysRead += t.read
	t.h.c.spansKept += t.spansKept
	t.h.c.spansRead += t.spansRead
	t.h.c.mu.Unlock()
	var keys [2][]string
	for k := range t.now {
		keys[memoFile(k)] = append(keys[memoFile(k)], k)
	}
	for i := range keys {
		if !t.changed[i] && len(keys[i]) == t.held[i] {
			continue
		}
		final := t.h.dir + "/" + t.file(i)
		if len(keys[i]) == 0 {
			if err := t.h.c.root.Remove(final); err != nil && !errors.Is(err, fs.ErrNotExist) {
				t.h.log.Warn("render cache: cannot remove a day memo", "file", final, "err", err)
			}
			continue
		}
		slices.Sort(keys[i])
		size := len(dayMemoFormat) + memoSumSize
		for _, k := range keys[i] {
			size += len(k) + len(t.now[k]) + 2*binary.MaxVarintLen64
		}
		b := memoBuf{b: make([]byte, 0, size)}
		b.b = append(b.b, dayMemoFormat...)
		for _, k := range keys[i] {
			b.str(k)
			b.bytes(t.now[k])
		}
		b.b = memoSum(b.b)
		if err := t.h.replace(t.file(i), b.b); err != nil {
			t.h.log.Warn("render cache: cannot keep a day memo", "file", final, "err", err)
		}
	}
}

// replace writes data as the file name of the host's memo folder, through
// a temporary file renamed over it.
func (h *hostMemo) replace(name string, data []byte) error {
	var rnd [6]byte
	rand.Read(rnd[:])
	tmp := h.dir + "/." + name + "." + hex.EncodeToString(rnd[:]) + ".tmp"
	err := h.c.root.MkdirAll(h.dir, 0o755)
	if err == nil {
		err = h.c.root.WriteFile(tmp, data, 0o644)
	}
	if err == nil {
		err = h.c.root.Rename(tmp, h.dir+"/"+name)
	}
	if err != nil {
		h.c.root.Remove(tmp)
	}
	return err
}

// listingsFile names the file of the host's day folder listings
// (archive.Listings) in its memo folder.
const listingsFile = "day-folders.listings"

// listings returns the host's day folder listings kept by the render
// before: empty when there are none, or they cannot be read (the folders
// are then listed again, which costs only time).
func (h *hostMemo) listings() *archive.Listings {
	data, err := h.c.root.ReadFile(h.dir + "/" + listingsFile)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			h.log.Warn("render cache: cannot read the day folders' listings; listing them", "file", h.dir+"/"+listingsFile, "err", err)
		}
		return archive.NewListings()
	}
	l, err := archive.ParseListings(data)
	if err != nil {
		h.log.Debug("render cache: the day folders' listings are of no use; listing them", "file", h.dir+"/"+listingsFile, "err", err)
	}
	return l
}

// saveListings keeps l, the listings this render used and made, when they
// differ from those it started from.
func (h *hostMemo) saveListings(l *archive.Listings) {
	h.c.mu.Lock()
	h.c.foldersKept += l.Hits()
	h.c.mu.Unlock()
	if !l.Changed() {
		return
	}
	if err := h.replace(listingsFile, l.Marshal()); err != nil {
		h.log.Warn("render cache: cannot keep the day folders' listings", "file", h.dir+"/"+listingsFile, "err", err)
	}
}

// A dayAcc is an accumulator of a host's page models that the days of a
// table feed one after another (eachKept): what one day adds can be
// encoded, and added again from its encoding. Every day goes through
// begin and end, kept or not, so that a render from the memo adds up
// exactly as one that reads every day.
//
// A day that a range's start falls in (cut: yesterday, for the 24 hours)
// is kept without what it adds to the ranges of cut; a later render adds
// the rest from the memo, then reads the day from the earliest of those
// starts and keeps, of what that adds, only what goes to the ranges of
// cut.
type dayAcc interface {
	// begin sets aside what the days before added.
	begin()
	// end encodes into b (nil: no memo) what the day added but for the
	// ranges of cut, and adds to what was set aside what the day added:
	// all of it, or with only, only what it added to the ranges of cut.
	end(b *memoBuf, cut rangeSet, only bool)
	// decode reads what end encoded; the function it returns adds it.
	decode(r *memoReader) func()
}

// rangeSet is a set of ranges (indexes of ranges).
type rangeSet uint8

// has reports whether r is in the set.
func (s rangeSet) has(r int) bool { return r >= 0 && s&(1<<r) != 0 }

// memoBuf is an encoding being written.
type memoBuf struct{ b []byte }

func (m *memoBuf) uint(v uint64) { m.b = binary.AppendUvarint(m.b, v) }
func (m *memoBuf) int(v int64)   { m.b = binary.AppendVarint(m.b, v) }
func (m *memoBuf) float(v float64) {
	m.b = binary.LittleEndian.AppendUint64(m.b, math.Float64bits(v))
}
func (m *memoBuf) bytes(v []byte) { m.uint(uint64(len(v))); m.b = append(m.b, v...) }
func (m *memoBuf) str(v string)   { m.uint(uint64(len(v))); m.b = append(m.b, v...) }
func (m *memoBuf) bool(v bool) {
	if v {
		m.b = append(m.b, 1)
	} else {
		m.b = append(m.b, 0)
	}
}

func (m *memoBuf) floats(v []float64) {
	m.uint(uint64(len(v)))
	for _, x := range v {
		m.float(x)
	}
}

func (m *memoBuf) ints(v []int64) {
	m.uint(uint64(len(v)))
	prev := int64(0)
	for _, x := range v {
		m.int(x - prev) // times, ascending: small deltas
		prev = x
	}
}

func (m *memoBuf) strs(v []string) {
	m.uint(uint64(len(v)))
	for _, s := range v {
		m.str(s)
	}
}

// memoReader reads an encoding; the first error sticks and makes every
// later read return zeros.
type memoReader struct {
	b   []byte
	err error
	// names, when not nil, holds the strings read so far, each string
	// read returned from it: the records of a host's kept days and hours
	// name the same series, disks and processes again and again.
	names map[string]string
}

func (r *memoReader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("day memo: bad %s", what)
	}
	r.b = nil
}

// uint and int read a varint; one of a byte (most in a memo: a steady
// sample's time, a count) is read without a call to encoding/binary.
func (r *memoReader) uint() uint64 {
	if len(r.b) > 0 && r.b[0] < 0x80 {
		v := r.b[0]
		r.b = r.b[1:]
		return uint64(v)
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *memoReader) int() int64 {
	if len(r.b) > 0 && r.b[0] < 0x80 {
		u := r.b[0]
		r.b = r.b[1:]
		return int64(u>>1) ^ -int64(u&1) // zigzag, as binary.Varint
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("number")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *memoReader) float() float64 {
	if len(r.b) < 8 {
		r.fail("value")
		return 0
	}
	v := math.Float64frombits(binary.LittleEndian.Uint64(r.b))
	r.b = r.b[8:]
	return v
}

// count reads a length of items of at least min bytes each, checked
// against what is left.
func (r *memoReader) count(min int) int {
	n := r.uint()
	if n > uint64(len(r.b)/max(min, 1)) {
		r.fail("length")
		return 0
	}
	return int(n)
}

func (r *memoReader) bytes() []byte {
	n := r.count(1)
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *memoReader) str() string {
	b := r.bytes()
	if r.names == nil {
		return string(b)
	}
	if s, ok := r.names[string(b)]; ok {
		return s
	}
	s := string(b)
	r.names[s] = s
	return s
}

func (r *memoReader) bool() bool {
	if len(r.b) < 1 || r.b[0] > 1 {
		r.fail("flag")
		return false
	}
	v := r.b[0] == 1
	r.b = r.b[1:]
	return v
}

func (r *memoReader) floats() []float64 {
	n := r.count(8) // checked: the n values are there
	v := make([]float64, n)
	b := r.b[:8*n]
	for i := range v {
		v[i] = math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	r.b = r.b[8*n:]
	return v
}

func (r *memoReader) ints() []int64 {
	n := r.count(1)
	v := make([]int64, n)
	prev := int64(0)
	for i := range v {
		prev += r.int()
		v[i] = prev
	}
	return v
}

func (r *memoReader) strs() []string {
	n := r.count(1)
	v := make([]string, n)
	for i := range v {
		v[i] = r.str()
	}
	return v
}
