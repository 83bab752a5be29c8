package archive

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"time"
)

// FlushStatus is what the Writer of a host last recorded about its
// flushes, in .journal/<host>.status.json (written atomically: a reader
// sees the old file or the new one). A Writer writes it when a flush
// fails, while flushes keep failing, and once after they work again; a
// host whose flushes never failed may have none. It is how almanac health
// tells that samples are taken but do not reach Parquet.
type FlushStatus struct {
	// Updated is when the Writer wrote the file.
	Updated time.Time `json:"updated"`
	// FlushEvery is the Writer's WriterOptions.FlushEvery.
	FlushEvery time.Duration `json:"flush_every_ns"`
	// FailingSince is when the first of the flushes that have failed since
	// the last complete one failed; zero when the last flush wrote
	// everything.
	FailingSince time.Time `json:"failing_since,omitzero"`
	// Cause is the error of the last failed flush, one per table.
	Cause string `json:"cause,omitempty"`
	// Pending is the number of journal segments not entirely in Parquet.
	Pending int `json:"pending_segments"`
	// Flushed holds, per table, the seq of the newest journal segment
	// whose rows of that table are in Parquet: a replay writes each table
	// of a segment only if the segment is newer.
	Flushed map[string]int64 `json:"flushed_seq,omitempty"`
}

// Failing reports whether flushes have failed for longer than three
// flush intervals at now.
func (st FlushStatus) Failing(now time.Time) bool {
	return !st.FailingSince.IsZero() && now.Sub(st.FailingSince) > 3*st.FlushEvery
}

func statusName(host string) string { return journalDir + "/" + host + ".status.json" }

// FlushStatus reads the flush status the Writer of host left. A host
// without one has the zero FlushStatus (its flushes never failed).
func (s *Store) FlushStatus(host string) (FlushStatus, error) {
	var st FlushStatus
	if err := CheckHost(host); err != nil {
		return st, err
	}
	data, err := s.root.ReadFile(statusName(host))
	if errors.Is(err, fs.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("archive: flush status of %q: %w", host, err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return FlushStatus{}, fmt.Errorf("archive: flush status of %q: %s: %w", host, statusName(host), err)
	}
	return st, nil
}

// saveStatus writes the flush status file atomically.
func (w *Writer) saveStatus(now time.Time) error {
	st := FlushStatus{Updated: now.UTC(), FlushEvery: w.opts.FlushEvery, FailingSince: w.failing.UTC(),
		Cause: w.cause, Pending: len(w.pending), Flushed: w.flushed}
	if w.failing.IsZero() {
		st.FailingSince = time.Time{}
	}
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	data = append(data, '\n')
	if _, err := w.s.writeFile(statusName(w.host), w.opts.NoSync, func(out io.Writer) error {
		_, err := out.Write(data)
		return err
	}); err != nil {
		return err
	}
	if w.opts.NoSync {
		return nil
	}
	return w.s.syncDir(journalDir)
}
