package archive

import (
	"almanac/schema"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"
)

// Writer appends the samples of one host to the archive: each batch goes
// to the host's journal first, and the journal is turned into closed
// Parquet parts every FlushEvery, when the UTC day changes and on Close.
// It holds a lock on the journal, so one host has one writer at a time. It
// is not safe for concurrent use.
type Writer struct {
	s    *Store
	host string
	opts WriterOptions
	log  *slog.Logger

	f       *os.File // the journal, locked
	journal []byte   // the frames in the journal file since the last flush
	records int      // number of frames in journal
	first   time.Time
	day     time.Time // UTC day of the first pending batch
	lastSeq int64
	buf     []byte
	closed  bool
}

func journalName(host string) string { return journalDir + "/" + host + ".wal" }

// Writer opens the journal of host, replaying into Parquet parts whatever
// a previous run left in it (a torn or damaged record is dropped and
// logged), and removes the tmp files a crashed flush left behind.
func (s *Store) Writer(host string, opts WriterOptions) (*Writer, error) {
	if err := CheckHost(host); err != nil {
		return nil, err
	}
	if opts.FlushEvery <= 0 {
		opts.FlushEvery = 5 * time.Minute
	}
	f, err := s.lockFile(journalName(host), os.O_APPEND)
	if err != nil {
		return nil, fmt.Errorf("archive: open journal of %q: %w", host, err)
	}
	w := &Writer{s: s, host: host, opts: opts, log: s.log.With("host", host), f: f}
	if err := w.recover(); err != nil {
		f.Close()
		return nil, fmt.Errorf("archive: recover %q: %w", host, err)
	}
	return w, nil
}

// recover cleans tmp parts, finds the highest seq on disk and replays the
// journal.
func (w *Writer) recover() error {
	parts, err := w.s.hostDirs(w.host)
	if err != nil {
		return err
	}
	for _, p := range parts {
		dir := p.Dir()
		names, err := w.s.readDirNames(dir)
		if err != nil {
			return err
		}
		for _, n := range names {
			if strings.HasPrefix(n, "part-") && strings.HasSuffix(n, ".tmp") {
				if err := w.s.root.Remove(dir + "/" + n); err != nil {
					return err
				}
				w.log.Info("removed leftover tmp file", "file", dir+"/"+n)
				continue
			}
			if df, ok := parseFileName(n); ok {
				w.lastSeq = max(w.lastSeq, df.seq)
			}
		}
	}
	data, err := io.ReadAll(w.f)
	if err != nil {
		return fmt.Errorf("read journal: %w", err)
	}
	if len(data) == 0 {
		return nil
	}
	w.journal = data
	n, err := w.flush(true)
	if err != nil {
		return err
	}
	w.log.Info("journal replayed", "rows", n, "journal_bytes", len(data))
	return nil
}

