package site

import (
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"
)

// Object is one file, local or remote, by its relative key.
type Object struct {
	// Key is the slash-separated name relative to the source directory or
	// the target root, e.g. "cpu/host=web1/date=2026-08-21/0.parquet".
	Key string
	// Size is the length in bytes.
	Size int64
	// MD5 is the lower-case hex MD5 of the content, "" when unknown (for
	// example the ETag of a multipart upload).
	MD5 string
	// ETag is the store's version tag of a remote object (the S3 ETag
	// without quotes), "" for local files. Plan ignores it.
	ETag string
}

// PlanOptions tunes Plan.
type PlanOptions struct {
	// Delete lists every remote key that has no local file for deletion
	// (publish). Ship leaves it false.
	Delete bool
	// Superseded lists remote keys to delete even though Delete is false
	// (ship: the part files a compacted day file replaces). Keys that are
	// absent remotely, or that are also local keys, are left alone.
	Superseded []string
}

// Changes is what a transfer does: upload Upload, then delete Delete.
// Both are sorted by key.
type Changes struct {
	Upload    []Object
	Delete    []Object
	Unchanged int
}

// Plan compares the local files with the remote ones and returns what must be
// uploaded (absent remotely, another size, or another or unknown checksum)
// and what must be deleted (see PlanOptions).
// Neither input needs to be sorted; keys must be unique within each.
func Plan(local, remote []Object, opts PlanOptions) Changes {
	byKey := make(map[string]Object, len(remote))
	for _, r := range remote {
		byKey[r.Key] = r
	}
	var c Changes
	localKeys := make(map[string]bool, len(local))
	for _, l := range local {
		localKeys[l.Key] = true
		r, ok := byKey[l.Key]
		if ok && r.Size == l.Size && r.MD5 != "" && r.MD5 == l.MD5 {
			c.Unchanged++
			continue
		}
		c.Upload = append(c.Upload, l)
	}
	del := make(map[string]bool)
	if opts.Delete {
		for _, r := range remote {
			if !localKeys[r.Key] {
				del[r.Key] = true
			}
		}
	}
	for _, k := range opts.Superseded {
		if _, ok := byKey[k]; ok && !localKeys[k] {
			del[k] = true
		}
	}
	for k := range del {
		c.Delete = append(c.Delete, byKey[k])
	}
	byName := func(a, b Object) int { return strings.Compare(a.Key, b.Key) }
	slices.SortFunc(c.Upload, byName)
	slices.SortFunc(c.Delete, byName)
	return c
}

// Bytes returns the number of bytes the uploads move.
func (c Changes) Bytes() int64 {
	var n int64
	for _, o := range c.Upload {
		n += o.Size
	}
	return n
}

// CheckKey reports whether key is a safe relative key: valid UTF-8,
// slash-separated, not absolute, no empty, "." or ".." segment, no
// backslash or control character. Every key that becomes a local path
// passes it first; object keys from a store are hostile.
func CheckKey(key string) error {
	if key == "" {
		return fmt.Errorf("key %q: empty", key)
	}
	if !utf8.ValidString(key) {
		return fmt.Errorf("key %q: not UTF-8", key)
	}
	for _, r := range key {
		if r < 0x20 || r == 0x7f || r == '\\' {
			return fmt.Errorf("key %q: control character or backslash", key)
		}
	}
	for _, seg := range strings.Split(key, "/") {
		switch seg {
		case "":
			return fmt.Errorf("key %q: empty path segment or leading slash", key)
		case ".", "..":
			return fmt.Errorf("key %q: %q segment", key, seg)
		}
	}
	return nil
}
