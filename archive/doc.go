// Package archive keeps the samples of hosts as Hive-partitioned daily
// Parquet files, without a database, and reads them back by column.
//
// # Layout
//
// An archive is a folder with one folder per table (the names in
// schema.Tables), one folder per host inside it and one per UTC day inside
// that:
//
//	<archive>/<table>/host=<host>/date=<YYYY-MM-DD>/part-<seq>.parquet
//	<archive>/<table>/host=<host>/date=<YYYY-MM-DD>/hour-<lo>-<hi>.parquet
//	<archive>/<table>/host=<host>/date=<YYYY-MM-DD>/day-<maxseq>.parquet
//	<archive>/.journal/<host>.<seq>.seg
//	<archive>/.journal/<host>.status.json
//	<archive>/rollup/<1m|1h>/<table>/host=<host>/date=<YYYY-MM-DD>/day-<maxseq>.s<schema version>.parquet
//
// Days are UTC days (time.DateOnly) whatever the local zone of the host.
// The host and the day are not columns of the files: they are the Hive
// partition folders, and a Hive-aware reader turns them back into columns.
// The columns of each table are declared once, in package schema, and
// everything here follows from the declarations: the Parquet schema, the
// sort order, the journal codec and the rollups. Timestamps are
// TIMESTAMP(MICROS) in UTC,
// strings are dictionary-encoded, integers and DECIMAL(18,2) numbers are
// delta-encoded, and pages are compressed with zstd. Each footer names
// almanac's version (created_by, almanac.version), the schema version
// (almanac.schema_version) and the sort order (sorting_columns: time for a
// part, the table's identity columns then time for an hour or a day file,
// in each row group). Every row group carries the min/max statistics of
// its columns, and row groups follow each other in time (at most 8192 rows
// in a part, 32768 in an hour or day file), so that a reader's time filter
// skips most of a file's row groups, as a date filter skips folders. Host names pass
// CheckHost (letters, digits, '.', '_', '-') before any path is built from
// them, and every file is written through an *os.Root opened on the
// archive folder, so that no name can lead outside it.
//
// DuckDB reads a table of the whole fleet with one query:
//
//	SELECT host, date_trunc('hour', time) AS hour, avg(user_pct + system_pct) AS busy
//	FROM read_parquet('/var/lib/almanac/cpu/**/*.parquet', hive_partitioning = true)
//	WHERE cpu = 'all' AND date >= '2026-08-01'
//	GROUP BY ALL ORDER BY ALL;
//
// # The journal and crash safety
//
// A Parquet file is readable only once its footer is written, so samples
// do not go straight into Parquet. Writer.Append adds each batch to the
// host's journal as one frame (magic, length, CRC-32C, a compact varint
// encoding of the batch) and fsyncs it: once Append returns nil, the batch
// survives a crash or a power cut. The journal is a series of segments,
// .journal/<host>.<seq>.seg, named after the seq of their first batch (the
// batch time in microseconds, bumped to stay increasing). Every FlushEvery
// (5 minutes by default), when the UTC day of a batch differs from the
// open segment's, and on Close, the writer seals the open segment (it is
// never appended to again) and turns the sealed segments into closed
// parts, one file per table and day, named after the segment's seq: each
// part is written as .<name>.tmp, fsynced and renamed, its folder is fsynced,
// and once every table of a segment is in, the segment is deleted. The
// flush reads the segment from disk frame by frame and streams each large
// table into its part row group by row group; a small table's records are
// held (up to a bound, as compact journal records) and written after, one
// table at a time, so that one of their Parquet writers is open at once.
// Its memory does not grow with the segment (the open segment is not kept
// in memory either). A
// crash before that replays the segment into the same part names, with
// the same rows: replays never duplicate rows. (.journal/<host>.wal is
// the lock file; older versions journaled into it, and what they left
// there is replayed the same way.)
//
// When a Writer opens, it replays what a previous run left in the journal:
// valid frames become parts; a frame torn by the crash, or damaged, fails
// its CRC and is dropped with a warning (the reader then looks for the next
// frame, so one damaged frame costs that frame only). It also removes the
// part tmp files of an interrupted flush. A Writer holds a lock on its
// journal, so one host has one writer at a time. kill -9 or a power cut at
// any moment thus loses at most the sample being appended, and leaves no
// Parquet file that a reader cannot open (readers never see tmp files:
// their names begin with a dot, which Spark, Trino and pyarrow skip, and
// do not end in .parquet).
//
// Readers (Scan, List, DuckDB) see the closed files only: the batches
// still in a journal, at most FlushEvery old, are not in them. Newest
// reads the journal too, to tell how fresh a host's samples are.
//
// # Faults
//
// A flush that fails for a table (its folder cannot be written, the disk
// is full) does not stop the others: they are written, and the failing
// table is tried again with backoff (from FlushEvery/4, doubling up to
// FlushEvery) rather than with every sample. Its later segments wait, so
// that each folder receives its parts in seq order. Which tables of which
// segments are in Parquet is recorded per table (the seq of the newest
// segment written) in .journal/<host>.status.json, written atomically, so
// a table is not written again by a retry or a replay; should that file be
// lost, a replay writes the same parts again under the same names, which
// duplicates nothing. The same file says since when flushes fail and why
// (FlushStatus), which almanac health reports once it has lasted three
// flush intervals. A flush that fails only adds segments, one per
// FlushEvery: a sample costs the same however long the fault lasts.
//
// When the journal itself cannot be written (a full disk), Append holds
// the batches in memory, up to WriterOptions.QueueLen of them (older ones
// are dropped and counted), returns a *QueueError, and tries the journal
// again with backoff (1 s doubling up to a minute). Once it can, the
// queued batches go to the journal, in order, and on to Parquet with the
// next flush. A Writer opens on a full disk too: what it cannot replay
// stays in the journal for a later flush.
//
// # Compaction
//
// Compact (CompactWith) consolidates the days that are not closed: when a
// span of CompactOptions.Consolidate (an hour) has ended, the parts whose
// seqs fall in it are merged into hour-<lo>-<hi>.parquet, lo and hi the
// first and last seq it holds, sorted like a day file and written
// atomically like one; then the parts are deleted. A file covers every
// file of its folder whose seqs lie within its own range (a day file's
// starts at 0), and readers take only the files no other covers
// (liveFiles): between an hour file's rename and the deletion of its
// parts, and after a crash in between, each row is read once. The sampler
// flushes and consolidates when an hour ends; a day then holds at most 24
// hour files and the open hour's parts per table.
//
// Compact rewrites each closed day of a host (a day before today, UTC)
// into one file per table, day-<maxseq>.parquet, written atomically like
// a part. Its rows are sorted by the table's key, then time (cpu by core,
// disk by device, process by pid and start time, and so on; in row groups
// of at most 32768 rows), so that each column holds one series after
// another, which delta encoding and zstd pack tightly. The day file covers
// every part of its folder whose seq is at most maxseq; once it is renamed
// in and synced, the covered parts are deleted. A crash between the two
// leaves covered parts behind: this package's readers ignore them, and the
// next Compact deletes them (a glob such as DuckDB's sees both until then,
// so run almanac archive compact after a crash if that matters). A part
// written after its day was compacted (a journal replayed late) has a
// higher seq, so it is read beside the day file and merged into it by the
// next compaction. A file that cannot be read is set aside as
// .<name>.corrupt in its folder, where no reader looks, and reported; it
// stays there for inspection until its day is pruned. (Earlier versions
// wrote <name>.tmp and <name>.corrupt, which dataset readers did see:
// Compact and Writer remove or rename what they left.) A compaction
// killed at any moment is picked up by the next one: it removes the tmp
// files, deletes the parts a day file covers and writes missing rollups.
//
// # Rollups
//
// When Compact has compacted a closed day of a table with rollups (every
// table but host), it also writes its rollups, per minute (1m) and per
// hour (1h), under rollup/, outside the table folders so that a glob such
// as cpu/**/*.parquet never sees them. The declaration says which: the
// process table has a per-hour rollup only (a per-minute one of hundreds
// of processes would be about as big as the raw rows), of some columns. A
// rollup row is one time bucket of one series: time (the bucket's start),
// the table's identity columns, each summarized column as its kind says
// (schema.Kind.Aggs: c_min, c_avg and c_max of a gauge, c_sum and c_max of
// a count, the newest value of a label), and samples, the number of rows
// in the bucket. A bucket without samples has no row, so gaps stay
// visible. A rollup is named after the day file it was made from and the
// schema version: it is current while that day file is the only live file
// of its folder and the schema is this one (ScanRollup and RollupDays read
// only current ones; a day with a late part, or rolled up by an almanac
// with another schema, is read raw until the next Compact rewrites its
// rollups).
// Rollups are written atomically through the same *os.Root, once: a later
// Compact only checks they are there, and writes the missing ones, which
// backfills an archive compacted before rollups existed. Prune deletes them
// with their day. DuckDB reads them like a table:
//
//	SELECT time, cpu, user_pct_max
//	FROM read_parquet('/var/lib/almanac/rollup/1h/cpu/**/*.parquet', hive_partitioning = true)
//	WHERE host = 'web1' ORDER BY time;
//
// # Retention
//
// Prune deletes whole day partitions whose day ended more than keep before
// now (Expired tells which). The command line keeps 90 days by default.
//
// # Reading
//
// Scan reads the asked-for columns only, with the column-level API of
// parquet-go, skipping the days and row groups whose time statistics fall
// outside the asked range, and returns them as float64 (decimals scaled,
// booleans as 0 or 1, nulls as NaN) or strings, in time order. A corrupt or
// truncated file is skipped: Scan returns what it could read and an error
// (errors.Is ErrCorrupt) naming each skipped file. ScanRollup reads
// rollups the same way. A file that vanishes between the listing of its
// folder and its reading (a compaction merged it) makes Scan list the
// folder again.
//
// Every listing goes through one classifier: an entry that is not what
// its name says (a dangling symlink, a symlink leading out of the archive,
// which the *os.Root refuses to follow, a folder named part-2.parquet, a
// file named date=…) is skipped with one warning naming it and saying what
// to do, and Unexpected returns those seen.
//
// Verify reads a data file whole (magic bytes, footer, schema, every page
// and its CRC-32): almanac ship uploads only files that pass, and sets the
// others aside with SetAside, as Compact does.
package archive
