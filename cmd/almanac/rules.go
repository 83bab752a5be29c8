package main

import (
	"context"
	"fmt"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"almanac/alert"
	"almanac/schema"
)

// runRules is almanac rules: check a rules file, or show the rules in force.
func runRules(ctx context.Context, e *env, args []string) error {
	fs := newFlagSet(e, "rules", "check FILE | show [FILE]",
		"Check an alerting rules file (errors name the line and what is wrong), or show the rules in\n"+
			"force: the built-in defaults that FILE does not disable, then FILE's own rules.",
		"almanac rules check /etc/almanac/rules.yaml")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	verb, rest := fs.Arg(0), fs.Args()[min(1, fs.NArg()):]
	switch {
	case verb == "check" && len(rest) == 1, verb == "show" && len(rest) <= 1:
	default:
		return &usageError{msg: fmt.Sprintf("want check FILE or show [FILE], not %q", strings.Join(fs.Args(), " ")),
			hint: "almanac rules check rules.yaml"}
	}
	f := &alert.File{}
	if len(rest) == 1 {
		var err error
		if f, err = loadRules(rest[0]); err != nil {
			return err
		}
	}
	rules := f.Effective()
	if verb == "check" {
		fmt.Fprintf(e.stdout, "%s: %d rules of its own, %d in force with the defaults; %d fleet rules of its own, %d in force\n",
			rest[0], len(f.Rules), len(rules), len(f.Fleet), len(f.EffectiveFleet()))
		return nil
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tWATCHES\tSCOPE\tWARN\tCRIT\tFOR\tCLEAR\tKEEP FIRING\tFROM")
	for _, r := range rules {
		watch := r.Metric
		if r.Event != "" {
			watch = "event " + r.Event
		}
		var scope []string
		for k, v := range r.Scope {
			scope = append(scope, k+"="+v)
		}
		th := func(t *alert.Threshold) string {
			if t == nil {
				return "-"
			}
			return t.String()
		}
		clear := "-"
		if r.Clear != nil {
			clear = fmt.Sprint(*r.Clear)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, watch, orDash(strings.Join(scope, ",")),
			th(r.Warn), th(r.Crit), durOrDash(r.For), clear, durOrDash(r.KeepFiringFor), r.Source)
	}
	if fleet := f.EffectiveFleet(); len(fleet) > 0 {
		fmt.Fprintln(tw)
		fmt.Fprintln(tw, "FLEET RULE\tWATCHES\tHOSTS\tSCOPE\tFOR\tSEVERITY\tFROM")
		for _, r := range fleet {
			var scope []string
			for k, v := range r.Scope {
				scope = append(scope, k+"="+v)
			}
			sev := "warn"
			if r.NoData {
				sev = r.Severity.String()
			} else if r.Crit > 0 {
				sev = "warn, crit"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.Name, r.String(), orDash(r.Hosts), orDash(strings.Join(scope, ",")),
				durOrDash(r.For), sev, r.Source)
		}
	}
	return tw.Flush()
}

// loadRules reads and checks the rules file name against the archive's
// declared columns.
func loadRules(name string) (*alert.File, error) {
	fh, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	defer fh.Close()
	return alert.ParseRules(name, fh, func(table, column string) bool {
		t, ok := schema.Lookup(table)
		if !ok {
			return false
		}
		_, ok = t.Column(column)
		return ok
	})
}

// loadSilences reads the silences file name.
func loadSilences(name string) ([]alert.Silence, error) {
	fh, err := os.Open(name)
	if err != nil {
		return nil, fmt.Errorf("silences: %w", err)
	}
	defer fh.Close()
	return alert.ParseSilences(name, fh)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func durOrDash(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return d.String()
}
