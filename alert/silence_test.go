package alert

import (
	"strings"
	"testing"
	"time"
)

func TestSilences(t *testing.T) {
	ss, err := ParseSilences("s.yaml", strings.NewReader(`silences:
  - rule: filesystem full
    host: "web*"
    series: "mountpoint=/var*"
    until: 2026-11-30T13:00:00Z
    comment: disk swap
  - host: db1
    until: 2026-11-30T12:30:00Z
`))
	if err != nil {
		t.Fatal(err)
	}
	if len(ss) != 2 || ss[0].Source != "s.yaml:2" || ss[0].Comment != "disk swap" {
		t.Fatalf("silences %+v", ss)
	}
	tests := []struct {
		host, rule, series string
		at                 time.Time
		want               bool
	}{
		{"web1", "filesystem full", "mountpoint=/var", t0, true},
		{"web1", "filesystem full", "mountpoint=/", t0, false},
		{"web1", "memory low", "", t0, false},
		{"web1", "filesystem full", "mountpoint=/var/log", t0.Add(2 * time.Hour), false}, // expired
		{"db1", "anything", "", t0, true},
		{"db1", "anything", "", t0.Add(time.Hour), false},
	}
	for _, tt := range tests {
		got := false
		for _, s := range ss {
			got = got || s.Matches(tt.host, tt.rule, tt.series, tt.at)
		}
		if got != tt.want {
			t.Errorf("%s %s %s at %v: silenced %v, want %v", tt.host, tt.rule, tt.series, tt.at, got, tt.want)
		}
	}
	for _, bad := range []struct{ in, want string }{
		{"silences:\n  - rule: x\n", "s.yaml:2: a silence without until:"},
		{"silences:\n  - until: 2026-12-01T00:00:00Z\n", "matches everything"},
		{"silences:\n  - rule: x\n    until: tomorrow\n", "s.yaml:2:"},
		{"silences:\n  - rule: \"[\"\n    until: 2026-12-01T00:00:00Z\n", "bad glob"},
		{"silence: []\n", "s.yaml"},
	} {
		if _, err := ParseSilences("s.yaml", strings.NewReader(bad.in)); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("ParseSilences(%q) = %v, want an error with %q", bad.in, err, bad.want)
		}
	}
}
