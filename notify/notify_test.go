package notify

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"almanac/alert"
)

var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// messages are a firing, an escalation and a resolve of one incident.
func messages() []Message {
	trs := []alert.Transition{
		{Rule: "filesystem full", Series: "mountpoint=/var", Kind: alert.KindFiring, Severity: alert.SevWarn, At: t0, Since: t0, Value: 91, Peak: 91},
		{Rule: "filesystem full", Series: "mountpoint=/var", Kind: alert.KindEscalated, Severity: alert.SevCrit, At: t0.Add(time.Minute), Since: t0, Value: 96, Peak: 96},
		{Rule: "filesystem full", Series: "mountpoint=/var", Kind: alert.KindResolved, Severity: alert.SevCrit, At: t0.Add(20 * time.Minute), Since: t0, Value: 80, Peak: 97.5},
	}
	var out []Message
	for _, tr := range trs {
		m, ok := FromTransitions("web1", tr.At, []alert.Transition{tr, {Kind: alert.KindPending}})
		if !ok {
			panic("no message")
		}
		out = append(out, m)
	}
	return out
}

func TestMessageText(t *testing.T) {
	ms := messages()
	want := []string{
		"web1: FIRING warn filesystem full (mountpoint=/var): 91 since 2026-11-30 12:00:00 UTC\n",
		"web1: ESCALATED crit filesystem full (mountpoint=/var): 96 since 2026-11-30 12:00:00 UTC\n",
		"web1: RESOLVED crit filesystem full (mountpoint=/var): back to 80 after 20m0s, peak 97.5\n",
	}
	for i, m := range ms {
		if got := m.Text(); got != want[i] {
			t.Errorf("message %d: %q, want %q", i, got, want[i])
		}
		if len(m.Changes) != 1 {
			t.Errorf("message %d: %d changes; the pending one must not notify", i, len(m.Changes))
		}
	}
	if _, ok := FromTransitions("web1", t0, []alert.Transition{{Kind: alert.KindPending}, {Kind: alert.KindCancelled}}); ok {
		t.Error("a message of hold-down changes only")
	}
}

// webhookServer records what it is posted; it fails the first fail posts
// with 503.
type webhookServer struct {
	mu     sync.Mutex
	bodies []map[string]any
	auth   []string
	fail   int
	got    chan struct{}
}

func (s *webhookServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fail > 0 {
		s.fail--
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	var b map[string]any
	json.NewDecoder(r.Body).Decode(&b)
	s.bodies = append(s.bodies, b)
	s.auth = append(s.auth, r.Header.Get("Authorization"))
	s.got <- struct{}{}
}

func waitN(t *testing.T, ch chan struct{}, n int) {
	t.Helper()
	deadline := time.After(20 * time.Second)
	for range n {
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("timed out waiting for %d deliveries", n)
		}
	}
}

// TestWebhookInOrderAfterOutage: a webhook that is down for a while gets
// every message once it is back, in order, with the token header; and a
// restart in between loses and repeats nothing.
func TestWebhookInOrderAfterOutage(t *testing.T) {
	srv := &webhookServer{fail: 3, got: make(chan struct{}, 10)}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	dir := t.TempDir()
	ch := &Webhook{ID: "team", URL: hs.URL + "/hook/s3cr3t", Headers: map[string]string{"Authorization": "Bearer tok"}}
	n, err := NewNotifier(dir, []Channel{ch}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	n.MaxWait = 20 * time.Millisecond
	ms := messages()
	for _, m := range ms[:2] {
		if err := n.Put(m); err != nil {
			t.Fatal(err)
		}
	}
	n.Close() // a restart before anything was sent
	n, err = NewNotifier(dir, []Channel{ch}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	n.MaxWait = 20 * time.Millisecond
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { n.Run(ctx); close(done) }()
	if err := n.Put(ms[2]); err != nil {
		t.Fatal(err)
	}
	waitN(t, srv.got, 3)
	// Delivered means removed from the outbox (after the server's answer).
	for deadline := time.Now().Add(10 * time.Second); ; {
		if left, _ := os.ReadDir(filepath.Join(dir, "team")); len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the outbox still holds delivered messages")
		}
		time.Sleep(5 * time.Millisecond)
	}
	cancel()
	<-done
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.bodies) != 3 {
		t.Fatalf("%d posts, want 3", len(srv.bodies))
	}
	for i, state := range []string{"FIRING", "ESCALATED", "RESOLVED"} {
		if text, _ := srv.bodies[i]["text"].(string); !strings.Contains(text, state) {
			t.Errorf("post %d: text %q, want %s (in order)", i, text, state)
		}
		if srv.auth[i] != "Bearer tok" {
			t.Errorf("post %d: Authorization %q", i, srv.auth[i])
		}
	}
}

