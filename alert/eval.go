package alert

import (
	"encoding/json"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"time"
)

// Kind is what a Transition did.
type Kind uint8

// The kinds of transition.
const (
	KindPending   Kind = iota + 1 // a threshold is breached; the hold-down (For) runs
	KindCancelled                 // the value came back before the hold-down ran out
	KindFiring                    // an incident starts
	KindEscalated                 // a firing incident reached crit
	KindResolved                  // the value stayed clear for KeepFiringFor
	KindEvent                     // an event rule saw its event: an incident of one instant
	KindRepeat                    // a reminder that a firing incident goes on (Rule.RepeatEvery)
)

var kindNames = map[Kind]string{KindPending: "pending", KindCancelled: "cancelled", KindFiring: "firing",
	KindEscalated: "escalated", KindResolved: "resolved", KindEvent: "event", KindRepeat: "repeat"}

// String returns the kind's name: "pending", "firing", …
func (k Kind) String() string { return kindNames[k] }

// Notifies reports whether a transition of kind k is sent to people:
// an incident's start, escalation, reminders and end, and events; never
// the hold-down's comings and goings.
func (k Kind) Notifies() bool {
	return k == KindFiring || k == KindEscalated || k == KindResolved || k == KindEvent || k == KindRepeat
}

// Value is one value of one series in a sample: Metric as rules name it
// ("filesystem.used_pct", "memory.oom_kills"; "event:oom_kill" for an
// event, V its count), and the labels that tell the series apart
// (mountpoint, device, …), which rule scopes match. Series, when set, is
// the series' identity as text ("mountpoint=/var"); else it is made from
// Labels. An Extractor fills Labels only for the metrics a rule scopes.
type Value struct {
	Metric string
	Labels map[string]string
	Series string
	V      float64
}

// series is the identity of a series: Series, or its labels, sorted, as
// text.
func (v Value) series() string {
	if v.Series != "" || len(v.Labels) == 0 {
		return v.Series
	}
	keys := slices.Sorted(maps.Keys(v.Labels))
	var b strings.Builder
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k + "=" + v.Labels[k])
	}
	return b.String()
}

// Transition is one state change of a rule for one series of a host.
type Transition struct {
	Rule     string
	Host     string
	Series   string // the labels, "mountpoint=/var"; "" for a host-wide value
	Kind     Kind
	Severity Severity // the incident's worst severity so far
	At       time.Time
	// Since is when the incident (or the hold-down) began: the first
	// sample that breached.
	Since time.Time
	Value float64 // the value at At
	// Peak is the worst value of the incident so far (the highest for a
	// rule that fires above its thresholds, else the lowest).
	Peak float64
}

// Duration is how long the incident has lasted at the transition.
func (t Transition) Duration() time.Duration { return t.At.Sub(t.Since) }

// state is a rule's state for one series.
type state struct {
	firing   bool
	pending  bool
	sev      Severity
	since    time.Time     // start of the hold-down or incident
	held     time.Duration // time breached, over consecutive samples
	clearing bool          // firing, and clear at the previous value
	cleared  time.Duration // time clear since, over consecutive samples
	last     time.Time     // the previous observation
	peak     float64
	told     time.Time // when people were last told (firing, escalated, repeat)
	repeats  int
}

// Evaluator applies rules to the samples of hosts, keeping each rule's
// state per host and series. It is not safe for concurrent use.
type Evaluator struct {
	rules  []Rule
	states map[stateKey]*state
	prev   map[string]time.Time // each host's previous sample
}

// stateKey names one series of one rule of one host.
type stateKey struct{ rule, host, series string }

// NewEvaluator returns an Evaluator of rules, every series ok.
func NewEvaluator(rules []Rule) *Evaluator {
	return &Evaluator{rules: rules, states: map[stateKey]*state{}, prev: map[string]time.Time{}}
}

// Eval applies the rules to the values of one sample of host taken at t,
// and returns the transitions it caused, in rule order. A series of a
// rule without a value in vals is a gap: its state does not change, and
// its hold-down and keep-firing time do not advance across it.
func (e *Evaluator) Eval(host string, t time.Time, vals []Value) []Transition {
	var out []Transition
	prev := e.prev[host]
	for ri := range e.rules {
		r := &e.rules[ri]
		metric := r.Metric
		if r.Event != "" {
			metric = "event:" + r.Event
		}
		for _, v := range vals {
			if v.Metric != metric || !inScope(r.Scope, v.Labels) {
				continue
			}
			key := stateKey{r.Name, host, v.series()}
			st := e.states[key]
			if st == nil {
				st = &state{}
				e.states[key] = st
			}
			for _, tr := range e.step(r, st, prev, t, v.V) {
				tr.Rule, tr.Host, tr.Series = r.Name, host, key.series
				out = append(out, tr)
			}
		}
	}
	e.prev[host] = t
	return out
}

