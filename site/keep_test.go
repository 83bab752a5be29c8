package site

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
)

// Keep spares remote files the site lacks, Last uploads its files after
// the others, and Marker guards a prefix almanac did not build.
func TestPublishS3KeepLastMarker(t *testing.T) {
	s := sharedServer(t)
	s3Env(t)
	ctx := context.Background()
	tg := s.bucket(t, "site")
	put := func(key, body string) {
		t.Helper()
		if _, err := s.client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(tg.Bucket), Key: aws.String(key), Body: strings.NewReader(body)}); err != nil {
			t.Fatal(err)
		}
	}
	const marker = ".almanac-test-site"
	files := map[string]string{
		"index.html":       "<h1>fleet</h1>",
		"assets/app.js":    "var a;",
		"summaries/s.json": `{"hosts":1}`,
	}
	p := newProxy(t, s.endpoint())
	opts := PublishOptions{Options: s3Opts(p.srv.URL), Delete: true, Marker: marker,
		Keep: func(k string) bool { return strings.HasPrefix(k, "other/") },
		Last: func(k string) bool { return strings.HasPrefix(k, "summaries/") },
	}
	opts.Concurrency = 3

	// A prefix holding someone else's objects is refused, and left alone.
	foreign := tg
	foreign.Prefix = "foreign"
	put("foreign/data.csv", "1,2")
	if _, err := Publish(ctx, foreign, writeTree(t, files), opts); err == nil || !strings.Contains(err.Error(), "but no "+marker) {
		t.Fatalf("publish over a foreign prefix: %v, want a refusal naming %s", err, marker)
	}
	if diff := cmp.Diff(map[string]string{"data.csv": "1,2"}, remoteFiles(t, s, foreign)); diff != "" {
		t.Errorf("the foreign prefix changed (-want +got):\n%s", diff)
	}

	// An empty prefix: the marker goes up first, the Last files last.
	if _, err := Publish(ctx, tg, writeTree(t, files), opts); err != nil {
		t.Fatal(err)
	}
	var seq []string
	for _, r := range p.requests() {
		if method, path, _ := strings.Cut(r, " "); method == "PUT" && strings.Contains(path, "/site/") {
			seq = append(seq, path[strings.Index(path, "/site/")+len("/site/"):])
		}
	}
	if len(seq) != 4 || seq[0] != marker || seq[3] != "summaries/s.json" {
		t.Errorf("uploads in order %v: want the marker first and summaries/s.json last", seq)
	}
	want := map[string]string{marker: markerBody}
	for k, v := range files {
		want[k] = v
	}
	if diff := cmp.Diff(want, remoteFiles(t, s, tg)); diff != "" {
		t.Errorf("bucket (-want +got):\n%s", diff)
	}
	h, err := s.client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(tg.Bucket), Key: aws.String("site/summaries/s.json")})
	if err != nil {
		t.Fatal(err)
	}
	if got := aws.ToString(h.ContentType); got != "application/json" {
		t.Errorf("summaries/s.json: Content-Type %q, want application/json", got)
	}

	// Files of others (Keep) stay, stale ones go, the marker stays.
	put("site/other/web1.html", "<h1>web1</h1>")
	put("site/stale.html", "old")
	r, err := Publish(ctx, tg, writeTree(t, files), opts)
	if err != nil {
		t.Fatal(err)
	}
	if r.Uploaded != 0 || r.Deleted != 1 {
		t.Errorf("second publish: %d uploaded, %d deleted; want 0 and 1 (stale.html)", r.Uploaded, r.Deleted)
	}
	want["other/web1.html"] = "<h1>web1</h1>"
	if diff := cmp.Diff(want, remoteFiles(t, s, tg)); diff != "" {
		t.Errorf("bucket after the second publish (-want +got):\n%s", diff)
	}
}

// Keep works on a directory target too: the kept files are carried over.
func TestPublishDirKeep(t *testing.T) {
	ctx := context.Background()
	dst := t.TempDir() + "/www"
	first := writeTree(t, map[string]string{"index.html": "1", "other/a.html": "a", "old.html": "o"})
	if _, err := Publish(ctx, Target{Kind: Dir, Path: dst}, first, PublishOptions{Delete: true}); err != nil {
		t.Fatal(err)
	}
	opts := PublishOptions{Delete: true, Keep: func(k string) bool { return strings.HasPrefix(k, "other/") }}
	r, err := Publish(ctx, Target{Kind: Dir, Path: dst}, writeTree(t, map[string]string{"index.html": "2"}), opts)
	if err != nil {
		t.Fatal(err)
	}
	if r.Deleted != 1 {
		t.Errorf("deleted %d, want 1 (old.html)", r.Deleted)
	}
	if diff := cmp.Diff(withMarker(map[string]string{"index.html": "2", "other/a.html": "a"}), readTree(t, dst)); diff != "" {
		t.Errorf("target (-want +got):\n%s", diff)
	}
}

// A publish that would delete Parquet files (an archive put in the target
// since the last publish) is refused, dry run or not, and deletes nothing.
func TestPublishDirKeepsData(t *testing.T) {
	ctx := context.Background()
	dst := t.TempDir() + "/www"
	site := writeTree(t, map[string]string{"index.html": "1"})
	if _, err := Publish(ctx, Target{Kind: Dir, Path: dst}, site, PublishOptions{Delete: true}); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dst, "data", "cpu", "host=a", "date=2026-08-21", "day-1.parquet")
	if err := os.MkdirAll(filepath.Dir(data), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(data, []byte("PAR1"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, dry := range []bool{true, false} {
		_, err := Publish(ctx, Target{Kind: Dir, Path: dst}, site, PublishOptions{Delete: true, Options: Options{DryRun: dry}})
		if err == nil || !strings.Contains(err.Error(), "a Parquet file that the site does not, data/cpu/host=a/date=2026-08-21/day-1.parquet") {
			t.Errorf("dry run %t: error %v, want a refusal naming the Parquet file", dry, err)
		}
	}
	if b, err := os.ReadFile(data); err != nil || string(b) != "PAR1" {
		t.Errorf("the Parquet file after the refused publishes: %q, %v", b, err)
	}
}

// The same for an S3 prefix: an archive shipped under a site's prefix is
// not deleted by the next publish.
func TestPublishS3KeepsData(t *testing.T) {
	s := sharedServer(t)
	s3Env(t)
	ctx := context.Background()
	tg := s.bucket(t, "site")
	site := writeTree(t, map[string]string{"index.html": "1"})
	opts := PublishOptions{Options: s3Opts(s.endpoint()), Delete: true}
	if _, err := Publish(ctx, tg, site, opts); err != nil {
		t.Fatal(err)
	}
	key := tg.key("data/cpu/host=a/date=2026-08-21/day-1.parquet")
	if _, err := s.client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(tg.Bucket), Key: aws.String(key), Body: strings.NewReader("PAR1")}); err != nil {
		t.Fatal(err)
	}
	if _, err := Publish(ctx, tg, site, opts); err == nil || !strings.Contains(err.Error(), "a Parquet file that the site does not, data/cpu/host=a/date=2026-08-21/day-1.parquet") {
		t.Errorf("publish over a Parquet file: error %v, want a refusal naming it", err)
	}
	if _, err := s.client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(tg.Bucket), Key: aws.String(key)}); err != nil {
		t.Errorf("the Parquet object after the refused publish: %v", err)
	}
}