// TestEmailStartTLSAuth sends a message to an SMTP server the test runs on
// 127.0.0.1, which offers STARTTLS and AUTH PLAIN and accepts the mail only
// over TLS with the right password.
func TestEmailStartTLSAuth(t *testing.T) {
	s := newSMTPServer(t, "alerts", "pw")
	m := messages()[2]
	e := &Email{ID: "mail", Addr: s.addr, From: "almanac@example.org", To: []string{"ops@example.org"},
		Username: "alerts", Password: "pw", TLS: &tls.Config{RootCAs: s.pool, ServerName: "127.0.0.1"}}
	if err := e.Send(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	got := <-s.mail
	for _, want := range []string{"Subject: web1: RESOLVED crit filesystem full (mountpoint=/var)", "back to 80 after 20m0s, peak 97.5", "To: ops@example.org"} {
		if !strings.Contains(got.data, want) {
			t.Errorf("mail lacks %q:\n%s", want, got.data)
		}
	}
	if !got.tls || got.user != "alerts" || got.rcpt != "ops@example.org" {
		t.Errorf("mail over TLS %v, as %q, to %q", got.tls, got.user, got.rcpt)
	}
	e.Password = "wrong"
	if err := e.Send(context.Background(), m); err == nil || !strings.Contains(err.Error(), "auth") {
		t.Errorf("a wrong password: %v, want an auth error", err)
	}
}

func TestCommand(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	c := &Command{ID: "sms", Path: "/bin/sh", Args: []string{"-c", `printf '%s|%s|%s\n' "$ALMANAC_STATE" "$ALMANAC_RULE" "$ALMANAC_PEAK" > ` + out + `; cat >> ` + out}}
	if err := c.Send(context.Background(), messages()[2]); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(out)
	if !strings.HasPrefix(string(data), "resolved|filesystem full|97.5\n{") {
		t.Errorf("the command saw %q", data)
	}
	slow := &Command{ID: "slow", Path: "/bin/sh", Args: []string{"-c", "sleep 5"}, Timeout: 100 * time.Millisecond}
	if err := slow.Send(context.Background(), messages()[0]); err == nil || !strings.Contains(err.Error(), "killed after") {
		t.Errorf("a command past its timeout: %v", err)
	}
	fail := &Command{ID: "fail", Path: "/bin/sh", Args: []string{"-c", "echo gateway down; exit 3"}}
	if err := fail.Send(context.Background(), messages()[0]); err == nil || !strings.Contains(err.Error(), "gateway down") {
		t.Errorf("a failing command: %v, want its output in the error", err)
	}
}

// smtpServer is a small SMTP server for the tests: STARTTLS, AUTH PLAIN,
// one mail at a time.
type smtpServer struct {
	addr string
	pool *x509.CertPool
	mail chan smtpMail
}

type smtpMail struct {
	tls              bool
	user, rcpt, data string
}

func newSMTPServer(t *testing.T, user, pass string) *smtpServer {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "127.0.0.1"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	tlsCfg := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	s := &smtpServer{addr: ln.Addr().String(), pool: pool, mail: make(chan smtpMail, 4)}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(conn, tlsCfg, user, pass)
		}
	}()
	return s
}

func (s *smtpServer) serve(conn net.Conn, cfg *tls.Config, user, pass string) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	r, w := bufio.NewReader(conn), conn
	say := func(line string) { io.WriteString(w, line+"\r\n") }
	var m smtpMail
	say("220 test ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO", "HELO":
			if m.tls {
				say("250-test")
				say("250 AUTH PLAIN")
			} else {
				say("250-test")
				say("250 STARTTLS")
			}
		case "STARTTLS":
			say("220 go ahead")
			tc := tls.Server(conn, cfg)
			if tc.Handshake() != nil {
				return
			}
			conn, w, r = tc, tc, bufio.NewReader(tc)
			m.tls = true
		case "AUTH":
			f := strings.Fields(line)
			raw, _ := base64.StdEncoding.DecodeString(f[len(f)-1])
			parts := strings.Split(string(raw), "\x00")
			if !m.tls || len(parts) != 3 || parts[1] != user || parts[2] != pass {
				say("535 authentication failed")
				continue
			}
			m.user = parts[1]
			say("235 ok")
		case "MAIL":
			say("250 ok")
		case "RCPT":
			m.rcpt = strings.Trim(strings.TrimPrefix(line, "RCPT TO:"), "<>")
			say("250 ok")
		case "DATA":
			say("354 go")
			var b strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil || l == ".\r\n" {
					break
				}
				b.WriteString(l)
			}
			m.data = b.String()
			say("250 queued")
			s.mail <- m
		case "QUIT":
			say("221 bye")
			return
		default:
			say("500 what")
		}
	}
}

// TestGroup: messages of one host that come within the group window go
// out as one; a later one waits for its window, or for Flush.
func TestGroup(t *testing.T) {
	srv := &webhookServer{got: make(chan struct{}, 10)}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	n, err := NewNotifier(t.TempDir(), []Channel{&Webhook{ID: "team", URL: hs.URL}}, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	now := t0.Add(time.Hour)
	n.now = func() time.Time { return now }
	at := func(m Message, d time.Duration) Message { m.Time = now.Add(d); return m }
	ms := messages()
	n.Put(at(ms[0], -50*time.Second))
	n.Put(at(ms[1], -40*time.Second)) // within 30 s of the first: one message
	n.Put(at(ms[2], -5*time.Second))  // its window is still open
	hold, err := n.pass(context.Background(), n.channels[0], quiet(), false)
	if err != nil || hold != 25*time.Second {
		t.Errorf("pass = %v, %v; want to wait 25s for the open group", hold, err)
	}
	waitN(t, srv.got, 1)
	if err := n.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	waitN(t, srv.got, 1)
	srv.mu.Lock()
	defer srv.mu.Unlock()
	if len(srv.bodies) != 2 {
		t.Fatalf("%d posts, want 2", len(srv.bodies))
	}
	if ch, _ := srv.bodies[0]["changes"].([]any); len(ch) != 2 {
		t.Errorf("first post: %d changes, want the firing and the escalation together", len(ch))
	}
	if subj, _ := srv.bodies[0]["subject"].(string); subj != "web1: 2 alerts" {
		t.Errorf("first post's subject %q", subj)
	}
}
