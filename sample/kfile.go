//go:build linux

package sample

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// interner hands out one string per distinct name (a device, an
// interface), so a name seen every sample is converted from bytes once.
type interner map[string]string

// get returns b as a string, allocating only for a name not seen before.
func (in interner) get(b []byte) string {
	if s, ok := in[string(b)]; ok { // no allocation: the compiler optimises this lookup
		return s
	}
	s := string(b)
	in[s] = s
	return s
}

// trim drops names no longer in use once the table is much larger than
// what is in use, so names that come and go (veth interfaces, loop devices)
// do not grow it without bound.
func (in interner) trim(inUse int, keep func(string) bool) {
	if len(in) <= 2*inUse+64 {
		return
	}
	for k := range in {
		if !keep(k) {
			delete(in, k)
		}
	}
}

// validName returns s unchanged when it is valid UTF-8, else s with every
// invalid byte written as \xNN. Device, interface and mount names are bytes
// to the kernel but strings to Parquet and DuckDB, which reject invalid
// UTF-8; escaping keeps the name readable and distinct.
func validName(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	out := make([]byte, 0, len(s)+8)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size <= 1 {
			out = append(out, '\\', 'x')
			out = strconv.AppendUint(out, uint64(s[i])>>4, 16)
			out = strconv.AppendUint(out, uint64(s[i])&0xf, 16)
			i++
			continue
		}
		out = append(out, s[i:i+size]...)
		i += size
	}
	return string(out)
}

// nextField returns the next field of b separated by spaces or tabs,
// starting at i, and the index after it; the field is empty at the end.
func nextField(b []byte, i int) (field []byte, next int) {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	j := i
	for j < len(b) && b[j] != ' ' && b[j] != '\t' {
		j++
	}
	return b[i:j], j
}

// parseUint parses a decimal unsigned integer without allocating.
func parseUint(b []byte) (uint64, bool) {
	if len(b) == 0 || len(b) > 20 {
		return 0, false
	}
	var n uint64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		d := uint64(c - '0')
		if n > (1<<64-1-d)/10 {
			return 0, false
		}
		n = n*10 + d
	}
	return n, true
}

// findPrev returns the previous reading of the device or interface name,
// looking first at index i, where it is when the set did not change.
func findPrev[T interface{ key() string }](prev []T, i int, name string) (T, bool) {
	if i < len(prev) && prev[i].key() == name {
		return prev[i], true
	}
	for _, p := range prev {
		if p.key() == name {
			return p, true
		}
	}
	var zero T
	return zero, false
}

// malformed counts the lines of a kernel file that did not parse and keeps
// the first, so that a parser can skip a bad line, return the others, and
// say what it skipped.
type malformed struct {
	n     int
	first string
}

// add records line number line, l, as malformed.
func (m *malformed) add(line int, l []byte) {
	if m.n == 0 {
		m.first = fmt.Sprintf("line %d: %q", line, truncate(l, 80))
	}
	m.n++
}

// err returns nil when no line was malformed, else an error naming file.
func (m *malformed) err(file string) error {
	if m.n == 0 {
		return nil
	}
	return fmt.Errorf("parse %s: %d malformed lines, first %s", file, m.n, m.first)
}
