package site

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
)

// Options are the settings Publish, Ship and Mirror share.
type Options struct {
	// S3 configures access to S3 targets.
	S3 S3Options
	// Logger receives one debug line per file moved; nil discards.
	Logger *slog.Logger
	// Concurrency is the number of transfers at once (default 8).
	Concurrency int
	// DryRun computes the plan and returns it in the Report without
	// changing anything.
	DryRun bool
	// ContentType returns the Content-Type of an uploaded key (default
	// ContentType). Directory targets ignore it.
	ContentType func(key string) string
	// CacheControl returns the Cache-Control of an uploaded key; "" sends
	// none. Publish defaults to DefaultCacheControl, Ship to none.
	CacheControl func(key string) string
	// OnTransfer, if set, is called after each file is uploaded or
	// downloaded, from several goroutines at once.
	OnTransfer func(Object)
	// Select, if set, picks the remote keys Mirror fetches from all it
	// listed; a cached copy of a key left out is deleted like one that
	// vanished remotely.
	Select func(keys []string) []string
}

func (o *Options) logger() *slog.Logger {
	if o.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return o.Logger
}

func (o *Options) workers() int {
	if o.Concurrency <= 0 {
		return 8
	}
	return o.Concurrency
}

// Report says what a transfer did (or, with DryRun, would do).
type Report struct {
	// Changes is the plan: what had to be uploaded and deleted.
	Changes Changes
	// DryRun is set when nothing was done.
	DryRun bool
	// Uploaded, Downloaded and Deleted count the files moved or removed.
	Uploaded, Downloaded, Deleted int
	// Unchanged counts the files already up to date.
	Unchanged int
	// Bytes is the number of content bytes uploaded or downloaded.
	Bytes int64
	// Rejected lists the remote keys Mirror refused to write (hostile or
	// unusable as paths).
	Rejected []string
	// Refused holds, for Ship, one error per file that ShipOptions.Check
	// refused: those were not uploaded.
	Refused []error
	// Vanished counts, for Ship, the files that disappeared before they
	// could be read (a compaction merged them): not uploaded, no error.
	Vanished int
	// Failed counts the uploads that failed, and NotAttempted those given
	// up after an error that made going on pointless (see Ship).
	Failed, NotAttempted int
}

// tally counts what forEach did with its items.
type tally struct {
	done, failed, notAttempted int
}

// forEach runs fn on each item with n workers. After an error that makes
// further work pointless (the store is unreachable or refuses us, or ctx is
// done) the remaining items are not attempted. It returns the first error,
// with, when there is more to say, how many failed and how many were not
// attempted ("8 failed, 706 not attempted, 81 done; the first: …").
func forEach[T any](ctx context.Context, n int, items []T, fn func(T) error) error {
	_, err := forEachTally(ctx, n, items, fn)
	return err
}

// forEachTally is forEach, and returns the counts.
func forEachTally[T any](ctx context.Context, n int, items []T, fn func(T) error) (tally, error) {
	var (
		next     atomic.Int64
		stop     atomic.Bool
		failed   atomic.Int64
		returned atomic.Int64
		mu       sync.Mutex
		first    error
		wg       sync.WaitGroup
	)
	for range min(n, len(items)) {
		wg.Go(func() {
			for !stop.Load() && ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(items) {
					return
				}
				err := fn(items[i])
				returned.Add(1)
				if err != nil {
					failed.Add(1)
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					if errors.Is(err, ErrUnreachable) || errors.Is(err, ErrAccessDenied) ||
						errors.Is(err, ErrNoBucket) || ctx.Err() != nil {
						stop.Store(true)
					}
				}
			}
		})
	}
	wg.Wait()
	t := tally{failed: int(failed.Load())}
	t.done = int(returned.Load()) - t.failed
	t.notAttempted = len(items) - t.done - t.failed
	if first == nil {
		if err := ctx.Err(); err != nil {
			return t, fmt.Errorf("%w (%d not attempted, %d done)", err, t.notAttempted, t.done)
		}
		return t, nil
	}
	if t.failed > 1 || t.notAttempted > 0 {
		return t, fmt.Errorf("%d failed, %d not attempted, %d done; the first: %w", t.failed, t.notAttempted, t.done, first)
	}
	return t, first
}