// Append adds one batch to the journal; once it returns, the batch
// survives a crash of the process (and, unless NoSync, a power cut). A
// batch of another UTC day than the pending ones first flushes those.
// Append does not keep b.
func (w *Writer) Append(b *schema.Batch) error {
	if w.closed {
		return errors.New("archive: append: writer closed")
	}
	if b == nil {
		return errors.New("archive: append: nil batch")
	}
	day := Day(b.Time)
	if w.records > 0 && !day.Equal(w.day) {
		if _, err := w.flush(false); err != nil {
			// The pending batches stay in the journal and go out with
			// the next flush, which writes each day's rows to its own
			// folder.
			w.log.Warn("flush failed, keeping the journal", "err", err)
		}
	}
	seq := max(b.Time.UnixMicro(), w.lastSeq+1)
	w.buf = append(w.buf[:0], make([]byte, frameHeader)...)
	w.buf = encodeBatch(w.buf, seq, b)
	payload := w.buf[frameHeader:]
	if len(payload) > maxFrame {
		return fmt.Errorf("archive: append: batch of %d bytes is too large", len(payload))
	}
	copy(w.buf, journalMagic[:])
	binary.LittleEndian.PutUint32(w.buf[4:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(w.buf[8:], crc32Of(payload))
	if _, err := w.f.Write(w.buf); err != nil {
		// Cut a partial frame so that later frames follow a clean end.
		w.f.Truncate(int64(len(w.journal)))
		return fmt.Errorf("archive: append %s: %w", journalName(w.host), err)
	}
	if !w.opts.NoSync {
		if err := datasync(w.f); err != nil {
			return fmt.Errorf("archive: append %s: sync: %w", journalName(w.host), err)
		}
	}
	w.journal = append(w.journal, w.buf...)
	if w.records == 0 {
		w.first, w.day = b.Time, day
	}
	w.records++
	w.lastSeq = seq
	// A clock stepped back by more than FlushEvery counts as well.
	if age := b.Time.Sub(w.first); age >= w.opts.FlushEvery || -age >= w.opts.FlushEvery {
		if _, err := w.flush(false); err != nil {
			w.log.Warn("flush failed, keeping the journal", "err", err)
		}
	}
	return nil
}

// Flush turns the journal into closed Parquet parts now.
func (w *Writer) Flush() error {
	if w.closed {
		return errors.New("archive: flush: writer closed")
	}
	if _, err := w.flush(false); err != nil {
		return fmt.Errorf("archive: flush %q: %w", w.host, err)
	}
	return nil
}

// Close flushes and closes the writer, releasing the journal. If the
// flush fails the journal keeps the batches for the next Writer.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	_, ferr := w.flush(false)
	w.closed = true
	cerr := w.f.Close()
	if ferr != nil {
		return fmt.Errorf("archive: close writer of %q: %w", w.host, ferr)
	}
	if cerr != nil {
		return fmt.Errorf("archive: close writer of %q: %w", w.host, cerr)
	}
	return nil
}

// flush writes the rows of the journal as parts, one per table and day,
// named after the seq of the first record, then empties the journal. A
// crash before the journal is emptied replays it into parts of the same
// names and contents, so a replay never duplicates rows.
func (w *Writer) flush(replay bool) (rows int, err error) {
	if len(w.journal) == 0 {
		return 0, nil
	}
	start := time.Now()
	payloads, bad := splitFrames(w.journal)
	for _, sp := range bad {
		w.log.Warn("journal: dropped damaged bytes", "offset", sp.off, "bytes", sp.len, "replay", replay)
	}
	var all schema.Batch
	first := int64(-1)
	for i, p := range payloads {
		seq, b, err := decodeBatch(p)
		if err != nil {
			w.log.Warn("journal: dropped undecodable record", "record", i, "err", err)
			continue
		}
		if first < 0 {
			first = seq
		}
		w.lastSeq = max(w.lastSeq, seq)
		for _, t := range tables {
			t.move(&all, b)
		}
	}
	var files int
	if first >= 0 {
		var dirs []string
		for _, name := range schema.Tables {
			t := tables[name]
			for _, day := range t.days(&all) {
				dir := Partition{Table: name, Host: w.host, Day: day}.Dir()
				if err := w.s.ensureDir(dir); err != nil {
					return 0, err
				}
				var n int
				_, err := w.s.writeFile(dir+"/"+partName(first), w.opts.NoSync, func(out io.Writer) error {
					var err error
					n, err = t.writeDay(out, &all, day)
					return err
				})
				if err != nil {
					return 0, err
				}
				rows += n
				files++
				dirs = append(dirs, dir)
			}
		}
		// The renames must be durable before the journal is emptied.
		for _, dir := range dirs {
			if w.opts.NoSync {
				break
			}
			if err := w.s.syncDir(dir); err != nil {
				return 0, err
			}
		}
	}
	if err := w.f.Truncate(0); err != nil {
		return 0, fmt.Errorf("truncate journal: %w", err)
	}
	if !w.opts.NoSync {
		if err := datasync(w.f); err != nil {
			return 0, fmt.Errorf("sync journal: %w", err)
		}
	}
	w.journal = w.journal[:0]
	w.records = 0
	w.log.Debug("journal flushed", "rows", rows, "files", files, "records", len(payloads),
		"duration_seconds", time.Since(start).Seconds())
	return rows, nil
}
