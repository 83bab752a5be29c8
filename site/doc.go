// Package site moves a tree of files to a target: a local directory or a
// bucket prefix on S3-compatible object storage. It knows files, not
// samples: `almanac publish` gives it a built HTML site, `almanac ship` the
// closed Parquet files of the archive, and `almanac render` uses Mirror to
// fetch an archive from S3 into a local cache.
//
// # Targets
//
// ParseTarget reads "s3://bucket/prefix" as an S3 target and anything else
// (or file:///path) as a directory. S3 access takes the standard AWS
// environment variables and shared config files (see S3Options), plus an
// explicit endpoint and path-style addressing for MinIO-like stores.
// Secret keys and session tokens never appear in errors or logs.
//
// # What moves
//
// Plan is the pure heart: given the local and the remote objects (key,
// size, MD5) it says what to upload and what to delete. For S3 the remote
// MD5 is the ETag, which is the MD5 of the content because every upload is
// a single PutObject; each object also carries its MD5 in the metadata
// x-amz-meta-md5 for stores whose ETag is not the MD5.
//
//   - Publish uploads what changed with Content-Type and Cache-Control,
//     assets before pages, stale files deleted last (when asked). A
//     directory target is built next to itself and put in place with Swap.
//     PublishOptions.Keep spares files other publishes own (the shards of
//     a sharded render each publish their hosts' folders into one prefix),
//     Last uploads some files after all the others, and Marker refuses an
//     S3 prefix almanac did not build.
//   - Ship uploads the given files the target lacks, never deletes anything
//     but the superseded keys the caller names, and leaves no half-written
//     object behind: the local archive is the queue.
//   - Mirror downloads into a cache what the cache lacks or holds in another
//     version, and removes what vanished remotely; hostile keys are refused.
//
// # Swapping a directory
//
// Swap is the one way almanac replaces a directory tree: Publish to a
// directory and `almanac render --out` both build the new tree in a
// TempDir next to the target and Swap it in, once they know the target is
// theirs to replace (it is empty or holds their marker file: see
// CheckReplace). On Linux the swap is atomic (renameat2 with
// RENAME_EXCHANGE): a reader sees the old tree or the new one. On other
// systems, and on file systems without RENAME_EXCHANGE, the old tree is
// renamed aside and the new one renamed in: not atomic, as for an instant
// there is no tree, but never a mix of the two.
//
// Directory targets and caches hold almanac's own files, whose names start
// with ".almanac-" (a publish marker, a mirror manifest, temporary files);
// listings skip them.
//
// # Errors
//
// Errors wrap ErrAccessDenied, ErrNoBucket or ErrUnreachable where they
// apply. Requests failing with 5xx, throttling, timeouts or connection
// errors are retried with exponential backoff and jitter, S3Options.MaxAttempts
// times at most.
package site
