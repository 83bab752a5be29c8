package archive

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// Verify reads the whole data file key (a key as ClosedFiles gives it:
// a table's file or a rollup) the way any reader would, and returns nil
// when every byte of it can be trusted: the magic bytes at both ends, the
// footer, a schema whose columns have the types of the table's (columns
// the table lacks, or missing ones, are allowed: other versions of
// almanac wrote them), and every page of every column chunk, whose CRC-32
// almanac writes and parquet-go checks before decoding it, decoded to as
// many rows as the footer says. A damaged file's error wraps ErrCorrupt
// and names it; a file that vanished wraps fs.ErrNotExist.
//
// It costs a read of the file and the decoding of its pages, not the
// building of rows (BenchmarkVerify measures it).
func (s *Store) Verify(key string) error {
	want, err := keySchema(key)
	if err != nil {
		return fmt.Errorf("archive: verify %s: %w", key, err)
	}
	f, err := s.root.Open(key)
	if err != nil {
		return fmt.Errorf("archive: verify: %w", s.explain(key, err))
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("archive: verify: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("archive: verify %s: not a regular file", key)
	}
	if err := verifyFile(f, fi.Size(), want); err != nil {
		return fmt.Errorf("archive: verify %s: %w", key, err)
	}
	return nil
}

// keySchema returns the schema the data file key must have:
// <table>/host=…/date=…/<name> or rollup/<res>/<table>/host=…/date=…/<name>.
func keySchema(key string) (*parquet.Schema, error) {
	parts := strings.Split(key, "/")
	name := parts[len(parts)-1]
	switch {
	case len(parts) == 4 && CheckTable(parts[0]) == nil:
		if _, ok := parseFileName(name); !ok {
			return nil, errors.New("not a data file name (part-<seq>.parquet or day-<seq>.parquet)")
		}
		return tables[parts[0]].schema(), nil
	case len(parts) == 6 && parts[0] == rollupDir:
		if _, ok := parseRollupName(name); !ok {
			return nil, errors.New("not a rollup file name (day-<seq>.s<version>.parquet)")
		}
		if sp, ok := rollupSpecs[parts[2]]; ok {
			return sp.schema, nil
		}
	}
	return nil, errors.New("not a table or rollup file of the archive")
}

// hostOfKey returns the host of a data file key, or "".
func hostOfKey(key string) string {
	for _, p := range strings.Split(key, "/") {
		if h, ok := strings.CutPrefix(p, "host="); ok {
			return h
		}
	}
	return ""
}

// parquetMagic starts and ends every Parquet file.
const parquetMagic = "PAR1"

// verifyFile checks the Parquet file in ra (see Verify) against want. The
// Parquet reader may panic on damaged input; that becomes ErrCorrupt.
func verifyFile(ra io.ReaderAt, size int64, want *parquet.Schema) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupt, p)
		}
	}()
	if size < 2*int64(len(parquetMagic))+4 {
		return fmt.Errorf("%w: %d bytes, too short for a Parquet file", ErrCorrupt, size)
	}
	var head, tail [4]byte
	if _, err := ra.ReadAt(head[:], 0); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if _, err := ra.ReadAt(tail[:], size-4); err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if string(head[:]) != parquetMagic || string(tail[:]) != parquetMagic {
		return fmt.Errorf("%w: no Parquet magic bytes at its start and end (truncated, or not a Parquet file)", ErrCorrupt)
	}
	pf, err := parquet.OpenFile(ra, size, parquet.SkipPageIndex(true), parquet.SkipBloomFilters(true))
	if err != nil {
		return fmt.Errorf("%w: footer: %w", ErrCorrupt, err)
	}
	if err := checkSchema(pf.Schema(), want); err != nil {
		return fmt.Errorf("%w: %w", ErrCorrupt, err)
	}
	var rows int64
	for i, rg := range pf.RowGroups() {
		n := rg.NumRows()
		rows += n
		for j, cc := range rg.ColumnChunks() {
			if err := verifyChunk(cc, n); err != nil {
				return fmt.Errorf("%w: row group %d, column %s: %w", ErrCorrupt, i, strings.Join(pf.Schema().Columns()[j], "."), err)
			}
		}
	}
	if rows != pf.NumRows() {
		return fmt.Errorf("%w: row groups hold %d rows, the footer says %d", ErrCorrupt, rows, pf.NumRows())
	}
	return nil
}

// verifyChunk reads every page of a column chunk, from the first (the
// dictionary page when there is one: read in sequence, its CRC is checked
// too), and checks they hold rows rows.
func verifyChunk(cc parquet.ColumnChunk, rows int64) error {
	pages := cc.Pages()
	defer pages.Close()
	var got int64
	for {
		p, err := pages.ReadPage()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return err
		}
		got += p.NumRows()
		parquet.Release(p)
	}
	if got != rows {
		return fmt.Errorf("pages hold %d rows, the row group %d", got, rows)
	}
	return nil
}

// checkSchema checks that the columns of got that want has too have the
// same type and repetition, and that got has the time column.
func checkSchema(got, want *parquet.Schema) error {
	if _, ok := got.Lookup(timeColumn); !ok {
		return errors.New("schema: no time column")
	}
	for _, path := range got.Columns() {
		g, _ := got.Lookup(path...)
		w, ok := want.Lookup(path...)
		if !ok {
			continue
		}
		name := strings.Join(path, ".")
		if gk, wk := g.Node.Type().Kind(), w.Node.Type().Kind(); gk != wk {
			return fmt.Errorf("schema: column %s is %v, want %v", name, gk, wk)
		}
		if g.MaxRepetitionLevel != w.MaxRepetitionLevel {
			return fmt.Errorf("schema: column %s has repetition level %d, want %d", name, g.MaxRepetitionLevel, w.MaxRepetitionLevel)
		}
	}
	return nil
}

// SetAside renames the data file key to .<name>.corrupt in its folder
// (see QuarantineKey), where no reader looks (Spark, Trino and pyarrow
// skip names beginning with a dot, and it does not end in .parquet) and
// almanac ship does not take it, as Compact does with a file it
// cannot read. It holds the compaction lock of the file's host meanwhile,
// so that no compaction is merging the file, and fails when a compaction
// runs (the next check sets it aside).
func (s *Store) SetAside(key string) error {
	host := hostOfKey(key)
	if err := CheckHost(host); err != nil {
		return fmt.Errorf("archive: set aside %s: %w", key, err)
	}
	if _, err := keySchema(key); err != nil {
		return fmt.Errorf("archive: set aside %s: %w", key, err)
	}
	s.aside.Lock()
	defer s.aside.Unlock()
	lock, err := s.lockFile(compactLockName(host), 0)
	if err != nil {
		return fmt.Errorf("archive: set aside %s: %w", key, err)
	}
	defer lock.Close()
	if err := s.root.Rename(key, quarantineName(key)); err != nil {
		return fmt.Errorf("archive: set aside %s: %w", key, s.explain(key, err))
	}
	dir := key[:strings.LastIndexByte(key, '/')]
	if err := s.syncDir(dir); err != nil {
		return fmt.Errorf("archive: set aside %s: %w", key, err)
	}
	return nil
}

// QuarantineKey returns where SetAside and Compact put the data file key
// when it cannot be read: .<name>.corrupt in the same folder.
func QuarantineKey(key string) string { return quarantineName(key) }
