//go:build linux

package sample

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/prometheus/procfs"
)

// parseKernelStat gives what procfs's FS.Stat gives for the same bytes
// (but the per-interrupt counts): for the fixtures and for this machine.
func TestParseKernelStatLikeProcfs(t *testing.T) {
	live, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string][]byte{"live": live}
	for _, p := range []string{"testdata/proc/stat", "testdata/proc2/stat"} {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		cases[p] = data
	}
	for name, data := range cases {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "stat"), data, 0o644); err != nil {
				t.Fatal(err)
			}
			fs, err := procfs.NewFS(dir)
			if err != nil {
				t.Fatal(err)
			}
			want, err := fs.Stat()
			if err != nil {
				t.Fatal(err)
			}
			got, err := parseKernelStat(bytes.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			if len(got.CPU) == 0 || got.BootTime == 0 || got.ContextSwitches == 0 {
				t.Errorf("parsed too little: %+v", got)
			}
			if diff := cmp.Diff(want, got, cmpopts.IgnoreFields(procfs.Stat{}, "IRQ")); diff != "" {
				t.Errorf("parseKernelStat() differs from procfs (-procfs +got):\n%s", diff)
			}
		})
	}
}

func TestParseKernelStatOdd(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		wantErr bool
	}{
		{name: "old kernel: 7 cpu columns, short softirq", in: "cpu 1 2 3 4 5 6 7\ncpu0 1 2 3 4 5 6 7\nsoftirq 5 1 2\nbtime 9\n"},
		{name: "unknown lines", in: "cpufreq x\ncpuX 1 2 3 4\npage 1 2\nswap 0 0\n"},
		{name: "too few cpu columns", in: "cpu 1 2 3\n", wantErr: true},
		{name: "bad cpu number", in: "cpu 1 2 3 x\n", wantErr: true},
		{name: "huge core", in: "cpu99999999 1 2 3 4\n", wantErr: true},
		{name: "bad ctxt", in: "ctxt -1\n", wantErr: true},
		{name: "bad softirq", in: "softirq 1 x\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := parseKernelStat(bytes.NewReader([]byte(tt.in)))
			if (err != nil) != tt.wantErr {
				t.Errorf("parseKernelStat(%q) error = %v, want error %v", tt.in, err, tt.wantErr)
			}
		})
	}
}

func FuzzParseKernelStat(f *testing.F) {
	for _, p := range []string{"testdata/proc/stat", "testdata/proc2/stat"} {
		data, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Add([]byte("cpu 1 2 3 4\ncpu0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		st, err := parseKernelStat(bytes.NewReader(data))
		if err != nil {
			return
		}
		for n, c := range st.CPU {
			if n < 0 || c.User < 0 || c.Idle < 0 {
				t.Errorf("parseKernelStat(%q): cpu%d = %+v", data, n, c)
			}
		}
	})
}

// BenchmarkReadKernelStat reads and parses the live /proc/stat the cheap
// way; BenchmarkProcfsStat is procfs's FS.Stat, which the Sampler uses now.
// Run: go test ./sample -run '^$' -bench 'KernelStat|ProcfsStat' -benchmem
func BenchmarkReadKernelStat(b *testing.B) {
	var s kernelStatFile
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.read("/proc"); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProcfsStat(b *testing.B) {
	fs := procSource(b, "/proc").Proc
	b.ReportAllocs()
	for b.Loop() {
		if _, err := fs.Stat(); err != nil {
			b.Fatal(err)
		}
	}
}
