package render

import (
	"math"
	"slices"
	"strconv"
	"time"

	"almanac/archive"
	"almanac/schema"
)

// Fact is one line of the host facts: its value now and since when.
type Fact struct {
	Name, Value string
	Since       Time
}

// FactChange is one change of a host fact.
type FactChange struct {
	When     Time
	Name     string
	From, To string
}

// factsPage is the model of a host's facts page.
type factsPage struct {
	Facts   []Fact
	Changes []FactChange
	FS      []FSRow
	Self    []Chart // the sampler's own cost, from self.go
}

// maxChanges is the most fact changes listed.
const maxChanges = 200

func (g *gatherer) hostFacts() error {
	f, err := g.hostRows()
	if err != nil {
		return err
	}
	n := f.Len()
	if n == 0 {
		return nil
	}
	type field struct {
		name string
		val  func(i int) string
	}
	str := func(c string) func(int) string {
		s := strCol(f, c)
		return func(i int) string { return s[i] }
	}
	numf := func(c string, format func(float64) string) func(int) string {
		v := col(f, c)
		return func(i int) string {
			if math.IsNaN(v[i]) {
				return ""
			}
			return format(v[i])
		}
	}
	boot := col(f, "boot_time")
	fields := []field{
		{"Hostname", str("hostname")},
		{"Operating system", str("os")},
		{"Kernel", str("kernel")},
		{"Architecture", str("arch")},
		{"CPU model", str("cpu_model")},
		{"CPU cores", numf("cpu_cores", func(v float64) string { return strconv.Itoa(int(v)) })},
		{"Memory", numf("memory_bytes", fmtBytes)},
		{"Swap", numf("swap_bytes", fmtBytes)},
		{"Booted", func(i int) string {
			if math.IsNaN(boot[i]) {
				return ""
			}
			return mkTime(int64(boot[i]), g.tz).Text
		}},
	}
	p := &g.d.facts
	for _, fl := range fields {
		since := 0
		for i := 1; i < n; i++ {
			a, b := fl.val(i-1), fl.val(i)
			if fl.name == "Booted" && !math.IsNaN(boot[i]) && !math.IsNaN(boot[i-1]) && !bootChanged(int64(boot[i]), int64(boot[i-1])) {
				continue
			}
			if a != b {
				since = i
				p.Changes = append(p.Changes, FactChange{When: mkTime(f.Time[i], g.tz), Name: fl.name, From: a, To: b})
			}
		}
		p.Facts = append(p.Facts, Fact{Name: fl.name, Value: fl.val(n - 1), Since: mkTime(f.Time[since], g.tz)})
	}
	slices.SortStableFunc(p.Changes, func(a, b FactChange) int {
		switch {
		case a.When.ISO > b.When.ISO:
			return -1
		case a.When.ISO < b.When.ISO:
			return 1
		}
		return 0
	})
	if len(p.Changes) > maxChanges {
		p.Changes = p.Changes[:maxChanges]
	}
	g.d.sum.Kernel = fields[2].val(n - 1)
	if len(g.d.ranges[0]) > 0 {
		for _, s := range g.d.ranges[0] {
			if len(s.FS) > 0 {
				p.FS = s.FS
			}
		}
	}
	return nil
}

// AvailRow is the availability of one window.
type AvailRow struct {
	Label            string
	Pct, Class       string
	Up, Down, NoData string
}

// OutageRow is one outage in the list.
type OutageRow struct {
	Start, End Time
	Duration   string
	Kind       string
	Ongoing    bool
	Seconds    float64 // the duration, to sort by
}

// availPage is the model of a host's availability page.
type availPage struct {
	Status   string
	Interval string
	Windows  []AvailRow
	Calendar *Chart
	DaysIn   string // the time zone of the calendar's days
	Outages  []OutageRow
	Reboots  []Time
	// Incidents are the alerting rules' incidents, newest first.
	Incidents []IncidentRow
}

// availWindows are the windows of the availability table.
var availWindows = []struct {
	Label string
	Dur   time.Duration
}{
	{"24 hours", 24 * time.Hour},
	{"7 days", 7 * 24 * time.Hour},
	{"30 days", 30 * 24 * time.Hour},
	{"90 days", 90 * 24 * time.Hour},
	{"365 days", 365 * 24 * time.Hour},
}

// maxOutages is the most outages listed.
const maxOutages = 500

