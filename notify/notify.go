// Package notify tells people about incidents: it turns the state changes
// of the alerting rules into messages and delivers them to channels
// (a webhook, e-mail over SMTP, a command).
//
// Messages go through an outbox folder first (one file a message,
// written atomically), and a Notifier delivers them in order, retrying a
// failing channel with backoff; so the sampler never waits for a channel,
// a restart loses nothing, and a channel that was down gets everything
// once it is back, in order.
package notify

import (
	"fmt"
	"strings"
	"time"

	"almanac/alert"
)

// Message is one notification: the incidents of one host that changed in
// one sample, grouped.
type Message struct {
	Host    string    `json:"host"`
	Time    time.Time `json:"time"`
	Changes []Change  `json:"changes"`
}

// Change is one state change of an incident.
type Change struct {
	Rule     string        `json:"rule"`
	Series   string        `json:"series,omitempty"`
	State    string        `json:"state"` // firing, escalated, resolved or event
	Severity string        `json:"severity"`
	Since    time.Time     `json:"since"`
	Value    float64       `json:"value"`
	Peak     float64       `json:"peak"`
	Duration time.Duration `json:"duration_ns"`
}

// FromTransitions groups the transitions of one sample of host that
// notify (alert.Kind.Notifies) into one message; ok is false when none
// does.
func FromTransitions(host string, at time.Time, trs []alert.Transition) (Message, bool) {
	m := Message{Host: host, Time: at.UTC()}
	for _, tr := range trs {
		if !tr.Kind.Notifies() {
			continue
		}
		m.Changes = append(m.Changes, Change{Rule: tr.Rule, Series: tr.Series, State: tr.Kind.String(),
			Severity: tr.Severity.String(), Since: tr.Since.UTC(), Value: tr.Value, Peak: tr.Peak, Duration: tr.Duration()})
	}
	return m, len(m.Changes) > 0
}

// Subject is a one-line summary: "web1: FIRING crit filesystem full
// (mountpoint=/var)", or "web1: 3 alerts" for a group.
func (m Message) Subject() string {
	if len(m.Changes) == 1 {
		return m.Host + ": " + m.Changes[0].line()
	}
	return fmt.Sprintf("%s: %d alerts", m.Host, len(m.Changes))
}

// Text is the message as plain text, one line a change; a resolve says
// how long the incident lasted and its peak.
func (m Message) Text() string {
	var b strings.Builder
	for _, c := range m.Changes {
		b.WriteString(m.Host + ": " + c.line() + "\n")
	}
	return b.String()
}

func (c Change) line() string {
	s := strings.ToUpper(c.State)
	if c.Severity != "" {
		s += " " + c.Severity
	}
	s += " " + c.Rule
	if c.Series != "" {
		s += " (" + c.Series + ")"
	}
	num := func(v float64) string { return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".") }
	switch c.State {
	case "resolved":
		s += fmt.Sprintf(": back to %s after %s, peak %s", num(c.Value), c.Duration.Round(time.Second), num(c.Peak))
	case "event":
		s += fmt.Sprintf(": %s", num(c.Value))
	default:
		s += fmt.Sprintf(": %s since %s", num(c.Value), c.Since.Format("2006-01-02 15:04:05 UTC"))
	}
	return s
}
