package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/smtp"
	"strings"
	"time"
)

// Channel delivers messages somewhere.
type Channel interface {
	// Name tells the channel apart in logs and in the outbox.
	Name() string
	// Send delivers m, or fails; Notifier retries a failure.
	Send(ctx context.Context, m Message) error
}

// Webhook posts each message as JSON to URL. The body's "text" field is
// the message as plain text, which Slack's and Mattermost's incoming
// webhooks, Discord's Slack-compatible ones and ntfy and Gotify accept; the
// other fields carry the changes for programs.
type Webhook struct {
	ID      string            // the channel's name
	URL     string            // where to POST
	Headers map[string]string // e.g. Authorization: Bearer …
	Client  *http.Client      // nil: one with a 10 s timeout
}

// Name implements Channel.
func (w *Webhook) Name() string { return w.ID }

// webhookBody is what a Webhook posts.
type webhookBody struct {
	Text    string   `json:"text"`
	Subject string   `json:"subject"`
	Host    string   `json:"host"`
	Time    string   `json:"time"`
	Changes []Change `json:"changes"`
}

// Send implements Channel.
func (w *Webhook) Send(ctx context.Context, m Message) error {
	body, err := json.Marshal(webhookBody{Text: m.Text(), Subject: m.Subject(), Host: m.Host,
		Time: m.Time.Format(time.RFC3339), Changes: m.Changes})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook %s: %w", w.ID, err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range w.Headers {
		req.Header.Set(k, v)
	}
	c := w.Client
	if c == nil {
		c = &http.Client{Timeout: 10 * time.Second}
	}
	resp, err := c.Do(req)
	if err != nil {
		return fmt.Errorf("webhook %s: %w", w.ID, redact(err, w.URL))
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook %s: %s", w.ID, resp.Status)
	}
	return nil
}

// redact keeps a URL's secrets (a token in its path or query) out of an
// error.
func redact(err error, url string) error {
	if i := strings.Index(url, "://"); i >= 0 {
		host, _, _ := strings.Cut(url[i+3:], "/")
		return fmt.Errorf("%s", strings.ReplaceAll(err.Error(), url, url[:i+3]+host+"/…"))
	}
	return err
}

// Email sends each message as a plain-text mail over SMTP, upgrading the
// connection with STARTTLS when the server offers it (and refusing to
// authenticate without it) and authenticating with AUTH PLAIN when
// Username is set.
type Email struct {
	ID       string
	Addr     string // host:port of the SMTP server
	From     string
	To       []string
	Username string
	Password string
	// TLS configures STARTTLS; nil verifies the server's certificate
	// against the system's roots and its host name.
	TLS *tls.Config
}

// Name implements Channel.
func (e *Email) Name() string { return e.ID }

// Send implements Channel.
func (e *Email) Send(ctx context.Context, m Message) error {
	host, _, err := net.SplitHostPort(e.Addr)
	if err != nil {
		return fmt.Errorf("email %s: address %q: %w", e.ID, e.Addr, err)
	}
	d := net.Dialer{Timeout: 10 * time.Second}
	conn, err := d.DialContext(ctx, "tcp", e.Addr)
	if err != nil {
		return fmt.Errorf("email %s: %w", e.ID, err)
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	} else {
		conn.SetDeadline(time.Now().Add(30 * time.Second))
	}
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("email %s: %w", e.ID, err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		cfg := e.TLS
		if cfg == nil {
			cfg = &tls.Config{ServerName: host}
		}
		if err := c.StartTLS(cfg); err != nil {
			return fmt.Errorf("email %s: starttls: %w", e.ID, err)
		}
	}
	if e.Username != "" {
		// smtp.PlainAuth refuses to send the password over a connection
		// that is not TLS (but for localhost).
		if err := c.Auth(smtp.PlainAuth("", e.Username, e.Password, host)); err != nil {
			return fmt.Errorf("email %s: auth: %w", e.ID, err)
		}
	}
	if err := c.Mail(e.From); err != nil {
		return fmt.Errorf("email %s: %w", e.ID, err)
	}
	for _, to := range e.To {
		if err := c.Rcpt(to); err != nil {
			return fmt.Errorf("email %s: rcpt %s: %w", e.ID, to, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("email %s: %w", e.ID, err)
	}
	msg := "From: " + e.From + "\r\nTo: " + strings.Join(e.To, ", ") + "\r\nSubject: " + oneLine(m.Subject()) +
		"\r\nDate: " + m.Time.Format(time.RFC1123Z) + "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" +
		strings.ReplaceAll(m.Text(), "\n", "\r\n")
	if _, err := io.WriteString(w, msg); err != nil {
		return fmt.Errorf("email %s: %w", e.ID, err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("email %s: %w", e.ID, err)
	}
	return c.Quit()
}

// oneLine keeps a header value on one line: host text cannot add headers.
func oneLine(s string) string { return strings.NewReplacer("\r", " ", "\n", " ").Replace(s) }