// uploader moves local files under src to st and keeps the counts.
type uploader struct {
	st       store
	src      *os.Root
	opts     *Options
	check    func(key string) error // see ShipOptions.Check; nil checks nothing
	log      *slog.Logger
	uploaded atomic.Int64
	bytes    atomic.Int64
	deleted  atomic.Int64
	vanished atomic.Int64
	// goneBefore counts the files that vanished before the plan.
	goneBefore int
	t          tally // of the uploads

	mu      sync.Mutex
	refused []error
}

func (u *uploader) upload(ctx context.Context, objs []Object) error {
	var err error
	u.t, err = forEachTally(ctx, u.opts.workers(), objs, func(o Object) error {
		if u.check != nil {
			if err := u.check(o.Key); err != nil {
				if errors.Is(err, fs.ErrNotExist) {
					u.gone(o.Key)
					return nil
				}
				u.mu.Lock()
				u.refused = append(u.refused, err)
				u.mu.Unlock()
				return nil
			}
		}
		f, err := u.src.Open(filepath.FromSlash(o.Key))
		if errors.Is(err, fs.ErrNotExist) && u.check != nil {
			u.gone(o.Key)
			return nil
		}
		if err != nil {
			return fmt.Errorf("open %s: %w", o.Key, err)
		}
		defer f.Close()
		h := headers{contentType: ContentType(o.Key)}
		if u.opts.ContentType != nil {
			h.contentType = u.opts.ContentType(o.Key)
		}
		if u.opts.CacheControl != nil {
			h.cacheControl = u.opts.CacheControl(o.Key)
		}
		if err := u.st.put(ctx, o, io.NewSectionReader(f, 0, o.Size), h); err != nil {
			return err
		}
		u.uploaded.Add(1)
		u.bytes.Add(o.Size)
		u.log.Debug("uploaded", "key", o.Key, "size_bytes", o.Size)
		if u.opts.OnTransfer != nil {
			u.opts.OnTransfer(o)
		}
		return nil
	})
	return err
}

// gone counts a file that vanished before its upload (a compaction merged
// it: the file that replaced it goes up in the next run).
func (u *uploader) gone(key string) {
	u.vanished.Add(1)
	u.log.Debug("file vanished before its upload", "key", key)
}

func (u *uploader) remove(ctx context.Context, objs []Object) error {
	return forEach(ctx, u.opts.workers(), objs, func(o Object) error {
		if err := u.st.remove(ctx, o.Key); err != nil {
			return err
		}
		u.deleted.Add(1)
		u.log.Debug("deleted", "key", o.Key)
		return nil
	})
}

func (u *uploader) report(r *Report) {
	r.Uploaded = int(u.uploaded.Load())
	r.Bytes = u.bytes.Load()
	r.Deleted = int(u.deleted.Load())
	r.Vanished = u.goneBefore + int(u.vanished.Load())
	r.Failed = u.t.failed
	r.NotAttempted = u.t.notAttempted
	u.mu.Lock()
	r.Refused = append([]error(nil), u.refused...)
	u.mu.Unlock()
	slices.SortFunc(r.Refused, func(a, b error) int { return strings.Compare(a.Error(), b.Error()) })
}

// resolveChecksums asks the store for the stored MD5 of remote objects that
// match a local file in size but not in ETag, so that objects whose ETag is
// not an MD5 (SSE-KMS, multipart) are not uploaded again and again.
func resolveChecksums(ctx context.Context, st store, n int, local, remote []Object) error {
	sums := make(map[string]Object, len(local))
	for _, l := range local {
		sums[l.Key] = l
	}
	var todo []*Object
	for i := range remote {
		r := &remote[i]
		if l, ok := sums[r.Key]; ok && l.Size == r.Size && l.MD5 != r.MD5 {
			todo = append(todo, r)
		}
	}
	return forEach(ctx, n, todo, func(o *Object) error { return st.resolve(ctx, o) })
}
