package site

// The S3 tests talk to a real S3-compatible server, versitygw with its posix
// backend, started here on 127.0.0.1. Install it with
//
//	scripts/install-versitygw.sh    # GOBIN=.tools/bin go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
//
// Without the binary the S3 tests skip, except when CI is set: then they fail.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"almanac/internal/s3test"
)

// Test credentials of the server's root account.
const (
	testAccessKey = s3test.AccessKey
	testSecretKey = s3test.SecretKey
)

func TestMain(m *testing.M) {
	// Never let the SDK look for EC2 instance credentials: that would send
	// traffic off this machine.
	os.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	code := m.Run()
	sharedMu.Lock()
	if shared != nil {
		shared.stop()
		os.RemoveAll(shared.Dir)
	}
	sharedMu.Unlock()
	os.Exit(code)
}

// server is one versitygw process, with helpers to check what the code
// under test did.
type server struct{ *s3test.Server }

func (s *server) start() error     { return s.Start() }
func (s *server) stop()            { s.Stop() }
func (s *server) endpoint() string { return s.Endpoint() }

func freeAddr(t testing.TB) string { return s3test.FreeAddr(t) }

// startServer starts a server of the test's own and stops it at the end.
func startServer(t testing.TB) *server { return &server{s3test.Start(t)} }

var (
	sharedMu sync.Mutex
	shared   *server
)

// sharedServer returns the server most tests share; TestMain stops it.
// Tests isolate themselves by using their own bucket.
func sharedServer(t testing.TB) *server {
	t.Helper()
	bin := s3test.Bin(t)
	sharedMu.Lock()
	defer sharedMu.Unlock()
	if shared == nil {
		dir, err := os.MkdirTemp("", "almanac-versitygw-")
		if err != nil {
			t.Fatal(err)
		}
		s := &server{&s3test.Server{Bin: bin, Dir: dir, Addr: s3test.FreeAddr(t)}}
		if err := s.start(); err != nil {
			os.RemoveAll(dir)
			t.Fatal(err)
		}
		shared = s
	}
	return shared
}

// client returns an SDK client with the root credentials, to set up and
// check what the code under test did.
func (s *server) client() *s3.Client {
	return s3.New(s3.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.endpoint()),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(testAccessKey, testSecretKey, ""),
	})
}

var bucketSeq atomic.Int64

// bucket creates a new bucket and returns a target in it with prefix.
func (s *server) bucket(t testing.TB, prefix string) Target {
	t.Helper()
	name := fmt.Sprintf("almanac-%d-%d", os.Getpid(), bucketSeq.Add(1))
	if _, err := s.client().CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
	return Target{Kind: S3, Bucket: name, Prefix: prefix}
}

// s3Env points the standard AWS settings at the test server's account only.
func s3Env(t testing.TB) { s3test.Env(t) }

// s3Opts returns Options for the server at endpoint with quick retries.
func s3Opts(endpoint string) Options {
	return Options{S3: S3Options{Endpoint: endpoint, PathStyle: true, MaxAttempts: 3, MaxBackoff: 50 * time.Millisecond}}
}

// proxy is a loopback reverse proxy in front of a server that can fail
// requests and records what passed.
type proxy struct {
	srv      *httptest.Server
	failLeft atomic.Int64 // answer 500 to this many more requests
	failed   atomic.Int64
	mu       sync.Mutex
	log      []string // "METHOD /path" of every request
	// modifyList, if set, rewrites the body of ListObjectsV2 answers.
	modifyList func([]byte) []byte
}

func newProxy(t testing.TB, backend string) *proxy {
	t.Helper()
	u, err := url.Parse(backend)
	if err != nil {
		t.Fatal(err)
	}
	p := &proxy{}
	rp := httputil.NewSingleHostReverseProxy(u)
	rp.ModifyResponse = func(resp *http.Response) error {
		if p.modifyList == nil || resp.Request.URL.Query().Get("list-type") != "2" || resp.StatusCode != 200 {
			return nil
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		b = p.modifyList(b)
		resp.Body = io.NopCloser(bytes.NewReader(b))
		resp.ContentLength = int64(len(b))
		resp.Header.Set("Content-Length", fmt.Sprint(len(b)))
		return nil
	}
	p.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.log = append(p.log, r.Method+" "+r.URL.Path)
		p.mu.Unlock()
		if p.failLeft.Add(-1) >= 0 {
			p.failed.Add(1)
			io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusInternalServerError)
			io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>InternalError</Code><Message>injected by the test proxy</Message></Error>`)
			return
		}
		rp.ServeHTTP(w, r)
	}))
	t.Cleanup(p.srv.Close)
	return p
}

func (p *proxy) requests() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]string(nil), p.log...)
}

// writeTree writes files (slash keys to contents) under a new directory.
func writeTree(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for k, v := range files {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// remoteFiles returns every object of t with its content.
func remoteFiles(t testing.TB, s *server, tg Target) map[string]string {
	t.Helper()
	c := s.client()
	ctx := context.Background()
	out := map[string]string{}
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(tg.Bucket), Prefix: aws.String(tg.Prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range page.Contents {
			g, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(tg.Bucket), Key: o.Key})
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(g.Body)
			g.Body.Close()
			if err != nil {
				t.Fatal(err)
			}
			key := aws.ToString(o.Key)
			if tg.Prefix != "" {
				key = strings.TrimPrefix(key, tg.Prefix+"/")
			}
			out[key] = string(b)
		}
	}
	return out
}

// isUnreachable is errors.Is(err, ErrUnreachable), for readability.
func isUnreachable(err error) bool { return errors.Is(err, ErrUnreachable) }
