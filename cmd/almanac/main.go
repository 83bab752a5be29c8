// Command almanac samples this host into daily Parquet files and renders
// them as a static site. Run "almanac --help" for the commands.
package main

import (
	"almanac/archive"
	"context"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	archive.Version = versionString()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}