// availClass names the colour class of an availability percentage.
func availClass(p float64, ok bool) string {
	switch {
	case !ok:
		return "unknown"
	case p >= 99.9:
		return "good"
	case p >= 99:
		return "fair"
	default:
		return "bad"
	}
}

func (g *gatherer) availability() {
	tl := g.d.tl
	p := &g.d.avail
	p.Status = tl.Status
	g.d.sum.Status = tl.Status
	if tl.First == 0 && tl.Last == 0 {
		for i := range g.d.sum.Avail {
			g.d.sum.Avail[i], g.d.sum.AvailClass[i], g.d.sum.AvailSort[i] = "–", "unknown", -1
		}
		return
	}
	p.Interval = fmtInterval(time.Duration(tl.Interval) * time.Microsecond)
	for i, w := range availWindows {
		a := tl.span(g.now-w.Dur.Microseconds(), g.now)
		v, ok := a.Pct()
		row := AvailRow{Label: w.Label, Pct: "–", Class: availClass(v, ok),
			Up: fmtDuration(a.Up), Down: fmtDuration(a.Down), NoData: fmtDuration(a.NoData)}
		if ok {
			row.Pct = fmtAvail(v)
		}
		p.Windows = append(p.Windows, row)
		if i < len(g.d.sum.Avail) {
			g.d.sum.Avail[i], g.d.sum.AvailClass[i] = row.Pct, row.Class
			g.d.sum.AvailSort[i] = -1
			if ok {
				g.d.sum.AvailSort[i] = v
			}
		}
	}
	// One cell per day of the last year, days in --tz or UTC.
	loc := g.tz
	if loc == nil {
		loc = time.UTC
	}
	p.DaysIn = loc.String()
	now := time.UnixMicro(g.now).In(loc)
	today := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, loc)
	first := today.AddDate(0, 0, -364)
	var days [][2]any
	for d := first; !d.After(today); d = d.AddDate(0, 0, 1) {
		a := tl.span(d.UnixMicro(), d.AddDate(0, 0, 1).UnixMicro())
		if v, ok := a.Pct(); ok {
			days = append(days, [2]any{d.Format(time.DateOnly), num(math.Floor(v*100) / 100)})
		}
	}
	c := calendarChart("calendar", "Uptime per day", first.Format(time.DateOnly), today.Format(time.DateOnly), days)
	p.Calendar = &c
	for i := len(tl.Outages) - 1; i >= 0 && len(p.Outages) < maxOutages; i-- {
		o := tl.Outages[i]
		p.Outages = append(p.Outages, OutageRow{
			Start: mkTime(o.Start, g.tz), End: mkTime(o.End, g.tz),
			Duration: fmtDuration(time.Duration(o.End-o.Start) * time.Microsecond),
			Kind:     o.Kind, Ongoing: o.Ongoing, Seconds: float64(o.End-o.Start) / 1e6,
		})
	}
	for i := len(tl.Reboots) - 1; i >= 0; i-- {
		p.Reboots = append(p.Reboots, mkTime(tl.Reboots[i], g.tz))
	}
}

// hostRows returns the rows of the host table over the longest range, in
// time order, read a day at a time: closed days from the day memo.
func (g *gatherer) hostRows() (*archive.Frame, error) {
	strs := []string{"hostname", "os", "kernel", "arch", "cpu_model"}
	nums := []string{"boot_time", "cpu_cores", "memory_bytes", "swap_bytes"}
	f := &archive.Frame{Num: map[string][]float64{}, Str: map[string][]string{}}
	sv, nv := make([][]string, len(strs)), make([][]float64, len(nums))
	rows := &appended{ints: []*[]int64{&f.Time}}
	for i := range sv {
		rows.strs = append(rows.strs, &sv[i])
	}
	for i := range nv {
		rows.floats = append(rows.floats, &nv[i])
	}
	err := g.eachWith(schema.TableHost, append(slices.Clone(strs), nums...), []dayAcc{rows}, func(c chunk) {
		f.Time = append(f.Time, c.f.Time...)
		for i, name := range strs {
			sv[i] = append(sv[i], c.str(name)...)
		}
		for i, name := range nums {
			nv[i] = append(nv[i], col(c.f, name)...)
		}
	})
	if err != nil {
		return nil, err
	}
	for i, name := range strs {
		f.Str[name] = sv[i]
	}
	for i, name := range nums {
		f.Num[name] = nv[i]
	}
	return f, nil
}
