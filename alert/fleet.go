package alert

import (
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// FleetRule is a rule over the fleet, evaluated by render over the archive
// (and its no-data kind by almanac health): it keeps no state, every
// render works it out again from the samples.
//
// A no-data rule (NoData) raises an incident of its own for a host whose
// samples stop for longer than After: from the last sample before the
// silence, until the first one after it (ongoing while there is none).
//
// A count rule watches one value of every host (Metric, a table.column
// or one of FleetDerived, in Scope) and raises an incident of the fleet
// when at least Warn (or Crit) hosts are past Value, for For.
type FleetRule struct {
	Name string
	// Hosts is a glob (path.Match) of the host names the rule watches;
	// empty: every host.
	Hosts string

	NoData bool
	// After is how long a host may stay silent before it has no data;
	// 0: AutoAfter sampling intervals of the host.
	After time.Duration
	// Severity of a no-data incident (default crit).
	Severity Severity

	Metric string
	Scope  map[string]string
	// Value is the bound a host's value must be past to count.
	Value *Threshold
	// Warn and Crit are the numbers of hosts that make an incident (Crit
	// 0: none).
	Warn, Crit int
	For        time.Duration

	Source string // "rules.yaml:30", or "default"
}

// AutoAfter is how many of a host's sampling intervals a silence lasts
// before a no-data rule without after: fires.
const AutoAfter = 5

// FleetDerived lists the derived values a count rule can name besides
// table.column.
var FleetDerived = []string{
	"cpu.busy_pct",         // 100 - idle % of all CPUs
	"memory.available_pct", // available over total, %
	"filesystem.used_pct",  // used over used + available, as df
}

// DefaultFleet returns the fleet rules that apply when no rules file
// disables them: "no data", a host silent for AutoAfter sampling
// intervals.
func DefaultFleet() []FleetRule {
	return []FleetRule{{Name: "no data", NoData: true, Severity: SevCrit, Source: "default"}}
}

// EffectiveFleet returns the fleet rules in force: the default ones that
// f does not disable or replace, then f's own.
func (f *File) EffectiveFleet() []FleetRule {
	var out []FleetRule
	for _, d := range DefaultFleet() {
		if slices.Contains(f.Disable, d.Name) || slices.ContainsFunc(f.Fleet, func(r FleetRule) bool { return r.Name == d.Name }) {
			continue
		}
		out = append(out, d)
	}
	return append(out, f.Fleet...)
}

// Threshold returns how long host may stay silent under r before it has
// no data, given its sampling interval (0: unknown, a minute is assumed).
func (r *FleetRule) Threshold(interval time.Duration) time.Duration {
	if r.After > 0 {
		return r.After
	}
	if interval <= 0 {
		interval = time.Minute
	}
	return AutoAfter * interval
}

// Watches reports whether r applies to host.
func (r *FleetRule) Watches(host string) bool {
	if r.Hosts == "" {
		return true
	}
	ok, _ := path.Match(r.Hosts, host)
	return ok
}

// String describes what r watches, as almanac rules show writes it.
func (r *FleetRule) String() string {
	if r.NoData {
		after := "auto (" + strconv.Itoa(AutoAfter) + " sampling intervals)"
		if r.After > 0 {
			after = r.After.String()
		}
		return "no data for " + after
	}
	s := fmt.Sprintf("at least %d hosts with %s %s", r.Warn, r.Metric, r.Value)
	if r.Crit > 0 {
		s += fmt.Sprintf(" (crit: %d)", r.Crit)
	}
	return s
}

var fleetKeys = []string{"name", "hosts", "no_data", "severity", "metric", "scope", "value", "warn", "crit", "for"}

// fleetYAML is a fleet rule as written in a rules file.
type fleetYAML struct {
	Name     string            `yaml:"name"`
	Hosts    string            `yaml:"hosts"`
	NoData   string            `yaml:"no_data"`
	Severity string            `yaml:"severity"`
	Metric   string            `yaml:"metric"`
	Scope    map[string]string `yaml:"scope"`
	Value    string            `yaml:"value"`
	Warn     int               `yaml:"warn"`
	Crit     int               `yaml:"crit"`
	For      string            `yaml:"for"`
}

// parseFleetRule checks one rule of a rules file's fleet: section.
func parseFleetRule(n *yaml.Node, at func(*yaml.Node, string, ...any) error, known func(table, column string) bool) (FleetRule, error) {
	y, err := decodeMapping[fleetYAML](n, at, fleetKeys, "a fleet rule: want a mapping (name:, no_data: or metric:, …)", " in a fleet rule")
	if err != nil {
		return FleetRule{}, err
	}
	r := FleetRule{Name: y.Name, Hosts: y.Hosts, Metric: y.Metric, Scope: y.Scope}
	if r.Name == "" {
		return r, at(n, "a fleet rule without a name")
	}
	fail := func(format string, args ...any) error {
		return at(n, "fleet rule %q: %s", r.Name, fmt.Sprintf(format, args...))
	}
	if _, err := path.Match(r.Hosts, ""); err != nil {
		return r, fail("hosts: bad glob %q", r.Hosts)
	}
	switch {
	case (y.NoData == "") == (y.Metric == ""):
		return r, fail("want no_data: (auto or a duration) or metric: (a count of hosts), one of them")
	case y.NoData != "":
		r.NoData, r.Severity = true, SevCrit
		if y.NoData != "auto" {
			d, err := parseDuration(y.NoData)
			if err != nil || d <= 0 {
				return r, fail("no_data %q: want auto (%d sampling intervals) or a duration such as 10m", y.NoData, AutoAfter)
			}
			r.After = d
		}
		switch y.Severity {
		case "", "crit":
		case "warn":
			r.Severity = SevWarn
		default:
			return r, fail("severity %q: want warn or crit", y.Severity)
		}
		if y.Value != "" || y.Warn != 0 || y.Crit != 0 || y.For != "" || len(y.Scope) > 0 {
			return r, fail("a no_data rule takes no value, warn, crit, for or scope")
		}
		return r, nil
	}
	if !slices.Contains(FleetDerived, r.Metric) {
		table, column, ok := strings.Cut(r.Metric, ".")
		if !ok || !known(table, column) {
			return r, fail("metric %q: want table.column of the archive, or one of %s", r.Metric, strings.Join(FleetDerived, ", "))
		}
	}
	if y.Severity != "" {
		return r, fail("severity: only for a no_data rule (a count rule has warn: and crit: numbers of hosts)")
	}
	for label, glob := range r.Scope {
		if _, err := path.Match(glob, ""); err != nil {
			return r, fail("scope %s: bad glob %q", label, glob)
		}
	}
	if r.Value, err = parseThreshold(y.Value); err != nil {
		return r, fail("value: %v", err)
	}
	if r.Value == nil {
		return r, fail("want value: the bound a host must be past to count (e.g. value: \"> 90\")")
	}
	switch {
	case y.Warn < 1:
		return r, fail("warn: want the number of hosts (1 or more) that makes an incident, e.g. warn: 3")
	case y.Crit != 0 && y.Crit <= y.Warn:
		return r, fail("crit %d: want more hosts than warn %d", y.Crit, y.Warn)
	}
	r.Warn, r.Crit = y.Warn, y.Crit
	if r.For, err = parseDuration(y.For); err != nil {
		return r, fail("for: %v", err)
	}
	return r, nil
}

// Gap is a silence in the samples of a host: From is its last sample
// before, To its first sample after (zero: none yet, the silence goes on).
type Gap struct {
	From, To time.Time
}

// NoData returns the incidents a no-data rule raises for host: one per
// gap longer than the rule's threshold (Threshold of interval), firing
// when the threshold ran out, resolved at the first sample after it. Its
// Since is the last sample before the silence; Value and Peak the length
// of the silence in seconds. now ends an ongoing gap.
func NoData(r FleetRule, host string, gaps []Gap, interval time.Duration, now time.Time) []Transition {
	if !r.NoData || !r.Watches(host) {
		return nil
	}
	limit := r.Threshold(interval)
	var out []Transition
	for _, g := range gaps {
		end := g.To
		if end.IsZero() {
			end = now
		}
		if end.Sub(g.From) <= limit {
			continue
		}
		tr := Transition{Rule: r.Name, Host: host, Kind: KindFiring, Severity: r.Severity, At: g.From.Add(limit),
			Since: g.From, Value: limit.Seconds(), Peak: end.Sub(g.From).Seconds()}
		out = append(out, tr)
		if !g.To.IsZero() {
			tr.Kind, tr.At, tr.Value = KindResolved, g.To, tr.Peak
			out = append(out, tr)
		}
	}
	return out
}

// Point is one value of a host at a time (µs).
type Point struct {
	T int64
	V float64
}

// CountHosts evaluates a count rule over the values of each host (points
// in time order): time is cut into steps, a host counts in a step when
// its worst value there is past the rule's Value, and the number of hosts
// counting is run through an Evaluator with the rule's For. A step
// without any host's value is a gap, which neither fires nor resolves.
// The transitions have no Host (the fleet); Value and Peak are numbers
// of hosts.
func CountHosts(r FleetRule, step time.Duration, hosts map[string][]Point) []Transition {
	if r.NoData || r.Value == nil || step <= 0 {
		return nil
	}
	us := step.Microseconds()
	// counts holds, for each step with a value of any host, the number of
	// hosts whose worst value in it is past Value.
	counts := map[int64]int{}
	worse := func(a, b float64) bool {
		if r.Value.Above {
			return a > b
		}
		return a < b
	}
	for h, pts := range hosts {
		if !r.Watches(h) {
			continue
		}
		// Points come in time order: a step's points are consecutive.
		for i := 0; i < len(pts); {
			b := floorDiv(pts[i].T, us)
			worst, seen := 0.0, false
			for ; i < len(pts) && floorDiv(pts[i].T, us) == b; i++ {
				if v := pts[i].V; v == v && (!seen || worse(v, worst)) { // v == v: not NaN
					worst, seen = v, true
				}
			}
			if !seen {
				continue
			}
			n := counts[b]
			if r.Value.Breached(worst) {
				n++
			}
			counts[b] = n
		}
	}
	keys := make([]int64, 0, len(counts))
	for b := range counts {
		keys = append(keys, b)
	}
	slices.Sort(keys)
	rule := Rule{Name: r.Name, Metric: "fleet", Warn: &Threshold{Above: true, Value: float64(r.Warn) - 0.5}, For: r.For}
	if r.Crit > 0 {
		rule.Crit = &Threshold{Above: true, Value: float64(r.Crit) - 0.5}
	}
	e := NewEvaluator([]Rule{rule})
	var out []Transition
	for i, b := range keys {
		if i > 0 && b-keys[i-1] > 1 {
			e.Eval("", time.UnixMicro((keys[i-1]+1)*us), nil) // a gap
		}
		out = append(out, e.Eval("", time.UnixMicro(b*us), []Value{{Metric: "fleet", V: float64(counts[b])}})...)
	}
	return slices.DeleteFunc(out, func(t Transition) bool { return t.Kind == KindPending || t.Kind == KindCancelled })
}

// floorDiv is a / b rounded down (b > 0).
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && a < 0 {
		q--
	}
	return q
}
