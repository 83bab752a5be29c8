// Package s3test runs a real S3-compatible server for tests: versitygw
// with its posix backend, on a free 127.0.0.1 port over a folder. It is
// imported by _test.go files only (it starts a process, which almanac's
// own code never does). Install the server with
//
//	scripts/install-versitygw.sh    # GOBIN=.tools/bin go install github.com/versity/versitygw/cmd/versitygw@v1.8.0
//
// Without the binary, tests skip with that hint, except when the CI
// environment variable is set: then they fail.
package s3test

import (
	"bytes"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"
)

// The credentials of the server's root account.
const (
	AccessKey = "almanactestkey"
	SecretKey = "almanac-test-secret-Zq9x7Vw3"
)

// Bin returns the server binary, found in the repository's .tools/bin or
// on PATH, or ends the test: Skip with the install hint, or Fatal when CI
// is set.
func Bin(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	p := filepath.Join(filepath.Dir(file), "..", "..", ".tools", "bin", "versitygw")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p
	}
	msg := "versitygw not installed: run scripts/install-versitygw.sh (it puts it in .tools/bin)"
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Server is one versitygw process.
type Server struct {
	Bin  string // the binary
	Dir  string // posix backend root: buckets are its folders
	Addr string // 127.0.0.1:port

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
	out  *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// FreeAddr returns a 127.0.0.1 address with a port free right now.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// Start starts a server on a free loopback port over a new temporary
// folder and stops it when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{Bin: Bin(t), Dir: t.TempDir(), Addr: FreeAddr(t)}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Endpoint returns the server's URL.
func (s *Server) Endpoint() string { return "http://" + s.Addr }

// Start runs the server and waits until it answers HTTP; it fails when the
// server exits or does not answer within 30 s.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.out = &lockedBuffer{}
	cmd := exec.Command(s.Bin, "--access", AccessKey, "--secret", SecretKey,
		"--port", s.Addr, "--quiet", "posix", s.Dir)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start versitygw: %w", err)
	}
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done

	deadline := time.NewTimer(30 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get(s.Endpoint() + "/")
		if err == nil {
			resp.Body.Close()
			return nil // any HTTP answer (403 without credentials) means it serves
		}
		select {
		case <-done:
			return fmt.Errorf("versitygw exited: %s", s.out)
		case <-deadline.C:
			cmd.Process.Kill()
			<-done
			return fmt.Errorf("versitygw did not answer on %s within 30s: %s", s.Addr, s.out)
		case <-tick.C:
		}
	}
}

// Stop kills the server and waits for it to exit.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.done
	s.cmd = nil
}

// MakeBucket creates a bucket: with the posix backend, a folder.
func (s *Server) MakeBucket(t testing.TB, name string) {
	t.Helper()
	if err := os.Mkdir(filepath.Join(s.Dir, name), 0o755); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
}

// Env points the standard AWS settings at nothing but the test: the root
// credentials, no shared files from this machine, no instance metadata
// (which would send traffic off this machine).
func Env(t testing.TB) {
	t.Helper()
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID":           AccessKey,
		"AWS_SECRET_ACCESS_KEY":       SecretKey,
		"AWS_SESSION_TOKEN":           "",
		"AWS_REGION":                  "us-east-1",
		"AWS_DEFAULT_REGION":          "",
		"AWS_PROFILE":                 "",
		"AWS_ENDPOINT_URL":            "",
		"AWS_ENDPOINT_URL_S3":         "",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
}
