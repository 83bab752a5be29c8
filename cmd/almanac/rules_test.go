package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRulesCommand(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(good, []byte("rules:\n  - name: busy disk\n    metric: disk.busy_pct\n    warn: \"> 90\"\n    for: 5m\ndisable: [zombies]\n"), 0o644)
	os.WriteFile(bad, []byte("rules:\n  - name: busy disk\n    metric: disk.busy_pct\n    warn: \"> 90\"\n  - name: typo\n    metric: disk.busy_pc\n    warn: \"> 1\"\n"), 0o644)
	fleet := filepath.Join(dir, "fleet.yaml")
	os.WriteFile(fleet, []byte("fleet:\n  - name: web busy\n    metric: cpu.busy_pct\n    hosts: \"web*\"\n    value: \"> 90\"\n    warn: 3\n    for: 10m\n"+
		"  - name: db silent\n    no_data: 10m\n    hosts: \"db*\"\ndisable: [no data]\n"), 0o644)
	badFleet := filepath.Join(dir, "badfleet.yaml")
	os.WriteFile(badFleet, []byte("fleet:\n  - name: web busy\n    metric: cpu.busy_pct\n    value: \"> 90\"\n"), 0o644)
	tests := []struct {
		name     string
		args     []string
		code     int
		out, err string
		notInOut string
	}{
		{"check a good file", []string{"rules", "check", good}, 0, "1 rules of its own", "", ""},
		{"check a bad file names the line", []string{"rules", "check", bad}, 1, "", "bad.yaml:5: rule \"typo\": metric \"disk.busy_pc\"", ""},
		{"show the defaults", []string{"rules", "show"}, 0, "filesystem full", "", ""},
		{"show with a file", []string{"rules", "show", good}, 0, "busy disk", "", "zombies"},
		{"show the default fleet rule", []string{"rules", "show"}, 0, "no data for auto (5 sampling intervals)", "", ""},
		{"check fleet rules", []string{"rules", "check", fleet}, 0, "2 fleet rules of its own, 2 in force", "", ""},
		{"show fleet rules", []string{"rules", "show", fleet}, 0, "at least 3 hosts with cpu.busy_pct > 90", "", "auto"},
		{"show fleet no data", []string{"rules", "show", fleet}, 0, "db silent   no data for 10m0s", "", ""},
		{"check a bad fleet rule", []string{"rules", "check", badFleet}, 1, "", "badfleet.yaml:2: fleet rule \"web busy\": warn: want the number of hosts", ""},
		{"no verb", []string{"rules"}, 2, "", "want check FILE or show", ""},
		{"missing file", []string{"rules", "check", filepath.Join(dir, "nope.yaml")}, 1, "", "nope.yaml", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := runCLI(tt.args...)
			if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errOut, tt.err) ||
				tt.notInOut != "" && strings.Contains(out, tt.notInOut) {
				t.Errorf("exit %d, stdout %q, stderr %q; want exit %d, stdout with %q (without %q), stderr with %q",
					code, out, errOut, tt.code, tt.out, tt.notInOut, tt.err)
			}
		})
	}
}
