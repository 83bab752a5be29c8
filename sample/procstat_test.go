//go:build linux

package sample

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// A stat line of this machine's bash (pid 1034), with the name replaced.
func statLine(comm string) string {
	return "1034 (" + comm + ") S 1033 1034 1034 0 -1 4194560 13890 3753109 0 848 7 12 10040 2993 20 0 3 0 5371 5386240 1024 18446744073709551615 93903725748224 93903726537629 140726257178080 0 0 0 0 4 1132560123 1 0 0 17 1 0 0 0 0 0 93903726770928 93903726819172 93904348991488 140726257183583 140726257183598 140726257183598 140726257184746 0\n"
}

func TestParseProcStat(t *testing.T) {
	bash := procStat{PID: 1034, State: 'S', PPID: 1033, UTime: 7, STime: 12, Threads: 3,
		StartTime: 5371, VSize: 5386240, RSS: 1024}
	with := func(comm string) procStat { s := bash; s.Comm = []byte(comm); return s }
	tests := []struct {
		name    string
		in      string
		want    procStat
		wantErr error
	}{
		{"plain", statLine("bash"), with("bash"), nil},
		{"script", statLine("<script>alert(1)</script>"), with("<script>alert(1)</script>"), nil},
		{"paren state lookalike", statLine("evil) (R 99"), with("evil) (R 99"), nil},
		{"only parens", statLine(")()("), with(")()("), nil},
		{"newline", statLine("two\nlines"), with("two\nlines"), nil},
		{"not utf8", statLine("bad\xff\xfe"), with("bad\xff\xfe"), nil},
		{"empty comm", statLine(""), with(""), nil},
		{"long comm", statLine("kworker/u8:0-kvfree_rcu_reclaim-and-then-some-more"),
			with("kworker/u8:0-kvfree_rcu_reclaim-and-then-some-more"), nil},
		{"no trailing newline", statLine("bash")[:len(statLine("bash"))-1], with("bash"), nil},
		{"stops after rss", "1 (x) S 0 0 0 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 30 100 7",
			procStat{PID: 1, Comm: []byte("x"), State: 'S', UTime: 5, STime: 6, Threads: 1, StartTime: 30, VSize: 100, RSS: 7}, nil},
		{"kernel thread", "10 (kworker/0:0H-events_highpri) I 2 0 0 0 -1 69238880 0 0 0 0 0 0 0 0 0 -20 1 0 30 0 0 18446744073709551615 0 0\n",
			procStat{PID: 10, Comm: []byte("kworker/0:0H-events_highpri"), State: 'I', PPID: 2, Threads: 1, StartTime: 30}, nil},
		{"empty", "", procStat{}, errStatShape},
		{"no paren", "1034 bash S 1", procStat{}, errStatShape},
		{"no closing paren", "1034 (bash S 1033", procStat{}, errStatShape},
		{"no pid", "(bash) S 1", procStat{}, errStatShape},
		{"pid not a number", "x1 (bash) S 1", procStat{}, errStatNumber},
		{"pid zero", "0 (bash) S 1", procStat{}, errStatNumber},
		{"pid too big", "2147483648 (bash) S 1", procStat{}, errStatNumber},
		{"truncated", "1034 (bash) S 1033 1034", procStat{}, errStatFields},
		{"two spaces", "1034 (bash)  S 1033", procStat{}, errStatFields},
		{"state two letters", "1 (x) SS 0 0 0 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 30 100 7", procStat{}, errStatNumber},
		{"utime negative", "1 (x) S 0 0 0 0 -1 0 0 0 0 0 -5 6 0 0 20 0 1 0 30 100 7", procStat{}, errStatNumber},
		{"utime overflow", "1 (x) S 0 0 0 0 -1 0 0 0 0 0 18446744073709551616 6 0 0 20 0 1 0 30 100 7", procStat{}, errStatNumber},
		{"rss negative", "1 (x) S 0 0 0 0 -1 0 0 0 0 0 5 6 0 0 20 0 1 0 30 100 -7", procStat{}, errStatNumber},
		{"threads too big", "1 (x) S 0 0 0 0 -1 0 0 0 0 0 5 6 0 0 20 0 2147483648 0 30 100 7", procStat{}, errStatNumber},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseProcStat([]byte(tt.in))
			if err != tt.wantErr {
				t.Fatalf("parseProcStat(%q) error = %v, want %v", tt.in, err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseProcStat(%q) mismatch (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

// Every stat file of the fixture trees parses, and the name comes out as
// the kernel wrote it.
func TestParseProcStatFixtures(t *testing.T) {
	comms := map[string]string{
		"1": "systemd", "2": "kthreadd", "10": "kworker/0:0H-events_highpri", "1034": "bash",
		"4242": "<script>alert(1)</script>", "4243": "evil) (R 99", "4244": "two\nlines",
		"4245": "bad\xff\xfename", "4246": "dpkg-deb",
	}
	files, err := filepath.Glob("testdata/proc*/[0-9]*/stat")
	if err != nil || len(files) < 20 {
		t.Fatalf("glob fixture stat files: %d files, %v", len(files), err)
	}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s, err := parseProcStat(data)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		pid := filepath.Base(filepath.Dir(f))
		if got := strconv.Itoa(int(s.PID)); got != pid {
			t.Errorf("%s: pid %s, want %s", f, got, pid)
		}
		if want, ok := comms[pid]; ok && string(s.Comm) != want {
			t.Errorf("%s: comm %q, want %q", f, s.Comm, want)
		}
	}
}

func TestParseProcIO(t *testing.T) {
	tests := []struct {
		name        string
		in          string
		read, write uint64
		wantErr     bool
	}{
		{"bash", "rchar: 1283426035\nwchar: 697936516\nsyscr: 260990\nsyscw: 85272\nread_bytes: 545026048\nwrite_bytes: 783908864\ncancelled_write_bytes: 176873472\n",
			545026048, 783908864, false},
		{"cancelled before write", "cancelled_write_bytes: 9\nread_bytes: 1\nwrite_bytes: 2", 1, 2, false},
		{"max", "read_bytes: 18446744073709551615\nwrite_bytes: 0\n", 1<<64 - 1, 0, false},
		{"empty", "", 0, 0, true},
		{"no write", "read_bytes: 1\n", 0, 0, true},
		{"only cancelled", "read_bytes: 1\ncancelled_write_bytes: 2\n", 0, 0, true},
		{"garbage value", "read_bytes: x\nwrite_bytes: 2\n", 0, 0, true},
		{"negative", "read_bytes: -1\nwrite_bytes: 2\n", 0, 0, true},
		{"overflow", "read_bytes: 18446744073709551616\nwrite_bytes: 2\n", 0, 0, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, w, err := parseProcIO([]byte(tt.in))
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseProcIO error = %v, want error %v", err, tt.wantErr)
			}
			if r != tt.read || w != tt.write {
				t.Errorf("parseProcIO = %d, %d, want %d, %d", r, w, tt.read, tt.write)
			}
		})
	}
}

func TestCleanCmdline(t *testing.T) {
	tests := []struct{ in, want string }{
		{"", ""},
		{"\x00", ""},
		{"bash\x00--login\x00", "bash --login"},
		{"sshd: alice@pts/0   ", "sshd: alice@pts/0"},
		{"a\x00\x00b\x00", "a  b"},
	}
	for _, tt := range tests {
		if got := string(cleanCmdline([]byte(tt.in))); got != tt.want {
			t.Errorf("cleanCmdline(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestProcText(t *testing.T) {
	if got, want := procText([]byte("bad\xff\xfename")), "bad\uFFFDname"; got != want {
		t.Errorf("procText = %q, want %q", got, want)
	}
	if got, want := procText([]byte("<script>")), "<script>"; got != want {
		t.Errorf("procText = %q, want %q", got, want)
	}
}

func FuzzParseProcStat(f *testing.F) {
	files, _ := filepath.Glob("testdata/proc*/[0-9]*/stat")
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	for _, c := range []string{"<script>alert(1)</script>", "evil) (R 99", "two\nlines", "bad\xff\xfe", ")", "("} {
		f.Add([]byte(statLine(c)))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := parseProcStat(data)
		if err != nil {
			return
		}
		if s.PID <= 0 || s.PPID < 0 || s.Threads < 0 || s.RSS < 0 {
			t.Errorf("parseProcStat(%q) = %+v: negative ids or counts", data, s)
		}
		// The name lies within the input, between a '(' and the last ')'.
		if len(s.Comm) > len(data) {
			t.Errorf("comm longer than the input")
		}
		if procText(s.Comm) == "" && len(s.Comm) > 0 || !utf8.ValidString(procText(s.Comm)) {
			t.Errorf("procText(%q) is not valid UTF-8", s.Comm)
		}
	})
}

func FuzzParseProcIO(f *testing.F) {
	files, _ := filepath.Glob("testdata/proc*/[0-9]*/io")
	for _, p := range files {
		if data, err := os.ReadFile(p); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("read_bytes: 1\nwrite_bytes: 2\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		r, w, err := parseProcIO(data)
		if err == nil {
			r2, w2, err := parseProcIO(fmt.Appendf(nil, "read_bytes: %d\nwrite_bytes: %d\n", r, w))
			if err != nil || r2 != r || w2 != w {
				t.Errorf("parseProcIO(%q) = %d, %d; round trip gives %d, %d, %v", data, r, w, r2, w2, err)
			}
		}
		line := cleanCmdline(append([]byte(nil), data...))
		if len(line) > len(data) {
			t.Errorf("cleanCmdline grew its input")
		}
	})
}
