package render

import (
	"almanac/internal/testfs"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"slices"
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

	idx := IndexOptions{Options: opts}
	idx.Out = filepath.Join(tmp, "joined")
	// Shard folders in any order.
	rep, err := BuildIndex(context.Background(), []string{dirs[2], dirs[0], dirs[1]}, idx)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Hosts != wrep.Hosts || rep.Pages != wrep.Pages || rep.Bytes != wrep.Bytes {
		t.Errorf("joined report %+v, unsharded %+v", rep, wrep)
	}
	got, want := testfs.ReadTree(t, idx.Out), testfs.ReadTree(t, whole.Out)
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

	// BuildFleet writes the rest of the site: with the shards' host
	// folders beside it (as in an S3 prefix the shards uploaded to) it is
	// the unsharded site too.
	var sums []ShardSummary
	union := map[string][]byte{}
	for i, d := range dirs {
		sh := Shard{I: i, N: n}
		data, err := os.ReadFile(filepath.Join(d, filepath.FromSlash(SummaryName(sh))))
		if err != nil {
			t.Fatal(err)
		}
		s, err := ParseSummary(SummaryName(sh), data)
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, s)
		for name, b := range testfs.ReadTree(t, d) {
			if strings.HasPrefix(filepath.ToSlash(name), "hosts/") {
				union[name] = b
			}
		}
	}
	j, err := JoinShards(sums, 0)
	if err != nil {
		t.Fatal(err)
	}
	if !j.Now.Equal(fixedNow) || len(j.Entries) != len(hosts) {
		t.Errorf("JoinShards: now %v, %d hosts; want %v, %d", j.Now, len(j.Entries), fixedNow, len(hosts))
	}
	fleet := opts
	fleet.Now = time.Time{} // the shards' render time
	fleet.Out = filepath.Join(tmp, "fleet")
	if _, err := BuildFleet(context.Background(), j, fleet); err != nil {
		t.Fatal(err)
	}
	for name, b := range testfs.ReadTree(t, fleet.Out) {
		if strings.HasPrefix(filepath.ToSlash(name), "hosts/") {
			t.Errorf("BuildFleet wrote the host page %s", name)
		}
		union[name] = b
	}
	if len(union) != len(want) {
		t.Errorf("shards' host folders and BuildFleet: %d files, the unsharded site %d", len(union), len(want))
	}
	for name, b := range want {
		if !bytes.Equal(union[name], b) {
			t.Errorf("%s differs between the shards + BuildFleet and the unsharded site", name)
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
		o := IndexOptions{Options: opts}
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
		{"0/10000", Shard{0, 10000}, true},
		{"0/10001", Shard{}, false},
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

func TestJoinShards(t *testing.T) {
	entry := func(name string) IndexEntry { return IndexEntry{Name: name, Dir: hostDir(name)} }
	// Hosts of each shard of 2 and of 3.
	byShard := func(n int) map[int][]IndexEntry {
		m := map[int][]IndexEntry{}
		for i := range 12 {
			h := fmt.Sprintf("h%02d", i)
			m[ShardOf(h, n)] = append(m[ShardOf(h, n)], entry(h))
		}
		return m
	}
	two, three := byShard(2), byShard(3)
	sum := func(i, n int, now time.Time) ShardSummary {
		hs := two[i]
		if n == 3 {
			hs = three[i]
		}
		return ShardSummary{Format: shardFormat, I: i, N: n, Now: now, Hosts: hs, Source: SummaryName(Shard{i, n})}
	}
	later := fixedNow.Add(90 * time.Second)
	for _, tc := range []struct {
		name string
		sums []ShardSummary
		skew time.Duration
		want string // "" for success
	}{
		{"all", []ShardSummary{sum(1, 3, fixedNow), sum(0, 3, fixedNow), sum(2, 3, fixedNow)}, 0, ""},
		{"skew allowed", []ShardSummary{sum(0, 2, fixedNow), sum(1, 2, later)}, 2 * time.Minute, ""},
		{"none", nil, 0, "no shard summaries"},
		{"missing", []ShardSummary{sum(0, 3, fixedNow), sum(2, 3, fixedNow)}, 0, "shards 1/3 of 3 are missing"},
		{"different n", []ShardSummary{sum(0, 3, fixedNow), sum(1, 3, fixedNow), sum(2, 3, fixedNow), sum(0, 2, fixedNow)}, 0,
			"shards of different n: of 2 (summaries/shard-0-of-2.json) and of 3"},
		{"many missing", []ShardSummary{{Format: shardFormat, I: 0, N: 100, Now: fixedNow, Source: "x"}}, 0,
			"shards 1/100, 2/100, 3/100, 4/100, 5/100, 6/100, 7/100, 8/100, 9/100, 10/100, and 89 more of 100 are missing"},
		{"twice", []ShardSummary{sum(0, 2, fixedNow), sum(0, 2, fixedNow), sum(1, 2, fixedNow)}, 0, "are both shard 0/2"},
		{"different times", []ShardSummary{sum(0, 2, fixedNow), sum(1, 2, later)}, 0, "1m30s apart (at most 0s allowed)"},
		{"host twice", []ShardSummary{sum(0, 2, fixedNow), {Format: shardFormat, I: 1, N: 2, Now: fixedNow,
			Hosts: append([]IndexEntry{two[0][0]}, two[1]...), Source: "x"}}, 0, "is in summaries/shard-0-of-2.json and in x"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j, err := JoinShards(tc.sums, tc.skew)
			if tc.want != "" {
				if err == nil || !strings.Contains(err.Error(), tc.want) {
					t.Fatalf("JoinShards = %v, want an error saying %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(j.Entries) != 12 || !slices.IsSortedFunc(j.Entries, func(a, b IndexEntry) int { return strings.Compare(a.Name, b.Name) }) {
				t.Errorf("JoinShards: %d entries (want 12, in name order): %v", len(j.Entries), j.Dirs())
			}
			if !j.Now.Equal(tc.sums[len(tc.sums)-1].Now) && !j.Now.Equal(fixedNow) {
				t.Errorf("JoinShards: now %v", j.Now)
			}
		})
	}
}

func TestSummaryName(t *testing.T) {
	for _, sh := range []Shard{{0, 1}, {2, 3}, {11, 12}} {
		got, ok := ParseSummaryName(SummaryName(sh))
		if !ok || got != sh {
			t.Errorf("ParseSummaryName(%q) = %v, %v; want %v", SummaryName(sh), got, ok, sh)
		}
	}
	for _, name := range []string{"summaries/shard-3-of-3.json", "summaries/shard-01-of-3.json", "summaries/shard-0-of-3.json.tmp",
		"summaries/web1-1234.json", "hosts/shard-0-of-3.json", "summaries/shard-0-3.json", "summaries/shard--1-of-3.json"} {
		if sh, ok := ParseSummaryName(name); ok {
			t.Errorf("ParseSummaryName(%q) = %v, want not a summary name", name, sh)
		}
	}
}

func TestParseSummary(t *testing.T) {
	good := ShardSummary{Format: shardFormat, I: 0, N: 2, Now: fixedNow}
	for i := range 6 {
		if h := fmt.Sprintf("h%d", i); ShardOf(h, 2) == 0 {
			good.Hosts = append(good.Hosts, IndexEntry{Name: h, Dir: hostDir(h)})
		}
	}
	enc := func(s ShardSummary) []byte {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	name := SummaryName(Shard{0, 2})
	if s, err := ParseSummary(name, enc(good)); err != nil || len(s.Hosts) != len(good.Hosts) || s.Source != name {
		t.Fatalf("ParseSummary(good) = %+v, %v", s, err)
	}
	old := good
	old.Format = 1
	other := good
	other.Hosts = append([]IndexEntry{}, good.Hosts...)
	for i := range 6 {
		if h := fmt.Sprintf("h%d", i); ShardOf(h, 2) == 1 {
			other.Hosts = append(other.Hosts, IndexEntry{Name: h, Dir: hostDir(h)})
			break
		}
	}
	badDir := good
	badDir.Hosts = []IndexEntry{{Name: good.Hosts[0].Name, Dir: "../../etc"}}
	for _, tc := range []struct {
		name, source string
		data         []byte
		want         string
	}{
		{"old format", name, enc(old), "render the shard again"},
		{"not json", name, []byte("<html>"), "not one this almanac writes"},
		{"unknown field", name, []byte(`{"Format":2,"I":0,"N":2,"Now":"2026-01-01T00:00:00Z","Extra":1}`), "not one this almanac writes"},
		{"other file", SummaryName(Shard{1, 2}), enc(good), "holds shard 0/2, whose file is shard-0-of-2.json"},
		{"host of another shard", name, enc(other), "is not of shard 0/2"},
		{"hostile folder", name, enc(badDir), "not its own"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := ParseSummary(tc.source, tc.data); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("ParseSummary = %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

// A shard summary comes from a shared folder or a bucket: hostile input.
// Whatever ParseSummary accepts names only hosts of its shard, in their
// own folders.
func FuzzParseSummary(f *testing.F) {
	good := ShardSummary{Format: shardFormat, I: 1, N: 3, Now: fixedNow}
	for i := range 8 {
		if h := fmt.Sprintf("web%d", i); ShardOf(h, 3) == 1 {
			good.Hosts = append(good.Hosts, IndexEntry{Name: h, Dir: hostDir(h), Skipped: []string{"x"}})
		}
	}
	data, err := json.Marshal(good)
	if err != nil {
		f.Fatal(err)
	}
	f.Add("summaries/shard-1-of-3.json", data)
	f.Add("s3://b/p/summaries/shard-0-of-1.json", []byte(`{"Format":2,"I":0,"N":1,"Now":"2026-01-01T00:00:00Z","Hosts":[{"Name":"../x","Dir":"x-1"}]}`))
	f.Add("summaries/shard-0-of-1.json", []byte(`{"Format":2,"I":0,"N":1,"Now":"2026-01-01T00:00:00Z","Hosts":null}`))
	f.Add("x", []byte("{"))
	f.Fuzz(func(t *testing.T, source string, data []byte) {
		s, err := ParseSummary(source, data)
		if err != nil {
			return
		}
		if s.shard().check() != nil || s.Now.IsZero() || path.Base(filepath.ToSlash(source)) != path.Base(SummaryName(s.shard())) {
			t.Fatalf("ParseSummary(%q) accepted shard %d/%d at %v", source, s.I, s.N, s.Now)
		}
		for _, e := range s.Hosts {
			if e.Dir != hostDir(e.Name) || ShardOf(e.Name, s.N) != s.I || strings.ContainsAny(e.Dir, "/.\\") {
				t.Fatalf("ParseSummary(%q) accepted host %q in folder %q of shard %s", source, e.Name, e.Dir, s.shard())
			}
		}
	})
}
