package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Notifier keeps an outbox folder with one queue a channel and delivers
// each queue in order. Put only writes files; Run sends. A message is
// removed from a channel's queue once that channel took it, so a restart
// resends at most the message being sent when it stopped.
type Notifier struct {
	root     *os.Root
	channels []Channel
	log      *slog.Logger
	wake     chan struct{}
	mu       sync.Mutex
	seq      int64
	// MaxWait is the longest wait between two tries of a failing channel
	// (default 5 minutes); the first retry comes after a second.
	MaxWait time.Duration
	// Group is how long after a message of a host its later messages are
	// sent with it, as one (default 30 s): alerts that start together go
	// out together.
	Group time.Duration
	now   func() time.Time
}

// NewNotifier opens (making it if needed) the outbox folder dir, with one
// queue for each channel.
func NewNotifier(dir string, channels []Channel, log *slog.Logger) (*Notifier, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("notify: outbox %s: %w", dir, err)
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("notify: outbox %s: %w", dir, err)
	}
	n := &Notifier{root: root, channels: channels, log: log, wake: make(chan struct{}, 1), MaxWait: 5 * time.Minute,
		Group: 30 * time.Second, now: time.Now}
	for _, c := range channels {
		if !validName(c.Name()) {
			root.Close()
			return nil, fmt.Errorf("notify: channel name %q: want letters, digits, '-' or '_'", c.Name())
		}
		if err := root.Mkdir(c.Name(), 0o750); err != nil && !errors.Is(err, os.ErrExist) {
			root.Close()
			return nil, fmt.Errorf("notify: outbox %s: %w", dir, err)
		}
		names, err := n.queue(c.Name())
		if err != nil {
			root.Close()
			return nil, err
		}
		if len(names) > 0 {
			last, _ := strconv.ParseInt(strings.TrimSuffix(names[len(names)-1], ".json"), 10, 64)
			n.seq = max(n.seq, last)
		}
	}
	return n, nil
}

func validName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return false
		}
	}
	return true
}

// Close closes the outbox folder.
func (n *Notifier) Close() error { return n.root.Close() }

// queue lists the message files of a channel, oldest first.
func (n *Notifier) queue(channel string) ([]string, error) {
	f, err := n.root.Open(channel)
	if err != nil {
		return nil, fmt.Errorf("notify: outbox %s: %w", channel, err)
	}
	names, err := f.Readdirnames(-1)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("notify: outbox %s: %w", channel, err)
	}
	names = slices.DeleteFunc(names, func(s string) bool { return !strings.HasSuffix(s, ".json") || strings.HasPrefix(s, ".") })
	slices.Sort(names) // fixed-width numbers: sorted is oldest first
	return names, nil
}

// Put queues m for every channel: once it returns, m survives a crash.
func (n *Notifier) Put(m Message) error {
	data, err := json.Marshal(m)
	if err != nil {
		return err
	}
	n.mu.Lock()
	n.seq = max(n.seq+1, time.Now().UnixNano())
	name := fmt.Sprintf("%020d.json", n.seq)
	n.mu.Unlock()
	for _, c := range n.channels {
		tmp := c.Name() + "/." + name + ".tmp"
		f, err := n.root.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
		if err != nil {
			return fmt.Errorf("notify: queue for %s: %w", c.Name(), err)
		}
		_, werr := f.Write(data)
		serr := f.Sync()
		cerr := f.Close()
		if err := errors.Join(werr, serr, cerr); err != nil {
			n.root.Remove(tmp)
			return fmt.Errorf("notify: queue for %s: %w", c.Name(), err)
		}
		if err := n.root.Rename(tmp, c.Name()+"/"+name); err != nil {
			return fmt.Errorf("notify: queue for %s: %w", c.Name(), err)
		}
	}
	select {
	case n.wake <- struct{}{}:
	default:
	}
	return nil
}

