package alert

import (
	"errors"
	"fmt"
	"io"
	"path"
	"time"

	"go.yaml.in/yaml/v3"
)

// Silence mutes the notifications of the incidents it matches until a
// time; their state changes are still recorded. Rule, Host and Series are
// globs (path.Match); an empty one matches anything.
type Silence struct {
	Rule    string    `yaml:"rule"`
	Host    string    `yaml:"host"`
	Series  string    `yaml:"series"`
	Until   time.Time `yaml:"until"`
	Comment string    `yaml:"comment"`
	Source  string    `yaml:"-"` // "silences.yaml:3"
}

// Matches reports whether s mutes rule's series of host at t.
func (s Silence) Matches(host, rule, series string, t time.Time) bool {
	if !t.Before(s.Until) {
		return false
	}
	for _, p := range [][2]string{{s.Rule, rule}, {s.Host, host}, {s.Series, series}} {
		if p[0] == "" {
			continue
		}
		if ok, _ := path.Match(p[0], p[1]); !ok {
			return false
		}
	}
	return true
}

// ParseSilences reads a silences file:
//
//	silences:
//	  - rule: filesystem full
//	    host: "web*"
//	    series: "mountpoint=/var*"
//	    until: 2026-12-24T00:00:00Z
//	    comment: the disk is swapped on Tuesday
//
// Errors name the file, the line and what is wrong.
func ParseSilences(name string, r io.Reader) ([]Silence, error) {
	var doc struct {
		Silences []yaml.Node `yaml:"silences"`
	}
	dec := yaml.NewDecoder(r)
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, fmt.Errorf("alert: %s: %w", name, err)
	}
	var out []Silence
	for _, n := range doc.Silences {
		var s Silence
		if err := n.Decode(&s); err != nil {
			return nil, fmt.Errorf("alert: %s:%d: %w (until: wants a time such as 2026-12-24T00:00:00Z)", name, n.Line, err)
		}
		s.Source = fmt.Sprintf("%s:%d", name, n.Line)
		switch {
		case s.Until.IsZero():
			return nil, fmt.Errorf("alert: %s:%d: a silence without until: (e.g. until: 2026-12-24T00:00:00Z)", name, n.Line)
		case s.Rule == "" && s.Host == "" && s.Series == "":
			return nil, fmt.Errorf("alert: %s:%d: a silence that matches everything: give rule:, host: or series:", name, n.Line)
		}
		for _, g := range []string{s.Rule, s.Host, s.Series} {
			if _, err := path.Match(g, ""); err != nil {
				return nil, fmt.Errorf("alert: %s:%d: bad glob %q", name, n.Line, g)
			}
		}
		out = append(out, s)
	}
	return out, nil
}
