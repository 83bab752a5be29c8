package archive

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCheckHost(t *testing.T) {
	tests := []struct {
		name, host string
		ok         bool
		errHas     string
	}{
		{"plain", "web1", true, ""},
		{"fqdn", "web-1.example_org", true, ""},
		{"max length", strings.Repeat("a", 253), true, ""},
		{"too long", strings.Repeat("a", 254), false, "longer than 253"},
		{"empty", "", false, "empty host"},
		{"dot", ".", false, `"."`},
		{"dotdot", "..", false, `".."`},
		{"parent path", "../escape", false, `host "../escape": want letters, digits, '.', '_' or '-'`},
		{"slash", "a/b", false, `"a/b"`},
		{"equals", "host=x", false, "want letters"},
		{"space", "web 1", false, "want letters"},
		{"newline", "web\n1", false, `"web\n1"`},
		{"nul", "web\x001", false, "want letters"},
		{"non-ascii", "wéb", false, "want letters"},
		{"html", "<b>x</b>", false, "want letters"},
		{"leading dots ok", "...", true, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := CheckHost(tt.host)
			if got := err == nil; got != tt.ok {
				t.Fatalf("CheckHost(%q) = %v, want ok %v", tt.host, err, tt.ok)
			}
			if err != nil && !strings.Contains(err.Error(), tt.errHas) {
				t.Errorf("CheckHost(%q) = %q, want it to contain %q", tt.host, err, tt.errHas)
			}
		})
	}
}

func TestCheckTable(t *testing.T) {
	for _, tt := range []struct {
		table string
		ok    bool
	}{{"cpu", true}, {"process", true}, {"proc_user", true}, {"CPU", false}, {"", false}, {"../cpu", false}, {".journal", false}} {
		t.Run(tt.table, func(t *testing.T) {
			if err := CheckTable(tt.table); (err == nil) != tt.ok {
				t.Errorf("CheckTable(%q) = %v, want ok %v", tt.table, err, tt.ok)
			}
		})
	}
}

