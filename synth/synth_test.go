package synth

import (
	"almanac/schema"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var start = time.Date(2026, 8, 21, 23, 58, 0, 0, time.UTC)

func run(h Host, n int) []*schema.Batch {
	g := New(h)
	out := make([]*schema.Batch, n)
	for i := range out {
		out[i] = g.Batch(start.Add(time.Duration(i) * 10 * time.Second))
	}
	return out
}

func TestDeterministic(t *testing.T) {
	h := Host{Name: "a", Processes: 30, Seed: 3}
	if diff := cmp.Diff(run(h, 20), run(h, 20)); diff != "" {
		t.Errorf("same seed, different batches (-first +second):\n%s", diff)
	}
	h2 := h
	h2.Seed = 4
	if cmp.Equal(run(h, 5), run(h2, 5)) {
		t.Error("different seeds, same batches")
	}
}

func TestPlausible(t *testing.T) {
	h := Host{Name: "web1", Cores: 3, Processes: 50, Seed: 1}
	bs := run(h, 30)
	if len(bs[0].Host) != 1 || len(bs[0].CPU) != 0 || len(bs[0].System) != 0 {
		t.Errorf("first batch: %d host, %d cpu, %d system rows; want 1, 0, 0 (no rates yet)",
			len(bs[0].Host), len(bs[0].CPU), len(bs[0].System))
	}
	hostRows := 0
	for i, b := range bs {
		hostRows += len(b.Host)
		us := b.Time.UnixMicro()
		if i == 0 {
			continue
		}
		if got, want := len(b.CPU), h.Cores+1; got != want {
			t.Fatalf("batch %d: %d cpu rows, want %d", i, got, want)
		}
		for _, c := range b.CPU {
			sum := c.UserPct + c.NicePct + c.SystemPct + c.IdlePct + c.IOWaitPct + c.IRQPct + c.SoftIRQPct + c.StealPct + c.GuestPct
			if sum < 9990 || sum > 10010 || c.IdlePct < 0 || c.Time != us {
				t.Errorf("batch %d cpu %s: modes add up to %v, idle %v", i, c.CPU, sum.Float(), c.IdlePct.Float())
			}
		}
		m := b.Memory[0]
		if m.FreeBytes <= 0 || m.FreeBytes > m.TotalBytes || m.AvailableBytes > m.TotalBytes || m.TotalBytes%1024 != 0 {
			t.Errorf("batch %d memory: %+v", i, m)
		}
		if len(b.Process) < 50 || len(b.ProcCount) != 1 || int(b.ProcCount[0].Total) != len(b.Process) {
			t.Errorf("batch %d: %d processes, counts %+v", i, len(b.Process), b.ProcCount)
		}
		for _, f := range b.Filesystem {
			if f.UsedBytes+f.AvailBytes > f.SizeBytes || f.UsedBytes <= 0 {
				t.Errorf("batch %d filesystem %s: %+v", i, f.Mountpoint, f)
			}
		}
		if len(b.Disk) != 2 || len(b.Network) != 2 || len(b.Pressure) != 3 || len(b.Temperature) != 3 {
			t.Errorf("batch %d: %d disks, %d interfaces, %d pressure, %d sensors", i,
				len(b.Disk), len(b.Network), len(b.Pressure), len(b.Temperature))
		}
	}
	// The run crosses midnight: facts again on the new day.
	if hostRows != 2 {
		t.Errorf("%d host rows over midnight, want 2", hostRows)
	}
}
