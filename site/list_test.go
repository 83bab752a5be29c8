package site

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestListPrefixes(t *testing.T) {
	tests := []struct {
		name string
		keys []string
		want []string
	}{
		{"none", nil, nil},
		{"one folder pair", []string{"cpu/host=a/date=2026-01-01/part-1.parquet", "cpu/host=a/date=2026-01-02/day-9.parquet"}, []string{"cpu/host=a/"}},
		{"two hosts two tables", []string{"disk/host=b/date=x/p", "cpu/host=a/date=x/p", "cpu/host=b/date=x/p"}, []string{"cpu/host=a/", "cpu/host=b/", "disk/host=b/"}},
		{"rollups by host", []string{"rollup/1m/cpu/host=a/date=x/day-1.parquet", "rollup/1h/cpu/host=a/date=x/day-1.parquet"}, []string{"rollup/1h/cpu/host=a/", "rollup/1m/cpu/host=a/"}},
		{"shallow keys", []string{"index.html", "assets/app.js", "hosts/a/index.html"}, []string{"", "hosts/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, ListPrefixes(tt.keys)); diff != "" {
				t.Errorf("ListPrefixes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestListKeysDir(t *testing.T) {
	dir := t.TempDir()
	for _, k := range []string{"cpu/host=a/date=d/part-1.parquet", "cpu/host=a/date=d/day-2.parquet", "cpu/host=b/date=d/part-3.parquet", "disk/host=a/date=d/part-4.parquet"} {
		p := filepath.Join(dir, filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	tgt, err := ParseTarget(dir)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ListKeys(context.Background(), tgt, []string{"cpu/host=a/"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	want := []string{"cpu/host=a/date=d/day-2.parquet", "cpu/host=a/date=d/part-1.parquet"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ListKeys (-want +got):\n%s", diff)
	}
}
