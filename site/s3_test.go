package site

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-cmp/cmp"
)

var siteFiles = map[string]string{
	"index.html":                 "<h1>fleet</h1>",
	"host/web1.html":             "<h1>web1</h1>",
	"assets/style.css":           "body{}",
	"assets/echarts.3f9a1c2e.js": "var echarts;",
	"assets/logo.svg":            "<svg/>",
	"data/hosts.json":            `{"hosts":1}`,
}

func TestPublishS3(t *testing.T) {
	s := sharedServer(t)
	s3Env(t)
	ctx := context.Background()
	tg := s.bucket(t, "site/v1")
	dir := writeTree(t, siteFiles)
	opts := PublishOptions{Options: s3Opts(s.endpoint()), Delete: true}
	var logs bytes.Buffer
	opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))

	// First run: everything goes up.
	r, err := Publish(ctx, tg, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "index.html") {
		t.Errorf("debug log does not name the uploaded files:\n%s", logs.String())
	}
	if strings.Contains(logs.String(), testSecretKey) {
		t.Error("the log holds the secret key")
	}
	if got, want := r.Uploaded, len(siteFiles); got != want {
		t.Errorf("first run uploaded %d files, want %d", got, want)
	}
	var total int64
	for _, v := range siteFiles {
		total += int64(len(v))
	}
	if r.Bytes != total {
		t.Errorf("first run moved %d bytes, want %d", r.Bytes, total)
	}
	if diff := cmp.Diff(siteFiles, remoteFiles(t, s, tg)); diff != "" {
		t.Errorf("bucket content (-want +got):\n%s", diff)
	}

	// Headers.
	for key, want := range map[string][2]string{
		"index.html":                 {"text/html; charset=utf-8", CachePage},
		"assets/style.css":           {"text/css; charset=utf-8", CacheAsset},
		"assets/echarts.3f9a1c2e.js": {"text/javascript; charset=utf-8", CacheImmutable},
		"assets/logo.svg":            {"image/svg+xml", CacheAsset},
		"data/hosts.json":            {"application/json", CacheAsset},
	} {
		h, err := s.client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(tg.Bucket), Key: aws.String(tg.key(key))})
		if err != nil {
			t.Fatal(err)
		}
		got := [2]string{aws.ToString(h.ContentType), aws.ToString(h.CacheControl)}
		if got != want {
			t.Errorf("%s: Content-Type, Cache-Control = %q, want %q", key, got, want)
		}
		if etag := strings.Trim(aws.ToString(h.ETag), `"`); etag != h.Metadata["md5"] {
			t.Errorf("%s: ETag %s is not the MD5 in the metadata %q (single-part upload expected)", key, etag, h.Metadata["md5"])
		}
	}

	// Second run, nothing changed: nothing moves.
	r, err = Publish(ctx, tg, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r.Uploaded != 0 || r.Deleted != 0 || r.Bytes != 0 || r.Unchanged != len(siteFiles) {
		t.Errorf("no-change run: %+v, want 0 uploaded, 0 deleted, 0 bytes, %d unchanged", r, len(siteFiles))
	}

	// Change one page, drop one asset, add one: dry run first.
	os.WriteFile(filepath.Join(dir, "index.html"), []byte("<h1>fleet of 2</h1>"), 0o644)
	os.Remove(filepath.Join(dir, "assets", "logo.svg"))
	os.WriteFile(filepath.Join(dir, "host", "web2.html"), []byte("<h1>web2</h1>"), 0o644)
	dry := opts
	dry.DryRun = true
	r, err = Publish(ctx, tg, dir, dry)
	if err != nil {
		t.Fatal(err)
	}
	keys := func(objs []Object) []string {
		var k []string
		for _, o := range objs {
			k = append(k, o.Key)
		}
		return k
	}
	if diff := cmp.Diff([]string{"host/web2.html", "index.html"}, keys(r.Changes.Upload)); diff != "" {
		t.Errorf("dry run uploads (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"assets/logo.svg"}, keys(r.Changes.Delete)); diff != "" {
		t.Errorf("dry run deletes (-want +got):\n%s", diff)
	}
	if !r.DryRun || r.Uploaded != 0 || r.Bytes != 0 {
		t.Errorf("dry run did something: %+v", r)
	}
	if _, ok := remoteFiles(t, s, tg)["host/web2.html"]; ok {
		t.Error("dry run uploaded host/web2.html")
	}

	r, err = Publish(ctx, tg, dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r.Uploaded != 2 || r.Deleted != 1 {
		t.Errorf("third run: uploaded %d deleted %d, want 2 and 1", r.Uploaded, r.Deleted)
	}
	want := map[string]string{}
	for k, v := range siteFiles {
		want[k] = v
	}
	want["index.html"] = "<h1>fleet of 2</h1>"
	want["host/web2.html"] = "<h1>web2</h1>"
	delete(want, "assets/logo.svg")
	if diff := cmp.Diff(want, remoteFiles(t, s, tg)); diff != "" {
		t.Errorf("bucket after third run (-want +got):\n%s", diff)
	}
}

// Assets go up before pages, deletions come last.
func TestPublishS3Order(t *testing.T) {
	s := sharedServer(t)
	s3Env(t)
	ctx := context.Background()
	tg := s.bucket(t, "")
	p := newProxy(t, s.endpoint())
	opts := PublishOptions{Options: s3Opts(p.srv.URL), Delete: true}
	opts.Concurrency = 3
	// A stale object to delete.
	if _, err := s.client().PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(tg.Bucket), Key: aws.String("old.html"), Body: strings.NewReader("old")}); err != nil {
		t.Fatal(err)
	}
	if _, err := Publish(ctx, tg, writeTree(t, siteFiles), opts); err != nil {
		t.Fatal(err)
	}
	var seq []string // "asset", "page", "delete" in request order
	for _, r := range p.requests() {
		method, path, _ := strings.Cut(r, " ")
		switch {
		case method == "PUT" && strings.HasSuffix(path, ".html"):
			seq = append(seq, "page")
		case method == "PUT":
			seq = append(seq, "asset")
		case method == "DELETE":
			seq = append(seq, "delete")
		}
	}
	if !slices.IsSortedFunc(seq, func(a, b string) int {
		rank := map[string]int{"asset": 0, "page": 1, "delete": 2}
		return rank[a] - rank[b]
	}) {
		t.Errorf("request order %v: want every asset, then the pages, then the deletions", seq)
	}
	if n := len(seq); n != len(siteFiles)+1 {
		t.Errorf("saw %d uploads and deletions, want %d", n, len(siteFiles)+1)
	}
}

