// Package alert decides when a host's values or events become incidents.
//
// A rule watches one value of the archive's tables (a column, or a
// derived value such as filesystem used %) for every series in its scope,
// or one kind of event (an OOM kill, a reboot). Rules come from a YAML
// file (ParseRules) or the built-in defaults (Defaults); Evaluator applies
// them to samples and returns the state changes: pending, firing,
// escalated, resolved. It is pure: the caller brings the values and the
// time, and keeps nothing but the Evaluator.
//
// # Missing data
//
// A series without a value in a sample is a gap: it neither fires nor
// resolves a rule, and a hold-down or keep-firing period does not advance
// across it. A host that stopped sampling is told by its own "no data"
// rule, evaluated over the fleet, not by its thresholds.
package alert

import (
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Severity is how bad a firing rule is.
type Severity uint8

// The severities, in increasing order.
const (
	SevNone Severity = iota
	SevWarn
	SevCrit
)

// String returns "warn", "crit" or "".
func (s Severity) String() string {
	switch s {
	case SevWarn:
		return "warn"
	case SevCrit:
		return "crit"
	}
	return ""
}

// Threshold is a bound a value crosses: "> 90" or "< 10".
type Threshold struct {
	Above bool // the value is bad above Value, else below it
	Value float64
}

// Breached reports whether v is on the bad side of t.
func (t Threshold) Breached(v float64) bool {
	if t.Above {
		return v > t.Value
	}
	return v < t.Value
}

// String returns the threshold as written in a rules file.
func (t Threshold) String() string {
	op := "<"
	if t.Above {
		op = ">"
	}
	return op + " " + strconv.FormatFloat(t.Value, 'g', -1, 64)
}

// Rule is one alerting rule.
type Rule struct {
	Name string
	// Metric is "table.column" (memory.oom_kills) or a derived value
	// (Derived lists them). Empty for an event rule.
	Metric string
	// Event is the kind of event an event rule fires on (Events lists
	// them); empty for a threshold rule.
	Event string
	// Scope limits the series: label → glob (path.Match), e.g.
	// mountpoint: "/var*". Every label must match.
	Scope map[string]string
	// Warn and Crit are the thresholds; at least one is set, with the
	// same direction.
	Warn, Crit *Threshold
	// For is how long a threshold must hold before the rule fires.
	For time.Duration
	// Clear, when set, is the value the series must come back past before
	// the rule resolves (hysteresis); else the lowest threshold.
	Clear *float64
	// KeepFiringFor is how long the value must stay clear before the rule
	// resolves: a single dip does not.
	KeepFiringFor time.Duration
	// RepeatEvery, when set, sends a reminder while the incident goes on,
	// at most RepeatMax times (0: 10).
	RepeatEvery time.Duration
	RepeatMax   int
	// Where the rule was declared: "rules.yaml:12", or "default".
	Source string
}

// clearLevel is the value past which a firing rule counts as clear.
func (r *Rule) clearLevel() Threshold {
	t := r.Warn
	if t == nil {
		t = r.Crit
	}
	c := Threshold{Above: t.Above, Value: t.Value}
	if r.Clear != nil {
		c.Value = *r.Clear
	}
	return c
}

// severity returns the severity v breaches r at.
func (r *Rule) severity(v float64) Severity {
	switch {
	case r.Crit != nil && r.Crit.Breached(v):
		return SevCrit
	case r.Warn != nil && r.Warn.Breached(v):
		return SevWarn
	}
	return SevNone
}

// Events lists the event kinds an event rule can watch.
var Events = []string{"oom_kill", "reboot", "archive_write"}

// Derived lists the derived values a rule's metric can name besides
// table.column: each is computed from a sample's columns.
var Derived = []string{
	"memory.available_pct",  // available over total, %
	"swap.used_pct",         // used swap over total swap, %
	"filesystem.used_pct",   // used over used + available, as df
	"filesystem.inodes_pct", // inodes used over total, %
	"system.load_per_core",  // load1 over online CPUs
}

// ruleYAML is a rule as written in a rules file.
type ruleYAML struct {
	Name          string            `yaml:"name"`
	Metric        string            `yaml:"metric"`
	Event         string            `yaml:"event"`
	Scope         map[string]string `yaml:"scope"`
	Warn          string            `yaml:"warn"`
	Crit          string            `yaml:"crit"`
	For           string            `yaml:"for"`
	Clear         *float64          `yaml:"clear"`
	KeepFiringFor string            `yaml:"keep_firing_for"`
	RepeatEvery   string            `yaml:"repeat_every"`
	RepeatMax     int               `yaml:"repeat_max"`
}

var ruleKeys = []string{"name", "metric", "event", "scope", "warn", "crit", "for", "clear", "keep_firing_for", "repeat_every", "repeat_max"}

// File is a parsed rules file.
type File struct {
	Rules []Rule
	// Fleet are the file's fleet rules (its fleet: section), which
	// render evaluates over the archive.
	Fleet []FleetRule
	// Disable names default rules (host or fleet) switched off.
	Disable []string
	// Notify is the file's notify: section, for package notify to read
	// (nil when there is none).
	Notify *yaml.Node
}

// ParseRules reads a rules file:
//
//	rules:
//	  - name: var filling up
//	    metric: filesystem.used_pct
//	    scope: {mountpoint: "/var*"}
//	    warn: "> 80"
//	    crit: "> 90"
//	    for: 10m
//	    clear: 75
//	    keep_firing_for: 5m
//	    repeat_every: 4h   # reminders while it goes on
//	    repeat_max: 6      # at most (default 10)
//	  - name: oom
//	    event: oom_kill
//	fleet:
//	  - name: no data        # a host silent for 5 sampling intervals
//	    no_data: auto        # or a duration: 10m
//	  - name: web busy       # at least 3 (crit: 5) hosts with CPU over 90 % for 10m
//	    metric: cpu.busy_pct
//	    hosts: "web*"
//	    value: "> 90"
//	    warn: 3
//	    crit: 5
//	    for: 10m
//	disable: [load per core]
//	notify: […]   (see package notify)
//
// name is the file's name in errors, which say the line and what is wrong.
// known reports whether a table.column exists (the caller's schema).
func ParseRules(name string, r io.Reader, known func(table, column string) bool) (*File, error) {
	var doc yaml.Node
	if err := yaml.NewDecoder(r).Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return &File{}, nil
		}
		return nil, fmt.Errorf("alert: %s: %w", name, err)
	}
	at := func(n *yaml.Node, format string, args ...any) error {
		return fmt.Errorf("alert: %s:%d: %s", name, n.Line, fmt.Sprintf(format, args...))
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, at(root, "want a mapping with rules:, fleet: and disable:")
	}
	f := &File{}
	var errs []error
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		switch k.Value {
		case "rules":
			if v.Kind != yaml.SequenceNode {
				return nil, at(v, "rules: want a list of rules")
			}
			for _, n := range v.Content {
				rule, err := parseRule(n, at, known)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				rule.Source = fmt.Sprintf("%s:%d", name, n.Line)
				if slices.ContainsFunc(f.Rules, func(o Rule) bool { return o.Name == rule.Name }) {
					errs = append(errs, at(n, "rule %q: a second rule of that name", rule.Name))
					continue
				}
				f.Rules = append(f.Rules, rule)
			}
		case "fleet":
			if v.Kind != yaml.SequenceNode {
				return nil, at(v, "fleet: want a list of fleet rules")
			}
			for _, n := range v.Content {
				rule, err := parseFleetRule(n, at, known)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				rule.Source = fmt.Sprintf("%s:%d", name, n.Line)
				if slices.ContainsFunc(f.Fleet, func(o FleetRule) bool { return o.Name == rule.Name }) ||
					slices.ContainsFunc(f.Rules, func(o Rule) bool { return o.Name == rule.Name }) {
					errs = append(errs, at(n, "fleet rule %q: a second rule of that name", rule.Name))
					continue
				}
				f.Fleet = append(f.Fleet, rule)
			}
		case "disable":
			if err := v.Decode(&f.Disable); err != nil {
				return nil, at(v, "disable: want a list of default rule names")
			}
			for _, d := range f.Disable {
				if !slices.ContainsFunc(Defaults(), func(r Rule) bool { return r.Name == d }) &&
					!slices.ContainsFunc(DefaultFleet(), func(r FleetRule) bool { return r.Name == d }) {
					errs = append(errs, at(v, "disable: no default rule %q (almanac rules show lists them)", d))
				}
			}
		case "notify":
			f.Notify = v
		default:
			errs = append(errs, at(k, "unknown key %q: want rules, fleet, disable or notify", k.Value))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return f, nil
}

