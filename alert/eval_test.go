package alert

import (
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

// step is one sample of a synthetic series: its value, or NaN for a gap.
type step = float64

var gap = math.NaN()

// run feeds the series (one value every 10 s, NaN a gap) to a rule and
// returns the transitions as "kind sev @i since=j value peak" strings,
// i and j the sample numbers.
func run(r Rule, series []step) []string {
	e := NewEvaluator([]Rule{r})
	var out []string
	at := func(t time.Time) int { return int(t.Sub(t0) / (10 * time.Second)) }
	for i, v := range series {
		t := t0.Add(time.Duration(i) * 10 * time.Second)
		var vals []Value
		if !math.IsNaN(v) {
			vals = []Value{{Metric: r.Metric, Labels: map[string]string{"mountpoint": "/var"}, V: v}}
		}
		for _, tr := range e.Eval("web1", t, vals) {
			out = append(out, strings.TrimSpace(strings.Join([]string{tr.Kind.String(), tr.Severity.String(),
				"@" + itoa(at(tr.At)), "since=" + itoa(at(tr.Since)), ftoa(tr.Value), ftoa(tr.Peak)}, " ")))
		}
	}
	return out
}

func itoa(i int) string     { return strconv.Itoa(i) }
func ftoa(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func TestEval(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	fs := Rule{Name: "fs", Metric: "filesystem.used_pct", Warn: &Threshold{Above: true, Value: 90},
		Crit: &Threshold{Above: true, Value: 95}}
	with := func(mod func(r *Rule)) Rule {
		r := fs
		mod(&r)
		return r
	}
	tests := []struct {
		name   string
		rule   Rule
		series []step
		want   []string
	}{
		{"below: nothing", fs, []step{50, 60, 89, 90}, nil},
		{"no hold-down: fires at once, resolves once clear", fs, []step{50, 91, 92, 80},
			[]string{"firing warn @1 since=1 91 91", "resolved warn @3 since=1 80 92"}},
		{"hold-down: pending, then firing after for", with(func(r *Rule) { r.For = 20 * time.Second }),
			[]step{91, 92, 93, 94, 50},
			[]string{"pending warn @0 since=0 91 91", "firing warn @2 since=0 93 93", "resolved warn @4 since=0 50 94"}},
		{"hold-down cancelled by a dip", with(func(r *Rule) { r.For = 30 * time.Second }),
			[]step{91, 92, 50, 91},
			[]string{"pending warn @0 since=0 91 91", "cancelled warn @2 since=0 50 92", "pending warn @3 since=3 91 91"}},
		{"escalation warn to crit inside one incident", fs, []step{91, 96, 93, 50},
			[]string{"firing warn @0 since=0 91 91", "escalated crit @1 since=0 96 96", "resolved crit @3 since=0 50 96"}},
		{"crit at once", fs, []step{97, 50}, []string{"firing crit @0 since=0 97 97", "resolved crit @1 since=0 50 97"}},
		{"hysteresis: resolves only past clear", with(func(r *Rule) { r.Clear = f(85) }),
			[]step{91, 89, 86, 91, 85, 84},
			[]string{"firing warn @0 since=0 91 91", "resolved warn @4 since=0 85 91"}},
		{"keep_firing_for: a single dip does not resolve", with(func(r *Rule) { r.KeepFiringFor = 20 * time.Second }),
			[]step{91, 50, 92, 50, 50, 50},
			[]string{"firing warn @0 since=0 91 91", "resolved warn @5 since=0 50 92"}},
		{"flapping every sample: one start, one resolve", with(func(r *Rule) { r.KeepFiringFor = 30 * time.Second }),
			[]step{91, 89, 91, 89, 91, 89, 91, 89, 89, 89, 89},
			[]string{"firing warn @0 since=0 91 91", "resolved warn @10 since=0 89 91"}},
		{"a gap neither fires nor resolves", with(func(r *Rule) { r.KeepFiringFor = 10 * time.Second }),
			[]step{91, gap, gap, gap, 92, 50, 50},
			[]string{"firing warn @0 since=0 91 91", "resolved warn @6 since=0 50 92"}},
		{"a gap does not count toward the hold-down", with(func(r *Rule) { r.For = 20 * time.Second }),
			[]step{91, gap, gap, gap, 92, 93, 94},
			[]string{"pending warn @0 since=0 91 91", "firing warn @6 since=0 94 94"}},
		{"a gap does not count toward keep_firing_for", with(func(r *Rule) { r.KeepFiringFor = 20 * time.Second }),
			[]step{91, 50, gap, gap, 50, 50, 50},
			[]string{"firing warn @0 since=0 91 91", "resolved warn @6 since=0 50 91"}},
		{"repeat_every: reminders while it goes on, at most repeat_max", with(func(r *Rule) { r.RepeatEvery = 20 * time.Second; r.RepeatMax = 2 }),
			[]step{91, 92, 93, 94, 91, 92, 93, 50},
			[]string{"firing warn @0 since=0 91 91", "repeat warn @2 since=0 93 93", "repeat warn @4 since=0 91 94", "resolved warn @7 since=0 50 94"}},
		{"below: low memory", Rule{Name: "mem", Metric: "memory.available_pct", Warn: &Threshold{Value: 10}, Crit: &Threshold{Value: 5}, Clear: f(12)},
			[]step{20, 9, 4, 11, 13},
			[]string{"firing warn @1 since=1 9 9", "escalated crit @2 since=1 4 4", "resolved crit @4 since=1 13 4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, run(tt.rule, tt.series)); diff != "" {
				t.Errorf("transitions (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEvalScopeAndSeries checks that each series of a rule has its own
// state, that scope globs select series, and that events fire once per
// sample that saw them.
func TestEvalScopeAndSeries(t *testing.T) {
	rules := []Rule{
		{Name: "var", Metric: "filesystem.used_pct", Scope: map[string]string{"mountpoint": "/var*"}, Warn: &Threshold{Above: true, Value: 90}},
		{Name: "oom", Event: "oom_kill"},
	}
	e := NewEvaluator(rules)
	fs := func(mp string, v float64) Value {
		return Value{Metric: "filesystem.used_pct", Labels: map[string]string{"mountpoint": mp}, V: v}
	}
	got := e.Eval("web1", t0, []Value{fs("/", 99), fs("/var", 95), fs("/var/log", 50), {Metric: "event:oom_kill", V: 2}})
	var names []string
	for _, tr := range got {
		names = append(names, tr.Rule+" "+tr.Kind.String()+" "+tr.Series)
	}
	want := []string{"var firing mountpoint=/var", "oom event "}
	if diff := cmp.Diff(want, names); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// Another host's series are its own.
	if got := e.Eval("db1", t0, []Value{fs("/var", 50)}); len(got) != 0 {
		t.Errorf("db1: %v, want nothing", got)
	}
	if got := e.Eval("web1", t0.Add(10*time.Second), []Value{fs("/var", 50), {Metric: "event:oom_kill", V: 0}}); len(got) != 1 || got[0].Kind != KindResolved {
		t.Errorf("web1 next: %v, want /var resolved and no event", got)
	}
	for _, k := range []Kind{KindFiring, KindEscalated, KindResolved, KindEvent} {
		if !k.Notifies() {
			t.Errorf("%v does not notify", k)
		}
	}
	if KindPending.Notifies() || KindCancelled.Notifies() {
		t.Error("the hold-down notifies")
	}
}
