package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"almanac/archive"
)

func runHealth(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "health", "[flags]",
		"Exit 0 when the newest sample of --host in --archive is younger than --max-age and its\n"+
			"samples reach Parquet, else 1 with a message saying how old it is, or since when and why\n"+
			"flushes fail (for longer than three --flush intervals). For container health checks and\n"+
			"monitoring the monitor.",
		"almanac health --archive /var/lib/almanac --max-age 2m")
	dir := fs.String("archive", "/var/lib/almanac", "directory of the Parquet archive")
	maxAge := fs.Duration("max-age", 2*time.Minute, "the oldest a newest sample may be")
	host := fs.String("host", "", "host to check (default: the kernel's hostname under --proc)")
	proc := fs.String("proc", "/proc", "where the proc filesystem is mounted (for the default --host)")
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
	store, err := openExisting(*dir, log)
	if err != nil {
		return err
	}
	defer store.Close()
	newest, err := store.Newest(*host)
	if errors.Is(err, archive.ErrNoData) {
		return &exitError{code: 1, msg: fmt.Sprintf("no samples of %s in %s", *host, *dir)}
	}
	if err != nil {
		return err
	}
	age := time.Since(newest).Round(time.Second)
	if age > *maxAge {
		return &exitError{code: 1, msg: fmt.Sprintf("stale: the newest sample of %s is %v old (at %s), more than --max-age %v",
			*host, age, newest.UTC().Format(time.RFC3339), *maxAge)}
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

// kernelHostname reads the host's name from <proc>/sys/kernel/hostname, so
// that a container sampling its host files the samples under the host's name.
func kernelHostname(proc string) (string, error) {
	b, err := os.ReadFile(proc + "/sys/kernel/hostname")
	if err != nil {
		return "", fmt.Errorf("read hostname: %w (or pass --host)", err)
	}
	return strings.TrimSpace(string(b)), nil
}
