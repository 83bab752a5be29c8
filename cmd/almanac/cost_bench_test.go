package main

import (
	"bytes"
	"context"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"almanac/archive"
	"almanac/internal/s3test"
	"almanac/synth"
)

// s3Counter is a reverse proxy on 127.0.0.1 in front of the test's S3
// server that counts the requests going through it by kind, as an object
// store bills them: PUT (uploads), LIST (ListObjectsV2), GET, HEAD, DELETE
// and POST (batch deletes).
type s3Counter struct {
	mu    sync.Mutex
	count map[string]int
	srv   *http.Server
	addr  string
}

func startS3Counter(tb testing.TB, target string) *s3Counter {
	tb.Helper()
	u, err := url.Parse(target)
	if err != nil {
		tb.Fatal(err)
	}
	c := &s3Counter{count: map[string]int{}}
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(u)
		r.Out.Host = r.In.Host // signed by the client: keep it
	}}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	c.addr = l.Addr().String()
	c.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		kind := r.Method
		if r.Method == http.MethodGet && r.URL.Query().Has("list-type") {
			kind = "LIST"
		}
		c.mu.Lock()
		c.count[kind]++
		c.mu.Unlock()
		proxy.ServeHTTP(w, r)
	})}
	go c.srv.Serve(l)
	tb.Cleanup(func() { c.srv.Close() })
	return c
}

// take returns the counts since the last take and starts again.
func (c *s3Counter) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.count
	c.count = map[string]int{}
	return out
}

// BenchmarkHostDay runs a host-day as a sampler and a shipper would: a
// host with 100 processes sampled every 10 s, flushed every 5 minutes,
// consolidated when each hour ends (or not: consolidate=off, as before),
// shipped to S3 (a real server on 127.0.0.1 behind a counting proxy)
// every 5 minutes or every hour, compacted after midnight and shipped once more; then
// rendered from the bucket twice (a cold cache, then a warm one). It
// reports the files and bytes of the host-day (at its busiest, just
// before midnight, and compacted), and the S3 requests of the day's
// ships and of each render, per kind.
//
//	go test ./cmd/almanac -run '^$' -bench HostDay -benchtime 1x -timeout 30m
func BenchmarkHostDay(b *testing.B) {
	srv := s3test.Start(b)
	s3test.Env(b)
	counter := startS3Counter(b, srv.Endpoint())
	for _, mode := range []struct {
		name              string
		consolidate, ship time.Duration
	}{
		{"consolidate=1h/ship=5m", time.Hour, 5 * time.Minute},
		{"consolidate=off/ship=5m", -1, 5 * time.Minute},
		{"consolidate=1h/ship=1h", time.Hour, time.Hour},
	} {
		b.Run(mode.name, func(b *testing.B) {
			for i := range b.N {
				hostDay(b, srv, counter, mode.consolidate, mode.ship, i)
			}
		})
	}
}

func hostDay(b *testing.B, srv *s3test.Server, counter *s3Counter, consolidate, every time.Duration, i int) {
	bucket := "day" + strings.NewReplacer("=", "", "-", "").Replace(strings.ToLower(b.Name()))
	bucket = strings.ReplaceAll(strings.ReplaceAll(bucket, "/", ""), "_", "")
	if len(bucket) > 40 {
		bucket = bucket[len(bucket)-40:]
	}
	bucket = strings.TrimLeft(bucket, "0123456789") + string(rune('a'+i))
	srv.MakeBucket(b, bucket)
	s3 := []string{"--endpoint", "http://" + counter.addr, "--path-style", "--log-level", "warn"}
	dir := b.TempDir()
	store, err := archive.Open(dir, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	const host = "web1"
	w, err := store.Writer(host, archive.WriterOptions{NoSync: true, FlushEvery: 5 * time.Minute})
	if err != nil {
		b.Fatal(err)
	}
	g := synth.New(synth.Host{Name: host, Seed: 3, Processes: 100, Cores: 4})
	day := time.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -1)
	ship := func() {
		var stdout, stderr bytes.Buffer
		args := append([]string{"ship", "--archive", dir, "--to", "s3://" + bucket + "/almanac"}, s3...)
		if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
			b.Fatalf("ship: exit %d: %s%s", code, &stdout, &stderr)
		}
	}
	counter.take()
	busiest := [2]int64{}
	for k := range 8640 {
		at := day.Add(time.Duration(k) * 10 * time.Second)
		if err := w.Append(g.Batch(at)); err != nil {
			b.Fatal(err)
		}
		next := at.Add(10 * time.Second)
		if next.Truncate(time.Hour) != at.Truncate(time.Hour) && consolidate > 0 {
			// The sampler flushes and consolidates when an hour ends.
			if err := w.Flush(); err != nil {
				b.Fatal(err)
			}
			if _, err := store.CompactWith(host, next, archive.CompactOptions{Consolidate: consolidate}); err != nil {
				b.Fatal(err)
			}
		}
		if next.Truncate(every) != at.Truncate(every) {
			ship()
		}
		if k == 8640-2 {
			busiest = treeSize(b, dir)
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	ships := counter.take()
	if _, err := store.CompactWith(host, day.AddDate(0, 0, 1).Add(time.Minute), archive.CompactOptions{Consolidate: consolidate}); err != nil {
		b.Fatal(err)
	}
	ship()
	last := counter.take()
	compacted := treeSize(b, dir)
	b.ReportMetric(float64(busiest[0]), "files-at-23:59")
	b.ReportMetric(float64(busiest[1]), "bytes-at-23:59")
	b.ReportMetric(float64(compacted[0]), "files-compacted")
	b.ReportMetric(float64(compacted[1]), "bytes-compacted")
	for _, kind := range []string{"PUT", "LIST", "GET", "HEAD", "DELETE", "POST"} {
		b.ReportMetric(float64(ships[kind]+last[kind]), "ship-"+kind)
	}
	cache := b.TempDir()
	for _, pass := range []string{"cold", "warm"} {
		var stdout, stderr bytes.Buffer
		args := append([]string{"render", "--archive", "s3://" + bucket + "/almanac", "--cache", cache, "--out", b.TempDir()}, s3...)
		if code := run(context.Background(), args, &stdout, &stderr); code != 0 {
			b.Fatalf("render: exit %d: %s%s", code, &stdout, &stderr)
		}
		got := counter.take()
		for _, kind := range []string{"LIST", "GET", "HEAD"} {
			b.ReportMetric(float64(got[kind]), "render-"+pass+"-"+kind)
		}
	}
}

// treeSize returns the number and bytes of the data files under dir, as
// dataset readers see them (no hidden file, no journal).
func treeSize(b *testing.B, dir string) [2]int64 {
	var out [2]int64
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && strings.HasPrefix(d.Name(), ".") && p != dir {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(d.Name(), ".parquet") && !strings.HasPrefix(d.Name(), ".") {
			fi, err := d.Info()
			if err == nil {
				out[0]++
				out[1] += fi.Size()
			}
		}
		return nil
	})
	return out
}
