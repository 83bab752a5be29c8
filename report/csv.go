package report

import (
	"encoding/csv"
	"io"
	"math"
	"strconv"
	"time"
)

// WriteCSV writes rep as CSV: per host and section, a header row (host,
// section, time, then the section's columns) and its rows, with "Average"
// in the time column of the Average rows; sections are separated by an
// empty line (as sadf -d separates its reports). Times are RFC 3339 in
// the report's zone; numbers have up to six decimals; nothing sampled is an
// empty field.
func WriteCSV(w io.Writer, rep *Report) error {
	cw := csv.NewWriter(w)
	first := true
	for _, h := range rep.Hosts {
		for _, s := range h.Sections {
			if !first {
				cw.Flush()
				if _, err := io.WriteString(w, "\n"); err != nil {
					return err
				}
			}
			first = false
			cw.Write(append(append([]string{"host", "section", "time"}, s.Labels...), s.Columns...))
			row := func(r Row, t string) {
				rec := append([]string{h.Host, s.Name, t}, r.Labels...)
				for _, v := range r.Values {
					rec = append(rec, csvNum(v))
				}
				cw.Write(rec)
			}
			for _, r := range s.Rows {
				row(r, r.Time.Format(time.RFC3339))
			}
			for _, r := range s.Average {
				row(r, "Average")
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func csvNum(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(round6(v), 'f', -1, 64)
}

// round6 rounds v to six decimals: the means' float noise
// (0.021000000000000008) left out of CSV and JSON.
func round6(v float64) float64 { return math.Round(v*1e6) / 1e6 }