func TestPartitionDir(t *testing.T) {
	tests := []struct {
		name string
		p    Partition
		want string
	}{
		{"utc", Partition{"cpu", "web1", time.Date(2026, 8, 21, 0, 0, 0, 0, time.UTC)}, "cpu/host=web1/date=2026-08-21"},
		// Day is midnight UTC; a time in another zone names its UTC day.
		{"zone", Partition{"disk", "h", time.Date(2026, 1, 2, 1, 0, 0, 0, time.FixedZone("x", 2*3600))}, "disk/host=h/date=2026-01-01"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Dir(); got != tt.want {
				t.Errorf("Dir() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParsePartition(t *testing.T) {
	tests := []struct {
		name, dir string
		want      Partition
		ok        bool
	}{
		{"ok", "cpu/host=web1/date=2026-08-21", Partition{"cpu", "web1", time.Date(2026, 8, 21, 0, 0, 0, 0, time.UTC)}, true},
		{"slashes", "/memory/host=a.b/date=2024-02-29/", Partition{"memory", "a.b", time.Date(2024, 2, 29, 0, 0, 0, 0, time.UTC)}, true},
		{"bad table", "nope/host=web1/date=2026-08-21", Partition{}, false},
		{"bad host", "cpu/host=../x/date=2026-08-21", Partition{}, false},
		{"no host=", "cpu/web1/date=2026-08-21", Partition{}, false},
		{"bad date", "cpu/host=web1/date=2026-02-30", Partition{}, false},
		{"short date", "cpu/host=web1/date=2026-8-1", Partition{}, false},
		{"too deep", "cpu/host=web1/date=2026-08-21/x", Partition{}, false},
		{"empty", "", Partition{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParsePartition(tt.dir)
			if (err == nil) != tt.ok {
				t.Fatalf("ParsePartition(%q) = %v, want ok %v", tt.dir, err, tt.ok)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParsePartition(%q) mismatch (-want +got):\n%s", tt.dir, diff)
			}
			if tt.ok && got.Dir() != strings.Trim(tt.dir, "/") {
				t.Errorf("Dir() = %q, want %q", got.Dir(), strings.Trim(tt.dir, "/"))
			}
		})
	}
}

func FuzzParsePartition(f *testing.F) {
	for _, s := range []string{"cpu/host=web1/date=2026-08-21", "cpu/host=../x/date=2026-08-21", "a/b/c", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, dir string) {
		p, err := ParsePartition(dir)
		if err != nil {
			return
		}
		if CheckHost(p.Host) != nil || CheckTable(p.Table) != nil {
			t.Fatalf("ParsePartition(%q) accepted %+v", dir, p)
		}
		q, err := ParsePartition(p.Dir())
		if err != nil || !q.Day.Equal(p.Day) || q.Host != p.Host || q.Table != p.Table {
			t.Fatalf("round trip of %q: %+v, %v", dir, q, err)
		}
	})
}

func TestExpired(t *testing.T) {
	day := func(d int) time.Time { return time.Date(2026, 8, d, 0, 0, 0, 0, time.UTC) }
	parts := []Partition{{"cpu", "a", day(1)}, {"cpu", "a", day(10)}, {"cpu", "a", day(11)}, {"cpu", "a", day(20)}}
	now := time.Date(2026, 8, 21, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		keep time.Duration
		want []Partition
	}{
		// Day 10 ended on the 11th at 00:00, 10.5 days before now.
		{"ten days", 10 * 24 * time.Hour, parts[:2]},
		{"ten and a half days: not more than keep", 10*24*time.Hour + 12*time.Hour, parts[:1]},
		{"long", 90 * 24 * time.Hour, nil},
		{"short keeps nothing of the past", time.Hour, parts},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Expired(parts, now, tt.keep)); diff != "" {
				t.Errorf("Expired mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestLiveFiles(t *testing.T) {
	names := func(fs []dataFile) []string {
		var out []string
		for _, f := range fs {
			out = append(out, f.name)
		}
		return out
	}
	tests := []struct {
		name          string
		in            []string
		live, covered []string
	}{
		{"parts by seq", []string{"part-20.parquet", "part-3.parquet", "part-100.parquet"},
			[]string{"part-3.parquet", "part-20.parquet", "part-100.parquet"}, nil},
		{"day covers", []string{"part-5.parquet", "day-20.parquet", "part-20.parquet", "part-21.parquet"},
			[]string{"day-20.parquet", "part-21.parquet"}, []string{"part-20.parquet", "part-5.parquet"}},
		{"newest day wins", []string{"day-10.parquet", "day-30.parquet", "part-31.parquet"},
			[]string{"day-30.parquet", "part-31.parquet"}, []string{"day-10.parquet"}},
		{"hour file covers its range", []string{"part-5.parquet", "hour-5-9.parquet", "part-7.parquet", "part-9.parquet", "part-10.parquet"},
			[]string{"hour-5-9.parquet", "part-10.parquet"}, []string{"part-5.parquet", "part-7.parquet", "part-9.parquet"}},
		{"wider hour file covers an older one", []string{"hour-5-9.parquet", "hour-5-12.parquet", "part-12.parquet", "hour-20-30.parquet"},
			[]string{"hour-5-12.parquet", "hour-20-30.parquet"}, []string{"hour-5-9.parquet", "part-12.parquet"}},
		{"day file covers hour files", []string{"hour-5-9.parquet", "day-12.parquet", "hour-13-20.parquet", "part-21.parquet"},
			[]string{"day-12.parquet", "hour-13-20.parquet", "part-21.parquet"}, []string{"hour-5-9.parquet"}},
		{"other names ignored", []string{"part-1.parquet.tmp", "day-x.parquet", "part-01.parquet", "part--1.parquet", "notes.txt", "part-2.parquet.corrupt", "hour-5.parquet", "hour-9-5.parquet", "hour-5-5.parquet", "hour-05-9.parquet", "hour-5-9-10.parquet"},
			nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live, covered := liveFiles(tt.in)
			if diff := cmp.Diff(tt.live, names(live)); diff != "" {
				t.Errorf("live mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.covered, names(covered)); diff != "" {
				t.Errorf("covered mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
