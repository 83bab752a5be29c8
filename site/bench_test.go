package site

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// benchSite writes a site of 2,000 files and about 100 MB: pages, scripts,
// styles and data files of 10 to 90 KiB of incompressible bytes.
func benchSite(b *testing.B) (dir string, files int, size int64) {
	b.Helper()
	dir = b.TempDir()
	rng := rand.New(rand.NewChaCha8([32]byte{1}))
	exts := []string{".html", ".js", ".json", ".css", ".svg"}
	for i := range 2000 {
		key := fmt.Sprintf("host/h%03d/%d%s", i/20, i, exts[i%len(exts)])
		buf := make([]byte, 10<<10+rng.IntN(80<<10))
		for j := range buf {
			buf[j] = byte(rng.Uint32())
		}
		p := filepath.Join(dir, filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			b.Fatal(err)
		}
		if err := os.WriteFile(p, buf, 0o644); err != nil {
			b.Fatal(err)
		}
		files++
		size += int64(len(buf))
	}
	return dir, files, size
}

// BenchmarkPublish publishes a 2,000-file, ~100 MB site to the versitygw
// test server and to a directory: the first run (everything moves) and a
// second run with nothing changed (nothing may move). Run it with
//
//	go test ./site -run '^$' -bench Publish -benchtime 3x
func BenchmarkPublish(b *testing.B) {
	dir, files, size := benchSite(b)
	b.Logf("site: %d files, %.1f MB", files, float64(size)/1e6)
	ctx := context.Background()
	report := func(b *testing.B, moved, uploaded int64) {
		b.ReportMetric(float64(moved)/float64(b.N), "bytes_moved/op")
		b.ReportMetric(float64(uploaded)/float64(b.N), "files_moved/op")
	}

	b.Run("s3/first", func(b *testing.B) {
		s := sharedServer(b)
		s3Env(b)
		tg := s.bucket(b, "")
		opts := PublishOptions{Options: s3Opts(s.endpoint()), Delete: true}
		var moved, uploaded int64
		i := 0
		for b.Loop() {
			tg.Prefix = fmt.Sprintf("run%d", i) // an empty place each time
			i++
			r, err := Publish(ctx, tg, dir, opts)
			if err != nil {
				b.Fatal(err)
			}
			moved += r.Bytes
			uploaded += int64(r.Uploaded)
		}
		report(b, moved, uploaded)
		b.SetBytes(size)
	})
	b.Run("s3/nochange", func(b *testing.B) {
		s := sharedServer(b)
		s3Env(b)
		tg := s.bucket(b, "site")
		opts := PublishOptions{Options: s3Opts(s.endpoint()), Delete: true}
		if _, err := Publish(ctx, tg, dir, opts); err != nil {
			b.Fatal(err)
		}
		var moved, uploaded int64
		for b.Loop() {
			r, err := Publish(ctx, tg, dir, opts)
			if err != nil {
				b.Fatal(err)
			}
			moved += r.Bytes
			uploaded += int64(r.Uploaded)
		}
		report(b, moved, uploaded)
		if moved != 0 {
			b.Errorf("a no-change publish moved %d bytes", moved)
		}
	})
	b.Run("dir/first", func(b *testing.B) {
		parent := b.TempDir()
		var moved, uploaded int64
		i := 0
		for b.Loop() {
			r, err := Publish(ctx, Target{Kind: Dir, Path: filepath.Join(parent, fmt.Sprint(i))}, dir, PublishOptions{Delete: true})
			i++
			if err != nil {
				b.Fatal(err)
			}
			moved += r.Bytes
			uploaded += int64(r.Uploaded)
		}
		report(b, moved, uploaded)
		b.SetBytes(size)
	})
	b.Run("dir/nochange", func(b *testing.B) {
		tg := Target{Kind: Dir, Path: filepath.Join(b.TempDir(), "www")}
		if _, err := Publish(ctx, tg, dir, PublishOptions{Delete: true}); err != nil {
			b.Fatal(err)
		}
		var moved, uploaded int64
		for b.Loop() {
			r, err := Publish(ctx, tg, dir, PublishOptions{Delete: true})
			if err != nil {
				b.Fatal(err)
			}
			moved += r.Bytes
			uploaded += int64(r.Uploaded)
		}
		report(b, moved, uploaded)
		if moved != 0 {
			b.Errorf("a no-change publish moved %d bytes", moved)
		}
	})
}
