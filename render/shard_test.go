package render

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

// shardFleet is smallFleet and four more hosts, so that each of 3 shards
// gets some.
func shardFleet() []fixtureHost {
	hosts := smallFleet()
	for i := range 4 {
		hosts = append(hosts, fixtureHost{
			Name: fmt.Sprintf("app%d", i), Every: 5 * time.Minute, Processes: 3, Seed: uint64(10 + i),
			Spans: []span{{From: fixedNow.Add(-26 * time.Hour), To: fixedNow.Add(-time.Duration(i) * time.Hour)}},
		})
	}
	return hosts
}

func TestShardedRenderEqualsUnsharded(t *testing.T) {
	st := writeFixture(t, shardFleet()...)
	hosts, _ := st.Hosts()
	tmp := t.TempDir()
	opts := Options{Now: fixedNow, Log: quietLog(), Jobs: 2}

	whole := opts
	whole.Out = filepath.Join(tmp, "whole")
	wrep, err := Build(context.Background(), st, whole)
	if err != nil {
		t.Fatal(err)
	}

	const n = 3
	var dirs []string
	counts := map[int]int{}
	for i := range n {
		o := opts
		o.Out = filepath.Join(tmp, fmt.Sprint("shard", i))
		o.Shard = Shard{I: i, N: n}
		rep, err := Build(context.Background(), st, o)
		if err != nil {
			t.Fatalf("shard %d/%d: %v", i, n, err)
		}
		counts[i] = rep.Hosts
		dirs = append(dirs, o.Out)
		if _, err := os.Stat(filepath.Join(o.Out, "index.html")); err == nil {
			t.Errorf("shard %d wrote index.html", i)
		}
	}
	sum := 0
	for i := range n {
		sum += counts[i]
		if counts[i] == len(hosts) {
			t.Errorf("shard %d rendered all %d hosts", i, len(hosts))
		}
	}
	if sum != len(hosts) {
		t.Errorf("the shards rendered %d hosts in all (%v), the fleet has %d", sum, counts, len(hosts))
	}

	idx := opts
	idx.Out = filepath.Join(tmp, "joined")
	// Shard folders in any order.
	rep, err := BuildIndex(context.Background(), []string{dirs[2], dirs[0], dirs[1]}, idx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Hosts != wrep.Hosts || rep.Pages != wrep.Pages || rep.Bytes != wrep.Bytes {
		t.Errorf("joined report %+v, unsharded %+v", rep, wrep)
	}
	got, want := readSite(t, idx.Out), readSite(t, whole.Out)
	for name, b := range want {
		if g, ok := got[name]; !ok {
			t.Errorf("the sharded site lacks %s", name)
		} else if !bytes.Equal(g, b) {
			t.Errorf("%s differs between the sharded and the unsharded site", name)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("the sharded site has %s, the unsharded one does not", name)
		}
	}

	// A missing shard, a shard twice, and shards of different n are refused.
	for _, tc := range []struct {
		dirs []string
		want string
	}{
		{dirs[:2], "missing"},
		{[]string{dirs[0], dirs[0], dirs[1], dirs[2]}, "both shard"},
		{[]string{tmp}, "almanac render --shard"},
	} {
		o := opts
		o.Out = filepath.Join(t.TempDir(), "site")
		_, err := BuildIndex(context.Background(), tc.dirs, o)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("BuildIndex(%v) = %v, want an error saying %q", tc.dirs, err, tc.want)
		}
		if _, serr := os.Stat(o.Out); serr == nil {
			t.Errorf("BuildIndex(%v) failed and left %s", tc.dirs, o.Out)
		}
	}
}

func TestParseShard(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Shard
		ok   bool
	}{
		{"0/3", Shard{0, 3}, true},
		{"2/3", Shard{2, 3}, true},
		{"0/1", Shard{0, 1}, true},
		{"3/3", Shard{}, false},
		{"-1/3", Shard{}, false},
		{"1/0", Shard{}, false},
		{"1", Shard{}, false},
		{"a/b", Shard{}, false},
		{"", Shard{}, false},
	} {
		got, err := ParseShard(tc.in)
		if (err == nil) != tc.ok || (tc.ok && got != tc.want) {
			t.Errorf("ParseShard(%q) = %v, %v; want %v, ok %v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}

func TestShardOfSpreads(t *testing.T) {
	const n = 4
	counts := make([]int, n)
	for i := range 1000 {
		s := ShardOf(fmt.Sprintf("host%04d", i), n)
		if s < 0 || s >= n {
			t.Fatalf("ShardOf = %d, want 0..%d", s, n-1)
		}
		counts[s]++
	}
	for i, c := range counts {
		if c < 200 || c > 300 {
			t.Errorf("shard %d of %d holds %d of 1000 hosts, want about 250", i, n, c)
		}
	}
	if ShardOf("web1", n) != ShardOf("web1", n) {
		t.Error("ShardOf is not deterministic")
	}
}

// The index entry of a host goes through JSON (a shard's summary) without
// loss: a field added to hostSummary must survive it.
func TestIndexEntryJSON(t *testing.T) {
	st := writeFixture(t, smallFleet()...)
	for _, h := range []string{"web1", "db1"} {
		d, err := gather(st, h, hostDir(h), fixedNow, nil)
		if err != nil {
			t.Fatal(err)
		}
		e := IndexEntry{Name: d.Name, Dir: d.Dir, Summary: d.sum, Skipped: d.skipped}
		data, err := json.Marshal(e)
		if err != nil {
			t.Fatal(err)
		}
		var back IndexEntry
		if err := json.Unmarshal(data, &back); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, e) {
			t.Errorf("%s: index entry changed through JSON:\n got %+v\nwant %+v", h, back, e)
		}
	}
}
