package notify

import (
	"crypto/tls"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// channelYAML is one channel of a rules file's notify: section.
type channelYAML struct {
	Name    string `yaml:"name"`
	Webhook *struct {
		URL     string            `yaml:"url"`
		Headers map[string]string `yaml:"headers"`
	} `yaml:"webhook"`
	Email *struct {
		Addr         string   `yaml:"addr"`
		From         string   `yaml:"from"`
		To           []string `yaml:"to"`
		Username     string   `yaml:"username"`
		PasswordFile string   `yaml:"password_file"`
	} `yaml:"email"`
	Command *struct {
		Path    string   `yaml:"path"`
		Args    []string `yaml:"args"`
		Timeout string   `yaml:"timeout"`
	} `yaml:"command"`
}

// ParseChannels reads the notify: section of the rules file name:
//
//	notify:
//	  - name: team
//	    webhook: {url: "https://hooks.example.org/…", headers: {Authorization: "Bearer …"}}
//	  - name: oncall
//	    email: {addr: "smtp.example.org:587", from: almanac@example.org, to: [ops@example.org],
//	            username: almanac, password_file: /etc/almanac/smtp-password}
//	  - name: sms
//	    command: {path: /usr/local/bin/send-sms, args: ["+15550100"], timeout: 30s}
//
// Errors name the file and line. A password is read from its file, never
// written in the rules.
func ParseChannels(name string, n *yaml.Node) ([]Channel, error) {
	if n == nil {
		return nil, nil
	}
	at := func(n *yaml.Node, format string, args ...any) error {
		return fmt.Errorf("notify: %s:%d: %s", name, n.Line, fmt.Sprintf(format, args...))
	}
	if n.Kind != yaml.SequenceNode {
		return nil, at(n, "notify: want a list of channels (name: and webhook:, email: or command:)")
	}
	var out []Channel
	seen := map[string]bool{}
	for _, cn := range n.Content {
		var c channelYAML
		if err := cn.Decode(&c); err != nil {
			return nil, at(cn, "%v", err)
		}
		if !validName(c.Name) || seen[c.Name] {
			return nil, at(cn, "channel name %q: want a unique name of letters, digits, '-' or '_'", c.Name)
		}
		seen[c.Name] = true
		kinds := 0
		for _, set := range []bool{c.Webhook != nil, c.Email != nil, c.Command != nil} {
			if set {
				kinds++
			}
		}
		if kinds != 1 {
			return nil, at(cn, "channel %s: want one of webhook:, email: or command:", c.Name)
		}
		switch {
		case c.Webhook != nil:
			u, err := url.Parse(c.Webhook.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return nil, at(cn, "channel %s: url: want http:// or https:// and a host", c.Name)
			}
			out = append(out, &Webhook{ID: c.Name, URL: c.Webhook.URL, Headers: c.Webhook.Headers})
		case c.Email != nil:
			e := c.Email
			if !strings.Contains(e.Addr, ":") || e.From == "" || len(e.To) == 0 {
				return nil, at(cn, "channel %s: email: want addr: host:port, from: and to:", c.Name)
			}
			ch := &Email{ID: c.Name, Addr: e.Addr, From: e.From, To: e.To, Username: e.Username}
			if e.PasswordFile != "" {
				pw, err := os.ReadFile(e.PasswordFile)
				if err != nil {
					return nil, at(cn, "channel %s: password_file: %v", c.Name, err)
				}
				ch.Password = strings.TrimRight(string(pw), "\r\n")
			}
			host, _, _ := strings.Cut(e.Addr, ":")
			ch.TLS = &tls.Config{ServerName: host}
			out = append(out, ch)
		default:
			cmd := c.Command
			if cmd.Path == "" || !strings.HasPrefix(cmd.Path, "/") {
				return nil, at(cn, "channel %s: command: want path: an absolute path", c.Name)
			}
			ch := &Command{ID: c.Name, Path: cmd.Path, Args: cmd.Args}
			if cmd.Timeout != "" {
				d, err := time.ParseDuration(cmd.Timeout)
				if err != nil || d <= 0 {
					return nil, at(cn, "channel %s: timeout %q: want a duration such as 30s", c.Name, cmd.Timeout)
				}
				ch.Timeout = d
			}
			out = append(out, ch)
		}
	}
	return out, nil
}
