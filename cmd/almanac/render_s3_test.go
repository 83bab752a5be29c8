package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"almanac/internal/s3test"
	"almanac/internal/testfs"
	"almanac/render"
	"almanac/site"
)

// A sharded render into an S3 prefix (render --shard i/n --out s3://…,
// then render --index --out s3://…) makes there, byte for byte, the site
// one render of the whole fleet writes into a folder; hosts gone from the
// archive and shards re-split leave nothing stale behind.
func TestRenderShardsS3(t *testing.T) {
	srv := s3test.Start(t)
	s3test.Env(t)
	srv.MakeBucket(t, "site")
	dir := t.TempDir()
	now := time.Now().UTC().Truncate(time.Minute)
	hosts := []string{"web1", "web2", "db1", "db2", "cache1", "mail1"}
	for i, h := range hosts {
		if err := writeFleetHost(dir, fleetHost{name: h}, now, uint64(i+1)); err != nil {
			t.Fatal(err)
		}
	}
	tmp := t.TempDir()
	cache := filepath.Join(tmp, "cache")
	at := now.Format(time.RFC3339)
	s3flags := []string{"--endpoint", srv.Endpoint(), "--path-style", "--cache", cache}
	almanac := func(args ...string) (int, string, string) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		args = append([]string{"render", "--archive", dir, "--log-level", "warn"}, args...)
		code := run(context.Background(), args, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	ok := func(args ...string) string {
		t.Helper()
		code, stdout, stderr := almanac(args...)
		if code != 0 {
			t.Fatalf("almanac render %s: exit %d: %s%s", strings.Join(args, " "), code, stdout, stderr)
		}
		return stdout
	}
	fails := func(wantCode int, want string, args ...string) {
		t.Helper()
		code, stdout, stderr := almanac(args...)
		if code != wantCode || !strings.Contains(stderr, want) {
			t.Errorf("almanac render %s: exit %d, want %d with %q:\n%s%s", strings.Join(args, " "), code, wantCode, want, stdout, stderr)
		}
	}
	shards := func(prefix string, n int, args ...string) {
		t.Helper()
		for i := range n {
			out := ok(append(append([]string{"--shard", fmt.Sprintf("%d/%d", i, n), "--out", prefix, "--now", at}, s3flags...), args...)...)
			if !strings.Contains(out, fmt.Sprintf("shard %d/%d written to %s", i, n, prefix)) {
				t.Errorf("shard %d/%d: stdout %q", i, n, out)
			}
		}
	}
	// download fetches the prefix into a new folder (as S3 readers get it).
	download := func(prefix string) map[string][]byte {
		t.Helper()
		tg, err := site.ParseTarget(prefix)
		if err != nil {
			t.Fatal(err)
		}
		into := t.TempDir()
		if _, err := site.Mirror(context.Background(), tg, "", into, site.Options{S3: site.S3Options{Endpoint: srv.Endpoint(), PathStyle: true}}); err != nil {
			t.Fatal(err)
		}
		return readFiles(t, into)
	}
	// same compares a downloaded prefix with a site folder: the same
	// files, byte for byte, but for the shards' summaries and almanac's
	// own files, which a folder site does not have.
	same := func(prefix, folder string) {
		t.Helper()
		got, want := download(prefix), readFiles(t, folder)
		summaries := 0
		for name := range got {
			if strings.HasPrefix(name, "summaries/") {
				summaries++
				delete(got, name)
			}
		}
		if summaries == 0 {
			t.Errorf("%s holds no shard summaries", prefix)
		}
		for name := range want {
			if strings.HasPrefix(filepath.Base(name), ".almanac-") {
				delete(want, name)
			}
		}
		if len(want) == 0 {
			t.Fatalf("%s is empty", folder)
		}
		for name, b := range want {
			if g, ok := got[name]; !ok {
				t.Errorf("%s lacks %s", prefix, name)
			} else if !bytes.Equal(g, b) {
				t.Errorf("%s: %s differs from %s's", prefix, name, folder)
			}
		}
		for name := range got {
			if _, ok := want[name]; !ok {
				t.Errorf("%s has %s, %s does not", prefix, name, folder)
			}
		}
	}

	whole := filepath.Join(tmp, "whole")
	ok("--out", whole, "--now", at)
	const prefix = "s3://site/fleet"
	// The first shard and the index through a proxy that records the
	// order of the requests.
	rec := newRecorder(t, srv.Endpoint())
	viaRec := []string{"--endpoint", rec.URL(), "--path-style", "--cache", cache}
	ok(append([]string{"--shard", "0/3", "--out", prefix, "--now", at}, viaRec...)...)
	reqs := rec.take()
	checkOrder(t, "shard 0/3", reqs, "summaries/shard-0-of-3.json")
	t.Logf("shard 0/3 into an empty prefix: requests %v", countMethods(reqs))
	shards(prefix, 3)
	// No --now: the index takes the shards' render time.
	out := ok(append([]string{"--index", "--out", prefix}, viaRec...)...)
	if !strings.Contains(out, "site written to "+prefix+"/index.html (6 hosts from 3 shards") {
		t.Errorf("index: stdout %q", out)
	}
	reqs = rec.take()
	checkOrder(t, "index", reqs, "index.html")
	t.Logf("index: requests %v", countMethods(reqs))
	// Again at the same time: nothing changed, nothing moves.
	out = ok(append([]string{"--shard", "0/3", "--out", prefix, "--now", at}, viaRec...)...)
	if !strings.Contains(out, " 0 files uploaded, 0 deleted") {
		t.Errorf("shard 0/3 again: stdout %q, want nothing uploaded or deleted", out)
	}
	t.Logf("shard 0/3 again: requests %v", countMethods(rec.take()))
	same(prefix, whole)

	// Content types, and the marker that makes the prefix almanac's.
	c := s3.New(s3.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.Endpoint()), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(s3test.AccessKey, s3test.SecretKey, "")})
	hostPage := ""
	for name := range readFiles(t, whole) {
		if strings.HasPrefix(name, "hosts/") && strings.HasSuffix(name, ".html") {
			hostPage = name
			break
		}
	}
	for key, want := range map[string]string{
		"index.html":                  "text/html; charset=utf-8",
		hostPage:                      "text/html; charset=utf-8",
		"assets/almanac.js":           "text/javascript; charset=utf-8",
		"assets/almanac.css":          "text/css; charset=utf-8",
		"summaries/shard-0-of-3.json": "application/json",
		render.SiteMarker:             "application/octet-stream",
	} {
		h, err := c.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String("site"), Key: aws.String("fleet/" + key)})
		if err != nil {
			t.Errorf("head %s: %v", key, err)
			continue
		}
		if got := aws.ToString(h.ContentType); got != want {
			t.Errorf("%s: Content-Type %q, want %q", key, got, want)
		}
	}

	// A host gone from the archive, and the shards re-split into 2: the
	// prefix is again what one render writes, with nothing stale.
	removeHost(t, dir, "db2")
	whole2 := filepath.Join(tmp, "whole2")
	ok("--out", whole2, "--now", at)
	shards(prefix, 2)
	ok(append([]string{"--index", "--out", prefix, "--now", at}, s3flags...)...)
	same(prefix, whole2)
	for name := range download(prefix) {
		if strings.HasPrefix(name, "summaries/") && strings.HasSuffix(name, "-of-3.json") {
			t.Errorf("%s still holds %s of the 3 shards before", prefix, name)
		}
	}

	// A missing shard, then shards rendered at other times.
	const part = "s3://site/part"
	for i := range 2 {
		ok(append([]string{"--shard", fmt.Sprintf("%d/3", i), "--out", part, "--now", at}, s3flags...)...)
	}
	index := append([]string{"--index", "--out", part}, s3flags...)
	fails(1, "shards 2/3 of 3 are missing", index...)
	if _, ok := download(part)["index.html"]; ok {
		t.Errorf("a failed index uploaded index.html to %s", part)
	}
	ok(append([]string{"--shard", "2/3", "--out", part, "--now", now.Add(-10 * time.Minute).Format(time.RFC3339)}, s3flags...)...)
	fails(1, "10m0s apart (at most 0s allowed)", index...)
	ok(append(index, "--max-skew", "15m")...)

	// Shards of different n: a summary of 2 shards among those of 3.
	stray := t.TempDir()
	sum := download(prefix)["summaries/shard-0-of-2.json"]
	if err := os.MkdirAll(filepath.Join(stray, "summaries"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(stray, "summaries", "shard-0-of-2.json"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
	partT, _ := site.ParseTarget(part)
	if _, err := site.Ship(context.Background(), partT, stray, []string{"summaries/shard-0-of-2.json"},
		site.ShipOptions{Options: site.Options{S3: site.S3Options{Endpoint: srv.Endpoint(), PathStyle: true}}}); err != nil {
		t.Fatal(err)
	}
	fails(1, "shards of different n", append(index, "--max-skew", "15m")...)

	// A prefix almanac did not build is refused, and left alone.
	stray2 := filepath.Join(t.TempDir(), "data.csv")
	os.WriteFile(stray2, []byte("1,2"), 0o644)
	otherT, _ := site.ParseTarget("s3://site/other")
	if _, err := site.Ship(context.Background(), otherT, filepath.Dir(stray2), []string{"data.csv"},
		site.ShipOptions{Options: site.Options{S3: site.S3Options{Endpoint: srv.Endpoint(), PathStyle: true}}}); err != nil {
		t.Fatal(err)
	}
	fails(1, "no "+render.SiteMarker, append([]string{"--shard", "0/2", "--out", "s3://site/other", "--now", at}, s3flags...)...)
	if got := download("s3://site/other"); len(got) != 1 {
		t.Errorf("the refused prefix holds %d files, want its 1", len(got))
	}

	// Usage errors: exit 2 with a try: line.
	for _, args := range [][]string{
		{"--shard", "0/3", "--out", "s3://"},
		{"--shard", "0/3", "--out", "s3://Bad_Bucket/x"},
		{"--shard", "0/3", "--out", "s3://site/../x"},
		{"--out", prefix},
		{"--index", "--out", prefix, filepath.Join(tmp, "shard0")},
		{"--shard", "0/3", "--max-skew", "1m", "--out", prefix},
		{"--index", "--max-skew", "-1m", "--out", prefix},
		{"--shard", "0/3", "--cache", "", "--out", prefix},
	} {
		fails(2, "try:", args...)
	}
}

// recorder is a loopback reverse proxy in front of the S3 server that
// records the method and path of every request.
type recorder struct {
	srv *httptest.Server
	mu  sync.Mutex
	log []string
}

func newRecorder(t *testing.T, backend string) *recorder {
	u, err := url.Parse(backend)
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{}
	rp := httputil.NewSingleHostReverseProxy(u)
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.log = append(r.log, req.Method+" "+req.URL.Path)
		r.mu.Unlock()
		rp.ServeHTTP(w, req)
	}))
	t.Cleanup(r.srv.Close)
	return r
}

