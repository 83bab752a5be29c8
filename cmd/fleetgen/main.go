// Command fleetgen writes a synthetic fleet into an archive, for
// benchmarks of almanac render at scale (see package internal/fleetgen):
//
//	go run ./cmd/fleetgen -hosts 100 -days 30 -out /tmp/fleet
//
// It is a tool of this repository, not part of almanac.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"time"

	"almanac/internal/fleetgen"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stderr))
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	fl := flag.NewFlagSet("fleetgen", flag.ContinueOnError)
	fl.SetOutput(stderr)
	var o fleetgen.Options
	var now string
	fl.StringVar(&o.Dir, "out", "", "archive folder to write (created when missing; hosts already complete are kept)")
	fl.IntVar(&o.Hosts, "hosts", 10, "hosts in the fleet")
	fl.IntVar(&o.Days, "days", 30, "days of samples")
	fl.DurationVar(&o.Every, "every", 10*time.Second, "sampling interval")
	fl.IntVar(&o.Processes, "processes", 60, "processes in the process table")
	fl.IntVar(&o.ProcDays, "proc-days", 2, "days with the process table (the last ones)")
	fl.IntVar(&o.Templates, "templates", 4, "distinct hosts sampled; the others are hard-linked clones of them")
	fl.IntVar(&o.Jobs, "jobs", 2, "templates written at once")
	fl.BoolVar(&o.Custom, "custom", false, "add custom metrics (a textfile directory's backup ages and sizes and job counters) to every sample")
	fl.StringVar(&now, "now", "", "end of the samples, RFC 3339 (default: the start of this hour, UTC)")
	if err := fl.Parse(args); err != nil {
		return 2
	}
	if o.Dir == "" || fl.NArg() > 0 {
		fmt.Fprintln(stderr, "fleetgen: -out is required and takes no arguments\ntry: go run ./cmd/fleetgen -hosts 100 -days 30 -out /tmp/fleet")
		return 2
	}
	o.Now = time.Now().UTC().Truncate(time.Hour)
	if now != "" {
		t, err := time.Parse(time.RFC3339, now)
		if err != nil {
			fmt.Fprintf(stderr, "fleetgen: -now %q: %v\ntry: -now 2026-03-10T12:00:00Z\n", now, err)
			return 2
		}
		o.Now = t.UTC()
	}
	o.Log = slog.New(slog.NewTextHandler(stderr, nil))
	start := time.Now()
	if err := fleetgen.Generate(ctx, o); err != nil {
		fmt.Fprintln(stderr, err)
		return 1
	}
	fmt.Fprintf(stderr, "fleetgen: %d hosts x %d days written to %s in %v\n", o.Hosts, o.Days, o.Dir, time.Since(start).Round(time.Second))
	return 0
}