// Run delivers the queues until ctx ends, one goroutine a channel, each
// in order: a message that fails is tried again, after 1 s, then twice as
// long each time up to MaxWait, and the later ones wait for it.
func (n *Notifier) Run(ctx context.Context) {
	var wg sync.WaitGroup
	wakes := make([]chan struct{}, len(n.channels))
	for i, c := range n.channels {
		wakes[i] = make(chan struct{}, 1)
		wg.Add(1)
		go func() {
			defer wg.Done()
			n.deliver(ctx, c, wakes[i])
		}()
	}
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-n.wake:
			for _, w := range wakes {
				select {
				case w <- struct{}{}:
				default:
				}
			}
		}
	}
}

// deliver sends channel c's queue in order until ctx ends.
func (n *Notifier) deliver(ctx context.Context, c Channel, wake chan struct{}) {
	log := n.log.With("channel", c.Name())
	var wait time.Duration
	failing := false
	for {
		hold, err := n.pass(ctx, c, log, false)
		if ctx.Err() != nil {
			return
		}
		var retry <-chan time.Time
		var t *time.Timer
		switch {
		case err == nil && hold > 0: // a group still open
			t = time.NewTimer(hold)
			retry = t.C
		case err != nil:
			wait = min(max(2*wait, time.Second), n.MaxWait)
			log.Warn("notification not delivered, trying again", "err", err, "retry_in_seconds", wait.Seconds())
			failing = true
			t = time.NewTimer(wait)
			retry = t.C
		case failing:
			log.Info("notifications delivered again")
			failing, wait = false, 0
		}
		select {
		case <-ctx.Done():
		case <-wake:
		case <-retry:
		}
		if t != nil {
			t.Stop()
		}
		if ctx.Err() != nil {
			return
		}
	}
}

// pass sends c's queue in order, once, and stops at the first message c
// does not take. Consecutive messages of one host less than Group apart
// go as one; unless flush, a group whose time is not up yet waits, and
// pass returns how long.
func (n *Notifier) pass(ctx context.Context, c Channel, log *slog.Logger, flush bool) (time.Duration, error) {
	names, err := n.queue(c.Name())
	if err != nil {
		return 0, err
	}
	read := func(name string) (Message, bool) {
		data, err := n.root.ReadFile(c.Name() + "/" + name)
		var m Message
		if err == nil {
			err = json.Unmarshal(data, &m)
		}
		if err != nil {
			log.Warn("outbox message unreadable, dropped", "file", name, "err", err)
			n.root.Remove(c.Name() + "/" + name)
			return m, false
		}
		return m, true
	}
	for i := 0; i < len(names); {
		m, ok := read(names[i])
		if !ok {
			i++
			continue
		}
		j := i + 1
		for ; j < len(names); j++ {
			mj, ok := read(names[j])
			if !ok {
				continue
			}
			if mj.Host != m.Host || mj.Time.Sub(m.Time) > n.Group {
				break
			}
			m.Changes = append(m.Changes, mj.Changes...)
		}
		if open := m.Time.Add(n.Group).Sub(n.now()); !flush && j == len(names) && open > 0 {
			return open, nil
		}
		if err := c.Send(ctx, m); err != nil {
			return 0, err
		}
		for _, name := range names[i:j] {
			if err := n.root.Remove(c.Name() + "/" + name); err != nil && !errors.Is(err, os.ErrNotExist) {
				log.Warn("delivered message not removed from the outbox", "file", name, "err", err)
			}
		}
		i = j
	}
	return 0, nil
}

// Flush tries once to send what is queued, each channel in order, until
// ctx ends: for a process that is about to stop (what it does not send
// stays queued for the next start). It returns the channels' errors.
func (n *Notifier) Flush(ctx context.Context) error {
	var errs []error
	for _, c := range n.channels {
		if _, err := n.pass(ctx, c, n.log.With("channel", c.Name()), true); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
