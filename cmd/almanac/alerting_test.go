//go:build linux

package main

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"almanac/archive"
	"almanac/internal/testfs"
	"almanac/schema"
)

// sampleFixture runs almanac sample --once over the fixture tree into dir
// as host, with the extra flags, and fails the test unless it exits 0.
func sampleFixture(t *testing.T, dir, host string, extra ...string) {
	t.Helper()
	fixture := filepath.Join("..", "..", "sample", "testdata")
	args := append([]string{"sample", "--once", "--interval", "1s", "--archive", dir, "--host", host, "--no-sync",
		"--proc", filepath.Join(fixture, "proc"), "--sys", filepath.Join(fixture, "sys"),
		"--rootfs", filepath.Join(fixture, "rootfs"), "--log-level", "error"}, extra...)
	if code, out, errOut := runCLI(args...); code != 0 {
		t.Fatalf("exit %d: %s%s", code, out, errOut)
	}
}

// TestSampleAlerts runs almanac sample --once over the fixture tree with
// a rule its memory always breaches, twice: the first run records the
// incident in the alert table and keeps its state beside the journal; the
// second, a restart while it still fires, records nothing new (no second
// firing). Then a rule that the same value clears resolves it.
func TestSampleAlerts(t *testing.T) {
	dir := t.TempDir()
	rules := filepath.Join(t.TempDir(), "rules.yaml")
	write := func(warn string) {
		t.Helper()
		y := "rules:\n  - name: memory\n    metric: memory.available_pct\n    warn: \"" + warn + "\"\ndisable: [filesystem full, inodes full, memory low, swapping in, load per core, hot, zombies, memory pressure, oom kill, reboot, archive not written]\n"
		if err := os.WriteFile(rules, []byte(y), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sampleOnce := func() { t.Helper(); sampleFixture(t, dir, "alerthost", "--rules", rules) }
	states := func() []string {
		t.Helper()
		s, err := archive.Open(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		f, err := s.Scan(schema.TableAlert, "alerthost", time.Unix(0, 0), time.Now().Add(time.Hour), "rule", "state", "severity")
		if err != nil {
			return nil
		}
		var out []string
		for i := range f.Len() {
			out = append(out, f.Str["rule"][i]+" "+f.Str["state"][i]+" "+f.Str["severity"][i])
		}
		return out
	}
	write("< 101") // available memory is always under 101 %
	sampleOnce()
	if got := states(); len(got) != 1 || got[0] != "memory firing warn" {
		t.Fatalf("alert rows after the first run: %q, want one firing", got)
	}
	if _, err := os.Stat(filepath.Join(dir, ".journal", "alerthost.alerts.json")); err != nil {
		t.Errorf("no alert state beside the journal: %v", err)
	}
	sampleOnce()
	if got := states(); len(got) != 1 {
		t.Errorf("alert rows after a restart while firing: %q, want still the one", got)
	}
	write("< 0.001") // the same value is now clear
	sampleOnce()
	if got := states(); len(got) != 2 || got[1] != "memory resolved warn" {
		t.Errorf("alert rows after the value cleared: %q, want firing then resolved", got)
	}
	// The host's availability page lists the incident, ended.
	out := filepath.Join(t.TempDir(), "site")
	if code, _, errOut := runCLI("render", "--archive", dir, "--out", out); code != 0 {
		t.Fatalf("render: exit %d: %s", code, errOut)
	}
	pages, _ := filepath.Glob(filepath.Join(out, "hosts", "alerthost-*", "availability.html"))
	if len(pages) != 1 {
		t.Fatalf("availability pages %v", pages)
	}
	page, _ := os.ReadFile(pages[0])
	if !strings.Contains(string(page), "<h2>Incidents</h2>") || !strings.Contains(string(page), "<td>memory</td>") ||
		strings.Contains(string(page), ">ongoing<") {
		t.Errorf("the availability page does not list the memory incident as ended")
	}
}

// TestSampleNotifies: almanac sample sends a webhook on 127.0.0.1 one
// message when an incident starts and one when it resolves, across
// restarts of the sampler in between (each --once run is a restart), and
// none while it goes on.
func TestSampleNotifies(t *testing.T) {
	var mu sync.Mutex
	var texts []string
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Text string }
		json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		texts = append(texts, body.Text)
		mu.Unlock()
	}))
	defer hs.Close()
	dir := t.TempDir()
	rules := filepath.Join(t.TempDir(), "rules.yaml")
	write := func(warn string) {
		t.Helper()
		y := "rules:\n  - name: memory\n    metric: memory.available_pct\n    warn: \"" + warn + "\"\n" +
			"disable: [filesystem full, inodes full, memory low, swapping in, load per core, hot, zombies, memory pressure, oom kill, reboot, archive not written]\n" +
			"notify:\n  - name: team\n    webhook: {url: \"" + hs.URL + "/hook\"}\n"
		if err := os.WriteFile(rules, []byte(y), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	sampleOnce := func() { t.Helper(); sampleFixture(t, dir, "notehost", "--rules", rules) }
	write("< 101")
	sampleOnce()
	sampleOnce() // a restart while it fires
	write("< 0.001")
	sampleOnce()
	mu.Lock()
	defer mu.Unlock()
	if len(texts) != 2 || !strings.Contains(texts[0], "notehost: FIRING warn memory") ||
		!strings.Contains(texts[1], "notehost: RESOLVED warn memory") || !strings.Contains(texts[1], "peak") {
		t.Errorf("webhook got %q, want one FIRING then one RESOLVED with its peak", texts)
	}
	if left, _ := os.ReadDir(filepath.Join(dir, ".journal", "notehost.outbox", "team")); len(left) != 0 {
		t.Errorf("outbox holds %d messages after delivery", len(left))
	}
}

// TestSampleSilenced: an incident a silence matches is recorded, marked
// silenced, and sent to no channel.
func TestSampleSilenced(t *testing.T) {
	posts := 0
	var mu sync.Mutex
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		posts++
		mu.Unlock()
	}))
	defer hs.Close()
	dir, conf := t.TempDir(), t.TempDir()
	rules, silences := filepath.Join(conf, "rules.yaml"), filepath.Join(conf, "silences.yaml")
	os.WriteFile(rules, []byte("rules:\n  - name: memory\n    metric: memory.available_pct\n    warn: \"< 101\"\n"+
		"notify:\n  - name: team\n    webhook: {url: \""+hs.URL+"\"}\n"), 0o644)
	os.WriteFile(silences, []byte("silences:\n  - rule: mem*\n    until: 2999-01-01T00:00:00Z\n    comment: known\n"), 0o644)
	sampleFixture(t, dir, "quiet", "--rules", rules, "--silences", silences)
	s, err := archive.Open(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f, err := s.Scan(schema.TableAlert, "quiet", time.Unix(0, 0), time.Now().Add(time.Hour), "rule", "silenced")
	if err != nil {
		t.Fatal(err)
	}
	var silencedMemory int
	for i := range f.Len() {
		if f.Str["rule"][i] == "memory" && f.Num["silenced"][i] == 1 {
			silencedMemory++
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if silencedMemory != 1 || posts != 0 {
		t.Errorf("%d silenced memory incidents recorded, %d posts; want 1 and none", silencedMemory, posts)
	}
}

// TestSampleRebootEvent: a sampler started after the host rebooted (the
// boot time moved an hour) records the reboot event, from the boot time
// the previous run kept in its alert state.
func TestSampleRebootEvent(t *testing.T) {
	dir := t.TempDir()
	fixture := filepath.Join("..", "..", "sample", "testdata")
	rules := filepath.Join(t.TempDir(), "rules.yaml")
	os.WriteFile(rules, []byte("disable: [filesystem full, inodes full, memory low, swapping in, load per core, hot, zombies, memory pressure, oom kill, archive not written]\n"), 0o644)
	sampleFixture(t, dir, "booted", "--rules", rules)
	proc := testfs.CopyTree(t, filepath.Join(fixture, "proc"))
	stat, err := os.ReadFile(filepath.Join(proc, "stat"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(proc, "stat"), []byte(strings.Replace(string(stat), "btime 1772280000", "btime 1772283600", 1)), 0o644)
	sampleFixture(t, dir, "booted", "--rules", rules, "--proc", proc)
	s, err := archive.Open(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f, err := s.Scan(schema.TableAlert, "booted", time.Unix(0, 0), time.Now().Add(time.Hour), "rule", "state")
	if err != nil {
		t.Fatalf("no alert rows: %v", err)
	}
	if f.Len() != 1 || f.Str["rule"][0] != "reboot" || f.Str["state"][0] != "event" {
		t.Errorf("alert rows %v %v, want one reboot event", f.Str["rule"], f.Str["state"])
	}
}

// TestSampleRebootInhibits: a threshold incident that begins right after
// a reboot is recorded but not notified, from its start to its resolve
// (alert.RebootGrace); the reboot itself is.
func TestSampleRebootInhibits(t *testing.T) {
	var mu sync.Mutex
	var texts []string
	hs := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ Text string }
		json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		texts = append(texts, body.Text)
		mu.Unlock()
	}))
	defer hs.Close()
	dir := t.TempDir()
	fixture := filepath.Join("..", "..", "sample", "testdata")
	rules := filepath.Join(t.TempDir(), "rules.yaml")
	write := func(memory string) {
		t.Helper()
		y := "disable: [filesystem full, inodes full, memory low, swapping in, load per core, hot, zombies, memory pressure, oom kill, archive not written]\n" +
			"notify:\n  - name: team\n    webhook: {url: \"" + hs.URL + "\"}\n"
		if memory != "" {
			y = "rules:\n  - name: memory\n    metric: memory.available_pct\n    warn: \"" + memory + "\"\n" + y
		}
		if err := os.WriteFile(rules, []byte(y), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("")
	sampleFixture(t, dir, "inhib", "--rules", rules)
	proc := testfs.CopyTree(t, filepath.Join(fixture, "proc"))
	stat, err := os.ReadFile(filepath.Join(proc, "stat"))
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(proc, "stat"), []byte(strings.Replace(string(stat), "btime 1772280000", "btime 1772283600", 1)), 0o644)
	write("< 101") // breached at once, as the host comes back
	sampleFixture(t, dir, "inhib", "--rules", rules, "--proc", proc)
	write("< 0.001") // resolved a sample later
	sampleFixture(t, dir, "inhib", "--rules", rules, "--proc", proc)
	s, err := archive.Open(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	f, err := s.Scan(schema.TableAlert, "inhib", time.Unix(0, 0), time.Now().Add(time.Hour), "rule", "state")
	if err != nil {
		t.Fatalf("no alert rows: %v", err)
	}
	var states []string
	for i := range f.Len() {
		states = append(states, f.Str["rule"][i]+" "+f.Str["state"][i])
	}
	if strings.Join(states, ", ") != "reboot event, memory firing, memory resolved" {
		t.Errorf("alert rows %q, want the reboot and the memory incident recorded", states)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(texts) != 1 || !strings.Contains(texts[0], "reboot") || strings.Contains(texts[0], "memory") {
		t.Errorf("webhook got %q, want the reboot only (the memory incident is inhibited)", texts)
	}
}
