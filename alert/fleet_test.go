package alert

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestParseFleetRules(t *testing.T) {
	const in = `fleet:
  - name: silent web
    hosts: "web*"
    no_data: 10m
    severity: warn
  - name: busy
    metric: cpu.busy_pct
    value: "> 90"
    warn: 2
    crit: 4
    for: 10m
disable: [no data]
`
	f, err := ParseRules("fleet.yaml", strings.NewReader(in), known)
	if err != nil {
		t.Fatal(err)
	}
	want := []FleetRule{
		{Name: "silent web", Hosts: "web*", NoData: true, After: 10 * time.Minute, Severity: SevWarn, Source: "fleet.yaml:2"},
		{Name: "busy", Metric: "cpu.busy_pct", Value: &Threshold{Above: true, Value: 90}, Warn: 2, Crit: 4, For: 10 * time.Minute, Source: "fleet.yaml:6"},
	}
	if diff := cmp.Diff(want, f.EffectiveFleet()); diff != "" {
		t.Errorf("effective fleet rules (-want +got):\n%s", diff)
	}
	if def := (&File{}).EffectiveFleet(); len(def) != 1 || !def[0].NoData || def[0].Name != "no data" {
		t.Errorf("default fleet rules = %+v, want the no data rule", def)
	}
}

func TestParseFleetRulesErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"neither", "fleet:\n  - name: a\n", `x.yaml:2: fleet rule "a": want no_data:`},
		{"both", "fleet:\n  - name: a\n    no_data: auto\n    metric: cpu.busy_pct\n", `x.yaml:2: fleet rule "a": want no_data:`},
		{"bad after", "fleet:\n  - name: a\n    no_data: soon\n", `no_data "soon": want auto`},
		{"bad severity", "fleet:\n  - name: a\n    no_data: auto\n    severity: high\n", `severity "high": want warn or crit`},
		{"no value", "fleet:\n  - name: a\n    metric: cpu.busy_pct\n    warn: 2\n", `want value:`},
		{"no warn", "fleet:\n  - name: a\n    metric: cpu.busy_pct\n    value: \"> 90\"\n", `warn: want the number of hosts`},
		{"crit below", "fleet:\n  - name: a\n    metric: cpu.busy_pct\n    value: \"> 90\"\n    warn: 3\n    crit: 2\n", `crit 2: want more hosts than warn 3`},
		{"unknown metric", "fleet:\n  - name: a\n    metric: cpu.nope\n    value: \"> 90\"\n    warn: 3\n", `metric "cpu.nope"`},
		{"unknown key", "fleet:\n  - name: a\n    no_data: auto\n    every: 1m\n", `x.yaml:4: unknown key "every" in a fleet rule`},
		{"bad glob", "fleet:\n  - name: a\n    no_data: auto\n    hosts: \"[\"\n", `hosts: bad glob`},
		{"twice", "fleet:\n  - name: a\n    no_data: auto\n  - name: a\n    no_data: 5m\n", `x.yaml:4: fleet rule "a": a second rule`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRules("x.yaml", strings.NewReader(tt.in), known)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one containing %q", err, tt.want)
			}
		})
	}
}

func TestNoData(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	gaps := []Gap{
		{From: at(0), To: at(4)},   // 4m: under 5 intervals of 1m
		{From: at(10), To: at(30)}, // 20m: an incident, resolved
		{From: at(50)},             // ongoing since 50
	}
	r := DefaultFleet()[0]
	got := NoData(r, "web1", gaps, time.Minute, at(60))
	want := []Transition{
		{Rule: "no data", Host: "web1", Kind: KindFiring, Severity: SevCrit, At: at(15), Since: at(10), Value: 300, Peak: 1200},
		{Rule: "no data", Host: "web1", Kind: KindResolved, Severity: SevCrit, At: at(30), Since: at(10), Value: 1200, Peak: 1200},
		{Rule: "no data", Host: "web1", Kind: KindFiring, Severity: SevCrit, At: at(55), Since: at(50), Value: 300, Peak: 600},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NoData (-want +got):\n%s", diff)
	}
	// An explicit after, and a host the rule does not watch.
	r2 := FleetRule{Name: "x", NoData: true, After: 30 * time.Minute, Hosts: "db*", Severity: SevWarn}
	if got := NoData(r2, "db1", gaps, time.Minute, at(60)); len(got) != 0 {
		t.Errorf("after 30m: %d transitions, want none (no gap is longer)", len(got))
	}
	if got := NoData(r2, "web1", []Gap{{From: at(0)}}, time.Minute, at(120)); len(got) != 0 {
		t.Errorf("hosts db*: web1 got %d transitions", len(got))
	}
}

