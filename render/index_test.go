package render

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"testing"
)

// The overview of a large fleet is split into pages under 2 MB that list
// every host once; a small fleet's is one page without a pager.
func TestIndexPagesUnder2MB(t *testing.T) {
	st := writeFixture(t, shardFleet()[2]) // a day of samples: a full sparkline
	d, err := gather(st, "app0", hostDir("app0"), fixedNow, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.sum.Spark) == 0 {
		t.Fatal("the fixture host has no sparkline: the row is not a realistic size")
	}
	tmpl, err := Templates(nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		hosts, pages int
	}{
		{100, 1},
		{1000, 2},
		{3000, 2},
	} {
		t.Run(fmt.Sprint(tc.hosts), func(t *testing.T) {
			var hosts []*hostData
			for i := range tc.hosts {
				name := fmt.Sprintf("web-frontend-%04d.eu-west-1.example.com", i)
				hosts = append(hosts, &hostData{Name: name, Dir: hostDir(name), sum: d.sum})
			}
			out := t.TempDir()
			root, err := os.OpenRoot(out)
			if err != nil {
				t.Fatal(err)
			}
			defer root.Close()
			w := &writer{root: root, log: quietLog()}
			if err := writeIndex(w, tmpl, hosts, Options{Now: fixedNow}); err != nil {
				t.Fatal(err)
			}
			files, _ := filepath.Glob(filepath.Join(out, "index*.html"))
			if len(files) < tc.pages || tc.pages == 1 && len(files) != 1 {
				t.Errorf("%d hosts: %d overview pages, want %d or more (1 exactly for a small fleet)", tc.hosts, len(files), tc.pages)
			}
			seen := map[string]int{}
			row := regexp.MustCompile(`<tr data-host="([^"]+)">`)
			var total int64
			for k := range files {
				b, err := os.ReadFile(filepath.Join(out, indexFile(k)))
				if err != nil {
					t.Fatal(err)
				}
				total += int64(len(b))
				if len(b) > maxPageBytes {
					t.Errorf("%s is %d bytes, over 2 MB", indexFile(k), len(b))
				}
				for _, m := range row.FindAllSubmatch(b, -1) {
					seen[string(m[1])]++
				}
				hasPager := bytes.Contains(b, []byte(`class="pager"`))
				if hasPager != (len(files) > 1) {
					t.Errorf("%s: pager %v with %d pages", indexFile(k), hasPager, len(files))
				}
				for j := range files {
					if j != k && !bytes.Contains(b, []byte(`href="`+indexFile(j)+`"`)) {
						t.Errorf("%s does not link %s", indexFile(k), indexFile(j))
					}
				}
			}
			if len(seen) != tc.hosts {
				t.Errorf("the overview lists %d hosts, want %d", len(seen), tc.hosts)
			}
			for h, n := range seen {
				if n != 1 {
					t.Errorf("%s is listed %d times", h, n)
				}
			}
			t.Logf("%d hosts: %d pages, %d bytes (%.0f bytes a host)", tc.hosts, len(files), total, float64(total)/float64(tc.hosts))
		})
	}
}
