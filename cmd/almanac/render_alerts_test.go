package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRenderAlerting: almanac render --rules evaluates the file's fleet
// rules over the archive and --silences shows the silences; a bad file is
// named with its line, and the old site is kept.
func TestRenderAlerting(t *testing.T) {
	dir, conf := t.TempDir(), t.TempDir()
	now := time.Now().UTC().Truncate(time.Minute)
	// web1 stopped sampling 40 minutes ago.
	if err := writeFleetHost(dir, fleetHost{name: "web1", gaps: []fleetGap{{from: 40 * time.Minute}}}, now, 1); err != nil {
		t.Fatal(err)
	}
	rules, silences, bad := filepath.Join(conf, "rules.yaml"), filepath.Join(conf, "silences.yaml"), filepath.Join(conf, "bad.yaml")
	os.WriteFile(rules, []byte("fleet:\n  - name: web silent\n    hosts: \"web*\"\n    no_data: 30m\n    severity: warn\ndisable: [no data]\n"), 0o644)
	os.WriteFile(silences, []byte("silences:\n  - host: web1\n    until: 2999-01-01T00:00:00Z\n    comment: moving racks\n"), 0o644)
	os.WriteFile(bad, []byte("fleet:\n  - name: x\n    no_data: sometimes\n"), 0o644)
	out := filepath.Join(t.TempDir(), "site")
	if code, _, errOut := runCLI("render", "--archive", dir, "--out", out, "--rules", rules, "--silences", silences); code != 0 {
		t.Fatalf("render: exit %d: %s", code, errOut)
	}
	page, err := os.ReadFile(filepath.Join(out, "incidents.html"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`<td data-v="web silent">web silent <small>(fleet rule)</small>`, "moving racks", ">silenced</td>",
		"web silent: no data for 30m0s"} {
		if !strings.Contains(string(page), want) {
			t.Errorf("incidents.html lacks %q", want)
		}
	}
	if strings.Contains(string(page), `data-v="no data"`) {
		t.Errorf("incidents.html has the disabled default no data rule's incident")
	}
	for _, tt := range []struct{ flag, file, want string }{
		{"--rules", bad, `bad.yaml:2: fleet rule "x": no_data "sometimes"`},
		{"--silences", filepath.Join(conf, "nope.yaml"), "nope.yaml"},
	} {
		code, _, errOut := runCLI("render", "--archive", dir, "--out", out, tt.flag, tt.file)
		if code != 1 || !strings.Contains(errOut, tt.want) {
			t.Errorf("render %s %s: exit %d, stderr %q; want 1 and %q", tt.flag, tt.file, code, errOut, tt.want)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "incidents.html")); err != nil {
		t.Errorf("a refused render removed the old site: %v", err)
	}
}
