//go:build linux

package sample

import (
	"bufio"
	"io"
	"strings"
)

// parseOSRelease parses an os-release file (os-release(5)): one
// KEY=value assignment a line, the value written as in a shell: bare, in
// 'single quotes' (taken literally), in "double quotes" (where a backslash
// escapes $, ", \ and `), or a mix of these. Blank lines, comments (#) and
// lines that are not an assignment are skipped: the file is host text and
// a bad line must not hide the good ones. Later assignments win.
func parseOSRelease(r io.Reader) (map[string]string, error) {
	vars := map[string]string{}
	s := bufio.NewScanner(io.LimitReader(r, 1<<20))
	s.Buffer(make([]byte, 0, 4096), 64<<10)
	for s.Scan() {
		line := strings.TrimSpace(s.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		key, raw, ok := strings.Cut(line, "=")
		if !ok || !validOSReleaseKey(key) {
			continue
		}
		val, ok := unquoteShell(raw)
		if !ok {
			continue
		}
		vars[key] = val
	}
	if err := s.Err(); err != nil {
		return vars, err
	}
	return vars, nil
}

// validOSReleaseKey reports whether k is a shell variable name.
func validOSReleaseKey(k string) bool {
	if k == "" || (k[0] >= '0' && k[0] <= '9') {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		if !(c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
			return false
		}
	}
	return true
}

// unquoteShell returns the value of a shell word as os-release(5) writes
// it, or false when a quote is not closed.
func unquoteShell(s string) (string, bool) {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '\'':
			end := strings.IndexByte(s[i+1:], '\'')
			if end < 0 {
				return "", false
			}
			b.WriteString(s[i+1 : i+1+end])
			i += 1 + end
		case '"':
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("$\"\\`", s[i+1]) >= 0 {
					i++
				}
				b.WriteByte(s[i])
			}
			if i >= len(s) {
				return "", false
			}
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case ' ', '\t':
			// An unquoted blank ends the word; what follows would be a
			// command to the shell, and is no part of the value.
			return b.String(), true
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), true
}
