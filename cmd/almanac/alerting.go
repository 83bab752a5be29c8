//go:build linux

package main

import (
	"log/slog"

	"almanac/alert"
	"almanac/archive"
	"almanac/notify"
	"almanac/schema"
)

// alerting applies the alerting rules to each sample of the sampler, adds
// the state changes to the sample's alert table and queues a message for
// the notify channels; it keeps the rules' state beside the journal, so
// that a restart resolves what was firing.
type alerting struct {
	store  *archive.Store
	host   string
	noSync bool
	x      *alert.Extractor
	e      *alert.Evaluator
	n      *notify.Notifier // nil without channels
}

func newAlerting(store *archive.Store, host string, rules []alert.Rule, noSync bool) (*alerting, error) {
	a := &alerting{store: store, host: host, noSync: noSync, x: alert.NewExtractor(rules), e: alert.NewEvaluator(rules)}
	saved, err := store.AlertState(host)
	if err != nil {
		return nil, err
	}
	if saved != nil {
		if err := a.e.RestoreState(saved); err != nil {
			return nil, err
		}
	}
	return a, nil
}

// eval evaluates the rules on b and appends the changes to b.Alert. A
// state that cannot be saved is logged: the incident rows are in b. A nil
// *alerting evaluates nothing.
func (a *alerting) eval(b *schema.Batch, log *slog.Logger) {
	if a == nil {
		return
	}
	trs := a.e.Eval(a.host, b.Time, a.x.Values(b))
	if len(trs) == 0 {
		return
	}
	b.Alert = append(b.Alert, alert.Rows(trs)...)
	if m, ok := notify.FromTransitions(a.host, b.Time, trs); ok && a.n != nil {
		if err := a.n.Put(m); err != nil {
			log.Warn("notification not queued", "err", err, "subject", m.Subject())
		}
	}
	for _, tr := range trs {
		log.Info("alert", "rule", tr.Rule, "series", tr.Series, "state", tr.Kind.String(),
			"severity", tr.Severity.String(), "value", tr.Value, "peak", tr.Peak, "since", tr.Since)
	}
	state, err := a.e.MarshalState()
	if err == nil {
		err = a.store.SaveAlertState(a.host, state, a.noSync)
	}
	if err != nil {
		log.Warn("alert state not saved: a restart may fire open incidents again", "err", err)
	}
}
