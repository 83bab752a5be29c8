//go:build linux

package sample

import (
	"almanac/schema"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const netDevHeader = "Inter-|   Receive                                                |  Transmit\n" +
	" face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n"

func TestParseNetDev(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    []netStat
		wantErr bool
	}{
		{
			name: "real lines, one where a wide counter touches the colon",
			in: netDevHeader +
				"    lo:    3193      29    0    0    0     0          0         0     3193      29    0    0    0     0       0          0\n" +
				"  eth0:12345678901234 5166 1 2 0 0 0 0 380290 2809 3 4 0 0 0 0\n",
			want: []netStat{
				{name: "lo", rxBytes: 3193, rxPackets: 29, txBytes: 3193, txPackets: 29},
				{name: "eth0", rxBytes: 12345678901234, rxPackets: 5166, rxErrors: 1, rxDrops: 2,
					txBytes: 380290, txPackets: 2809, txErrors: 3, txDrops: 4},
			},
		},
		{
			name: "no header, no final newline",
			in:   "eth0: 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16",
			want: []netStat{{name: "eth0", rxBytes: 1, rxPackets: 2, rxErrors: 3, rxDrops: 4,
				txBytes: 9, txPackets: 10, txErrors: 11, txDrops: 12}},
		},
		{
			name:    "too few counters: the line is skipped, the others kept",
			in:      netDevHeader + "eth0: 1 2 3\nlo: 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
			want:    []netStat{{name: "lo", rxBytes: 1}},
			wantErr: true,
		},
		{
			name:    "no colon",
			in:      netDevHeader + "eth0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
			wantErr: true,
		},
		{
			name:    "no name",
			in:      netDevHeader + "  : 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
			wantErr: true,
		},
		{
			name:    "a negative counter",
			in:      "eth0: -1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n",
			wantErr: true,
		},
		{name: "only the header", in: netDevHeader},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseNetDev([]byte(tt.in), nil, nil)
			if (err != nil) != tt.wantErr {
				t.Errorf("parseNetDev() error = %v, want error %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(netStat{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("parseNetDev() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func FuzzParseNetDev(f *testing.F) {
	for _, p := range []string{"testdata/proc/net/dev", "testdata/proc2/net/dev"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("eth0:1 2\n"))
	f.Add([]byte(":::\n|:\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, _ := parseNetDev(data, nil, interner{})
		for _, n := range got {
			if n.name == "" {
				t.Errorf("parsed an interface without a name from %q", data)
			}
		}
		for _, r := range networkRows(got, got, time.Second, 0, nil) {
			if r != (schema.NetworkRow{Interface: r.Interface}) {
				t.Errorf("identical readings gave a non-zero row: %+v", r)
			}
		}
	})
}

func TestNetworkRows(t *testing.T) {
	const tm = 7
	tests := []struct {
		name      string
		prev, cur []netStat
		d         time.Duration
		want      []schema.NetworkRow
	}{
		{
			name: "rates over 4 s",
			prev: []netStat{{name: "eth0", rxBytes: 1000, rxPackets: 10, rxErrors: 1, rxDrops: 2, txBytes: 50, txPackets: 5, txErrors: 0, txDrops: 7}},
			cur:  []netStat{{name: "eth0", rxBytes: 5000, rxPackets: 16, rxErrors: 2, rxDrops: 4, txBytes: 52, txPackets: 9, txErrors: 4, txDrops: 7}},
			d:    4 * time.Second,
			want: []schema.NetworkRow{{Time: tm, Interface: "eth0", RxBytesPerS: 1000, TxBytesPerS: 1, RxPacketsPerS: 150,
				TxPacketsPerS: 100, RxErrorsPerS: 25, TxErrorsPerS: 100, RxDropsPerS: 50}},
		},
		{
			name: "a counter going backwards gives no row for that interface only",
			prev: []netStat{{name: "eth0", txDrops: 3}, {name: "lo", rxBytes: 1}},
			cur:  []netStat{{name: "eth0", txDrops: 2}, {name: "lo", rxBytes: 1}},
			d:    time.Second,
			want: []schema.NetworkRow{{Time: tm, Interface: "lo"}},
		},
		{
			name: "appeared and vanished interfaces, in another order",
			prev: []netStat{{name: "veth1"}, {name: "lo"}, {name: "eth0"}},
			cur:  []netStat{{name: "eth0"}, {name: "lo"}, {name: "veth2"}},
			d:    time.Second,
			want: []schema.NetworkRow{{Time: tm, Interface: "eth0"}, {Time: tm, Interface: "lo"}},
		},
		{
			name: "no interval",
			prev: []netStat{{name: "lo"}},
			cur:  []netStat{{name: "lo"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := networkRows(tt.prev, tt.cur, tt.d, tm, nil)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("networkRows() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

// The fixture's second reading is 10 s after the first: ifb1 vanished,
// docker0 appeared, x<script> was reset, and one name is not UTF-8.
func TestNetworkCollectorFixture(t *testing.T) {
	first, second := collectFixture(t, &networkCollector{})
	if len(first.Network) != 0 {
		t.Errorf("first reading gave %d rows, want none", len(first.Network))
	}
	tm := schema.Micros(fixtureEpoch.Add(10 * time.Second))
	want := []schema.NetworkRow{
		{Time: tm, Interface: "lo", RxBytesPerS: 200, TxBytesPerS: 200, RxPacketsPerS: 200, TxPacketsPerS: 200},
		{Time: tm, Interface: "ifb0"},
		{Time: tm, Interface: "eth0", RxBytesPerS: 100000, TxBytesPerS: 5000, RxPacketsPerS: 10000, TxPacketsPerS: 5000},
		{Time: tm, Interface: "wlan0", RxErrorsPerS: 50, TxErrorsPerS: 10, RxDropsPerS: 120, TxDropsPerS: 30},
		{Time: tm, Interface: `v\xffeth`, RxBytesPerS: 100, RxPacketsPerS: 100},
	}
	if diff := cmp.Diff(want, second.Network); diff != "" {
		t.Errorf("network rows mismatch (-want +got):\n%s", diff)
	}
}

// The live test sends UDP packets over loopback between two readings of
// this machine's /proc/net/dev.
func TestNetworkCollectorLive(t *testing.T) {
	const packets = 20
	b := collectLive(t, &networkCollector{}, func() {
		conn, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		buf := make([]byte, 100)
		for range packets {
			if _, err := conn.WriteTo(buf, conn.LocalAddr()); err != nil {
				t.Fatal(err)
			}
			if _, _, err := conn.ReadFrom(buf); err != nil {
				t.Fatal(err)
			}
		}
	})
	var lo *schema.NetworkRow
	for i, r := range b.Network {
		if r.Interface == "lo" {
			lo = &b.Network[i]
		}
		if r.RxBytesPerS < 0 || r.TxBytesPerS < 0 || r.RxPacketsPerS < 0 || r.TxDropsPerS < 0 {
			t.Errorf("row out of range: %+v", r)
		}
	}
	if lo == nil {
		t.Fatalf("no row for lo in %+v", b.Network)
	}
	if lo.RxPacketsPerS <= 0 || lo.RxBytesPerS < packets*100 {
		t.Errorf("lo after %d packets of 100 bytes: %+v, want packets and bytes", packets, *lo)
	}
}

// BenchmarkCollectNetwork measures one reading of this machine's
// /proc/net/dev; BenchmarkReadNetDev is its floor, reading the file.
//
//	go test ./sample -run '^$' -bench 'Network|NetDev' -benchmem
func BenchmarkCollectNetwork(b *testing.B) {
	src := openSource(b, "/proc", "/sys", "/")
	c := &networkCollector{}
	t := firstTick(time.Now())
	if err := c.Collect(src, t, &schema.Batch{}); err != nil {
		b.Fatal(err)
	}
	batch := &schema.Batch{}
	b.ReportAllocs()
	for b.Loop() {
		t = laterTick(t, t.Now.Add(time.Second))
		batch.Network = batch.Network[:0]
		if err := c.Collect(src, t, batch); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkReadNetDev(b *testing.B) {
	b.ReportAllocs()
	buf := make([]byte, 64<<10)
	for b.Loop() {
		f, err := os.Open("/proc/net/dev")
		if err != nil {
			b.Fatal(err)
		}
		if _, err := f.Read(buf); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

func TestNetDir(t *testing.T) {
	proc := t.TempDir()
	if got, want := netDir(openSource(t, proc, "testdata/sys", "/")), filepath.Join(proc, "net"); got != want {
		t.Errorf("netDir() without 1/net/dev = %q, want %q", got, want)
	}
	if err := os.MkdirAll(filepath.Join(proc, "1", "net"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(proc, "1", "net", "dev"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, want := netDir(openSource(t, proc, "testdata/sys", "/")), filepath.Join(proc, "1", "net"); got != want {
		t.Errorf("netDir() = %q, want the host's %q", got, want)
	}
}
