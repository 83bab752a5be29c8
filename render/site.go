package render

import (
	"bytes"
	"cmp"
	"fmt"
	"html/template"
	"slices"
	"strconv"
)

// pageModel is the data every template gets (see the package doc).
type pageModel struct {
	Title     string
	Root      string // relative path from the page to the site root: "" or "../../"
	Host      string // the host of a host page, "" on the overview
	Nav       []Link // the host's pages
	Tabs      []Link // the range tabs of a host page
	Range     string // the range of a host page ("24 hours")
	Generated Time
	Data      pageData // the JSON data block read by assets/almanac.js

	Sections  []Section      // host page
	Hosts     []IndexRow     // overview
	Pager     []Link         // overview split into pages: one link per page (nil: one page)
	Procs     *procPage      // processes page of one range
	Facts     *factsPage     // facts page
	Avail     *availPage     // availability page
	Incidents *incidentsPage // incidents page (fleet or host)
	Fleet     *fleetPage     // fleet page
	Status    string         // host pages: the host's status now
	// A host page of a range without samples: when the host was last
	// seen, and the shortest longer range that has samples (nil: none).
	Seen     Time
	DataLink *Link
}

// Link is a navigation link; Active marks the current page.
type Link struct {
	Label, Href string
	Active      bool
}

// pageData is the JSON data block of a page.
type pageData struct {
	TZ     string  `json:"tz"` // "" means the viewer's local time zone
	Charts []Chart `json:"charts"`
}

// IndexRow is one host in the fleet overview.
type IndexRow struct {
	Name    string
	Href    string
	AvHref  string
	Summary hostSummary
	Alerts  AlertSummary // open incidents (incidents_site.go)
	IncHref string       // the host's incidents page
}

// hostPages are the pages of a host besides the range pages.
const (
	procsFile = "processes.html"
	availFile = "availability.html"
	factsFile = "facts.html"
)

func tzName(o Options) string {
	if o.TZ == nil {
		return ""
	}
	return o.TZ.String()
}

// writeHost writes every page of host d.
func writeHost(w *writer, t *template.Template, d *hostData, o Options) error {
	// base returns the model of a page of range r (the charts and processes
	// pages link to each other's page of the same range).
	base := func(title string, active string, r int) *pageModel {
		p := &pageModel{
			Title: title + " · " + d.Name, Root: "../../", Host: d.Name,
			Generated: mkTime(o.Now.UnixMicro(), o.TZ), Status: d.sum.Status,
			Data: pageData{TZ: tzName(o), Charts: []Chart{}},
		}
		for _, l := range []Link{
			{Label: "Charts", Href: ranges[r].File},
			{Label: "Processes", Href: procFile(r)},
			{Label: "Availability", Href: availFile},
			{Label: "Incidents", Href: incidentsFile},
			{Label: "Facts", Href: factsFile},
		} {
			l.Active = l.Label == active
			p.Nav = append(p.Nav, l)
		}
		return p
	}
	dir := "hosts/" + d.Dir + "/"
	for r, rd := range ranges {
		p := base(rd.Label, "Charts", r)
		p.Range = rd.Label
		for i, x := range ranges {
			p.Tabs = append(p.Tabs, Link{Label: x.Name, Href: x.File, Active: i == r})
		}
		p.Sections = d.ranges[r]
		if len(p.Sections) == 0 {
			p.Seen = d.sum.Seen
			for r2 := r + 1; r2 < len(ranges); r2++ {
				if len(d.ranges[r2]) > 0 {
					p.DataLink = &Link{Label: ranges[r2].Label, Href: ranges[r2].File}
					break
				}
			}
		}
		var all []Chart
		for _, s := range p.Sections {
			all = append(all, s.Charts...)
		}
		fitBudget(all)
		n := 0
		for i, s := range p.Sections {
			p.Sections[i].Charts = all[n : n+len(s.Charts)]
			n += len(s.Charts)
		}
		p.Data.Charts = all
		if err := w.page(t, "host.html", dir+rd.File, p); err != nil {
			return err
		}
	}
	var p *pageModel
	for r, rd := range ranges {
		p = base("Processes", "Processes", r)
		p.Range = rd.Label
		for i, x := range ranges {
			p.Tabs = append(p.Tabs, Link{Label: x.Name, Href: procFile(i), Active: i == r})
		}
		if pp := &d.procs[r]; len(pp.Charts) > 0 || len(pp.TopCPU) > 0 || len(pp.Zombies) > 0 {
			p.Procs = pp
		} else {
			p.Seen = d.sum.Seen
			for r2 := r + 1; r2 < len(ranges); r2++ {
				if q := d.procs[r2]; len(q.Charts) > 0 || len(q.TopCPU) > 0 {
					p.DataLink = &Link{Label: ranges[r2].Label, Href: procFile(r2)}
					break
				}
			}
			p.Procs = &procPage{}
		}
		fitBudget(p.Procs.Charts)
		p.Data.Charts = append(p.Data.Charts, p.Procs.Charts...)
		if err := w.page(t, "processes.html", dir+procFile(r), p); err != nil {
			return err
		}
	}
	p = base("Availability", "Availability", 0)
	p.Avail = &d.avail
	if d.avail.Calendar != nil {
		p.Data.Charts = append(p.Data.Charts, *d.avail.Calendar)
	}
	if err := w.page(t, "availability.html", dir+availFile, p); err != nil {
		return err
	}
	if err := writeHostIncidents(w, t, d, o, base("Incidents", "Incidents", 0)); err != nil {
		return err
	}
	p = base("Facts", "Facts", 0)
	p.Facts = &d.facts
	p.Data.Charts = append(p.Data.Charts, d.facts.Self...)
	return w.page(t, "facts.html", dir+factsFile, p)
}

