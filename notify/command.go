package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// Command runs a program for each message, which covers SMS gateways and
// everything else: the message is its standard input as JSON, and its
// environment has ALMANAC_HOST, ALMANAC_SUBJECT, ALMANAC_TEXT and, for a
// single change, ALMANAC_RULE, ALMANAC_SERIES, ALMANAC_STATE,
// ALMANAC_SEVERITY, ALMANAC_VALUE and ALMANAC_PEAK. It is killed after
// Timeout. This is the only place almanac starts a program, and it runs
// in the Notifier, never in the sampler's collectors.
type Command struct {
	ID      string
	Path    string
	Args    []string
	Timeout time.Duration // 0: 30 s
}

// Name implements Channel.
func (c *Command) Name() string { return c.ID }

// Send implements Channel.
func (c *Command) Send(ctx context.Context, m Message) error {
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	in, err := json.Marshal(m)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, c.Path, c.Args...)
	cmd.Stdin = bytes.NewReader(in)
	env := append(os.Environ(), "ALMANAC_HOST="+m.Host, "ALMANAC_SUBJECT="+m.Subject(), "ALMANAC_TEXT="+m.Text())
	if len(m.Changes) == 1 {
		ch := m.Changes[0]
		env = append(env, "ALMANAC_RULE="+ch.Rule, "ALMANAC_SERIES="+ch.Series, "ALMANAC_STATE="+ch.State,
			"ALMANAC_SEVERITY="+ch.Severity, fmt.Sprintf("ALMANAC_VALUE=%g", ch.Value), fmt.Sprintf("ALMANAC_PEAK=%g", ch.Peak))
	}
	cmd.Env = env
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(out.String())
		if len(msg) > 200 {
			msg = msg[:200] + "…"
		}
		if ctx.Err() != nil {
			return fmt.Errorf("command %s: killed after %v: %s", c.ID, timeout, msg)
		}
		return fmt.Errorf("command %s: %w: %s", c.ID, err, msg)
	}
	return nil
}
