package report

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// WriteText writes rep as sar does: per host a header line, then each
// section with a header row, a row per step and series, and "Average:"
// rows. Names from the host (a process's command) are printed as Go
// quoted strings when they hold control characters, so they cannot move
// the cursor or end a line.
func WriteText(w io.Writer, rep *Report) error {
	bw := bufio.NewWriter(w)
	layout := timeLayout(rep)
	for i, h := range rep.Hosts {
		if i > 0 {
			bw.WriteString("\n")
		}
		fmt.Fprintf(bw, "%s  %s to %s (%s)  every %s\n", h.Host, rep.From.In(rep.TZ).Format("2006-01-02 15:04"),
			rep.To.In(rep.TZ).Format("2006-01-02 15:04"), rep.TZ, fmtEvery(rep.Every))
		for _, s := range h.Sections {
			bw.WriteString("\n")
			writeSection(bw, s, layout)
		}
	}
	return bw.Flush()
}

// writeSection writes one section as aligned columns.
func writeSection(w *bufio.Writer, s Section, layout string) {
	head := append(append([]string{s.Name}, s.Labels...), s.Columns...)
	nl := len(s.Labels)
	cells := func(r Row, avg bool) []string {
		t := "Average:"
		if !avg {
			t = r.Time.Format(layout)
		}
		out := []string{t}
		for _, l := range r.Labels {
			out = append(out, printable(l))
		}
		for i, v := range r.Values {
			out = append(out, fmtNum(v, s.Decimals[i]))
		}
		return out
	}
	var lines [][]string
	for _, r := range s.Rows {
		lines = append(lines, cells(r, false))
	}
	for _, r := range s.Average {
		lines = append(lines, cells(r, true))
	}
	width := make([]int, len(head))
	for _, l := range append([][]string{head}, lines...) {
		for i, c := range l {
			width[i] = max(width[i], utf8.RuneCountInString(c))
		}
	}
	put := func(l []string) {
		var b strings.Builder
		for i, c := range l {
			pad := strings.Repeat(" ", width[i]-utf8.RuneCountInString(c))
			switch {
			case i == 0:
				b.WriteString(c + pad)
			case i <= nl: // labels: left-aligned
				b.WriteString("  " + c + pad)
			default:
				b.WriteString("  " + pad + c)
			}
		}
		w.WriteString(strings.TrimRight(b.String(), " ") + "\n")
	}
	put(head)
	if len(lines) == 0 {
		w.WriteString("(no data)\n")
		return
	}
	for _, l := range lines {
		put(l)
	}
}

// timeLayout shows the date only when the report spans more than one day
// of its zone, and seconds only when the step has them.
func timeLayout(rep *Report) string {
	layout := "15:04"
	if rep.Every%time.Minute != 0 {
		layout = "15:04:05"
	}
	from, last := rep.From.In(rep.TZ), rep.To.Add(-time.Microsecond).In(rep.TZ)
	if from.Format(time.DateOnly) != last.Format(time.DateOnly) {
		layout = "2006-01-02 " + layout
	}
	return layout
}

// fmtNum formats v with dec decimals; NaN (nothing sampled) is "-".
func fmtNum(v float64, dec int) string {
	if math.IsNaN(v) {
		return "-"
	}
	return strconv.FormatFloat(v, 'f', dec, 64)
}

// fmtEvery writes a step as 10m, 1h30m or 30s.
func fmtEvery(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

// printable returns s, or s quoted when it holds characters a terminal
// would act on (control characters, invalid UTF-8).
func printable(s string) string {
	if utf8.ValidString(s) && strings.IndexFunc(s, func(r rune) bool { return !unicode.IsPrint(r) && r != ' ' }) < 0 {
		return s
	}
	return strconv.Quote(s)
}