func TestShipS3(t *testing.T) {
	s := sharedServer(t)
	s3Env(t)
	ctx := context.Background()
	tg := s.bucket(t, "fleet")
	files := map[string]string{
		"cpu/host=web1/date=2026-08-20/day.parquet":    "PAR1 day 20 PAR1",
		"cpu/host=web1/date=2026-08-21/p-0001.parquet": "PAR1 part 1 PAR1",
		"cpu/host=web1/date=2026-08-21/p-0002.parquet": "PAR1 part 2 PAR1",
		"mem/host=web1/date=2026-08-21/p-0001.parquet": "PAR1 mem part PAR1",
	}
	dir := writeTree(t, files)
	var keys []string
	for k := range files {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	opts := ShipOptions{Options: s3Opts(s.endpoint())}

	r, err := Ship(ctx, tg, dir, keys, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r.Uploaded != len(files) {
		t.Errorf("first ship uploaded %d, want %d", r.Uploaded, len(files))
	}
	if diff := cmp.Diff(files, remoteFiles(t, s, tg)); diff != "" {
		t.Errorf("bucket (-want +got):\n%s", diff)
	}
	h, err := s.client().HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String(tg.Bucket), Key: aws.String(tg.key(keys[0]))})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := aws.ToString(h.ContentType), "application/vnd.apache.parquet"; got != want {
		t.Errorf("Content-Type = %q, want %q", got, want)
	}

	// Idempotent.
	r, err = Ship(ctx, tg, dir, keys, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r.Uploaded != 0 || r.Bytes != 0 || r.Unchanged != len(files) {
		t.Errorf("second ship: %+v, want nothing uploaded", r)
	}

	// The day closes: its parts are compacted into a day file, which
	// supersedes them remotely. Local parts are gone; other keys stay.
	day := "cpu/host=web1/date=2026-08-21/day.parquet"
	os.WriteFile(filepath.Join(dir, filepath.FromSlash(day)), []byte("PAR1 day 21 PAR1"), 0o644)
	opts.Superseded = []string{
		"cpu/host=web1/date=2026-08-21/p-0001.parquet",
		"cpu/host=web1/date=2026-08-21/p-0002.parquet",
		"cpu/host=web1/date=2026-08-21/p-0003.parquet", // never shipped: ignored
	}
	r, err = Ship(ctx, tg, dir, []string{"cpu/host=web1/date=2026-08-20/day.parquet", day}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r.Uploaded != 1 || r.Deleted != 2 {
		t.Errorf("compaction ship: uploaded %d deleted %d, want 1 and 2", r.Uploaded, r.Deleted)
	}
	want := map[string]string{
		"cpu/host=web1/date=2026-08-20/day.parquet": "PAR1 day 20 PAR1",
		day: "PAR1 day 21 PAR1",
		"mem/host=web1/date=2026-08-21/p-0001.parquet": "PAR1 mem part PAR1",
	}
	if diff := cmp.Diff(want, remoteFiles(t, s, tg)); diff != "" {
		t.Errorf("bucket after compaction (-want +got):\n%s", diff)
	}
}

func TestShipBadKeys(t *testing.T) {
	dir := writeTree(t, map[string]string{"a.parquet": "x"})
	// A missing file is no error: it vanished (TestShipCheck).
	for _, keys := range [][]string{{"../a.parquet"}, {"/etc/passwd"}, {"a.parquet", "a.parquet"}} {
		_, err := Ship(context.Background(), Target{Kind: Dir, Path: t.TempDir()}, dir, keys, ShipOptions{})
		if err == nil {
			t.Errorf("Ship(%q) = nil error, want one", keys)
		}
	}
}

// The server dies in the middle of a ship: the error says nothing was lost,
// no object is broken, and the next run ships the rest.
func TestShipServerStopped(t *testing.T) {
	s := startServer(t)
	s3Env(t)
	ctx := context.Background()
	tg := s.bucket(t, "a")
	files := map[string]string{}
	var keys []string
	for i := range 40 {
		k := fmt.Sprintf("cpu/host=web1/date=2026-08-21/p-%04d.parquet", i)
		files[k] = strings.Repeat(fmt.Sprintf("row %d;", i), 5000)
		keys = append(keys, k)
	}
	dir := writeTree(t, files)
	opts := ShipOptions{Options: s3Opts(s.endpoint())}
	opts.Concurrency = 2
	var (
		mu   sync.Mutex
		n    int
		once bool
	)
	opts.OnTransfer = func(Object) {
		// Called from two goroutines; the first to see 10 stops the server.
		mu.Lock()
		n++
		stopNow := n == 10 && !once
		once = once || stopNow
		mu.Unlock()
		if stopNow {
			s.stop()
		}
	}
	r, err := Ship(ctx, tg, dir, keys, opts)
	if err == nil {
		t.Fatal("ship with the server stopped: nil error")
	}
	t.Logf("error: %v", err)
	if !isUnreachable(err) || !strings.Contains(err.Error(), "nothing was lost") {
		t.Errorf("error = %q, want ErrUnreachable saying nothing was lost", err)
	}
	if r.Uploaded < 10 || r.Uploaded >= len(files) {
		t.Errorf("uploaded %d before the stop, want 10 to %d", r.Uploaded, len(files)-1)
	}
	// The accounting is true: every file is uploaded, failed or not
	// attempted, and the error says which number is which.
	if r.Failed < 1 || r.Uploaded+r.Failed+r.NotAttempted != len(files) {
		t.Errorf("uploaded %d + failed %d + not attempted %d, want at least one failure and %d in all",
			r.Uploaded, r.Failed, r.NotAttempted, len(files))
	}
	if want := fmt.Sprintf("%d failed, %d not attempted", r.Failed, r.NotAttempted); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	// Every local file is still there.
	for k := range files {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(k))); err != nil {
			t.Errorf("local file lost: %v", err)
		}
	}

	if err := s.start(); err != nil {
		t.Fatal(err)
	}
	// Whatever is in the bucket now is whole.
	for k, v := range remoteFiles(t, s, tg) {
		if v != files[k] {
			t.Errorf("object %s is broken: %d bytes, want %d", k, len(v), len(files[k]))
		}
	}
	opts.OnTransfer = nil
	r2, err := Ship(ctx, tg, dir, keys, opts)
	if err != nil {
		t.Fatal(err)
	}
	// An upload the stop cut may have reached the server all the same
	// (counted failed, then found there): at most r.Failed of them.
	if got := r2.Uploaded + r.Uploaded; got > len(files) || got < len(files)-r.Failed {
		t.Errorf("second run uploaded %d after %d (%d failed), want %d in all, less those failed that landed", r2.Uploaded, r.Uploaded, r.Failed, len(files))
	}
	if diff := cmp.Diff(files, remoteFiles(t, s, tg)); diff != "" {
		t.Errorf("bucket after resuming (-want +got):\n%s", diff)
	}
}

