package render

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"golang.org/x/sys/unix"

	"almanac/archive"
)

// opened records the files opened under a folder tree, with inotify.
type opened struct {
	fd    int
	paths map[int32]string // watch -> folder, relative to the root
}

// watchOpens starts recording the files opened under root.
func watchOpens(t *testing.T, root string) *opened {
	t.Helper()
	fd, err := unix.InotifyInit1(unix.IN_NONBLOCK | unix.IN_CLOEXEC)
	if err != nil {
		t.Skipf("inotify: %v", err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	o := &opened{fd: fd, paths: map[int32]string{}}
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return err
		}
		wd, err := unix.InotifyAddWatch(fd, p, unix.IN_OPEN)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		o.paths[int32(wd)] = filepath.ToSlash(rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// files returns the data files opened since watchOpens, sorted.
func (o *opened) files(t *testing.T) []string {
	t.Helper()
	set := map[string]bool{}
	buf := make([]byte, 1<<16)
	for {
		n, err := unix.Read(o.fd, buf)
		if errors.Is(err, unix.EAGAIN) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		for b := buf[:n]; len(b) >= unix.SizeofInotifyEvent; {
			var ev unix.InotifyEvent
			binary.Read(bytes.NewReader(b[:unix.SizeofInotifyEvent]), binary.NativeEndian, &ev)
			if ev.Mask&unix.IN_Q_OVERFLOW != 0 {
				t.Fatal("inotify queue overflow")
			}
			name := string(bytes.TrimRight(b[unix.SizeofInotifyEvent:unix.SizeofInotifyEvent+int(ev.Len)], "\x00"))
			if filepath.Ext(name) == ".parquet" {
				set[o.paths[ev.Wd]+"/"+name] = true
			}
			b = b[unix.SizeofInotifyEvent+int(ev.Len):]
		}
	}
	var out []string
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// copyKeys copies the files keys from the archive folder src into a new
// folder, as render --archive s3://… fetches them.
func copyKeys(t *testing.T, src string, keys []string) string {
	t.Helper()
	dst := t.TempDir()
	for _, k := range keys {
		b, err := os.ReadFile(filepath.Join(src, k))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dst, k)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, k), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// TestRenderKeysReadSet checks that archive.RenderKeys, which picks the
// files render --archive s3://… fetches, keeps every file a render reads,
// and that a render of only those files reads the same files and gathers
// the same pages.
func TestRenderKeysReadSet(t *testing.T) {
	dir := t.TempDir()
	st := writeRollupFixture(t, dir, true)
	keys, err := st.ClosedFiles()
	if err != nil {
		t.Fatal(err)
	}
	kept := archive.RenderKeys(keys, fixedNow)
	if len(kept) == len(keys) {
		t.Fatal("RenderKeys kept every file: the fixture has no day read from rollups only")
	}

	rec := watchOpens(t, dir)
	want, err := gather(st, "web1", hostDir("web1"), fixedNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	read := rec.files(t)
	for _, f := range read {
		if !slices.Contains(kept, f) {
			t.Errorf("render reads %s, which RenderKeys leaves out", f)
		}
	}

	mdir := copyKeys(t, dir, kept)
	mst, err := archive.Open(mdir, quietLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { mst.Close() })
	mrec := watchOpens(t, mdir)
	got, err := gather(mst, "web1", hostDir("web1"), fixedNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	if mread := mrec.files(t); !slices.Equal(read, mread) {
		t.Errorf("a render of the kept files reads\n%v\nwant (a render of the whole archive)\n%v", mread, read)
	}
	for r := range ranges {
		for _, id := range []string{"cpu", "load", "disk-bytes", "net-bytes", "memory", "fs-space"} {
			w, g := chartOf(t, want, r, id), chartOf(t, got, r, id)
			if !slices.Equal(w.data.T, g.data.T) {
				t.Errorf("%s %s: from the kept files %d points, from the whole archive %d", ranges[r].Name, id, len(g.data.T), len(w.data.T))
			}
		}
	}
}