// step advances one series' state with the value v at t.
func (e *Evaluator) step(r *Rule, st *state, prev, t time.Time, v float64) []Transition {
	tr := func(k Kind) Transition {
		return Transition{Kind: k, Severity: st.sev, At: t, Since: st.since, Value: v, Peak: st.peak}
	}
	if r.Event != "" {
		if v <= 0 {
			return nil
		}
		return []Transition{{Kind: KindEvent, Severity: SevWarn, At: t, Since: t, Value: v, Peak: v}}
	}
	// The time since the previous value counts toward a hold-down or a
	// keep-firing period only if the series had no gap in between.
	// (It had none if it was seen at the host's previous sample.)
	var dt time.Duration
	if !st.last.IsZero() && st.last.Equal(prev) && t.After(st.last) {
		dt = t.Sub(st.last)
	}
	st.last = t
	sev := r.severity(v)
	worse := func(a, b float64) bool {
		if r.clearLevel().Above {
			return a > b
		}
		return a < b
	}
	switch {
	case st.firing:
		if worse(v, st.peak) {
			st.peak = v
		}
		var out []Transition
		if sev > st.sev {
			st.sev = sev
			st.told = t
			out = append(out, tr(KindEscalated))
		}
		if r.clearLevel().Breached(v) {
			st.clearing, st.cleared = false, 0
			limit := r.RepeatMax
			if limit == 0 {
				limit = 10
			}
			if r.RepeatEvery > 0 && len(out) == 0 && t.Sub(st.told) >= r.RepeatEvery && st.repeats < limit {
				st.told = t
				st.repeats++
				out = append(out, tr(KindRepeat))
			}
			return out
		}
		if st.clearing {
			st.cleared += dt
		}
		st.clearing = true
		if st.cleared >= r.KeepFiringFor {
			out = append(out, tr(KindResolved))
			*st = state{last: t}
		}
		return out
	case sev == SevNone:
		if st.pending {
			out := tr(KindCancelled)
			*st = state{last: t}
			return []Transition{out}
		}
		return nil
	}
	entered := !st.pending
	if entered {
		st.pending, st.since, st.held, st.sev, st.peak = true, t, 0, sev, v
	} else {
		st.held += dt
		st.sev = max(st.sev, sev)
		if worse(v, st.peak) {
			st.peak = v
		}
	}
	if st.held >= r.For {
		st.pending, st.firing, st.clearing, st.cleared = false, true, false, 0
		st.told, st.repeats = t, 0
		return []Transition{tr(KindFiring)}
	}
	if entered {
		return []Transition{tr(KindPending)}
	}
	return nil
}

// inScope reports whether labels match every glob of scope.
func inScope(scope, labels map[string]string) bool {
	for k, glob := range scope {
		v, ok := labels[k]
		if !ok {
			return false
		}
		if m, _ := path.Match(glob, v); !m {
			return false
		}
	}
	return true
}

// savedState is a series' state as MarshalState writes it.
type savedState struct {
	Rule     string        `json:"rule"`
	Host     string        `json:"host"`
	Series   string        `json:"series"`
	Firing   bool          `json:"firing,omitempty"`
	Pending  bool          `json:"pending,omitempty"`
	Severity Severity      `json:"severity,omitempty"`
	Since    time.Time     `json:"since"`
	Held     time.Duration `json:"held,omitempty"`
	Clearing bool          `json:"clearing,omitempty"`
	Cleared  time.Duration `json:"cleared,omitempty"`
	Last     time.Time     `json:"last"`
	Peak     float64       `json:"peak"`
	Told     time.Time     `json:"told"`
	Repeats  int           `json:"repeats,omitempty"`
}

// MarshalState returns the state of every series that is pending or
// firing, so that a restarted sampler resolves what it had fired (and
// does not fire it again). Series that are ok are left out.
func (e *Evaluator) MarshalState() ([]byte, error) {
	var out []savedState
	for k, st := range e.states {
		if !st.firing && !st.pending {
			continue
		}
		out = append(out, savedState{Rule: k.rule, Host: k.host, Series: k.series, Firing: st.firing, Pending: st.pending, Severity: st.sev, Since: st.since,
			Held: st.held, Clearing: st.clearing, Cleared: st.cleared, Last: st.last, Peak: st.peak, Told: st.told, Repeats: st.repeats})
	}
	slices.SortFunc(out, func(a, b savedState) int {
		return strings.Compare(a.Rule+"\x00"+a.Host+"\x00"+a.Series, b.Rule+"\x00"+b.Host+"\x00"+b.Series)
	})
	return json.Marshal(out)
}

// RestoreState sets the states MarshalState saved. The time between the
// save and the next sample is a gap: it counts toward no hold-down.
func (e *Evaluator) RestoreState(data []byte) error {
	var in []savedState
	if err := json.Unmarshal(data, &in); err != nil {
		return fmt.Errorf("alert: restore state: %w", err)
	}
	for _, s := range in {
		e.states[stateKey{s.Rule, s.Host, s.Series}] = &state{firing: s.Firing, pending: s.Pending, sev: s.Severity,
			since: s.Since, held: s.Held, clearing: s.Clearing, cleared: s.Cleared, last: s.Last, peak: s.Peak,
			told: s.Told, repeats: s.Repeats}
	}
	return nil
}