// No server at all: a clear, bounded error.
func TestShipUnreachable(t *testing.T) {
	s3Env(t)
	addr := freeAddr(t) // nothing listens there
	dir := writeTree(t, map[string]string{"a.parquet": "x"})
	_, err := Ship(context.Background(), Target{Kind: S3, Bucket: "fleet"}, dir, []string{"a.parquet"},
		ShipOptions{Options: s3Opts("http://" + addr)})
	if !isUnreachable(err) {
		t.Fatalf("error = %v, want ErrUnreachable", err)
	}
	t.Logf("error: %v", err)
	for _, want := range []string{"unreachable", addr, "nothing was lost"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
}

// Injected 500s: a few are retried away; a store that keeps failing gives
// up after MaxAttempts.
func TestS3ServerErrors(t *testing.T) {
	s := sharedServer(t)
	s3Env(t)
	ctx := context.Background()
	tg := s.bucket(t, "p")
	p := newProxy(t, s.endpoint())
	dir := writeTree(t, siteFiles)
	opts := PublishOptions{Options: s3Opts(p.srv.URL)}
	opts.S3.MaxAttempts = 4

	p.failLeft.Store(3) // the first list fails 3 times, then succeeds
	r, err := Publish(ctx, tg, dir, opts)
	if err != nil {
		t.Fatalf("publish with 3 injected 500s: %v", err)
	}
	if r.Uploaded != len(siteFiles) || p.failed.Load() != 3 {
		t.Errorf("uploaded %d after %d failures, want %d after 3", r.Uploaded, p.failed.Load(), len(siteFiles))
	}

	p.failLeft.Store(1 << 30)
	before := len(p.requests())
	_, err = Publish(ctx, tg, dir, opts)
	t.Logf("error: %v", err)
	if !isUnreachable(err) || !strings.Contains(err.Error(), "HTTP 500") {
		t.Errorf("error = %v, want ErrUnreachable naming HTTP 500", err)
	}
	if got := len(p.requests()) - before; got != opts.S3.MaxAttempts {
		t.Errorf("store kept failing: %d requests, want MaxAttempts = %d", got, opts.S3.MaxAttempts)
	}
}

func TestS3WrongCredentials(t *testing.T) {
	s := sharedServer(t)
	s3Env(t)
	tg := s.bucket(t, "")
	const secret = "wrong-Secret-9f8e7d6c5b4a"
	const token = "session-Token-1a2b3c4d5e6f"
	for _, tc := range []struct{ name, key, token string }{
		{"unknown key", "nosuchkey", ""},
		{"wrong secret", testAccessKey, ""},
		{"wrong session token", testAccessKey, token},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("AWS_ACCESS_KEY_ID", tc.key)
			t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
			t.Setenv("AWS_SESSION_TOKEN", tc.token)
			dir := writeTree(t, siteFiles)
			_, err := Publish(context.Background(), tg, dir, PublishOptions{Options: s3Opts(s.endpoint())})
			if !errors.Is(err, ErrAccessDenied) {
				t.Fatalf("error = %v, want ErrAccessDenied", err)
			}
			msg := err.Error()
			t.Logf("error: %v", err)
			for _, want := range []string{"access denied to bucket", tg.Bucket, "AWS_ACCESS_KEY_ID"} {
				if !strings.Contains(msg, want) {
					t.Errorf("error %q does not mention %q", msg, want)
				}
			}
			// Neither the message nor anything in the chain carries a secret.
			for e := error(err); e != nil; e = errors.Unwrap(e) {
				if strings.Contains(e.Error(), secret) || strings.Contains(e.Error(), token) {
					t.Errorf("error leaks a secret: %q", e)
				}
			}
			if strings.Contains(fmt.Sprintf("%+v %#v", err, err), secret) {
				t.Error("formatted error leaks the secret")
			}
		})
	}
}

