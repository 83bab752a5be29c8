package alert

import (
	"strings"
	"testing"
)

// FuzzParseRules feeds rules files (host and fleet rules) to ParseRules:
// it never panics, and what it accepts is a usable rule set.
func FuzzParseRules(f *testing.F) {
	for _, seed := range []string{
		"rules:\n  - name: a\n    metric: filesystem.used_pct\n    warn: \"> 90\"\n    for: 5m\n",
		"fleet:\n  - name: silent\n    no_data: auto\n  - name: busy\n    metric: cpu.busy_pct\n    value: \"> 90\"\n    warn: 2\n    crit: 3\n    for: 10m\n",
		"fleet:\n  - name: x\n    no_data: 10m\n    hosts: \"web*\"\n    severity: warn\ndisable: [no data]\n",
		"fleet: [1, 2]\n", "fleet:\n  - {name: a, metric: memory.available_pct, value: \"< 5\", warn: 1}\n", "",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		file, err := ParseRules("fuzz.yaml", strings.NewReader(in), known)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "alert: fuzz.yaml") {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		for _, r := range file.EffectiveFleet() {
			switch {
			case r.Name == "":
				t.Errorf("fleet rule without a name: %+v", r)
			case !r.NoData && (r.Value == nil || r.Warn < 1 || r.Crit != 0 && r.Crit <= r.Warn):
				t.Errorf("count rule accepted without a usable value or counts: %+v", r)
			case r.NoData && r.Threshold(0) <= 0:
				t.Errorf("no_data rule without a threshold: %+v", r)
			}
		}
	})
}
