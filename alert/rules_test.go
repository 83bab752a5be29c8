package alert

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func known(table, column string) bool {
	return table == "memory" && column == "swap_in_per_s" || table == "filesystem" && column == "used_bytes"
}

func TestParseRules(t *testing.T) {
	const good = `# rules of web hosts
rules:
  - name: var filling up
    metric: filesystem.used_pct
    scope: {mountpoint: "/var*"}
    warn: "> 80"
    crit: "> 90"
    for: 10m
    clear: 75
    keep_firing_for: 5m
  - name: oom kill
    event: oom_kill
  - name: swap
    metric: memory.swap_in_per_s
    warn: "> 50"
disable: [load per core]
`
	f, err := ParseRules("web.yaml", strings.NewReader(good), known)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Rules) != 3 {
		t.Fatalf("%d rules, want 3", len(f.Rules))
	}
	r := f.Rules[0]
	if r.Warn.String() != "> 80" || r.Crit.String() != "> 90" || r.For != 10*time.Minute || *r.Clear != 75 ||
		r.KeepFiringFor != 5*time.Minute || r.Scope["mountpoint"] != "/var*" || r.Source != "web.yaml:3" {
		t.Errorf("rule 0 = %+v", r)
	}
	eff := f.Effective()
	var names []string
	for _, r := range eff {
		names = append(names, r.Name)
	}
	if slices.Contains(names, "load per core") || !slices.Contains(names, "filesystem full") || !slices.Contains(names, "swap") {
		t.Errorf("effective rules %v: want the defaults but load per core, and the file's", names)
	}
	if slices.Index(names, "oom kill") != slices.IndexFunc(eff, func(r Rule) bool { return r.Source == "web.yaml:11" }) {
		t.Errorf("the file's oom kill does not replace the default: %v", names)
	}
}

// TestParseRulesErrors checks that every mistake is named with its file,
// line and what to do.
func TestParseRulesErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"yaml syntax", "rules: [\n", "web.yaml"},
		{"unknown top key", "rulez: []\n", `web.yaml:1: unknown key "rulez": want rules, fleet, disable or notify`},
		{"unknown rule key", "rules:\n  - name: a\n    metric: filesystem.used_pct\n    warm: \"> 1\"\n", `web.yaml:4: unknown key "warm"`},
		{"no name", "rules:\n  - metric: filesystem.used_pct\n", "web.yaml:2: a rule without a name"},
		{"no threshold", "rules:\n  - name: a\n    metric: filesystem.used_pct\n", `rule "a": want warn: or crit:`},
		{"bad threshold", "rules:\n  - name: a\n    metric: filesystem.used_pct\n    warn: 90\n", `warn: "90": want > or <`},
		{"unknown metric", "rules:\n  - name: a\n    metric: disk.nope\n    warn: \"> 1\"\n", `metric "disk.nope": want table.column`},
		{"both metric and event", "rules:\n  - name: a\n    metric: filesystem.used_pct\n    event: reboot\n", "want metric: (a threshold rule) or event:"},
		{"unknown event", "rules:\n  - name: a\n    event: fire\n", `event "fire": want one of oom_kill`},
		{"event with threshold", "rules:\n  - name: a\n    event: reboot\n    warn: \"> 1\"\n", "an event rule takes no thresholds"},
		{"directions differ", "rules:\n  - name: a\n    metric: filesystem.used_pct\n    warn: \"> 1\"\n    crit: \"< 0\"\n", "different directions"},
		{"crit not past warn", "rules:\n  - name: a\n    metric: filesystem.used_pct\n    warn: \"> 90\"\n    crit: \"> 80\"\n", "crit > 80 is not past warn > 90"},
		{"clear never reached", "rules:\n  - name: a\n    metric: filesystem.used_pct\n    warn: \"> 90\"\n    clear: 95\n", "could never resolve"},
		{"bad duration", "rules:\n  - name: a\n    metric: filesystem.used_pct\n    warn: \"> 90\"\n    for: 5 minutes\n", `for: "5 minutes": want a duration`},
		{"bad glob", "rules:\n  - name: a\n    metric: filesystem.used_pct\n    warn: \"> 90\"\n    scope: {mountpoint: \"[\"}\n", "bad glob"},
		{"twice", "rules:\n  - name: a\n    event: reboot\n  - name: a\n    event: reboot\n", `web.yaml:4: rule "a": a second rule`},
		{"unknown default", "disable: [nope]\n", `no default rule "nope"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseRules("web.yaml", strings.NewReader(tt.in), known)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("ParseRules = %v, want an error containing %q", err, tt.want)
			}
		})
	}
}

func TestDefaults(t *testing.T) {
	seen := map[string]bool{}
	for _, r := range Defaults() {
		if seen[r.Name] {
			t.Errorf("default %q twice", r.Name)
		}
		seen[r.Name] = true
		if r.Event == "" && (r.Metric == "" || r.Warn == nil && r.Crit == nil) {
			t.Errorf("default %q: no metric or threshold", r.Name)
		}
		if r.Clear != nil && r.severity(*r.Clear) != SevNone {
			t.Errorf("default %q: clear %v past its thresholds", r.Name, *r.Clear)
		}
	}
	if f, err := ParseRules("empty.yaml", strings.NewReader(""), known); err != nil || len(f.Effective()) != len(Defaults()) {
		t.Errorf("an empty file: %v, %d rules; want the defaults", err, len(f.Effective()))
	}
}
