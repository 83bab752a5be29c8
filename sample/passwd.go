//go:build linux

package sample

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"strconv"
	"time"
)

// maxPasswd bounds how much of a passwd file is read: a hostile or broken
// file must not make the sampler allocate without limit.
const maxPasswd = 16 << 20

// parsePasswd reads a passwd(5) file ("name:password:uid:gid:gecos:home:shell")
// and returns the user name of each uid. As with getpwuid(3), the first line
// for a uid wins. Lines that are not users (comments, NIS "+"/"-" entries,
// lines without a numeric uid, empty names) are skipped: a bad line costs
// that user's name, never the others'. Only a read error is an error.
func parsePasswd(r io.Reader) (map[uint32]string, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxPasswd))
	if err != nil {
		return nil, err
	}
	names := make(map[uint32]string)
	for len(data) > 0 {
		var line []byte
		line, data, _ = bytes.Cut(data, []byte{'\n'})
		name, rest, ok := bytes.Cut(line, []byte{':'})
		if !ok || len(name) == 0 || name[0] == '#' || name[0] == '+' || name[0] == '-' {
			continue
		}
		_, rest, ok = bytes.Cut(rest, []byte{':'}) // password
		if !ok {
			continue
		}
		uidText, _, _ := bytes.Cut(rest, []byte{':'})
		uid, err := strconv.ParseUint(string(bytes.TrimSpace(uidText)), 10, 32)
		if err != nil {
			continue
		}
		if _, dup := names[uint32(uid)]; !dup {
			names[uint32(uid)] = procText(name)
		}
	}
	return names, nil
}

// userNames maps uids to user names through <rootfs>/etc/passwd. It reads
// the file again only when its modification time or size changes, so a
// sample costs one stat(2). A uid without a name shows as its number.
type userNames struct {
	log     *slog.Logger
	mtime   time.Time
	size    int64
	loaded  bool   // names holds the file's content
	lastErr string // the last problem logged, to log each once
	names   map[uint32]string
	numbers map[uint32]string // names made from numbers, kept to avoid allocating them again
}

// refresh re-reads path when it changed since the last call. A missing or
// unreadable file is not an error: users then show as numbers, and one
// line is logged (debug when the file is absent, warn otherwise) each time
// the problem changes.
func (u *userNames) refresh(path string) {
	fi, err := os.Stat(path)
	if err == nil && u.loaded && fi.ModTime().Equal(u.mtime) && fi.Size() == u.size {
		return
	}
	if err == nil {
		var names map[uint32]string
		names, err = readPasswd(path)
		if err == nil {
			u.names, u.mtime, u.size, u.loaded, u.lastErr = names, fi.ModTime(), fi.Size(), true, ""
			return
		}
	}
	u.names, u.loaded = nil, false
	if msg := err.Error(); msg != u.lastErr {
		u.lastErr = msg
		if errors.Is(err, fs.ErrNotExist) {
			u.log.Debug("no passwd file: users show as uids", "path", path)
		} else {
			u.log.Warn("passwd unreadable: users show as uids", "path", path, "err", err)
		}
	}
}

func readPasswd(path string) (map[uint32]string, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	names, err := parsePasswd(f)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return names, nil
}

// name returns the user name of uid, or its number when it has none.
func (u *userNames) name(uid uint32) string {
	if n, ok := u.names[uid]; ok {
		return n
	}
	if n, ok := u.numbers[uid]; ok {
		return n
	}
	if u.numbers == nil || len(u.numbers) > 4096 {
		u.numbers = make(map[uint32]string)
	}
	n := strconv.FormatUint(uint64(uid), 10)
	u.numbers[uid] = n
	return n
}
