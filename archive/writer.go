package archive

import (
	"almanac/schema"
	"bufio"
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Writer appends the samples of one host to the archive: each batch goes
// to the host's journal first, and the journal is turned into closed
// Parquet parts every FlushEvery, when the UTC day changes and on Close.
// It holds a lock on the journal, so one host has one writer at a time. It
// is not safe for concurrent use.
//
// The journal is a series of segments (.journal/<host>.<seq>.seg): batches
// are appended to the newest, which is sealed, never to be appended to
// again, when it is flushed. A sealed segment is deleted once every table
// of it is in Parquet. A flush that fails for some tables is retried with
// backoff, and the tables that were written are not written again (see
// FlushStatus). When the journal itself cannot be written (a full disk),
// Append keeps the batches in memory, up to WriterOptions.QueueLen, and
// writes them to the journal once it can (see QueueError).
type Writer struct {
	s    *Store
	host string
	opts WriterOptions
	log  *slog.Logger
	now  func() time.Time // the clock of backoffs and of FlushStatus

	lock    *os.File  // .journal/<host>.wal, locked; older versions journaled into it
	cur     *os.File  // the open segment, nil until the next frame is written
	seg     segment   // the open segment's state
	curDay  time.Time // UTC day of its first batch
	first   time.Time // time of its first batch
	pending []segment // sealed segments, oldest first

	queue        []queued // batches the journal could not take, oldest first
	queueBytes   int
	dropped      int // batches dropped from the queue since the journal failed
	journalErr   error
	journalSince time.Time
	journalRetry time.Time
	journalWait  time.Duration

	flushed   map[string]int64 // per table: first seq of the newest segment whose rows of it are in Parquet
	failing   time.Time        // since when flushes fail; zero when the last one wrote everything
	cause     string
	retry     time.Time // when a failing flush is tried again
	wait      time.Duration
	failed    map[string]error // the tables the last flush could not write
	saveAgain bool             // the status file is behind: write it at the next flush

	lastSeq int64
	buf     []byte
	closed  bool

	written atomic.Int64 // bytes written to the journal and to Parquet parts (see Written)
}

// segment is one file of the journal.
type segment struct {
	name    string // relative to the archive folder
	first   int64  // seq of its first frame; part files of its rows are named after it
	size    int64  // bytes written (open segment)
	records int
	data    []byte // its frames while they are in memory, else nil (read from name)
}

// queued is a journal frame waiting in memory.
type queued struct {
	frame []byte
	time  time.Time
}

// DefaultQueueLen is the number of batches a Writer holds in memory while
// its journal cannot be written, when WriterOptions.QueueLen is 0: an hour
// of samples at the default interval of 10 s.
const DefaultQueueLen = 360

func journalName(host string) string { return journalDir + "/" + host + ".wal" }

func segmentName(host string, first int64) string {
	return journalDir + "/" + host + "." + strconv.FormatInt(first, 10) + ".seg"
}

// parseSegmentName returns the seq of a segment file name of host (a base
// name inside journalDir).
func parseSegmentName(host, name string) (int64, bool) {
	num, ok := strings.CutPrefix(name, host+".")
	if !ok {
		return 0, false
	}
	if num, ok = strings.CutSuffix(num, ".seg"); !ok {
		return 0, false
	}
	seq, err := strconv.ParseInt(num, 10, 64)
	if err != nil || seq < 0 || strconv.FormatInt(seq, 10) != num {
		return 0, false
	}
	return seq, true
}

// segments lists the segment files of host, oldest first.
func (s *Store) segments(host string) ([]segment, error) {
	names, err := s.readDirNames(journalDir)
	if err != nil {
		return nil, err
	}
	var out []segment
	for _, n := range names {
		if seq, ok := parseSegmentName(host, n); ok {
			out = append(out, segment{name: journalDir + "/" + n, first: seq})
		}
	}
	slices.SortFunc(out, func(a, b segment) int { return cmpInt(a.first, b.first) })
	return out, nil
}

// Writer opens the journal of host, replaying into Parquet parts whatever
// a previous run left in it (a torn or damaged record is dropped and
// logged), and removes the tmp files a crashed flush left behind. A replay
// that fails (a full disk, an unwritable folder) is logged and retried
// later like any flush: the Writer opens all the same.
func (s *Store) Writer(host string, opts WriterOptions) (*Writer, error) {
	if err := CheckHost(host); err != nil {
		return nil, err
	}
	if opts.FlushEvery <= 0 {
		opts.FlushEvery = 5 * time.Minute
	}
	if opts.QueueLen <= 0 {
		opts.QueueLen = DefaultQueueLen
	}
	f, err := s.lockFile(journalName(host), os.O_APPEND)
	if err != nil {
		return nil, fmt.Errorf("archive: open journal of %q: %w", host, err)
	}
	w := &Writer{s: s, host: host, opts: opts, log: s.log.With("host", host), now: time.Now, lock: f,
		flushed: map[string]int64{}}
	if err := w.recover(); err != nil {
		f.Close()
		return nil, fmt.Errorf("archive: recover %q: %w", host, err)
	}
	return w, nil
}

// recover cleans tmp parts, finds the highest seq on disk, reads the
// flush status and replays the journal's segments.
func (w *Writer) recover() error {
	parts, err := w.s.hostDirs(w.host)
	if err != nil {
		return err
	}
	for _, p := range parts {
		// A folder that cannot be read is the flush's problem, which
		// retries it; the Writer opens all the same.
		dir := p.Dir()
		names, err := w.s.readDirNames(dir)
		if err != nil {
			w.log.Warn("partition folder unreadable", "err", err)
			continue
		}
		names, err = w.s.tidy(dir, names, "part-")
		if err != nil {
			w.log.Warn("leftover tmp file not removed", "err", err)
		}
		for _, n := range names {
			if df, ok := parseFileName(n); ok {
				w.lastSeq = max(w.lastSeq, df.seq)
			}
		}
	}
	st, err := w.s.FlushStatus(w.host)
	if err != nil {
		w.log.Warn("flush status unreadable, tables of pending segments may be written again", "err", err)
	}
	for t, seq := range st.Flushed {
		w.flushed[t] = seq
	}
	w.failing, w.cause = st.FailingSince, st.Cause
	// What an older version left in the locked file is the oldest segment.
	data, err := io.ReadAll(w.lock)
	if err != nil {
		return fmt.Errorf("read journal: %w", err)
	}
	if len(data) > 0 {
		if first, ok := w.firstSeq(data); ok {
			w.pending = append(w.pending, segment{name: journalName(w.host), first: first, data: data})
		} else if err := w.lock.Truncate(0); err != nil {
			return fmt.Errorf("truncate journal: %w", err)
		}
	}
	segs, err := w.s.segments(w.host)
	if err != nil {
		return err
	}
	w.pending = append(w.pending, segs...)
	// Seqs grow from segment to segment: the newest holds the highest.
	if n := len(w.pending); n > 0 {
		last := &w.pending[n-1]
		data := last.data
		if data == nil {
			if data, err = w.s.root.ReadFile(last.name); err != nil {
				return fmt.Errorf("read journal: %w", err)
			}
		}
		payloads, _ := splitFrames(data)
		for _, p := range payloads {
			if seq, _, err := decodeHeader(&dec{b: p}); err == nil {
				w.lastSeq = max(w.lastSeq, seq)
			}
		}
		w.lastSeq = max(w.lastSeq, last.first)
	}
	if len(w.pending) == 0 {
		return nil
	}
	rows, err := w.flush(w.now(), true)
	if err != nil {
		w.log.Warn("journal replay failed, kept for a later flush", "err", err,
			"segments_pending", len(w.pending))
		return nil
	}
	w.log.Info("journal replayed", "rows", rows)
	return nil
}

// firstSeq returns the seq of the first readable frame of a journal.
func (w *Writer) firstSeq(data []byte) (int64, bool) {
	payloads, _ := splitFrames(data)
	for _, p := range payloads {
		if seq, _, err := decodeHeader(&dec{b: p}); err == nil {
			return seq, true
		}
	}
	return 0, false
}

// QueueError is what Append returns when the journal could not take a
// batch (a full disk, an I/O error): the batch waits in memory with the
// others the journal could not take, and later Appends retry the journal,
// with backoff, and write them all to it once it can take them. Beyond
// Limit batches the oldest are dropped. Until then nothing is lost, but
// the queued batches do not survive a crash of the process.
type QueueError struct {
	Err     error     // why the journal failed
	Name    string    // the journal's file
	Since   time.Time // when it started failing
	Queued  int       // batches held in memory
	Bytes   int       // memory they take (their encoded frames)
	Limit   int       // most batches held; older ones are dropped
	Dropped int       // batches dropped since the journal failed
}

func (e *QueueError) Error() string {
	return fmt.Sprintf("archive: append %s: %v (%d batches held in memory, at most %d, %d dropped)",
		e.Name, e.Err, e.Queued, e.Limit, e.Dropped)
}

// Unwrap returns the journal's error.
func (e *QueueError) Unwrap() error { return e.Err }

// Append adds one batch to the journal; once it returns nil, the batch
// survives a crash of the process (and, unless NoSync, a power cut). When
// the journal cannot take it, Append returns a *QueueError and holds the
// batch in memory (see QueueError); any other error means the batch was
// not taken. A batch of another UTC day than the open segment's, or one
// FlushEvery after its first, seals the segment and flushes. Append does
// not keep b.
func (w *Writer) Append(b *schema.Batch) error {
	if w.closed {
		return errors.New("archive: append: writer closed")
	}
	if b == nil {
		return errors.New("archive: append: nil batch")
	}
	now := w.now()
	// A batch of another day, or from a clock stepped back by more than
	// FlushEvery, starts a segment of its own.
	sealed := w.seg.records > 0 && (!Day(b.Time).Equal(w.curDay) || w.first.Sub(b.Time) >= w.opts.FlushEvery)
	if sealed {
		w.seal()
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
	w.lastSeq = seq
	var err error
	switch {
	case len(w.queue) > 0 && now.Before(w.journalRetry):
		err = w.enqueue(slices.Clone(w.buf), b.Time)
	case len(w.queue) > 0 && w.writeQueue() != nil:
		w.journalFailed(now, w.journalErr)
		err = w.enqueue(slices.Clone(w.buf), b.Time)
	default:
		if werr := w.writeFrames(w.buf, b.Time, 1); werr != nil {
			w.journalFailed(now, werr)
			err = w.enqueue(slices.Clone(w.buf), b.Time)
		}
	}
	if w.seg.records > 0 && b.Time.Sub(w.first) >= w.opts.FlushEvery {
		w.seal()
		sealed = true
	}
	if len(w.pending) > 0 && (sealed || w.failing.IsZero() || !now.Before(w.retry)) {
		if _, ferr := w.flush(now, false); ferr != nil {
			w.log.Warn("flush failed, samples kept in the journal", "err", ferr,
				"retry_in_seconds", w.wait.Seconds(), "pending_segments", len(w.pending))
		}
	}
	return err
}

// Flushes reports whether an Append of a batch of time t seals the open
// segment and flushes it: a batch of another UTC day than the segment's,
// or FlushEvery or more from its first. (An Append also flushes the
// segments a failed flush left, when their retry is due; Flushes does not
// tell those.)
func (w *Writer) Flushes(t time.Time) bool {
	return w.seg.records > 0 && (!Day(t).Equal(w.curDay) || w.first.Sub(t) >= w.opts.FlushEvery ||
		t.Sub(w.first) >= w.opts.FlushEvery)
}

// enqueue holds a frame the journal could not take, dropping the oldest
// beyond QueueLen, and returns the QueueError that says so.
func (w *Writer) enqueue(frame []byte, at time.Time) error {
	if len(w.queue) >= w.opts.QueueLen {
		w.queueBytes -= len(w.queue[0].frame)
		w.queue[0] = queued{}
		w.queue = w.queue[1:]
		w.dropped++
	}
	w.queue = append(w.queue, queued{frame: frame, time: at})
	w.queueBytes += len(frame)
	return &QueueError{Err: w.journalErr, Name: w.segName(), Since: w.journalSince, Queued: len(w.queue),
		Bytes: w.queueBytes, Limit: w.opts.QueueLen, Dropped: w.dropped}
}

// segName is the file the next frame goes to.
func (w *Writer) segName() string {
	if w.cur != nil {
		return w.seg.name
	}
	return journalDir + "/" + w.host + ".*.seg"
}

// journalFailed notes that the journal refused a write and when to try it
// again: 1 s later, doubling up to a minute.
func (w *Writer) journalFailed(now time.Time, err error) {
	if w.journalErr == nil {
		w.journalSince = now
		w.journalWait = time.Second
	} else {
		w.journalWait = min(2*w.journalWait, time.Minute)
	}
	w.journalErr = err
	w.journalRetry = now.Add(w.journalWait)
}

// writeQueue writes the queued frames to the journal, in one write.
func (w *Writer) writeQueue() error {
	var buf []byte
	for _, q := range w.queue {
		buf = append(buf, q.frame...)
	}
	if err := w.writeFrames(buf, w.queue[0].time, len(w.queue)); err != nil {
		w.journalErr = err
		return err
	}
	w.log.Info("journal written again", "queued_samples", len(w.queue), "dropped_samples", w.dropped,
		"failed_for_seconds", w.now().Sub(w.journalSince).Seconds(), "cause", w.journalErr.Error())
	clear(w.queue)
	w.queue, w.queueBytes, w.dropped, w.journalErr = w.queue[:0], 0, 0, nil
	return nil
}

// writeFrames appends whole frames to the open segment, opening one if
// none is, and syncs them. On error the segment is cut back to where it
// was, and a segment left empty is removed.
func (w *Writer) writeFrames(frames []byte, first time.Time, n int) error {
	if w.cur == nil {
		seq, _, err := decodeHeader(&dec{b: frames[frameHeader:]})
		if err != nil {
			return fmt.Errorf("open segment: %w", err)
		}
		name := segmentName(w.host, seq)
		f, err := w.s.root.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		w.cur, w.seg = f, segment{name: name, first: seq}
		w.curDay, w.first = Day(first), first
	}
	err := w.write(frames)
	if err != nil {
		w.cur.Truncate(w.seg.size)
		if w.seg.size == 0 {
			w.cur.Close()
			w.s.root.Remove(w.seg.name)
			w.cur, w.seg = nil, segment{}
		}
		return err
	}
	w.seg.size += int64(len(frames))
	w.written.Add(int64(len(frames)))
	w.seg.records += n
	return nil
}

func (w *Writer) write(frames []byte) error {
	if _, err := w.cur.Write(frames); err != nil {
		return err
	}
	if w.opts.NoSync {
		return nil
	}
	if err := datasync(w.cur); err != nil {
		return fmt.Errorf("sync %s: %w", w.seg.name, err)
	}
	if w.seg.size == 0 {
		// A new segment's name must survive a power cut like its frames.
		return w.s.syncDir(journalDir)
	}
	return nil
}

// seal closes the open segment: no frame is added to it any more, and it
// waits for the next flush.
func (w *Writer) seal() {
	if w.cur == nil {
		return
	}
	w.cur.Close()
	w.pending = append(w.pending, w.seg)
	w.cur, w.seg = nil, segment{}
}

// Written returns the bytes w has written to the archive since it was
// opened: journal frames and the Parquet parts of its flushes (not the
// files of compactions, which Store.Compact reports). The sampler records
// its growth in the self table. It is safe to call from any goroutine.
func (w *Writer) Written() int64 { return w.written.Load() }

// Flush writes the queued batches to the journal if it can take them,
// seals the open segment and turns every segment into closed Parquet parts
// now, whatever the backoff. It returns the error of the tables it could
// not write (they stay in the journal).
func (w *Writer) Flush() error {
	if w.closed {
		return errors.New("archive: flush: writer closed")
	}
	if err := w.flushAll(); err != nil {
		return fmt.Errorf("archive: flush %q: %w", w.host, err)
	}
	return nil
}

func (w *Writer) flushAll() error {
	var qerr error
	if len(w.queue) > 0 {
		if err := w.writeQueue(); err != nil {
			w.journalFailed(w.now(), err)
			qerr = &QueueError{Err: err, Name: w.segName(), Since: w.journalSince, Queued: len(w.queue),
				Bytes: w.queueBytes, Limit: w.opts.QueueLen, Dropped: w.dropped}
		}
	}
	w.seal()
	_, err := w.flush(w.now(), true)
	return errors.Join(qerr, err)
}

// Close flushes and closes the writer, releasing the journal. If the
// flush fails the journal keeps the batches for the next Writer; batches
// still queued in memory (a journal that cannot be written) are lost, and
// the error says how many.
func (w *Writer) Close() error {
	if w.closed {
		return nil
	}
	ferr := w.flushAll()
	w.closed = true
	if len(w.queue) > 0 {
		ferr = errors.Join(ferr, fmt.Errorf("%d batches held in memory are lost", len(w.queue)))
	}
	cerr := w.lock.Close()
	if ferr != nil {
		return fmt.Errorf("archive: close writer of %q: %w", w.host, ferr)
	}
	if cerr != nil {
		return fmt.Errorf("archive: close writer of %q: %w", w.host, cerr)
	}
	return nil
}

// flush writes the sealed segments as parts, one per table and day, named
// after the segment's first seq, oldest segment first, and deletes the
// segments that are then entirely in Parquet. A table that fails is not
// written again in this flush (its later segments wait, so that each
// folder receives its parts in seq order) and the others go on. A table
// written is recorded in w.flushed and in the status file, so it is not
// written again; a crash before that rewrites the same parts with the
// same rows, so a replay never duplicates rows. On failure the next try
// is scheduled with backoff, from FlushEvery/4 doubling up to FlushEvery.
func (w *Writer) flush(now time.Time, replay bool) (rows int, err error) {
	if len(w.pending) == 0 && !w.saveAgain {
		return 0, nil
	}
	start := time.Now()
	blocked := map[string]error{}
	// Before their retry is due, the tables that failed wait; the others
	// go on.
	attempt := replay || w.failing.IsZero() || !now.Before(w.retry)
	if !attempt {
		maps.Copy(blocked, w.failed)
	}
	var files int
	for i := range w.pending {
		sg := &w.pending[i]
		var need []string
		for _, name := range tableNames() {
			if _, ok := blocked[name]; !ok && w.flushed[name] < sg.first {
				need = append(need, name)
			}
		}
		if len(need) == 0 {
			sg.data = nil
			continue
		}
		for name, res := range w.writeSegment(sg, need, replay) {
			if res.err != nil {
				blocked[name] = res.err
				continue
			}
			rows += res.rows
			files += res.files
			w.flushed[name] = sg.first
		}
		sg.data = nil // read again if a later flush needs it
	}
	// Drop the segments that are done.
	keep := w.pending[:0]
	var done []segment
	for _, sg := range w.pending {
		if w.segmentDone(sg.first) {
			done = append(done, sg)
			continue
		}
		keep = append(keep, sg)
	}
	clear(w.pending[len(keep):])
	w.pending = keep
	var errs []error
	for _, name := range tableNames() {
		if err, ok := blocked[name]; ok {
			errs = append(errs, fmt.Errorf("table %s: %w", name, err))
		}
	}
	ferr := errors.Join(errs...)
	wasFailing := !w.failing.IsZero()
	w.failed = blocked
	if ferr != nil {
		switch {
		case !wasFailing:
			w.failing = now
			w.wait = max(w.opts.FlushEvery/4, time.Second)
			w.retry = now.Add(w.wait)
		case attempt:
			w.wait = min(2*w.wait, w.opts.FlushEvery)
			w.retry = now.Add(w.wait)
		}
		w.cause = strings.ReplaceAll(ferr.Error(), "\n", "; ")
	} else {
		if wasFailing {
			w.log.Info("flush works again", "failed_since", w.failing.UTC().Format(time.RFC3339),
				"rows", rows, "files", files)
		}
		w.failing, w.cause, w.wait = time.Time{}, "", 0
	}
	if ferr != nil || wasFailing || w.saveAgain {
		if err := w.saveStatus(now); err != nil {
			w.saveAgain = true
			w.log.Warn("flush status not saved", "err", err)
		} else {
			w.saveAgain = false
		}
	}
	for _, sg := range done {
		if err := w.removeSegment(sg); err != nil {
			w.log.Warn("segment not removed, its tables are all in Parquet", "file", sg.name, "err", err)
		}
	}
	w.log.Debug("journal flushed", "rows", rows, "files", files, "segments_done", len(done),
		"segments_pending", len(w.pending), "duration_seconds", time.Since(start).Seconds())
	return rows, ferr
}

// segmentDone reports whether every table of the segment starting at
// first is in Parquet.
func (w *Writer) segmentDone(first int64) bool {
	for _, name := range tableNames() {
		if w.flushed[name] < first {
			return false
		}
	}
	return true
}

// tableResult is what a flush of a segment did for one table.
type tableResult struct {
	rows, files int
	err         error
}

// segmentTable is the flush of one table of a segment under way.
type segmentTable struct {
	t  table
	ts tableStream // nil while the table's rows are held
	// held are the table's rows not yet handed to ts: for each batch with
	// rows of the table, the batch time (a varint) and the table's journal
	// record of them (see encode).
	held     []byte
	files    []*tmpFile
	err      error
	fallback bool // rows out of time order: written from the whole segment instead
}

// holdTable is how many bytes of journal records of its rows a flush
// holds for a table before it starts writing the table's part. A part's
// Parquet writer costs a few hundred KB however few rows it has (a
// column buffer and a page of every column), while most tables have a
// few rows per sample, whose records over a flush cost a few KB to a few
// hundred: these are held while the segment is read and written after,
// one table at a time, so that the flush has one of their writers at a
// time. A table with more rows (the process table) is written as the
// segment is read, so that its rows are never all in memory.
var holdTable = 256 << 10

// writeSegment writes the tables need of a segment as parts, one per table
// and day, named after the segment's first seq, and makes them durable. It
// reads the segment frame by frame, once. The rows of each table are held
// (holdTable) and then handed, batch after batch, to a stream per table,
// which writes row groups as they fill (see tableStream); a table's rows
// are handed to its stream as they are read once they outgrow holdTable.
// So a flush holds one frame, a row group of each large table and the
// held rows of the others in memory, not the segment; the tables whose
// rows were held to the end are written one after the other, after the
// large ones, each stream the same batches as if it had had them as they
// were read, which makes the same files. A table whose rows are out of
// time order (a clock stepped back) is written from the whole segment,
// sorted, as before. A table that fails leaves no part of this segment
// behind (its tmp files are removed) and does not stop the others.
func (w *Writer) writeSegment(sg *segment, need []string, replay bool) map[string]tableResult {
	out := make(map[string]tableResult, len(need))
	sts := make([]*segmentTable, len(need))
	for i, name := range need {
		sts[i] = &segmentTable{t: tables[name]}
	}
	// add hands the rows of b to the table's stream, or holds them.
	add := func(st *segmentTable, b *schema.Batch) error {
		if st.ts != nil {
			return st.ts.add(b)
		}
		if st.t.count(b) == 0 {
			return nil
		}
		bt := b.Time.UnixMicro()
		st.held = binary.AppendVarint(st.held, bt)
		st.held = st.t.encode(st.held, b, bt)
		if len(st.held) <= holdTable {
			return nil
		}
		return w.release(st, sg)
	}
	var scratch schema.Batch
	rerr := w.eachFrame(sg, replay, func(i int, p []byte) {
		_, b, err := decodeBatchInto(p, &scratch)
		if err != nil {
			w.log.Warn("journal: dropped undecodable record", "file", sg.name, "record", i, "err", err)
			return
		}
		for _, st := range sts {
			if st.err != nil || st.fallback {
				continue
			}
			if err := add(st, b); errors.Is(err, errOutOfOrder) {
				st.fallback = true
			} else if err != nil {
				st.err = err
			}
		}
	})
	scratch = schema.Batch{} // the rows of the last frame are garbage from here
	// The tables streamed first, then the held ones one by one: a table's
	// writer is garbage once its parts are in.
	var streamed, held []*segmentTable
	for _, st := range sts {
		if st.ts != nil {
			streamed = append(streamed, st)
		} else {
			held = append(held, st)
		}
	}
	var all *schema.Batch // the whole segment, for the tables out of order
	for _, st := range append(streamed, held...) {
		out[st.t.name()] = w.finishTable(st, sg, rerr, &all, replay)
	}
	return out
}

// finishTable writes the rows of a table of a segment still held, closes
// its stream and makes its parts durable; or, for a table whose rows are
// out of time order, writes it from the whole segment (*all, loaded once).
// On error (rerr: the segment could not be read) it removes the table's
// tmp files.
func (w *Writer) finishTable(st *segmentTable, sg *segment, rerr error, all **schema.Batch, replay bool) tableResult {
	name := st.t.name()
	err := cmp.Or(rerr, st.err)
	var rows int
	if err == nil && !st.fallback {
		if err = w.release(st, sg); err == nil {
			rows, err = st.ts.close()
		}
		if errors.Is(err, errOutOfOrder) {
			st.fallback, err = true, nil
		}
	}
	st.ts, st.held = nil, nil
	if err != nil || st.fallback {
		for _, f := range st.files {
			w.s.abortTmp(f)
		}
	}
	switch {
	case err != nil:
		return tableResult{err: err}
	case st.fallback:
		if *all == nil {
			if *all, err = w.load(sg, replay); err != nil {
				return tableResult{err: err}
			}
		}
		n, k, err := w.writeTable(name, *all, sg.first)
		return tableResult{rows: n, files: k, err: err}
	}
	return tableResult{rows: rows, files: len(st.files), err: w.commitParts(st.files)}
}

// release starts the stream of a table of a segment, if it has none, and
// hands it the rows held, batch after batch, as they were read.
func (w *Writer) release(st *segmentTable, sg *segment) error {
	if st.ts == nil {
		name := st.t.name()
		st.ts = st.t.stream(func(day time.Time) (io.Writer, error) {
			dir := Partition{Table: name, Host: w.host, Day: day}.Dir()
			if err := w.s.ensureDir(dir); err != nil {
				return nil, err
			}
			f, err := w.s.createTmp(dir + "/" + partName(sg.first))
			if err != nil {
				return nil, err
			}
			st.files = append(st.files, f)
			return f.w, nil
		})
	}
	d := &dec{b: st.held}
	var b schema.Batch
	for len(d.b) > 0 {
		bt := d.i()
		if name := d.s(); d.err == nil && name != st.t.name() {
			return fmt.Errorf("held rows: record of table %q", name)
		}
		st.t.reset(&b)
		if err := st.t.decode(d, &b, bt); err != nil {
			return fmt.Errorf("held rows: %w", err)
		}
		if d.err != nil {
			return fmt.Errorf("held rows: %w", d.err)
		}
		b.Time = time.UnixMicro(bt).UTC()
		if err := st.ts.add(&b); err != nil {
			return err
		}
	}
	st.held = nil
	return nil
}

// commitParts makes the parts of a table of a segment durable: each is
// synced and renamed in, then its folder synced. On error the parts not
// yet renamed are removed.
func (w *Writer) commitParts(files []*tmpFile) error {
	for i, f := range files {
		size, err := w.s.commitTmp(f, w.opts.NoSync)
		w.written.Add(size)
		// The rename must be durable before the segment is dropped.
		if err == nil && !w.opts.NoSync {
			err = w.s.syncDir(path.Dir(f.name))
		}
		if err != nil {
			for _, g := range files[i+1:] {
				w.s.abortTmp(g)
			}
			return err
		}
	}
	return nil
}

// eachFrame calls fn with the payload of every valid frame of a segment,
// in order. It reads the segment from disk through a small buffer, one
// frame at a time (or from memory, the journal of an older version); from
// a damaged frame on, it reads the rest of the segment whole and skips
// what is damaged, as splitFrames does, with a warning.
func (w *Writer) eachFrame(sg *segment, replay bool, fn func(i int, payload []byte)) error {
	i := 0
	rest := func(data []byte, off int64) {
		payloads, bad := splitFrames(data)
		for _, sp := range bad {
			w.log.Warn("journal: dropped damaged bytes", "file", sg.name, "offset", off+int64(sp.off), "bytes", sp.len, "replay", replay)
		}
		for _, p := range payloads {
			fn(i, p)
			i++
		}
	}
	if sg.data != nil {
		rest(sg.data, 0)
		return nil
	}
	f, err := w.s.root.Open(sg.name)
	if err != nil {
		return fmt.Errorf("read journal: %w", err)
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	var off int64
	var buf []byte
	for {
		head, err := r.Peek(frameHeader)
		if len(head) == 0 && err == io.EOF {
			return nil
		}
		if err != nil && err != io.EOF {
			return fmt.Errorf("read journal: %w", err)
		}
		size := 0
		if len(head) == frameHeader {
			size = int(binary.LittleEndian.Uint32(head[4:8]))
		}
		if len(head) == frameHeader && bytes.Equal(head[:4], journalMagic[:]) && size <= maxFrame {
			if cap(buf) < frameHeader+size {
				buf = make([]byte, frameHeader+size)
			}
			buf = buf[:frameHeader+size]
			n, err := io.ReadFull(r, buf)
			if err == nil {
				if p, _, ok := frameAt(buf); ok {
					fn(i, p)
					i++
					off += int64(n)
					continue
				}
			} else if err != io.ErrUnexpectedEOF {
				return fmt.Errorf("read journal: %w", err)
			}
			// Damaged or torn: what was read, then the rest, the slow way.
			more, err := io.ReadAll(r)
			if err != nil {
				return fmt.Errorf("read journal: %w", err)
			}
			rest(append(buf[:n:n], more...), off)
			return nil
		}
		data, err := io.ReadAll(r)
		if err != nil {
			return fmt.Errorf("read journal: %w", err)
		}
		rest(data, off)
		return nil
	}
}

// load decodes the frames of a segment, reading it from disk if needed.
func (w *Writer) load(sg *segment, replay bool) (*schema.Batch, error) {
	var all schema.Batch
	err := w.eachFrame(sg, replay, func(i int, p []byte) {
		_, b, err := decodeBatch(p)
		if err != nil {
			w.log.Warn("journal: dropped undecodable record", "file", sg.name, "record", i, "err", err)
			return
		}
		for _, t := range tables {
			t.move(&all, b)
		}
	})
	if err != nil {
		return nil, err
	}
	return &all, nil
}

// writeTable writes the rows of one table of a segment as one part per
// day, named after seq, and makes them durable.
func (w *Writer) writeTable(name string, all *schema.Batch, seq int64) (rows, files int, err error) {
	t := tables[name]
	for _, day := range t.days(all) {
		dir := Partition{Table: name, Host: w.host, Day: day}.Dir()
		if err := w.s.ensureDir(dir); err != nil {
			return 0, 0, err
		}
		var n int
		size, err := w.s.writeFile(dir+"/"+partName(seq), w.opts.NoSync, func(out io.Writer) error {
			var err error
			n, err = t.writeDay(out, all, day)
			return err
		})
		if err != nil {
			return 0, 0, err
		}
		w.written.Add(size)
		// The rename must be durable before the segment is dropped.
		if !w.opts.NoSync {
			if err := w.s.syncDir(dir); err != nil {
				return 0, 0, err
			}
		}
		rows += n
		files++
	}
	return rows, files, nil
}

// removeSegment deletes a segment that is entirely in Parquet (the locked
// journal file of older versions is emptied instead).
func (w *Writer) removeSegment(sg segment) error {
	if sg.name == journalName(w.host) {
		if err := w.lock.Truncate(0); err != nil {
			return err
		}
		if !w.opts.NoSync {
			return datasync(w.lock)
		}
		return nil
	}
	return w.s.root.Remove(sg.name)
}
