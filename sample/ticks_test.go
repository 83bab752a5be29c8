//go:build linux

package sample

import (
	"almanac/schema"
	"testing"
	"time"
)

// fixtureEpoch is the time of the first reading in fixture tests.
var fixtureEpoch = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

// firstTick is the Tick of a first reading at now, as Sampler.Sample makes it.
func firstTick(now time.Time) Tick {
	return Tick{Now: now, Time: schema.Micros(now), First: true}
}

// laterTick is the Tick of a reading at now that follows the reading prev.
func laterTick(prev Tick, now time.Time) Tick {
	return Tick{Now: now, Time: schema.Micros(now), Interval: now.Sub(prev.Now)}
}

// openSource opens a proc, sys and root tree, failing the test on error.
func openSource(t testing.TB, proc, sys, root string) Source {
	t.Helper()
	src, err := NewSource(proc, sys, root)
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// collectFixture drives c through a first reading of testdata/proc and a
// second of testdata/proc2 ten seconds later, and returns both batches.
func collectFixture(t *testing.T, c collector) (first, second *schema.Batch) {
	t.Helper()
	t1 := firstTick(fixtureEpoch)
	first = &schema.Batch{}
	if err := c.Collect(openSource(t, "testdata/proc", "testdata/sys", "/"), t1, first); err != nil {
		t.Fatalf("first Collect: %v", err)
	}
	t2 := laterTick(t1, fixtureEpoch.Add(10*time.Second))
	second = &schema.Batch{}
	if err := c.Collect(openSource(t, "testdata/proc2", "testdata/sys", "/"), t2, second); err != nil {
		t.Fatalf("second Collect: %v", err)
	}
	return first, second
}

// collectLive drives c through two readings of this machine's /proc, /sys
// and /, with work() run in between (to make the counters move), and
// returns the second batch. The interval is the real time work took.
func collectLive(t testing.TB, c collector, work func()) *schema.Batch {
	t.Helper()
	src := openSource(t, "/proc", "/sys", "/")
	t1 := firstTick(time.Now())
	if err := c.Collect(src, t1, &schema.Batch{}); err != nil {
		t.Fatalf("first Collect: %v", err)
	}
	if work != nil {
		work()
	}
	now := time.Now()
	for !now.After(t1.Now) { // a coarse clock: the sampler needs time to move
		now = time.Now()
	}
	t2 := laterTick(t1, now)
	b := &schema.Batch{}
	if err := c.Collect(src, t2, b); err != nil {
		t.Fatalf("second Collect: %v", err)
	}
	return b
}
