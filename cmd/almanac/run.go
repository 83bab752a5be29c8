package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"

	"github.com/spf13/pflag"

	"almanac/archive"
)

// env is what a command may touch: its output streams. Everything else
// (files, clocks) comes through flags and the packages it calls.
type env struct {
	stdout, stderr io.Writer
}

// command is one subcommand of almanac.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

var commands = []command{
	{"sample", sampleSummary, runSample},
	{"render", "build the static HTML site from the archive", runRender},
	{"report", "print the archive's numbers as sar does: cpu, memory, disks, network …", runReport},
	{"health", "exit 0 when this host's newest sample is fresh, else 1", runHealth},
	{"archive", "list, compact or prune the archive (ls, compact, prune)", runArchive},
	{"ship", "upload closed Parquet files to S3 or a folder", runShip},
	{"publish", "upload a rendered site to S3 or swap it into a folder", runPublish},
	{"rules", "check an alerting rules file, or show the rules in force", runRules},
	{"version", "print the version", runVersion},
}

// usageError marks a caller's mistake: exit code 2 and a hint to try.
type usageError struct {
	msg  string
	hint string
}

func (e *usageError) Error() string { return e.msg }

// exitError carries an exit code with a message that is the result itself
// (almanac health's "stale" is not a failure of the command).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// run executes almanac with args (without the program name) and returns
// the process exit code: 0 ok, 1 runtime error, 2 usage error.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	e := &env{stdout: stdout, stderr: stderr}
	if len(args) == 0 {
		// A usage error: the overview goes to stderr, as the README says.
		printOverview(stderr)
		return 2
	}
	if args[0] == "--help" || args[0] == "-h" || args[0] == "help" {
		if len(args) > 1 && args[0] == "help" {
			return run(ctx, []string{args[1], "--help"}, stdout, stderr)
		}
		printOverview(stdout)
		return 0
	}
	if args[0] == "--version" {
		args[0] = "version"
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		return exitCode(e, "almanac "+c.name, c.run(ctx, e, args[1:]))
	}
	if strings.HasPrefix(args[0], "-") {
		return exitCode(e, "almanac", &usageError{msg: fmt.Sprintf("unknown flag %q before the command", args[0]), hint: "almanac --help"})
	}
	return exitCode(e, "almanac", &usageError{msg: fmt.Sprintf("unknown command %q", args[0]), hint: "almanac --help"})
}

// linuxOnly is the error of a command that reads Linux's /proc and /sys,
// run from a build of almanac for another system: exit code 2, as no flag
// can make it work here.
func linuxOnly() error {
	return &exitError{code: 2, msg: fmt.Sprintf("reads /proc and /sys and runs on Linux only "+
		"(this almanac is built for %s/%s, where the other commands work: render, publish, ship, archive, health)",
		runtime.GOOS, runtime.GOARCH)}
}

// exitCode prints err the way the CLI contract says and returns the code.
func exitCode(e *env, who string, err error) int {
	var ue *usageError
	var ee *exitError
	switch {
	case err == nil, errors.Is(err, pflag.ErrHelp):
		return 0
	case errors.As(err, &ue):
		fmt.Fprintf(e.stderr, "%s: %s\ntry: %s\n", who, ue.msg, ue.hint)
		return 2
	case errors.As(err, &ee):
		fmt.Fprintf(e.stderr, "%s: %s\n", who, ee.msg)
		return ee.code
	default:
		fmt.Fprintf(e.stderr, "%s: %s\n", who, trimPrefix(who, err.Error()))
		return 1
	}
}

// trimPrefix drops from msg the package prefix that repeats the command
// of who: "almanac render: render: …" reads "almanac render: …".
func trimPrefix(who, msg string) string {
	cmd := who[strings.LastIndexByte(who, ' ')+1:]
	return strings.TrimPrefix(msg, cmd+": ")
}

func printOverview(w io.Writer) {
	fmt.Fprint(w, "almanac keeps the history of Linux hosts in daily Parquet files and draws it as a static site.\n\n")
	fmt.Fprint(w, "Usage:\n\talmanac <command> [flags]\n\nCommands:\n")
	for _, c := range commands {
		fmt.Fprintf(w, "\t%-8s %s\n", c.name, c.summary)
	}
	fmt.Fprint(w, "\nRun 'almanac <command> --help' for a command's flags and an example.\n")
}

// newFlagSet returns a flag set whose --help prints usage, a paragraph,
// the flags and an example to stdout.
func newFlagSet(e *env, name, usage, about, example string) *pflag.FlagSet {
	fs := pflag.NewFlagSet("almanac "+name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.SortFlags = false
	fs.Usage = func() {
		fmt.Fprintf(e.stdout, "Usage: almanac %s %s\n\n%s\n\nFlags:\n%s\nExample:\n\t%s\n",
			name, usage, about, fs.FlagUsages(), example)
	}
	return fs
}

// parseFlags parses args and turns pflag's errors into usage errors.
func parseFlags(fs *pflag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return err // pflag has printed the usage
		}
		return &usageError{msg: err.Error(), hint: fs.Name() + " --help"}
	}
	return nil
}

// openExisting opens an archive that must already exist, for the commands
// that only read it: a typo in --archive is an error, not a new folder.
func openExisting(dir string, log *slog.Logger) (*archive.Store, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("archive: open %s: %w (is --archive right? almanac sample creates it)", dir, err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("archive: open %s: not a directory", dir)
	}
	return archive.Open(dir, log)
}
