package schema

import (
	"fmt"
	"strings"
)

// Markdown returns the README's reference of every table: per table, its
// columns with their SQL type, kind, unit and meaning, and how its
// rollups summarize them. The README holds it between the lines
// "<!-- schema:begin -->" and "<!-- schema:end -->"; TestReadme fails
// when they disagree, and `go test ./schema -update` rewrites it.
func Markdown() string {
	var b strings.Builder
	for _, t := range Tables {
		fmt.Fprintf(&b, "#### `%s`\n\n%s.", t.Name(), upperFirst(t.Doc()))
		if keys := t.Keys(); len(keys) > 0 {
			fmt.Fprintf(&b, " A series is one %s.", codeList(keys))
		}
		if rs := t.Rollups(); len(rs) > 0 {
			names := make([]string, len(rs))
			for i, r := range rs {
				names[i] = resolutionName(r.String())
			}
			fmt.Fprintf(&b, " Rollups: %s.", strings.Join(names, " and "))
		} else {
			b.WriteString(" No rollups.")
		}
		b.WriteString("\n\n| Column | Type | Kind | Unit | Meaning |\n|---|---|---|---|---|\n")
		for _, c := range t.Columns() {
			typ := c.Type
			if c.Nullable {
				typ += ", NULL"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s |\n", c.Name, typ, c.Kind, c.Unit, escapeCell(c.Doc))
			for _, f := range c.Fields {
				fmt.Fprintf(&b, "| `%s.%s` | %s | | | %s |\n", c.Name, f.Name, f.Type, escapeCell(f.Doc))
			}
		}
		if rc := t.RollupColumns(); len(rc) > 0 {
			b.WriteString("\nIn rollups: ")
			var parts []string
			for _, c := range rc {
				var names []string
				for _, a := range c.Kind.Aggs() {
					names = append(names, "`"+c.RollupName(a)+"`")
				}
				parts = append(parts, strings.Join(names, " "))
			}
			b.WriteString(strings.Join(parts, ", "))
			b.WriteString(", `samples`.\n")
		}
		b.WriteString("\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}

func resolutionName(d string) string {
	switch d {
	case "1m0s":
		return "per minute"
	case "1h0m0s":
		return "per hour"
	}
	return "per " + d
}

func codeList(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = "`" + n + "`"
	}
	return strings.Join(q, " and ")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func escapeCell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
