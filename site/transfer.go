package site

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
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
}

// forEach runs fn on each item with n workers. After an error that makes
// further work pointless (the store is unreachable or refuses us, or ctx is
// done) the remaining items are skipped. It returns the first error, with
// the number of failures when there were several.
func forEach[T any](ctx context.Context, n int, items []T, fn func(T) error) error {
	var (
		next   atomic.Int64
		stop   atomic.Bool
		failed atomic.Int64
		mu     sync.Mutex
		first  error
		wg     sync.WaitGroup
	)
	for range min(n, len(items)) {
		wg.Go(func() {
			for !stop.Load() && ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= len(items) {
					return
				}
				if err := fn(items[i]); err != nil {
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
	if first == nil {
		if err := ctx.Err(); err != nil {
			return err
		}
		return nil
	}
	if f := failed.Load(); f > 1 {
		return fmt.Errorf("%d of %d failed, the first: %w", f, len(items), first)
	}
	return first
}

// uploader moves local files under src to st and keeps the counts.
type uploader struct {
	st       store
	src      *os.Root
	opts     *Options
	log      *slog.Logger
	uploaded atomic.Int64
	bytes    atomic.Int64
	deleted  atomic.Int64
}

func (u *uploader) upload(ctx context.Context, objs []Object) error {
	return forEach(ctx, u.opts.workers(), objs, func(o Object) error {
		f, err := u.src.Open(filepath.FromSlash(o.Key))
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
