package archive

import (
	"sync"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// keptZstd is the zstd codec of the files the archive writes: parquet-go's
// zstd codec (the same frames, readable by any reader) but for where its
// encoders wait between pages. parquet-go keeps them in a sync.Pool, which
// the garbage collector empties at every cycle, and a zstd encoder costs
// about a megabyte to set up: under the sampler's soft memory limit a
// compaction ran hundreds of cycles and built an encoder after most of
// them. Here they wait on a short free list that the collector leaves
// alone; the archive writes from two goroutines at most (the flush and a
// compaction), so keepEncoders bounds what it holds. Decoding is
// parquet-go's.
//
// A page is compressed by an encoder whose window is smallWindow when it
// is shorter than that (nearly every page: a part's pages are 32 KiB, a
// day file's 256 KiB), else by one with zstd's default window. A frame
// of one call holds one page, so the window only bounds how far back a
// match may reach, and within a page shorter than both windows every
// offset is in reach of either: the frames are the same bytes (the
// header of such a frame names its content size, not the window; see
// TestKeptZstdSameFrames). What differs is the history buffer an encoder
// keeps between pages: about the window, 8 MiB by default, 0.6 MiB with
// smallWindow.
type keptZstd struct {
	level zstd.EncoderLevel
	mu    sync.Mutex
	free  []*zstd.Encoder // small-window encoders
}

// smallWindow is the window of the encoders of pages shorter than it.
const smallWindow = 512 << 10

// keepEncoders is how many idle encoders keptZstd keeps.
const keepEncoders = 2

func (c *keptZstd) String() string                            { return "ZSTD" }
func (c *keptZstd) CompressionCodec() format.CompressionCodec { return format.Zstd }

// Encode compresses src into dst as one zstd frame.
func (c *keptZstd) Encode(dst, src []byte) ([]byte, error) {
	big := len(src) >= smallWindow
	e, err := c.get(big)
	if err != nil {
		return dst[:0], err
	}
	out := e.EncodeAll(src, dst[:0])
	c.put(e, big)
	return out, nil
}

// Decode decompresses src into dst.
func (c *keptZstd) Decode(dst, src []byte) ([]byte, error) {
	return parquet.Zstd.Decode(dst, src)
}

// get returns an idle small-window encoder, or a new one; with big, a new
// default-window encoder (put does not keep those).
func (c *keptZstd) get(big bool) (*zstd.Encoder, error) {
	c.mu.Lock()
	if n := len(c.free); n > 0 && !big {
		e := c.free[n-1]
		c.free[n-1] = nil
		c.free = c.free[:n-1]
		c.mu.Unlock()
		return e, nil
	}
	c.mu.Unlock()
	// The options of parquet-go's codec: the frames are the same.
	// WithLowerEncoderMem changes buffer sizes, not the frames: without
	// it, an encoder that once compressed a page of more than 128 KiB (a
	// day file's string column) kept twice the 8 MiB window of history,
	// 16 MiB, for as long as it waited here.
	opts := []zstd.EOption{zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(c.level),
		zstd.WithZeroFrames(true), zstd.WithEncoderCRC(false), zstd.WithLowerEncoderMem(true)}
	if !big {
		opts = append(opts, zstd.WithWindowSize(smallWindow))
	}
	return zstd.NewWriter(nil, opts...)
}

// drop lets go of the idle encoders.
func (c *keptZstd) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	clear(c.free)
	c.free = c.free[:0]
}

func (c *keptZstd) put(e *zstd.Encoder, big bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if big {
		// Rare (a page of 512 KiB or more): its 8 MiB of history is not
		// worth keeping for the next.
		return
	}
	if len(c.free) < keepEncoders {
		c.free = append(c.free, e)
	}
}