// decodeMapping decodes the mapping n into a T after checking that it is
// one (else the error notMapping) and that it has only the keys keys (an
// unknown key is named, where saying in what).
func decodeMapping[T any](n *yaml.Node, at func(*yaml.Node, string, ...any) error, keys []string, notMapping, where string) (T, error) {
	var y T
	if n.Kind != yaml.MappingNode {
		return y, at(n, "%s", notMapping)
	}
	for i := 0; i < len(n.Content); i += 2 {
		if k := n.Content[i]; !slices.Contains(keys, k.Value) {
			return y, at(k, "unknown key %q%s: want one of %s", k.Value, where, strings.Join(keys, ", "))
		}
	}
	if err := n.Decode(&y); err != nil {
		return y, at(n, "%v", err)
	}
	return y, nil
}

// parseRule checks one rule of a rules file.
func parseRule(n *yaml.Node, at func(*yaml.Node, string, ...any) error, known func(table, column string) bool) (Rule, error) {
	y, err := decodeMapping[ruleYAML](n, at, ruleKeys, "a rule: want a mapping (name:, metric: or event:, warn:, …)", "")
	if err != nil {
		return Rule{}, err
	}
	r := Rule{Name: y.Name, Metric: y.Metric, Event: y.Event, Scope: y.Scope, Clear: y.Clear}
	if r.Name == "" {
		return r, at(n, "a rule without a name")
	}
	fail := func(format string, args ...any) error {
		return at(n, "rule %q: %s", r.Name, fmt.Sprintf(format, args...))
	}
	switch {
	case (r.Metric == "") == (r.Event == ""):
		return r, fail("want metric: (a threshold rule) or event:, one of them")
	case r.Event != "":
		if !slices.Contains(Events, r.Event) {
			return r, fail("event %q: want one of %s", r.Event, strings.Join(Events, ", "))
		}
		if y.Warn != "" || y.Crit != "" || y.For != "" || y.Clear != nil || y.KeepFiringFor != "" || y.RepeatEvery != "" {
			return r, fail("an event rule takes no thresholds, for, clear, keep_firing_for or repeat_every")
		}
		return r, nil
	}
	if !slices.Contains(Derived, r.Metric) {
		table, column, ok := strings.Cut(r.Metric, ".")
		if !ok || !known(table, column) {
			return r, fail("metric %q: want table.column of the archive, or one of %s", r.Metric, strings.Join(Derived, ", "))
		}
	}
	for label, glob := range r.Scope {
		if _, err := path.Match(glob, ""); err != nil {
			return r, fail("scope %s: bad glob %q", label, glob)
		}
	}
	if r.Warn, err = parseThreshold(y.Warn); err != nil {
		return r, fail("warn: %v", err)
	}
	if r.Crit, err = parseThreshold(y.Crit); err != nil {
		return r, fail("crit: %v", err)
	}
	switch {
	case r.Warn == nil && r.Crit == nil:
		return r, fail("want warn: or crit: (e.g. warn: \"> 90\")")
	case r.Warn != nil && r.Crit != nil && r.Warn.Above != r.Crit.Above:
		return r, fail("warn and crit point in different directions")
	case r.Warn != nil && r.Crit != nil && !r.Warn.Breached(r.Crit.Value):
		return r, fail("crit %v is not past warn %v", r.Crit, r.Warn)
	}
	if r.Clear != nil && r.severity(*r.Clear) != SevNone {
		return r, fail("clear %v is past the thresholds: the rule could never resolve", *r.Clear)
	}
	if r.For, err = parseDuration(y.For); err != nil {
		return r, fail("for: %v", err)
	}
	if r.KeepFiringFor, err = parseDuration(y.KeepFiringFor); err != nil {
		return r, fail("keep_firing_for: %v", err)
	}
	if r.RepeatEvery, err = parseDuration(y.RepeatEvery); err != nil {
		return r, fail("repeat_every: %v", err)
	}
	if y.RepeatMax < 0 || y.RepeatMax > 0 && r.RepeatEvery == 0 {
		return r, fail("repeat_max %d: want a positive number, with repeat_every", y.RepeatMax)
	}
	r.RepeatMax = y.RepeatMax
	return r, nil
}

