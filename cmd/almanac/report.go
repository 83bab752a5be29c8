package main

import (
	"context"
	"fmt"
	"os"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"almanac/archive"
	"almanac/report"
	"almanac/site"
)

// reportOptions are the checked flags of almanac report.
type reportOptions struct {
	report.Options
	glob   string
	format string
}

func runReport(ctx context.Context, e *env, args []string) error {
	fset := newFlagSet(e, "report", "[flags] [SECTIONS…]",
		"Print the archive's numbers as sar does: per host, for each section (by default all of\n"+
			report.SectionList()+")\n"+
			"the time first, one row per step, and Average: rows at the end. A step of a minute or more reads\n"+
			"the rollups of compacted days. Times are in local time or --tz. --from and --to take\n"+
			"2026-11-30, \"2026-11-30 14:00\", 14:00 (today), an RFC 3339 time, or -2h (before now).",
		"almanac report --archive /var/lib/almanac --day 2026-11-29 --every 1h cpu memory")
	dir := fset.String("archive", "/var/lib/almanac", "directory of the Parquet archive, or s3://bucket/prefix")
	cache := fset.String("cache", "", "with an s3:// archive: where the files read are fetched to (default: a temporary folder, removed after); not render's --cache")
	glob := fset.String("host", "*", "hosts to report, a glob (web*); one block each")
	from := fset.String("from", "", "start of the range (default: today's midnight)")
	to := fset.String("to", "", "end of the range (default: now)")
	day := fset.String("day", "", "report this day (YYYY-MM-DD, midnight to midnight), instead of --from and --to")
	every := fset.Duration("every", 10*time.Minute, "the step: one row per step")
	format := fset.String("format", "text", "text, csv or json")
	tz := fset.String("tz", "", "show times in this IANA time zone (default: local time)")
	top := fset.Int("top", 5, "processes listed per step in the top section")
	var s3 s3Flags
	s3.register(fset)
	var lf logFlags
	lf.register(fset)
	if err := parseFlags(fset, args); err != nil {
		return err
	}
	o, err := checkReport(time.Now(), *glob, *from, *to, *day, *every, *format, *tz, *top, fset.Args())
	if err != nil {
		return err
	}
	log, err := lf.logger(e.stderr, "report")
	if err != nil {
		return err
	}
	var hosts []string
	if isS3(*dir) {
		t, err := parseTarget("report", "archive", *dir, "s3://metrics/almanac")
		if err != nil {
			return err
		}
		if *cache == "" {
			tmp, err := os.MkdirTemp("", "almanac-report-")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			*cache = tmp
		}
		sel := reportSelect(o)
		rep, err := site.Mirror(ctx, t, "", *cache, site.Options{S3: s3.options(), Logger: log, Select: sel.keys})
		if err != nil {
			return err
		}
		log.Info("archive fetched", "from", t.String(), "cache", *cache, "downloaded", rep.Downloaded, "bytes", rep.Bytes)
		*dir, hosts = *cache, sel.hosts
	}
	store, err := openExisting(*dir, log)
	if err != nil {
		return err
	}
	defer store.Close()
	if hosts == nil {
		all, err := store.Hosts()
		if err != nil {
			return err
		}
		for _, h := range all {
			if ok, _ := path.Match(o.glob, h); ok {
				hosts = append(hosts, h)
			}
		}
	}
	if len(hosts) == 0 {
		return fmt.Errorf("no host in %s matches --host %q", *dir, o.glob)
	}
	o.Hosts = hosts
	rep, err := report.Build(store, o.Options)
	if err != nil {
		return err
	}
	for _, s := range rep.Skipped {
		log.Warn("skipped", "err", s)
	}
	switch o.format {
	case "csv":
		return report.WriteCSV(e.stdout, rep)
	case "json":
		return report.WriteJSON(e.stdout, rep)
	}
	return report.WriteText(e.stdout, rep)
}

