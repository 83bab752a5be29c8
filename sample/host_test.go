//go:build linux

package sample

import (
	"almanac/schema"
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/sys/unix"
)

func TestReadHostFactsFixture(t *testing.T) {
	src := procSource(t, "testdata/proc")
	tick := statTick(t, src, statEpoch, nil)
	got, err := readHostFacts(src, tick)
	if err != nil {
		t.Fatal(err)
	}
	want := schema.HostRow{
		Time:        schema.Micros(statEpoch),
		Hostname:    "almanac-fixture",
		OS:          "Debian GNU/Linux 12 (bookworm)",
		Kernel:      "6.1.0-18-amd64",
		Arch:        "x86_64",
		BootTime:    1772280000 * 1e6,
		CPUModel:    "AMD EPYC 7B13 64-Core Processor",
		CPUCores:    4,
		MemoryBytes: 24684096 * 1024,
		SwapBytes:   2097148 * 1024,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("readHostFacts() mismatch (-want +got):\n%s", diff)
	}
}

// A kernel without /proc/sys/kernel/arch (before 6.1) gets the arch this
// program was built for; a missing hostname is an error naming the file.
func TestReadHostFactsMissing(t *testing.T) {
	proc := t.TempDir()
	copyFixtureFiles(t, "testdata/proc", proc, "cpuinfo", "meminfo", "stat", "sys/kernel/hostname", "sys/kernel/osrelease")
	src := procSource(t, proc)
	src.RootFS = t.TempDir() // no os-release
	tick := statTick(t, src, statEpoch, nil)
	got, err := readHostFacts(src, tick)
	if err != nil {
		t.Fatal(err)
	}
	if got.Arch == "" || got.Arch == "amd64" || got.Arch == "arm64" {
		t.Errorf("arch = %q, want a uname machine name", got.Arch)
	}
	if got.OS != "" {
		t.Errorf("os = %q without os-release, want \"\"", got.OS)
	}

	if err := os.Remove(filepath.Join(proc, "sys/kernel/hostname")); err != nil {
		t.Fatal(err)
	}
	if _, err := readHostFacts(src, tick); err == nil || !strings.Contains(err.Error(), "hostname") {
		t.Errorf("readHostFacts without hostname: err = %v, want one naming it", err)
	}
}

