package render

import (
	"io"
	"log/slog"
	"testing"
	"time"

	"almanac/archive"
	"almanac/schema"
)

// TestSelfCost writes two hours of self rows (0.5 % of a core, 1000 bytes
// every 10 s) and checks the overview's cost column and the facts page's
// charts.
func TestSelfCost(t *testing.T) {
	st, err := archive.Open(t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	w, err := st.Writer("h1", archive.WriterOptions{NoSync: true, FlushEvery: 1000 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	start := fixedNow.Add(-2 * time.Hour)
	for at := start; !at.After(fixedNow); at = at.Add(10 * time.Second) {
		us := at.UnixMicro()
		b := &schema.Batch{Time: at,
			System: []schema.SystemRow{{Time: us, BootTime: start.Add(-time.Hour).UnixMicro(), IntervalMs: 10000}},
			Self:   []schema.SelfRow{{Time: us, CPUPct: 50, RSSBytes: 20 << 20, WrittenBytes: 1000, SampleMs: 25}},
		}
		if err := w.Append(b); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	d, err := gather(st, "h1", "h1", fixedNow, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	// 1000 bytes every 10 s: 8.64 MB a day.
	if got, want := d.sum.Cost, "0.50 % · 8.6 MB/d"; got != want {
		t.Errorf("cost = %q, want %q", got, want)
	}
	if d.sum.CostSort != 0.5 {
		t.Errorf("cost sort key = %v, want 0.5", d.sum.CostSort)
	}
	if len(d.facts.Self) != 4 {
		t.Fatalf("facts page has %d cost charts, want 4", len(d.facts.Self))
	}
	for _, c := range d.facts.Self {
		if c.values() == 0 {
			t.Errorf("chart %s has no values", c.ID)
		}
	}
	// A host without self rows (an older almanac) has no cost.
	empty, err := gather(st, "h2", "h2", fixedNow, time.UTC)
	if err != nil {
		t.Fatal(err)
	}
	if empty.sum.Cost != "" || empty.sum.CostSort != -1 || empty.facts.Self != nil {
		t.Errorf("host without self rows: cost %q (%v), charts %d", empty.sum.Cost, empty.sum.CostSort, len(empty.facts.Self))
	}
}