func (r *recorder) URL() string { return r.srv.URL }

// take returns the requests recorded since the last take.
func (r *recorder) take() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := r.log
	r.log = nil
	return out
}

// checkOrder checks the uploads and deletions of one render into a
// prefix: other files before pages, the file last after every other
// upload, deletions after all of them.
func checkOrder(t *testing.T, what string, reqs []string, last string) {
	t.Helper()
	var puts []string
	deleting := false
	for _, r := range reqs {
		method, p, _ := strings.Cut(r, " ")
		_, key, _ := strings.Cut(strings.TrimPrefix(p, "/site/"), "/")
		switch method {
		case "PUT":
			if deleting {
				t.Errorf("%s: PUT %s after a deletion", what, key)
			}
			puts = append(puts, key)
		case "DELETE":
			deleting = true
		}
	}
	if len(puts) < 3 || puts[len(puts)-1] != last {
		t.Fatalf("%s: uploads %v: want %s last", what, puts, last)
	}
	page := false
	for _, k := range puts[:len(puts)-1] {
		switch {
		case k == last:
			t.Errorf("%s: %s uploaded twice", what, k)
		case strings.HasSuffix(k, ".html"):
			page = true
		case page && !strings.HasPrefix(k, ".almanac-"):
			t.Errorf("%s: %s uploaded after a page", what, k)
		}
	}
	if !page {
		t.Errorf("%s: no page uploaded: %v", what, puts)
	}
}

// countMethods counts requests by method.
func countMethods(reqs []string) map[string]int {
	n := map[string]int{}
	for _, r := range reqs {
		m, _, _ := strings.Cut(r, " ")
		n[m]++
	}
	return n
}

// readFiles returns the files under dir by slash path, almanac's mirror
// manifest left out.
func readFiles(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	files := testfs.ReadTree(t, dir)
	delete(files, ".almanac-mirror.json")
	return files
}

// removeHost deletes every folder of host from the archive dir, as
// retention does once its last day is gone.
func removeHost(t *testing.T, dir, host string) {
	t.Helper()
	var gone []string
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == "host="+host {
			gone = append(gone, p)
			return fs.SkipDir
		}
		return err
	})
	if len(gone) == 0 {
		t.Fatalf("no folder of host %s in %s", host, dir)
	}
	for _, p := range gone {
		if err := os.RemoveAll(p); err != nil {
			t.Fatal(err)
		}
	}
}