func TestCountHosts(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	us := func(m int) int64 { return t0.Add(time.Duration(m) * time.Minute).UnixMicro() }
	// Three hosts, one value a minute; b and c are above 90 from minute 2
	// to 7, c alone after; a never. Minutes 12-14 have no data at all.
	series := func(above func(m int) bool) []Point {
		var pts []Point
		for m := range 20 {
			if m >= 12 && m < 15 {
				continue
			}
			v := 50.0
			if above(m) {
				v = 95
			}
			pts = append(pts, Point{T: us(m), V: v})
		}
		return pts
	}
	hosts := map[string][]Point{
		"a":  series(func(int) bool { return false }),
		"b":  series(func(m int) bool { return m >= 2 && m < 8 }),
		"c":  series(func(m int) bool { return m >= 2 }),
		"db": series(func(int) bool { return true }), // not watched
	}
	r := FleetRule{Name: "busy", Hosts: "[abc]", Metric: "cpu.busy_pct", Value: &Threshold{Above: true, Value: 90}, Warn: 2, For: 3 * time.Minute}
	got := CountHosts(r, time.Minute, hosts)
	var kinds []string
	for _, tr := range got {
		kinds = append(kinds, tr.Kind.String()+"@"+tr.At.Format("04"))
		if tr.Host != "" || tr.Since != time.UnixMicro(us(2)) {
			t.Errorf("transition %+v: want the fleet's, since minute 2", tr)
		}
	}
	if diff := cmp.Diff([]string{"firing@05", "resolved@08"}, kinds); diff != "" {
		t.Errorf("transitions (-want +got):\n%s", diff)
	}
	// Two hosts are needed at minutes 2-4 only (hold-down 3m not met),
	// or across the gap of minutes 12-14: nothing fires.
	r.For = 10 * time.Minute
	if got := CountHosts(r, time.Minute, hosts); len(got) != 0 {
		t.Errorf("for 10m: %v, want nothing", got)
	}
	// crit: all three (with db matched).
	r = FleetRule{Name: "busy", Value: &Threshold{Above: true, Value: 90}, Warn: 2, Crit: 3}
	got = CountHosts(r, time.Minute, hosts)
	if len(got) != 1 || got[0].Kind != KindFiring || got[0].Severity != SevCrit || got[0].Peak != 3 {
		t.Errorf("crit: %+v, want one firing at crit with 3 hosts (c and db stay above: no resolve)", got)
	}
}

func TestInhibit(t *testing.T) {
	t0 := time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)
	at := func(m int) time.Time { return t0.Add(time.Duration(m) * time.Minute) }
	ins := []Inhibition{{From: at(0), To: at(10), Cause: "reboot"}, {From: at(30), Cause: "archive not written"}}
	trs := []Transition{
		{Rule: "load", Kind: KindFiring, Since: at(5), At: at(20)},     // began in the reboot grace
		{Rule: "load", Kind: KindResolved, Since: at(5), At: at(25)},   // its end, muted too
		{Rule: "mem", Kind: KindResolved, Since: at(-30), At: at(5)},   // began before: told
		{Rule: "reboot", Kind: KindEvent, Since: at(1), At: at(1)},     // an event: told
		{Rule: "fs", Kind: KindFiring, Since: at(40), At: at(45)},      // while writes fail
		{Rule: "swap", Kind: KindEscalated, Since: at(12), At: at(31)}, // began between
	}
	tell, muted := Inhibit(trs, ins)
	name := func(ts []Transition) []string {
		var out []string
		for _, t := range ts {
			out = append(out, t.Rule+" "+t.Kind.String())
		}
		return out
	}
	if diff := cmp.Diff([]string{"mem resolved", "reboot event", "swap escalated"}, name(tell)); diff != "" {
		t.Errorf("told (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"load firing", "load resolved", "fs firing"}, name(muted)); diff != "" {
		t.Errorf("muted (-want +got):\n%s", diff)
	}
	if in, ok := InhibitedBy(trs[4], ins); !ok || in.Cause != "archive not written" {
		t.Errorf("InhibitedBy = %v %v", in, ok)
	}
	if got := Prune(append([]Inhibition(nil), ins...), at(11)); len(got) != 1 || got[0].Cause != "archive not written" {
		t.Errorf("Prune = %v", got)
	}
}
