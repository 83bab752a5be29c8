package archive

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"maps"
	"math"
	"slices"
	"strings"
	"sync"
	"time"
)

// Listings holds what Store.DaysCached found in closed day folders, for a
// later DaysCached (another process: a render a timer starts 5 minutes
// later) to use instead of listing each again: a host-year is thousands
// of day folders, each a few system calls to list. A folder's listing is
// used while the folder is the same one (its inode) and unchanged since
// (its modification time, which a file created, removed or renamed in it
// changes); its files are still stat'ed each time, for their sizes and
// times. Only a folder unchanged for a while (listingSettled) is kept: a
// file system's clock for file times is coarse, so a folder changed
// within the same tick as it was listed could look unchanged. A folder
// with anything but regular files in it is not kept either.
//
// Listings also hold the times of the rows of the files FileSpans was
// asked for, by each file's path, size and modification time: a later
// FileSpans takes them from there instead of reading each file's footer
// again (the hour files and parts of today, at every render).
//
// Marshal encodes the listings a DaysCached used or made, and the spans a
// FileSpans used or read; ParseListings reads them back, refusing a
// damaged encoding.
type Listings struct {
	mu       sync.Mutex
	old      map[string]dirListing
	now      map[string]dirListing
	hits     int // folders taken from a listing kept, not listed
	oldSpans map[string]FileSpan
	nowSpans map[string]FileSpan
	spanHits int // files whose span was taken from the listings, not read (tests count them)
}

// dirListing is the listing of a day folder: the folder's inode and
// modification time when it was listed, and its (usable, regular) files.
type dirListing struct {
	ino   uint64
	mtime int64 // ns since the epoch
	names []string
}

// listingSettled is how long a day folder must have been unchanged for its
// listing to be kept (Listings).
const listingSettled = time.Minute

// listingsFormat begins an encoding of Listings.
const listingsFormat = "almanac-day-listings-2\n"

// NewListings returns empty listings.
func NewListings() *Listings {
	return &Listings{old: map[string]dirListing{}, now: map[string]dirListing{},
		oldSpans: map[string]FileSpan{}, nowSpans: map[string]FileSpan{}}
}