// copyFixtureFiles copies the named files from one tree to another.
func copyFixtureFiles(t *testing.T, from, to string, names ...string) {
	t.Helper()
	for _, n := range names {
		data, err := os.ReadFile(filepath.Join(from, n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(filepath.Dir(filepath.Join(to, n)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(to, n), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestReadOSName(t *testing.T) {
	type file struct{ path, content, link string }
	tests := []struct {
		name  string
		files []file
		want  string
	}{
		{
			name:  "etc",
			files: []file{{path: "etc/os-release", content: "PRETTY_NAME=\"Alpine Linux v3.20\"\n"}},
			want:  "Alpine Linux v3.20",
		},
		{
			name:  "only usr/lib",
			files: []file{{path: "usr/lib/os-release", content: "PRETTY_NAME='Fedora Linux 40'\n"}},
			want:  "Fedora Linux 40",
		},
		{
			name: "etc is a relative link to usr/lib",
			files: []file{
				{path: "usr/lib/os-release", content: "PRETTY_NAME=Arch\\ Linux\n"},
				{path: "etc/os-release", link: "../usr/lib/os-release"},
			},
			want: "Arch Linux",
		},
		{
			// An absolute link names this program's root, not the
			// host's: not followed; usr/lib below the root is read.
			name: "etc is an absolute link",
			files: []file{
				{path: "usr/lib/os-release", content: "PRETTY_NAME=\"Host OS\"\n"},
				{path: "etc/os-release", link: "/etc/os-release"},
			},
			want: "Host OS",
		},
		{
			name:  "a link out of the root and nothing else",
			files: []file{{path: "etc/os-release", link: "../../../../../../etc/os-release"}},
			want:  "",
		},
		{
			name:  "no PRETTY_NAME: the default of os-release(5)",
			files: []file{{path: "etc/os-release", content: "NAME=Something\n"}},
			want:  "Linux",
		},
		{
			name:  "hostile PRETTY_NAME",
			files: []file{{path: "etc/os-release", content: "PRETTY_NAME=\"<script>\x1b[31m\xff\"\n"}},
			want:  "<script>[31m\uFFFD",
		},
		{name: "no file", want: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for _, f := range tt.files {
				p := filepath.Join(root, f.path)
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				var err error
				if f.link != "" {
					err = os.Symlink(f.link, p)
				} else {
					err = os.WriteFile(p, []byte(f.content), 0o644)
				}
				if err != nil {
					t.Fatal(err)
				}
			}
			got, err := readOSName(root)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("readOSName() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseOSRelease(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]string
	}{
		{
			name: "bare, single and double quotes",
			in:   "ID=debian\nNAME='Debian GNU/Linux'\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n",
			want: map[string]string{"ID": "debian", "NAME": "Debian GNU/Linux", "PRETTY_NAME": "Debian GNU/Linux 12 (bookworm)"},
		},
		{
			name: "escapes in double quotes",
			in:   `A="say \"hi\" \$HOME \\ \` + "`" + `x\` + "`" + ` \n"` + "\n",
			want: map[string]string{"A": "say \"hi\" $HOME \\ `x` \\n"},
		},
		{
			name: "single quotes are literal",
			in:   `A='a \" $b'` + "\n",
			want: map[string]string{"A": `a \" $b`},
		},
		{
			name: "escaped blank and mixed quoting",
			in:   `A=one\ two` + "\n" + `B="x"'y'z` + "\n",
			want: map[string]string{"A": "one two", "B": "xyz"},
		},
		{
			name: "comments, blanks, bad lines, empty values; the last wins",
			in:   "# c\n\n  # indented\nnot an assignment\n1X=no\nA-B=no\nE=\nID=a\nID=b\nQ=\"open\n",
			want: map[string]string{"E": "", "ID": "b"},
		},
		{
			name: "an unquoted blank ends the value",
			in:   "A=word rm -rf /\n",
			want: map[string]string{"A": "word"},
		},
		{name: "empty", in: "", want: map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseOSRelease(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseOSRelease() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseOSReleaseFixture(t *testing.T) {
	f, err := os.Open("testdata/rootfs/etc/os-release")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	got, err := parseOSRelease(f)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"PRETTY_NAME":      "Debian GNU/Linux 12 (bookworm)",
		"NAME":             "Debian GNU/Linux",
		"VERSION_ID":       "12",
		"VERSION":          "12 (bookworm)",
		"VERSION_CODENAME": "bookworm",
		"ID":               "debian",
		"HOME_URL":         "https://www.debian.org/",
		"SUPPORT_URL":      "https://www.debian.org/support",
		"BUG_REPORT_URL":   "https://bugs.debian.org/",
		"VARIANT":          `Server $HOME "edition"`,
		"VARIANT_ID":       "server edition",
		"BUILD_ID":         "2026-03-01 \"nightly\" $5 \\ `x` \\n",
		"IMAGE_ID":         "",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("parseOSRelease(fixture) mismatch (-want +got):\n%s", diff)
	}
}

func FuzzParseOSRelease(f *testing.F) {
	data, err := os.ReadFile("testdata/rootfs/etc/os-release")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte("A=\"x\\\nB='y\nC=\\"))
	f.Fuzz(func(t *testing.T, data []byte) {
		vars, err := parseOSRelease(bytes.NewReader(data))
		if err != nil {
			return
		}
		for k, v := range vars {
			if !validOSReleaseKey(k) {
				t.Errorf("parseOSRelease(%q): key %q", data, k)
			}
			if strings.ContainsRune(v, '\n') {
				t.Errorf("parseOSRelease(%q): %s=%q spans lines", data, k, v)
			}
			if len(v) > len(data) {
				t.Errorf("parseOSRelease(%q): %s=%q longer than the input", data, k, v)
			}
		}
	})
}

func TestParseCPUInfo(t *testing.T) {
	tests := []struct {
		name  string
		in    string
		model string
		cpus  int
	}{
		{
			name:  "x86",
			in:    "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\nmodel name\t: Intel(R) Xeon(R) CPU\ncpu MHz\t\t: 2000\n\nprocessor\t: 1\nmodel name\t: Intel(R) Xeon(R) CPU\n",
			model: "Intel(R) Xeon(R) CPU", cpus: 2,
		},
		{
			name:  "arm64: no model",
			in:    "processor\t: 0\nBogoMIPS\t: 50.00\nCPU implementer\t: 0x41\nCPU part\t: 0xd0c\n\nprocessor\t: 1\nBogoMIPS\t: 50.00\n",
			model: "", cpus: 2,
		},
		{
			name:  "32-bit arm",
			in:    "processor\t: 0\nmodel name\t: ARMv7 Processor rev 4 (v7l)\n\nHardware\t: BCM2835\n",
			model: "ARMv7 Processor rev 4 (v7l)", cpus: 1,
		},
		{
			name:  "powerpc",
			in:    "processor\t: 0\ncpu\t\t: POWER9 (architected), altivec supported\nclock\t\t: 2200MHz\n\nprocessor\t: 8\ncpu\t\t: POWER9 (architected), altivec supported\n",
			model: "POWER9 (architected), altivec supported", cpus: 2,
		},
		{
			name:  "riscv",
			in:    "processor\t: 0\nhart\t\t: 1\nisa\t\t: rv64imafdc\nmmu\t\t: sv39\nuarch\t\t: sifive,u74-mc\n",
			model: "sifive,u74-mc", cpus: 1,
		},
		{
			name:  "mips",
			in:    "system type\t\t: MT7621\nmachine\t\t\t: X\nprocessor\t\t: 0\ncpu model\t\t: MIPS 1004Kc V2.15\n",
			model: "MIPS 1004Kc V2.15", cpus: 1,
		},
		{
			name:  "s390x",
			in:    "vendor_id       : IBM/S390\n# processors    : 4\nbogomips per cpu: 3033.00\nprocessor 0: version = FF,  identification = 0133E8,  machine = 2964\n",
			model: "", cpus: 4,
		},
		{name: "empty", in: "", model: "", cpus: 0},
		{name: "hostile", in: "processor: x\nprocessor: -1\nmodel name:\n:::\n", model: "", cpus: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			model, cpus, err := parseCPUInfo(strings.NewReader(tt.in))
			if err != nil {
				t.Fatal(err)
			}
			if model != tt.model || cpus != tt.cpus {
				t.Errorf("parseCPUInfo() = %q, %d; want %q, %d", model, cpus, tt.model, tt.cpus)
			}
		})
	}
}

func FuzzParseCPUInfo(f *testing.F) {
	data, err := os.ReadFile("testdata/proc/cpuinfo")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte("# processors : 99999999999\nprocessor : 4294967296\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		model, cpus, err := parseCPUInfo(bytes.NewReader(data))
		if err != nil {
			return
		}
		if cpus < 0 || (cpus > 0 && !bytes.Contains(bytes.ToLower(data), []byte("processor"))) {
			t.Errorf("parseCPUInfo(%q): %d cpus", data, cpus)
		}
		if model != "" && !bytes.Contains(data, []byte(model)) {
			t.Errorf("parseCPUInfo(%q): model %q not in the input", data, model)
		}
	})
}

func TestCleanFact(t *testing.T) {
	long := strings.Repeat("é", 200) // 400 bytes
	tests := []struct{ in, want string }{
		{"web-1\n", "web-1"},
		{"  spaced  ", "spaced"},
		{"a\x00b\x1b[1mc\x7fd", "ab[1mcd"},
		{"bad \xff\xfe utf-8", "bad \uFFFD utf-8"},
		{"<script>alert(1)</script>", "<script>alert(1)</script>"}, // escaping is the renderer's job
		{long, strings.Repeat("é", 128)},
	}
	for _, tt := range tests {
		got := cleanFact(tt.in)
		if got != tt.want {
			t.Errorf("cleanFact(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if !utf8.ValidString(got) || len(got) > maxFactLen {
			t.Errorf("cleanFact(%q) = %q: not valid UTF-8 or too long", tt.in, got)
		}
	}
}

func TestUnameMachine(t *testing.T) {
	for goarch, want := range map[string]string{
		"amd64": "x86_64", "arm64": "aarch64", "386": "i686", "riscv64": "riscv64",
		"ppc64le": "ppc64le", "s390x": "s390x", "loong64": "loongarch64",
	} {
		if got := unameMachine(goarch); got != want {
			t.Errorf("unameMachine(%q) = %q, want %q", goarch, got, want)
		}
	}
}

func TestReadHostFactsLive(t *testing.T) {
	src := procSource(t, "/proc")
	tick := statTick(t, src, time.Now(), nil)
	got, err := readHostFacts(src, tick)
	if err != nil {
		t.Fatal(err)
	}
	var u unix.Utsname
	if err := unix.Uname(&u); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ name, got, want string }{
		{"hostname", got.Hostname, unix.ByteSliceToString(u.Nodename[:])},
		{"kernel", got.Kernel, unix.ByteSliceToString(u.Release[:])},
		{"arch", got.Arch, unix.ByteSliceToString(u.Machine[:])},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q (uname)", c.name, c.got, c.want)
		}
	}
	if _, err := os.Stat("/etc/os-release"); err == nil && got.OS == "" {
		t.Errorf("os is empty though /etc/os-release exists")
	}
	if got.CPUCores < int32(len(tick.Stat.CPU)) || got.CPUCores < 1 {
		t.Errorf("cpu_cores = %d, /proc/stat lists %d", got.CPUCores, len(tick.Stat.CPU))
	}
	if got.MemoryBytes <= 0 || got.SwapBytes < 0 {
		t.Errorf("memory_bytes = %d, swap_bytes = %d", got.MemoryBytes, got.SwapBytes)
	}
	if got.BootTime != schema.Micros(tick.BootTime) || got.BootTime <= 0 {
		t.Errorf("boot_time = %d, want %d", got.BootTime, schema.Micros(tick.BootTime))
	}
}

// BenchmarkReadHostFacts measures one reading of the host facts (done
// every few minutes, not every sample).
// Run: go test ./sample -run '^$' -bench ReadHostFacts -benchmem
func BenchmarkReadHostFacts(b *testing.B) {
	src := procSource(b, "/proc")
	tick := statTick(b, src, time.Now(), nil)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := readHostFacts(src, tick); err != nil {
			b.Fatal(err)
		}
	}
}
