package alert

import "time"

// RebootGrace is how long after a reboot a host's new threshold incidents
// are inhibited: a booting host is busy, swaps and fills caches for a
// while, and the reboot alert already says what happened.
const RebootGrace = 10 * time.Minute

// Inhibition is a span during which a host's new threshold incidents are
// inhibited, because something that explains them holds: the host was
// down or had no data, had just rebooted, or could not write its archive.
// To is zero while it goes on.
type Inhibition struct {
	From, To time.Time
	Cause    string // "no data", "down", "reboot", "archive not written"
}

// covers reports whether i holds at t.
func (i Inhibition) covers(t time.Time) bool {
	return !t.Before(i.From) && (i.To.IsZero() || t.Before(i.To))
}

// InhibitedBy returns the inhibition (of ins) that inhibits tr, and
// whether there is one. Only threshold incidents are inhibited (an event
// rule's incident, as the reboot itself, is what is worth telling), and
// an incident is inhibited as a whole, from its start to its resolve:
// when an inhibition covers its start (Since). An incident that began
// before is told to its end, so that no one is left with an incident
// that never resolves.
func InhibitedBy(tr Transition, ins []Inhibition) (Inhibition, bool) {
	if tr.Kind == KindEvent {
		return Inhibition{}, false
	}
	for _, in := range ins {
		if in.covers(tr.Since) {
			return in, true
		}
	}
	return Inhibition{}, false
}

// Inhibit splits trs into the transitions to notify and those that an
// inhibition of ins mutes (see InhibitedBy); the order is kept.
func Inhibit(trs []Transition, ins []Inhibition) (tell, muted []Transition) {
	for _, tr := range trs {
		if _, ok := InhibitedBy(tr, ins); ok {
			muted = append(muted, tr)
			continue
		}
		tell = append(tell, tr)
	}
	return tell, muted
}

// Prune drops the inhibitions that ended before t, keeping the slice's
// order. Pass a t well before now: an incident that began in an
// inhibition and goes on needs it until it resolves.
func Prune(ins []Inhibition, t time.Time) []Inhibition {
	out := ins[:0]
	for _, in := range ins {
		if in.To.IsZero() || !in.To.Before(t) {
			out = append(out, in)
		}
	}
	return out
}