// ParseListings reads listings that Marshal encoded. A damaged encoding
// (or one of another format) is an error: the caller starts from empty
// listings, which only costs listing the folders again.
func ParseListings(data []byte) (*Listings, error) {
	l := NewListings()
	if !bytes.HasPrefix(data, []byte(listingsFormat)) || len(data) < len(listingsFormat)+4 {
		return l, errors.New("archive: not day folder listings")
	}
	body, sum := data[:len(data)-4], data[len(data)-4:]
	if binary.BigEndian.Uint32(sum) != crc32.Checksum(body, crcTable) {
		return l, errors.New("archive: day folder listings: checksum mismatch")
	}
	b := body[len(listingsFormat):]
	bad := errors.New("archive: day folder listings: damaged")
	uvarint := func() (uint64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	str := func() (string, bool) {
		n, ok := uvarint()
		if !ok || n > uint64(len(b)) {
			return "", false
		}
		s := string(b[:n])
		b = b[n:]
		return s, true
	}
	varint := func() (int64, bool) {
		v, n := binary.Varint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	dirs, ok := uvarint()
	if !ok || dirs > uint64(len(b)) {
		return NewListings(), bad
	}
	for range dirs {
		key, ok1 := str()
		ino, ok2 := uvarint()
		mtime, ok3 := uvarint()
		n, ok4 := uvarint()
		if !ok1 || !ok2 || !ok3 || !ok4 || n > uint64(len(b)) {
			return NewListings(), bad
		}
		d := dirListing{ino: ino, mtime: int64(mtime), names: make([]string, n)}
		for i := range d.names {
			var ok bool
			if d.names[i], ok = str(); !ok || !fileName(d.names[i]) {
				return NewListings(), bad
			}
		}
		l.old[key] = d
	}
	for len(b) > 0 {
		var f FileSpan
		var ok [6]bool
		var size, known uint64
		f.Name, ok[0] = str()
		size, ok[1] = uvarint()
		f.ModTime, ok[2] = varint()
		f.Lo, ok[3] = varint()
		f.Hi, ok[4] = varint()
		known, ok[5] = uvarint()
		if ok != [6]bool{true, true, true, true, true, true} || known > 1 || size > math.MaxInt64 || known == 1 && f.Lo > f.Hi {
			return NewListings(), bad
		}
		f.Size, f.Known = int64(size), known == 1
		l.oldSpans[f.Name] = f
	}
	return l, nil
}

// fileName reports whether name is a file's name in a folder: one path
// element, so that a look for it stays in its day folder.
func fileName(name string) bool {
	return name != "" && name != "." && name != ".." && !strings.ContainsAny(name, "/\x00")
}

// Marshal encodes the listings DaysCached used or made since l was
// parsed or made (a folder no longer listed is dropped).
func (l *Listings) Marshal() []byte {
	l.mu.Lock()
	defer l.mu.Unlock()
	b := []byte(listingsFormat)
	b = binary.AppendUvarint(b, uint64(len(l.now)))
	for _, key := range slices.Sorted(maps.Keys(l.now)) {
		d := l.now[key]
		b = binary.AppendUvarint(b, uint64(len(key)))
		b = append(b, key...)
		b = binary.AppendUvarint(b, d.ino)
		b = binary.AppendUvarint(b, uint64(d.mtime))
		b = binary.AppendUvarint(b, uint64(len(d.names)))
		for _, n := range d.names {
			b = binary.AppendUvarint(b, uint64(len(n)))
			b = append(b, n...)
		}
	}
	for _, key := range slices.Sorted(maps.Keys(l.nowSpans)) {
		f := l.nowSpans[key]
		b = binary.AppendUvarint(b, uint64(len(f.Name)))
		b = append(b, f.Name...)
		b = binary.AppendUvarint(b, uint64(f.Size))
		b = binary.AppendVarint(b, f.ModTime)
		b = binary.AppendVarint(b, f.Lo)
		b = binary.AppendVarint(b, f.Hi)
		known := uint64(0)
		if f.Known {
			known = 1
		}
		b = binary.AppendUvarint(b, known)
	}
	return binary.BigEndian.AppendUint32(b, crc32.Checksum(b, crcTable))
}

// Changed reports whether Marshal would encode other listings than those
// parsed: a folder listed anew, or one no longer used, or a file's span
// read anew, or one no longer used.
func (l *Listings) Changed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.now) != len(l.old) || !maps.Equal(l.nowSpans, l.oldSpans) {
		return true
	}
	for k, d := range l.now {
		o, ok := l.old[k]
		if !ok || o.ino != d.ino || o.mtime != d.mtime || !slices.Equal(o.names, d.names) {
			return true
		}
	}
	return false
}

// Hits returns how many day folders were taken from a kept listing
// instead of listed.
func (l *Listings) Hits() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.hits
}

// span returns the span kept of the file f: one of the same path, size
// and modification time.
func (l *Listings) span(f FileSpan) (FileSpan, bool) {
	if l == nil {
		return FileSpan{}, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	k, ok := l.oldSpans[f.Name]
	if !ok || k.Size != f.Size || k.ModTime != f.ModTime {
		return FileSpan{}, false
	}
	l.nowSpans[f.Name] = k
	l.spanHits++
	return k, true
}

// keepSpan keeps the span of a file, read from its footer.
func (l *Listings) keepSpan(f FileSpan) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.nowSpans[f.Name] = f
}

// get returns the listing kept of the day folder dir (relative to the
// root).
func (l *Listings) get(dir string) (dirListing, bool) {
	if l == nil {
		return dirListing{}, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	d, ok := l.old[dir]
	return d, ok
}

// keep keeps the listing of dir; hit says it was used instead of a
// listing.
func (l *Listings) keep(dir string, d dirListing, hit bool) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	l.now[dir] = d
	if hit {
		l.hits++
	}
}