// indexBudget is the most an overview page may weigh: a fleet whose
// overview would be larger is split into pages of hosts in name order
// (index.html, index-2.html, ...), each under it.
const indexBudget = 3 << 19 // 1.5 MiB

// indexFile returns the file of overview page k (0-based).
func indexFile(k int) string {
	if k == 0 {
		return "index.html"
	}
	return "index-" + strconv.Itoa(k+1) + ".html"
}

// writeIndex writes the fleet overview: one page, or, when that would
// weigh over indexBudget, as few pages of consecutive hosts as keep each
// under it, linked by .Pager.
func writeIndex(w *writer, t *template.Template, hosts []*hostData, o Options) error {
	var rows []IndexRow
	for _, d := range hosts {
		if d == nil {
			continue
		}
		rows = append(rows, IndexRow{
			Name: d.Name, Href: "hosts/" + d.Dir + "/" + ranges[0].File,
			AvHref: "hosts/" + d.Dir + "/" + availFile, Summary: d.sum, Alerts: d.alerts,
			IncHref: "hosts/" + d.Dir + "/" + incidentsFile,
		})
	}
	slices.SortFunc(rows, func(a, b IndexRow) int { return cmp.Compare(a.Name, b.Name) })
	for n := 1; ; n++ {
		pages, over, err := indexPages(t, rows, n, o)
		if err != nil {
			return err
		}
		if over == 0 || n >= len(rows) {
			for k, b := range pages {
				if err := w.pageBytes(indexFile(k), b); err != nil {
					return err
				}
			}
			return nil
		}
		// The pages needed at the size seen, at least one more.
		n = max(n, over*n/indexBudget)
	}
}

// indexPages executes the overview split into n pages of rows and returns
// them with the size of the largest when it is over indexBudget (else 0).
func indexPages(t *template.Template, rows []IndexRow, n int, o Options) (pages [][]byte, over int, err error) {
	per := (len(rows) + n - 1) / max(n, 1)
	var pager []Link
	if n > 1 {
		for k := 0; k*per < len(rows); k++ {
			last := min((k+1)*per, len(rows))
			pager = append(pager, Link{Label: fmt.Sprintf("%d–%d", k*per+1, last), Href: indexFile(k)})
		}
	}
	for k := 0; k == 0 || k*per < len(rows); k++ {
		p := &pageModel{
			Title: "almanac", Generated: mkTime(o.Now.UnixMicro(), o.TZ),
			Data: pageData{TZ: tzName(o), Charts: []Chart{}},
		}
		p.Hosts = rows[min(k*per, len(rows)):min((k+1)*per, len(rows))]
		if pager != nil {
			p.Pager = slices.Clone(pager)
			p.Pager[k].Active = true
		}
		var b bytes.Buffer
		page, err := executePage(t, "index.html", p, &b, nil)
		if err != nil {
			return nil, 0, fmt.Errorf("execute index.html for %s: %w", indexFile(k), err)
		}
		if len(page) > indexBudget {
			over = max(over, len(page))
		}
		pages = append(pages, page)
	}
	return pages, over, nil
}
