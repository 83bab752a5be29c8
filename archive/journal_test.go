package archive

import (
	"almanac/schema"
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCodecRoundTrip(t *testing.T) {
	for i, b := range batches("web1", t0, 3, 10*time.Second) {
		seq, got, err := decodeBatch(encodeBatch(nil, int64(100+i), b))
		if err != nil {
			t.Fatal(err)
		}
		if seq != int64(100+i) {
			t.Errorf("seq = %d, want %d", seq, 100+i)
		}
		if diff := cmp.Diff(b, got); diff != "" {
			t.Errorf("batch %d mismatch (-want +got):\n%s", i, diff)
		}
	}
}

func TestDecodeBatchBad(t *testing.T) {
	good := encodeBatch(nil, 1, batches("h", t0, 2, time.Second)[1])
	for n := 0; n < len(good); n++ {
		if _, _, err := decodeBatch(good[:n]); err == nil {
			t.Fatalf("decodeBatch of %d of %d bytes: no error", n, len(good))
		}
	}
	if _, _, err := decodeBatch(append(bytes.Clone(good), 0)); err == nil {
		t.Error("decodeBatch with a trailing byte: no error")
	}
}

func FuzzDecodeBatch(f *testing.F) {
	for i, b := range batches("h", t0, 2, time.Second) {
		f.Add(encodeBatch(nil, int64(i), b))
	}
	f.Add([]byte{1, 2, 2, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Fuzz(func(t *testing.T, p []byte) {
		seq, b, err := decodeBatch(p)
		if err != nil {
			return
		}
		// What decodes re-encodes to the same bytes.
		if again := encodeBatch(nil, seq, b); !bytes.Equal(again, p) {
			t.Fatalf("re-encoding differs:\n%x\n%x", p, again)
		}
	})
}

func FuzzSplitFrames(f *testing.F) {
	f.Add(appendFrame(appendFrame(nil, []byte("one")), []byte("two")))
	f.Add([]byte("alj1alj1alj1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		payloads, bad := splitFrames(b)
		n := 0
		for _, p := range payloads {
			n += frameHeader + len(p)
		}
		for _, s := range bad {
			n += s.len
		}
		if n != len(b) {
			t.Fatalf("frames and bad spans cover %d of %d bytes", n, len(b))
		}
	})
}

func TestSplitFrames(t *testing.T) {
	f1, f2, f3 := appendFrame(nil, []byte("first")), appendFrame(nil, []byte("second")), appendFrame(nil, []byte("third"))
	flipped := bytes.Clone(f2)
	flipped[len(flipped)-2] ^= 0x10
	tests := []struct {
		name string
		in   []byte
		want []string
		bad  []badSpan
	}{
		{"clean", cat(f1, f2, f3), []string{"first", "second", "third"}, nil},
		{"torn tail", cat(f1, f2, f3[:len(f3)-3]), []string{"first", "second"}, []badSpan{{len(f1) + len(f2), len(f3) - 3}}},
		{"torn header", cat(f1, f2[:5]), []string{"first"}, []badSpan{{len(f1), 5}}},
		{"flipped byte in the middle", cat(f1, flipped, f3), []string{"first", "third"}, []badSpan{{len(f1), len(f2)}}},
		{"garbage first", cat([]byte("xyz"), f1), []string{"first"}, []badSpan{{0, 3}}},
		{"empty", nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			payloads, bad := splitFrames(tt.in)
			var got []string
			for _, p := range payloads {
				got = append(got, string(p))
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("payloads mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.bad, bad, cmp.AllowUnexported(badSpan{})); diff != "" {
				t.Errorf("bad spans mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func cat(bs ...[]byte) []byte { return bytes.Join(bs, nil) }

// TestReplay plays a crash: the journal left behind has a record with a
// flipped byte and a torn last record. A new Writer must recover exactly
// the intact records and leave an empty journal.
func TestReplay(t *testing.T) {
	dir := t.TempDir()
	bs := batches("web1", t0, 6, 10*time.Second)
	var j []byte
	for i, b := range bs {
		frame := appendFrame(nil, encodeBatch(nil, b.Time.UnixMicro(), b))
		switch i {
		case 2:
			frame[frameHeader+len(frame[frameHeader:])/2] ^= 0x01
		case 5:
			frame = frame[:len(frame)/2]
		}
		j = append(j, frame...)
	}
	if err := os.MkdirAll(filepath.Join(dir, journalDir), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, journalDir, "web1.wal"), j, 0o644); err != nil {
		t.Fatal(err)
	}
	// A tmp part from a flush the crash interrupted.
	tmpDir := filepath.Join(dir, "cpu", "host=web1", "date=2026-08-21")
	if err := os.MkdirAll(tmpDir, 0o755); err != nil {
		t.Fatal(err)
	}
	// Its name in this version, and in earlier ones (visible to dataset readers).
	tmp, oldTmp := filepath.Join(tmpDir, ".part-1.parquet.tmp"), filepath.Join(tmpDir, "part-2.parquet.tmp")
	for _, name := range []string{tmp, oldTmp} {
		if err := os.WriteFile(name, []byte("half a file"), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	s := openStore(t, dir)
	w, err := s.Writer("web1", WriterOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	checkTables(t, dir, "web1", merged([]*schema.Batch{bs[0], bs[1], bs[3], bs[4]}))
	if fi, err := os.Stat(filepath.Join(dir, journalDir, "web1.wal")); err != nil || fi.Size() != 0 {
		t.Errorf("journal after replay: %v, %v; want empty", fi, err)
	}
	for _, name := range []string{tmp, oldTmp} {
		if _, err := os.Stat(name); !os.IsNotExist(err) {
			t.Errorf("leftover tmp file %s: %v, want removed", filepath.Base(name), err)
		}
	}
	// Appending goes on after the replay, with seqs above the replayed ones.
	more := batches("web1", t0.Add(time.Hour), 2, 10*time.Second)
	appendAll(t, w, more)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	checkTables(t, dir, "web1", merged([]*schema.Batch{bs[0], bs[1], bs[3], bs[4], more[0], more[1]}))
}

// TestReplayIdempotent plays a crash after a flush wrote its parts but
// before it emptied the journal: the replay must rewrite the same parts,
// not add copies.
func TestReplayIdempotent(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir)
	w, err := s.Writer("web1", WriterOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	bs := batches("web1", t0, 5, 10*time.Second)
	appendAll(t, w, bs)
	segs, _ := filepath.Glob(filepath.Join(dir, journalDir, "web1.*.seg"))
	if len(segs) != 1 {
		t.Fatalf("journal segments before Close: %v, want one", segs)
	}
	journal := segs[0]
	j, err := os.ReadFile(journal)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(journal, j, 0o644); err != nil {
		t.Fatal(err)
	}
	w, err = s.Writer("web1", WriterOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	checkTables(t, dir, "web1", merged(bs))
}

func TestWriterLock(t *testing.T) {
	s := openStore(t, t.TempDir())
	w, err := s.Writer("web1", WriterOptions{NoSync: true})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Writer("web1", WriterOptions{}); err == nil {
		t.Error("second Writer of the same host: no error")
	}
	w2, err := s.Writer("web2", WriterOptions{})
	if err != nil {
		t.Errorf("Writer of another host: %v", err)
	} else {
		w2.Close()
	}
	w.Close()
	w, err = s.Writer("web1", WriterOptions{})
	if err != nil {
		t.Errorf("Writer after Close: %v", err)
	} else {
		w.Close()
	}
}
