package main

import (
	"context"
	"errors"
	"fmt"
	"text/tabwriter"
	"time"

	"almanac/archive"
)

func runArchive(ctx context.Context, e *env, args []string) error {
	sub := ""
	if len(args) > 0 && args[0] != "" && args[0][0] != '-' {
		sub, args = args[0], args[1:]
	}
	about := "Look after the archive: ls lists hosts, tables, days, rows and bytes; compact merges the\n" +
		"parts of each closed day into one file per table, and today's parts into one file per ended\n" +
		"--consolidate span; prune deletes days older than --keep. The sampler compacts and prunes\n" +
		"by itself after a day closes, and consolidates when a span ends."
	fs := newFlagSet(e, "archive", "ls|compact|prune [flags]", about, "almanac archive ls --archive /var/lib/almanac")
	dir := fs.String("archive", "/var/lib/almanac", "directory of the Parquet archive")
	host := fs.String("host", "", "only this host (compact; default all hosts)")
	keep := days(90 * 24 * time.Hour)
	fs.Var(&keep, "keep", "prune: delete day partitions older than this")
	consolidate := fs.Duration("consolidate", archive.DefaultConsolidate, "compact: merge today's parts into one file per this span once it ended (0: off)")
	var lf logFlags
	lf.register(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if sub == "" {
		return &usageError{msg: "missing subcommand: ls, compact or prune", hint: "almanac archive ls"}
	}
	if fs.NArg() > 0 {
		return &usageError{msg: fmt.Sprintf("unexpected argument %q", fs.Arg(0)), hint: "almanac archive --help"}
	}
	log, err := lf.logger(e.stderr, "archive")
	if err != nil {
		return err
	}
	if *consolidate < 0 {
		return &usageError{msg: fmt.Sprintf("--consolidate %v is negative", *consolidate), hint: "almanac archive compact --consolidate 1h"}
	}
	copts := archive.CompactOptions{Consolidate: *consolidate}
	if *consolidate == 0 {
		copts.Consolidate = -1 // off
	}
	now := time.Now()
	switch sub {
	case "ls":
		store, err := openExisting(*dir, log)
		if err != nil {
			return err
		}
		defer store.Close()
		parts, err := store.List()
		if err != nil && !errors.Is(err, archive.ErrCorrupt) {
			return err
		}
		if err != nil {
			// The rest of the archive is listed; the files that could not be
			// read are named (compact sets them aside as .<name>.corrupt).
			log.Warn("corrupt files left out of ROWS (almanac archive compact sets those of closed days aside)", "err", err)
		}
		tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintln(tw, "HOST\tTABLE\tDAY\tFILES\tROWS\tBYTES\t")
		for _, p := range parts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%d\t\n", p.Host, p.Table, p.Day.Format(time.DateOnly), p.Files, p.Rows, p.Bytes)
		}
		return tw.Flush()
	case "compact":
		store, err := archive.Open(*dir, log)
		if err != nil {
			return err
		}
		defer store.Close()
		hosts := []string{*host}
		if *host == "" {
			if hosts, err = store.Hosts(); err != nil {
				return err
			}
		}
		// One host's failure does not keep the others from being compacted.
		var errs []error
		for _, h := range hosts {
			st, err := store.CompactWith(h, now, copts)
			if err != nil {
				errs = append(errs, err)
			}
			fmt.Fprintf(e.stdout, "%s: %d table-days compacted from %d files (%d rows, %d bytes in, %d out), %d rollups written, %d hour files consolidated, %d files removed\n",
				h, st.Partitions, st.FilesIn, st.Rows, st.BytesIn, st.BytesOut, st.Rollups, st.Consolidated, st.Removed)
		}
		if len(errs) > 0 {
			return fmt.Errorf("compact: %d of %d hosts failed (the others are compacted):\n%w", len(errs), len(hosts), errors.Join(errs...))
		}
		return nil
	case "prune":
		if keep <= 0 {
			return &usageError{msg: "--keep must be positive", hint: "almanac archive prune --keep 90d"}
		}
		store, err := archive.Open(*dir, log)
		if err != nil {
			return err
		}
		defer store.Close()
		gone, err := store.Prune(now, time.Duration(keep))
		if err != nil {
			return err
		}
		for _, p := range gone {
			fmt.Fprintf(e.stdout, "deleted %s\n", p.Dir())
		}
		fmt.Fprintf(e.stdout, "%d partitions deleted\n", len(gone))
		return nil
	default:
		return &usageError{msg: fmt.Sprintf("unknown subcommand %q: want ls, compact or prune", sub), hint: "almanac archive ls"}
	}
}
