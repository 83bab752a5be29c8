package archive

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// TestKeptZstdSameFrames checks, at the level of parts and at that of
// merges, that the small-window encoders keptZstd
// compresses pages with write the frames zstd's default window writes,
// byte for byte, for pages of every kind and size below smallWindow, one
// encoder reused from page to page as keptZstd reuses it.
func TestKeptZstdSameFrames(t *testing.T) {
	for _, c := range []*keptZstd{zstdCodec, mergeZstd} {
		t.Run(c.level.String(), func(t *testing.T) { testKeptZstdSameFrames(t, c.level) })
	}
}

func testKeptZstdSameFrames(t *testing.T, level zstd.EncoderLevel) {
	small := &keptZstd{level: level}
	def, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(level),
		zstd.WithZeroFrames(true), zstd.WithEncoderCRC(false), zstd.WithLowerEncoderMem(true))
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	pages := map[string]func(n int) []byte{
		"random": func(n int) []byte {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(rng.Uint32())
			}
			return b
		},
		"text": func(n int) []byte {
			words := []string{"systemd", "kworker/0:1", "/system.slice/nginx.service", "postgres", "<script>", "\x00\xff"}
			var b bytes.Buffer
			for b.Len() < n {
				b.WriteString(words[rng.IntN(len(words))])
			}
			return b.Bytes()[:n]
		},
		"counters": func(n int) []byte {
			b := make([]byte, 0, n+8)
			v := uint64(1 << 40)
			for len(b) < n {
				v += uint64(rng.IntN(1000))
				b = binary.LittleEndian.AppendUint64(b, v)
			}
			return b[:n]
		},
		"runs": func(n int) []byte {
			b := make([]byte, n)
			for i := 0; i < n; {
				k := min(n-i, 1+rng.IntN(5000))
				c := byte(rng.IntN(4))
				for j := range k {
					b[i+j] = c
				}
				i += k
			}
			return b
		},
	}
	sizes := []int{0, 1, 15, 16, 1023, 1024, 1025, 4096, 32 << 10, 128<<10 - 1, 128 << 10, 128<<10 + 1,
		200 << 10, 256 << 10, 300 << 10, smallWindow - 1}
	for range 20 {
		sizes = append(sizes, rng.IntN(smallWindow))
	}
	for name, gen := range pages {
		for _, n := range sizes {
			src := gen(n)
			got, err := small.Encode(nil, src)
			if err != nil {
				t.Fatal(err)
			}
			if want := def.EncodeAll(src, nil); !bytes.Equal(got, want) {
				t.Errorf("%s page of %d bytes: the small-window frame (%d bytes) differs from the default one (%d bytes)",
					name, n, len(got), len(want))
			}
			back, err := small.Decode(nil, got)
			if err != nil || !bytes.Equal(back, src) {
				t.Errorf("%s page of %d bytes: does not decode back: %v", name, n, err)
			}
		}
	}
	// A page at or above smallWindow goes to a default-window encoder.
	src := pages["text"](smallWindow + 100)
	got, err := small.Encode(nil, src)
	if err != nil {
		t.Fatal(err)
	}
	if want := def.EncodeAll(src, nil); !bytes.Equal(got, want) {
		t.Errorf("page of %d bytes: frame differs from the default encoder's", len(src))
	}
}
