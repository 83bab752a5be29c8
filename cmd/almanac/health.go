package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"almanac/alert"
	"almanac/archive"
	"almanac/schema"
)

func runHealth(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "health", "[flags]",
		"Exit 0 when the newest sample of --host in --archive is younger than --max-age and its\n"+
			"samples reach Parquet, else 1 with a message saying how old it is, or since when and why\n"+
			"flushes fail (for longer than three --flush intervals). It also exits 1 with \"no data\" when\n"+
			"a no_data fleet rule (the default: 5 sampling intervals; see --rules) finds the host silent.\n"+
			"For container health checks and monitoring the monitor.",
		"almanac health --archive /var/lib/almanac --max-age 2m")
	dir := fs.String("archive", "/var/lib/almanac", "directory of the Parquet archive")
	maxAge := fs.Duration("max-age", 2*time.Minute, "the oldest a newest sample may be")
	host := fs.String("host", "", "host to check (default: the kernel's hostname under --proc)")
	proc := fs.String("proc", "/proc", "where the proc filesystem is mounted (for the default --host)")
	rulesFile := fs.String("rules", "", "alerting rules file whose no_data fleet rules apply (default: the built-in \"no data\")")
	var lf logFlags
	lf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return &usageError{msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0)), hint: "almanac health --help"}
	}
	if *maxAge <= 0 {
		return &usageError{msg: fmt.Sprintf("--max-age %v is not positive", *maxAge), hint: "almanac health --max-age 2m"}
	}
	log, err := lf.logger(e.stderr, "health")
	if err != nil {
		return err
	}
	if *host == "" {
		if *host, err = kernelHostname(*proc); err != nil {
			return err
		}
	}
	if err := archive.CheckHost(*host); err != nil {
		return &usageError{msg: err.Error(), hint: "almanac health --host web1"}
	}
	rules := &alert.File{}
	if *rulesFile != "" {
		if rules, err = loadRules(*rulesFile); err != nil {
			return err
		}
	}
	store, err := openExisting(*dir, log)
	if err != nil {
		return err
	}
	defer store.Close()
	newest, err := store.Newest(*host)
	if errors.Is(err, archive.ErrNoData) {
		return &exitError{code: 1, msg: fmt.Sprintf("no data: no samples of %s in %s", *host, *dir)}
	}
	if err != nil {
		return err
	}
	age := time.Since(newest).Round(time.Second)
	noData := noDataRule(store, rules.EffectiveFleet(), *host, newest, time.Now())
	if age > *maxAge {
		return &exitError{code: 1, msg: fmt.Sprintf("stale: the newest sample of %s is %v old (at %s), more than --max-age %v%s",
			*host, age, newest.UTC().Format(time.RFC3339), *maxAge, noData)}
	}
	if noData != "" {
		return &exitError{code: 1, msg: fmt.Sprintf("no data: the newest sample of %s is %v old (at %s)%s",
			*host, age, newest.UTC().Format(time.RFC3339), noData)}
	}
	st, err := store.FlushStatus(*host)
	if err != nil {
		return err
	}
	if st.Failing(time.Now()) {
		return &exitError{code: 1, msg: fmt.Sprintf("samples are being taken but have not reached Parquet since %s: %s",
			st.FailingSince.UTC().Format(time.RFC3339), st.Cause)}
	}
	fmt.Fprintf(e.stdout, "ok: the newest sample of %s is %v old\n", *host, age)
	return nil
}

// noDataRule returns, when a no_data rule of fleet finds host silent at
// now (its newest sample at newest), "; no data by rule …" saying for how
// long the rule lets it be silent, else "". The host's sampling interval
// is the one its newest system row in Parquet reports (rows still in the
// journal are not read; without any, a minute is assumed).
func noDataRule(store *archive.Store, fleet []alert.FleetRule, host string, newest, now time.Time) string {
	var interval time.Duration
	if f, err := store.Scan(schema.TableSystem, host, newest.Add(-24*time.Hour), newest.Add(time.Microsecond), "interval_ms"); err == nil {
		if c := f.Num["interval_ms"]; len(c) > 0 && c[len(c)-1] > 0 {
			interval = time.Duration(c[len(c)-1]) * time.Millisecond
		}
	}
	for _, r := range fleet {
		trs := alert.NoData(r, host, []alert.Gap{{From: newest}}, interval, now)
		if len(trs) == 0 {
			continue
		}
		why := r.Threshold(interval).String()
		if r.After == 0 {
			if interval > 0 {
				why += fmt.Sprintf(", %d sampling intervals of %v", alert.AutoAfter, interval)
			} else {
				why += fmt.Sprintf(", %d sampling intervals of 1m assumed (the interval is unknown)", alert.AutoAfter)
			}
		}
		return fmt.Sprintf("; no data by rule %q (silent for more than %s)", r.Name, why)
	}
	return ""
}

// kernelHostname reads the host's name from <proc>/sys/kernel/hostname, so
// that a container sampling its host files the samples under the host's name.
func kernelHostname(proc string) (string, error) {
	b, err := os.ReadFile(proc + "/sys/kernel/hostname")
	if err != nil {
		return "", fmt.Errorf("read hostname: %w (or pass --host)", err)
	}
	return strings.TrimSpace(string(b)), nil
}