// parseThreshold parses "> 90" or "< 10"; "" is no threshold.
func parseThreshold(s string) (*Threshold, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	var t Threshold
	switch s[0] {
	case '>':
		t.Above = true
	case '<':
	default:
		return nil, fmt.Errorf("%q: want > or < and a number, e.g. \"> 90\"", s)
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s[1:]), 64)
	if err != nil {
		return nil, fmt.Errorf("%q: want > or < and a number, e.g. \"> 90\"", s)
	}
	t.Value = v
	return &t, nil
}

// parseDuration parses a Go duration ("10m", "1h30m"); "" is zero.
func parseDuration(s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("%q: want a duration such as 30s, 10m or 1h", s)
	}
	return d, nil
}

// Defaults returns the rules that apply when no rules file says
// otherwise (File.Disable switches them off by name).
func Defaults() []Rule {
	f := func(v float64) *float64 { return &v }
	above := func(v float64) *Threshold { return &Threshold{Above: true, Value: v} }
	below := func(v float64) *Threshold { return &Threshold{Value: v} }
	return []Rule{
		{Name: "filesystem full", Metric: "filesystem.used_pct", Warn: above(90), Crit: above(95), For: 5 * time.Minute, Clear: f(88), Source: "default"},
		{Name: "inodes full", Metric: "filesystem.inodes_pct", Warn: above(90), Crit: above(95), For: 5 * time.Minute, Clear: f(88), Source: "default"},
		{Name: "memory low", Metric: "memory.available_pct", Warn: below(10), Crit: below(5), For: 5 * time.Minute, Clear: f(12), KeepFiringFor: 2 * time.Minute, Source: "default"},
		{Name: "swapping in", Metric: "memory.swap_in_per_s", Warn: above(100), For: 10 * time.Minute, KeepFiringFor: 5 * time.Minute, Source: "default"},
		{Name: "load per core", Metric: "system.load_per_core", Warn: above(2), For: 15 * time.Minute, Clear: f(1.5), KeepFiringFor: 5 * time.Minute, Source: "default"},
		{Name: "hot", Metric: "temperature.celsius", Warn: above(85), Crit: above(95), For: 2 * time.Minute, Clear: f(80), Source: "default"},
		{Name: "zombies", Metric: "proc_count.zombie", Warn: above(20), For: 10 * time.Minute, Source: "default"},
		{Name: "memory pressure", Metric: "pressure.some_avg60", Scope: map[string]string{"resource": "memory"}, Warn: above(20), For: 5 * time.Minute, KeepFiringFor: 5 * time.Minute, Source: "default"},
		{Name: "oom kill", Event: "oom_kill", Source: "default"},
		{Name: "reboot", Event: "reboot", Source: "default"},
		{Name: "archive not written", Event: "archive_write", Source: "default"},
	}
}

// Effective returns the rules in force: the defaults that f does not
// disable, then f's own (a rule of f replaces a default of its name).
func (f *File) Effective() []Rule {
	var out []Rule
	for _, d := range Defaults() {
		if slices.Contains(f.Disable, d.Name) || slices.ContainsFunc(f.Rules, func(r Rule) bool { return r.Name == d.Name }) {
			continue
		}
		out = append(out, d)
	}
	return append(out, f.Rules...)
}
