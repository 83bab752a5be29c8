package notify

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

func parse(t *testing.T, src string) ([]Channel, error) {
	t.Helper()
	var doc yaml.Node
	if err := yaml.Unmarshal([]byte(src), &doc); err != nil {
		t.Fatal(err)
	}
	return ParseChannels("rules.yaml", doc.Content[0].Content[1])
}

func TestParseChannels(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "pw")
	os.WriteFile(pw, []byte("s3cret\n"), 0o600)
	chs, err := parse(t, `notify:
  - name: team
    webhook: {url: "https://hooks.example.org/x", headers: {Authorization: "Bearer t"}}
  - name: oncall
    email: {addr: "smtp.example.org:587", from: a@example.org, to: [b@example.org], username: a, password_file: "`+pw+`"}
  - name: sms
    command: {path: /usr/local/bin/send-sms, args: ["+15550100"], timeout: 5s}
`)
	if err != nil {
		t.Fatal(err)
	}
	if len(chs) != 3 || chs[0].Name() != "team" || chs[1].(*Email).Password != "s3cret" || chs[2].(*Command).Timeout.Seconds() != 5 {
		t.Errorf("channels %+v", chs)
	}
	tests := []struct{ name, in, want string }{
		{"not a list", "notify: {a: 1}\n", "rules.yaml:1: notify: want a list"},
		{"no kind", "notify:\n  - name: x\n", "want one of webhook:, email: or command:"},
		{"two kinds", "notify:\n  - name: x\n    webhook: {url: \"http://h/\"}\n    command: {path: /bin/true}\n", "want one of"},
		{"bad name", "notify:\n  - name: \"a b\"\n    command: {path: /bin/true}\n", `channel name "a b"`},
		{"twice", "notify:\n  - name: a\n    command: {path: /bin/true}\n  - name: a\n    command: {path: /bin/true}\n", "rules.yaml:4:"},
		{"bad url", "notify:\n  - name: a\n    webhook: {url: \"ftp://h\"}\n", "want http:// or https://"},
		{"relative command", "notify:\n  - name: a\n    command: {path: send-sms}\n", "an absolute path"},
		{"missing password file", "notify:\n  - name: a\n    email: {addr: \"h:25\", from: a@b, to: [c@d], password_file: /nonexistent}\n", "password_file"},
		{"email without to", "notify:\n  - name: a\n    email: {addr: \"h:25\", from: a@b}\n", "want addr: host:port, from: and to:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := parse(t, tt.in); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseChannels = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
