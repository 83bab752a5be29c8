package report

import (
	"encoding/json"
	"io"
	"math"
	"time"
)

// jsonReport is the JSON form of a Report.
type jsonReport struct {
	From  string     `json:"from"`
	To    string     `json:"to"`
	Every string     `json:"every"`
	TZ    string     `json:"tz"`
	Hosts []jsonHost `json:"hosts"`
}

type jsonHost struct {
	Host     string        `json:"host"`
	Sections []jsonSection `json:"sections"`
}

type jsonSection struct {
	Name    string    `json:"name"`
	Labels  []string  `json:"labels"`
	Columns []string  `json:"columns"`
	Rows    []jsonRow `json:"rows"`
	Average []jsonRow `json:"average"`
}

type jsonRow struct {
	Time   string     `json:"time,omitempty"`
	Labels []string   `json:"labels,omitempty"`
	Values []*float64 `json:"values"`
}

// WriteJSON writes rep as one JSON object: from, to, every, tz, and hosts,
// each with its sections (name, labels, columns, rows, average); a row has
// its time (RFC 3339 in the report's zone; none on average rows), its
// labels and its values, null where nothing was sampled.
func WriteJSON(w io.Writer, rep *Report) error {
	out := jsonReport{From: rep.From.In(rep.TZ).Format(time.RFC3339), To: rep.To.In(rep.TZ).Format(time.RFC3339),
		Every: rep.Every.String(), TZ: rep.TZ.String(), Hosts: []jsonHost{}}
	rows := func(rs []Row, avg bool) []jsonRow {
		out := []jsonRow{}
		for _, r := range rs {
			jr := jsonRow{Labels: r.Labels, Values: make([]*float64, len(r.Values))}
			if !avg {
				jr.Time = r.Time.Format(time.RFC3339)
			}
			for i, v := range r.Values {
				if !math.IsNaN(v) {
					r := round6(v)
					jr.Values[i] = &r
				}
			}
			out = append(out, jr)
		}
		return out
	}
	for _, h := range rep.Hosts {
		jh := jsonHost{Host: h.Host, Sections: []jsonSection{}}
		for _, s := range h.Sections {
			labels := s.Labels
			if labels == nil {
				labels = []string{}
			}
			jh.Sections = append(jh.Sections, jsonSection{Name: s.Name, Labels: labels, Columns: s.Columns,
				Rows: rows(s.Rows, false), Average: rows(s.Average, true)})
		}
		out.Hosts = append(out.Hosts, jh)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}
