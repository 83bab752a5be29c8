//go:build linux

package main

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"time"

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

	silences     string // the silences file, or ""
	silenced     []alert.Silence
	silencesTime time.Time // the file's mtime when read

	writeFailing, writeReported bool  // the archive_write event
	savedBoot                   int64 // the boot time in the saved state

	// inhibits are the spans in which new threshold incidents are not
	// notified: after a reboot (alert.RebootGrace) and while the
	// archive cannot be written.
	inhibits []alert.Inhibition
}

// inhibitKeep is how long an inhibition that ended is kept: an incident
// that began in it is muted until it resolves.
const inhibitKeep = 30 * 24 * time.Hour

// savedAlerts is the alert state file: the rules' state, and the boot
// time of the last sample, so that a sampler started after a reboot
// tells the reboot.
type savedAlerts struct {
	Rules       json.RawMessage    `json:"rules"`
	LastBoot    int64              `json:"last_boot_us"`
	Inhibitions []alert.Inhibition `json:"inhibitions,omitempty"`
}

func newAlerting(store *archive.Store, host string, rules []alert.Rule, noSync bool) (*alerting, error) {
	a := &alerting{store: store, host: host, noSync: noSync, x: alert.NewExtractor(rules), e: alert.NewEvaluator(rules)}
	saved, err := store.AlertState(host)
	if err != nil {
		return nil, err
	}
	if saved != nil {
		var st savedAlerts
		if err := json.Unmarshal(saved, &st); err != nil {
			return nil, fmt.Errorf("alert state of %s: %w (delete the file to start afresh)", host, err)
		}
		if err := a.e.RestoreState(st.Rules); err != nil {
			return nil, err
		}
		a.x.SetLastBoot(st.LastBoot)
		a.savedBoot = st.LastBoot
		a.inhibits = st.Inhibitions
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
	vals := a.x.Values(b)
	if a.writeFailing && !a.writeReported {
		vals = append(vals, alert.Value{Metric: "event:archive_write", V: 1})
		a.writeReported = true
	}
	changed := a.inhibit(b.Time, vals)
	trs := a.e.Eval(a.host, b.Time, vals)
	if len(trs) == 0 {
		if a.x.LastBoot() != a.savedBoot || changed {
			a.save(log) // once a boot: a later start tells a reboot
		}
		return
	}
	rows := alert.Rows(trs)
	a.loadSilences(log)
	kept := trs[:0]
	for i, tr := range trs {
		if a.silencedAt(tr) {
			rows[i].Silenced = true
			continue
		}
		kept = append(kept, tr)
	}
	b.Alert = append(b.Alert, rows...)
	kept, muted := alert.Inhibit(kept, a.inhibits)
	for _, tr := range muted {
		in, _ := alert.InhibitedBy(tr, a.inhibits)
		log.Info("alert inhibited", "rule", tr.Rule, "series", tr.Series, "state", tr.Kind.String(), "cause", in.Cause)
	}
	if m, ok := notify.FromTransitions(a.host, b.Time, kept); ok && a.n != nil {
		if err := a.n.Put(m); err != nil {
			log.Warn("notification not queued", "err", err, "subject", m.Subject())
		}
	}
	for _, tr := range trs {
		log.Info("alert", "rule", tr.Rule, "series", tr.Series, "state", tr.Kind.String(),
			"severity", tr.Severity.String(), "value", tr.Value, "peak", tr.Peak, "since", tr.Since)
	}
	a.save(log)
}

// save writes the alert state beside the journal.
func (a *alerting) save(log *slog.Logger) {
	rules, err := a.e.MarshalState()
	var data []byte
	if err == nil {
		data, err = json.Marshal(savedAlerts{Rules: rules, LastBoot: a.x.LastBoot(), Inhibitions: a.inhibits})
	}
	if err == nil {
		err = a.store.SaveAlertState(a.host, data, a.noSync)
	}
	if err != nil {
		log.Warn("alert state not saved: a restart may fire open incidents again", "err", err)
		return
	}
	a.savedBoot = a.x.LastBoot()
}

// inhibit updates the inhibitions with the sample at t: a reboot (the
// reboot event in vals) opens one from the boot time to RebootGrace after
// t; the archive failing to take samples opens one until it takes them
// again. It reports whether they changed.
func (a *alerting) inhibit(t time.Time, vals []alert.Value) bool {
	n := len(a.inhibits)
	changed := false
	for _, v := range vals {
		if v.Metric == "event:reboot" && v.V > 0 {
			a.inhibits = append(a.inhibits, alert.Inhibition{From: time.UnixMicro(a.x.LastBoot()), To: t.Add(alert.RebootGrace), Cause: "reboot"})
			changed = true
		}
	}
	open := -1
	for i, in := range a.inhibits {
		if in.Cause == inhibitWrite && in.To.IsZero() {
			open = i
		}
	}
	switch {
	case a.writeFailing && open < 0:
		a.inhibits = append(a.inhibits, alert.Inhibition{From: t, Cause: inhibitWrite})
		changed = true
	case !a.writeFailing && open >= 0:
		a.inhibits[open].To = t
		changed = true
	}
	a.inhibits = alert.Prune(a.inhibits, t.Add(-inhibitKeep))
	return changed || len(a.inhibits) != n
}

// inhibitWrite is the cause of the inhibition while the archive cannot be
// written.
const inhibitWrite = "archive not written"

// writeFailed tells alerting whether the archive's journal takes the
// samples: the event archive_write fires once when it stops.
func (a *alerting) writeFailed(failing bool) {
	if a == nil {
		return
	}
	a.writeFailing = failing
	if !failing {
		a.writeReported = false
	}
}

// loadSilences reads the silences file again when it changed; a file that
// cannot be read keeps the silences read before, with a warning.
func (a *alerting) loadSilences(log *slog.Logger) {
	if a.silences == "" {
		return
	}
	fi, err := os.Stat(a.silences)
	if err == nil && fi.ModTime().Equal(a.silencesTime) {
		return
	}
	var ss []alert.Silence
	if err == nil {
		var fh *os.File
		if fh, err = os.Open(a.silences); err == nil {
			ss, err = alert.ParseSilences(a.silences, fh)
			fh.Close()
		}
	}
	if err != nil {
		log.Warn("silences not read, the previous ones stay", "err", err)
		return
	}
	a.silenced, a.silencesTime = ss, fi.ModTime()
}

// silencedAt reports whether a silence mutes tr.
func (a *alerting) silencedAt(tr alert.Transition) bool {
	for _, s := range a.silenced {
		if s.Matches(tr.Host, tr.Rule, tr.Series, tr.At) {
			return true
		}
	}
	return false
}