// checkReport turns the flags of almanac report into options, at now.
func checkReport(now time.Time, glob, from, to, day string, every time.Duration, format, tz string, top int, sections []string) (*reportOptions, error) {
	o := &reportOptions{glob: glob, format: format}
	o.TZ = time.Local
	if tz != "" {
		loc, err := time.LoadLocation(tz)
		if err != nil {
			return nil, &usageError{msg: fmt.Sprintf("--tz %q is not a time zone: %v", tz, err), hint: "almanac report --tz Europe/Paris"}
		}
		o.TZ = loc
	}
	if _, err := path.Match(glob, ""); err != nil || glob == "" {
		return nil, &usageError{msg: fmt.Sprintf("--host %q is not a glob", glob), hint: "almanac report --host 'web*'"}
	}
	if !slices.Contains([]string{"text", "csv", "json"}, format) {
		return nil, &usageError{msg: fmt.Sprintf("--format %q: want text, csv or json", format), hint: "almanac report --format csv"}
	}
	if every < time.Second {
		return nil, &usageError{msg: fmt.Sprintf("--every %v is below 1s", every), hint: "almanac report --every 10m"}
	}
	if top < 1 {
		return nil, &usageError{msg: fmt.Sprintf("--top %d: want 1 or more", top), hint: "almanac report --top 5"}
	}
	if err := report.CheckSections(sections); err != nil {
		return nil, &usageError{msg: strings.TrimPrefix(err.Error(), "report: "), hint: "almanac report cpu memory"}
	}
	o.Every, o.Top, o.Sections = every, top, sections
	now = now.In(o.TZ)
	if day != "" {
		if from != "" || to != "" {
			return nil, &usageError{msg: "--day goes without --from and --to", hint: "almanac report --day 2026-11-29"}
		}
		d, err := time.ParseInLocation(time.DateOnly, day, o.TZ)
		if err != nil {
			return nil, &usageError{msg: fmt.Sprintf("--day %q is not a date such as 2026-11-29", day), hint: "almanac report --day 2026-11-29"}
		}
		o.From, o.To = d, d.AddDate(0, 0, 1)
		return o, nil
	}
	o.From = time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, o.TZ)
	o.To = now
	var err error
	if from != "" {
		if o.From, err = parseWhen(from, now); err != nil {
			return nil, &usageError{msg: fmt.Sprintf("--from %q: %v", from, err), hint: "almanac report --from '2026-11-29 14:00'"}
		}
	}
	if to != "" {
		if o.To, err = parseWhen(to, now); err != nil {
			return nil, &usageError{msg: fmt.Sprintf("--to %q: %v", to, err), hint: "almanac report --to '2026-11-29 18:00'"}
		}
	}
	if !o.To.After(o.From) {
		return nil, &usageError{msg: fmt.Sprintf("--to %s is not after --from %s", o.To.Format("2006-01-02 15:04:05"), o.From.Format("2006-01-02 15:04:05")),
			hint: "almanac report --from '2026-11-29 14:00' --to '2026-11-29 18:00'"}
	}
	return o, nil
}

// parseWhen parses a time of --from or --to in now's zone: a date, a date
// and time, a time of today, an RFC 3339 time, or a duration before now
// (-2h, -3d).
func parseWhen(s string, now time.Time) (time.Time, error) {
	if ago, ok := strings.CutPrefix(s, "-"); ok {
		if n, ok := strings.CutSuffix(ago, "d"); ok {
			if v, err := strconv.Atoi(n); err == nil && v >= 0 {
				return now.AddDate(0, 0, -v), nil
			}
		}
		if d, err := time.ParseDuration(ago); err == nil && d >= 0 {
			return now.Add(-d), nil
		}
		return time.Time{}, fmt.Errorf("not a duration such as -2h or -3d")
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{time.DateOnly, "2006-01-02 15:04", "2006-01-02 15:04:05", "2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, now.Location()); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{"15:04", "15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, now.Location()); err == nil {
			return time.Date(now.Year(), now.Month(), now.Day(), t.Hour(), t.Minute(), t.Second(), 0, now.Location()), nil
		}
	}
	return time.Time{}, fmt.Errorf("not a time: want 2026-11-29, \"2026-11-29 14:00\", 14:00, an RFC 3339 time or -2h")
}

// reportSelection picks the keys of an s3:// archive that a report reads,
// and remembers the hosts it saw.
type reportSelection struct {
	o     *reportOptions
	hosts []string
}

func reportSelect(o *reportOptions) *reportSelection { return &reportSelection{o: o} }

// keys is the Select of site.Mirror: the files of the report's hosts,
// tables and UTC days, a current rollup instead of a day's raw rows where
// the step reads rollups (archive.ReadKeys).
func (s *reportSelection) keys(keys []string) []string {
	tables := report.Tables(s.o.Sections)
	first, last := archive.Day(s.o.From), archive.Day(s.o.To.Add(-time.Microsecond))
	want := func(p archive.Partition) bool {
		if ok, _ := path.Match(s.o.glob, p.Host); !ok || !slices.Contains(tables, p.Table) ||
			p.Day.Before(first) || p.Day.After(last) {
			return false
		}
		if !slices.Contains(s.hosts, p.Host) {
			s.hosts = append(s.hosts, p.Host)
		}
		return true
	}
	res := func(table string) archive.Resolution { return report.Resolution(table, s.o.Every) }
	out := archive.ReadKeys(keys, res, want)
	slices.Sort(s.hosts)
	return out
}