func TestS3NoBucket(t *testing.T) {
	s := sharedServer(t)
	s3Env(t)
	tg := Target{Kind: S3, Bucket: "no-such-bucket-here", Prefix: "x"}
	dir := writeTree(t, map[string]string{"a.parquet": "x"})
	_, err := Ship(context.Background(), tg, dir, []string{"a.parquet"}, ShipOptions{Options: s3Opts(s.endpoint())})
	if !errors.Is(err, ErrNoBucket) {
		t.Fatalf("error = %v, want ErrNoBucket", err)
	}
	t.Logf("error: %v", err)
	if !strings.Contains(err.Error(), `bucket "no-such-bucket-here" does not exist`) {
		t.Errorf("error %q does not say the bucket does not exist", err)
	}
}

// The standard settings alone reach the store: AWS_ENDPOINT_URL, and a
// profile in the shared config and credentials files.
func TestS3StandardSettings(t *testing.T) {
	s := sharedServer(t)
	s3Env(t)
	tg := s.bucket(t, "env")
	cfgDir := t.TempDir()
	os.WriteFile(filepath.Join(cfgDir, "config"), []byte("[profile almanac]\nregion = us-east-1\ns3 =\n  addressing_style = path\n"), 0o600)
	os.WriteFile(filepath.Join(cfgDir, "credentials"), []byte("[almanac]\naws_access_key_id = "+testAccessKey+"\naws_secret_access_key = "+testSecretKey+"\n"), 0o600)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(cfgDir, "config"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(cfgDir, "credentials"))
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_PROFILE", "almanac")
	t.Setenv("AWS_ENDPOINT_URL", s.endpoint())
	dir := writeTree(t, map[string]string{"a.parquet": "x"})
	opts := ShipOptions{}
	opts.S3.PathStyle = true
	r, err := Ship(context.Background(), tg, dir, []string{"a.parquet"}, opts)
	if err != nil {
		t.Fatal(err)
	}
	if r.Uploaded != 1 {
		t.Errorf("uploaded %d, want 1", r.Uploaded)
	}
}

// TestS3SDKMessagesLogged: the SDK's own messages go through almanac's
// logger, not raw to stderr. Without credentials the SDK asks the instance
// metadata service (here a local server that answers 404, as some do),
// which makes it say "falling back to IMDSv1".
func TestS3SDKMessagesLogged(t *testing.T) {
	s3Env(t)
	imds := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }))
	t.Cleanup(imds.Close)
	t.Setenv("AWS_ACCESS_KEY_ID", "")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "false")
	t.Setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds.URL)
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	tg, err := ParseTarget("s3://bucket/prefix")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := newS3Store(context.Background(), tg, S3Options{MaxAttempts: 1}, log); !errors.Is(err, ErrAccessDenied) {
		t.Errorf("newS3Store without credentials: %v, want ErrAccessDenied", err)
	}
	if !strings.Contains(logs.String(), "level=WARN msg=\"aws sdk\" message=\"falling back to IMDSv1") {
		t.Errorf("the SDK's IMDSv1 message is not in almanac's log:\n%s", &logs)
	}
}
