package site

import (
	"path"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

func TestParseTarget(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Target
		wantErr string // substring; "" means no error
	}{
		{"bucket and prefix", "s3://fleet/almanac/site", Target{Kind: S3, Bucket: "fleet", Prefix: "almanac/site"}, ""},
		{"bucket only", "s3://fleet", Target{Kind: S3, Bucket: "fleet"}, ""},
		{"bucket with slash", "s3://fleet/", Target{Kind: S3, Bucket: "fleet"}, ""},
		{"trailing slash on prefix", "s3://fleet/a/b/", Target{Kind: S3, Bucket: "fleet", Prefix: "a/b"}, ""},
		{"upper-case scheme", "S3://fleet/a", Target{Kind: S3, Bucket: "fleet", Prefix: "a"}, ""},
		{"dots and dashes", "s3://my-bucket.example/x", Target{Kind: S3, Bucket: "my-bucket.example", Prefix: "x"}, ""},
		{"hive prefix", "s3://b12/cpu/host=web1", Target{Kind: S3, Bucket: "b12", Prefix: "cpu/host=web1"}, ""},
		{"relative dir", "public/", Target{Kind: Dir, Path: "public"}, ""},
		{"absolute dir", "/srv/www/almanac/", Target{Kind: Dir, Path: "/srv/www/almanac"}, ""},
		{"dir with dots", "/srv/www/../www/x", Target{Kind: Dir, Path: "/srv/www/x"}, ""},
		{"file url", "file:///srv/www", Target{Kind: Dir, Path: "/srv/www"}, ""},
		{"empty", "", Target{}, "empty target"},
		{"no bucket", "s3://", Target{}, "no bucket"},
		{"no bucket, prefix", "s3:///prefix", Target{}, "no bucket"},
		{"short bucket", "s3://ab/x", Target{}, "3 to 63"},
		{"long bucket", "s3://" + strings.Repeat("a", 64), Target{}, "3 to 63"},
		{"upper-case bucket", "s3://Fleet", Target{}, "lower-case"},
		{"underscore bucket", "s3://my_bucket", Target{}, "lower-case"},
		{"dash first", "s3://-fleet", Target{}, "first and last"},
		{"dot last", "s3://fleet.", Target{}, "first and last"},
		{"double dot bucket", "s3://a..b", Target{}, "two dots"},
		{"ip bucket", "s3://192.168.1.1", Target{}, "IP address"},
		{"dotdot prefix", "s3://fleet/a/../b", Target{}, `".." segment`},
		{"empty segment", "s3://fleet/a//b", Target{}, "empty path segment"},
		{"control char", "s3://fleet/a\nb", Target{}, "control character"},
		{"other scheme", "gs://fleet/a", Target{}, "unsupported scheme"},
		{"http", "https://example.com/x", Target{}, "unsupported scheme"},
		{"relative file url", "file://srv", Target{}, "file:///"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseTarget(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseTarget(%q) error = %v, want one containing %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseTarget(%q): %v", tt.in, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ParseTarget(%q) (-want +got):\n%s", tt.in, diff)
			}
		})
	}
}

func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"s3://fleet/a/b", "s3://", "/srv/www", "file:///x", "s3://a..b/c", "s3://fleet/a/../b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseTarget(s)
		if err != nil {
			return
		}
		// What parses prints back to itself.
		again, err := ParseTarget(tg.String())
		if err != nil {
			t.Fatalf("ParseTarget(%q).String() = %q does not parse: %v", s, tg.String(), err)
		}
		if again != tg {
			t.Fatalf("round trip of %q: %+v, then %+v", s, tg, again)
		}
		if tg.Kind == S3 && tg.Prefix != "" && CheckKey(tg.Prefix) != nil {
			t.Fatalf("prefix %q accepted but not a safe key", tg.Prefix)
		}
	})
}

func TestPlan(t *testing.T) {
	const a, b = "0cc175b9c0f1b6a831c399e269772661", "92eb5ffee6ae2fec3ad71c777531578f"
	tests := []struct {
		name          string
		local, remote []Object
		opts          PlanOptions
		want          Changes
	}{
		{
			name: "empty",
			want: Changes{},
		},
		{
			name:  "all new",
			local: []Object{{Key: "b.html", Size: 1, MD5: b}, {Key: "a.css", Size: 1, MD5: a}},
			want:  Changes{Upload: []Object{{Key: "a.css", Size: 1, MD5: a}, {Key: "b.html", Size: 1, MD5: b}}},
		},
		{
			name:   "unchanged",
			local:  []Object{{Key: "a", Size: 1, MD5: a}},
			remote: []Object{{Key: "a", Size: 1, MD5: a, ETag: a}},
			want:   Changes{Unchanged: 1},
		},
		{
			name:   "size differs",
			local:  []Object{{Key: "a", Size: 2, MD5: a}},
			remote: []Object{{Key: "a", Size: 1, MD5: a}},
			want:   Changes{Upload: []Object{{Key: "a", Size: 2, MD5: a}}},
		},
		{
			name:   "checksum differs",
			local:  []Object{{Key: "a", Size: 1, MD5: a}},
			remote: []Object{{Key: "a", Size: 1, MD5: b}},
			want:   Changes{Upload: []Object{{Key: "a", Size: 1, MD5: a}}},
		},
		{
			name:   "remote checksum unknown (multipart ETag)",
			local:  []Object{{Key: "a", Size: 1, MD5: a}},
			remote: []Object{{Key: "a", Size: 1, ETag: "9b2cf535f27731c974343645a3985328-2"}},
			want:   Changes{Upload: []Object{{Key: "a", Size: 1, MD5: a}}},
		},
		{
			name:   "stale kept without Delete",
			local:  []Object{{Key: "a", Size: 1, MD5: a}},
			remote: []Object{{Key: "a", Size: 1, MD5: a}, {Key: "old", Size: 3, MD5: b}},
			want:   Changes{Unchanged: 1},
		},
		{
			name:   "stale deleted with Delete",
			local:  []Object{{Key: "a", Size: 1, MD5: a}},
			remote: []Object{{Key: "z", Size: 3}, {Key: "a", Size: 1, MD5: a}, {Key: "old", Size: 3, MD5: b}},
			opts:   PlanOptions{Delete: true},
			want:   Changes{Unchanged: 1, Delete: []Object{{Key: "old", Size: 3, MD5: b}, {Key: "z", Size: 3}}},
		},
		{
			name:  "superseded present remotely",
			local: []Object{{Key: "d/day", Size: 9, MD5: a}},
			remote: []Object{
				{Key: "d/p1", Size: 4, MD5: b}, {Key: "d/p2", Size: 5, MD5: b}, {Key: "e/p1", Size: 4, MD5: b},
			},
			opts: PlanOptions{Superseded: []string{"d/p2", "d/p1", "d/p3"}},
			want: Changes{
				Upload: []Object{{Key: "d/day", Size: 9, MD5: a}},
				Delete: []Object{{Key: "d/p1", Size: 4, MD5: b}, {Key: "d/p2", Size: 5, MD5: b}},
			},
		},
		{
			name:   "superseded that is also shipped is kept",
			local:  []Object{{Key: "d/p1", Size: 4, MD5: b}},
			remote: []Object{{Key: "d/p1", Size: 4, MD5: b}},
			opts:   PlanOptions{Superseded: []string{"d/p1"}},
			want:   Changes{Unchanged: 1},
		},
		{
			name:   "empty local with Delete deletes everything",
			remote: []Object{{Key: "a", Size: 1}},
			opts:   PlanOptions{Delete: true},
			want:   Changes{Delete: []Object{{Key: "a", Size: 1}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Plan(tt.local, tt.remote, tt.opts)
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Plan (-want +got):\n%s", diff)
			}
		})
	}
}

func TestChangesBytes(t *testing.T) {
	c := Changes{Upload: []Object{{Size: 3}, {Size: 4}}, Delete: []Object{{Size: 100}}}
	if got, want := c.Bytes(), int64(7); got != want {
		t.Errorf("Bytes() = %d, want %d", got, want)
	}
}

func TestCheckKey(t *testing.T) {
	tests := []struct {
		key string
		ok  bool
	}{
		{"index.html", true},
		{"cpu/host=web1/date=2026-08-21/0.parquet", true},
		{"a b/ü.html", true},
		{"..a/b..", true},
		{"", false},
		{"/etc/passwd", false},
		{"../../etc/x", false},
		{"a/../../b", false},
		{"a/./b", false},
		{"a//b", false},
		{"a/", false},
		{".", false},
		{"..", false},
		{`a\..\b`, false},
		{"a\x00b", false},
		{"a\nb", false},
		{"\xff", false},
	}
	for _, tt := range tests {
		err := CheckKey(tt.key)
		if (err == nil) != tt.ok {
			t.Errorf("CheckKey(%q) = %v, want ok %v", tt.key, err, tt.ok)
		}
	}
}

// FuzzCheckKey: a key that passes is a local, clean path on this system.
func FuzzCheckKey(f *testing.F) {
	for _, s := range []string{"a/b", "../x", "a/../../b", "/abs", "a//b", "a\\b", "x/./y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, key string) {
		if CheckKey(key) != nil {
			return
		}
		if !filepath.IsLocal(filepath.FromSlash(key)) {
			t.Errorf("CheckKey(%q) ok, but it is not local", key)
		}
		if path.Clean(key) != key {
			t.Errorf("CheckKey(%q) ok, but it cleans to %q", key, path.Clean(key))
		}
	})
}

func TestContentType(t *testing.T) {
	tests := map[string]string{
		"index.html":                    "text/html; charset=utf-8",
		"A.HTM":                         "text/html; charset=utf-8",
		"assets/almanac.css":            "text/css; charset=utf-8",
		"assets/echarts.min.js":         "text/javascript; charset=utf-8",
		"data/x.json":                   "application/json",
		"logo.svg":                      "image/svg+xml",
		"logo.png":                      "image/png",
		"cpu/date=2026-08-21/0.parquet": "application/vnd.apache.parquet",
		"README":                        "application/octet-stream",
		"x.unknown":                     "application/octet-stream",
	}
	for key, want := range tests {
		if got := ContentType(key); got != want {
			t.Errorf("ContentType(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestDefaultCacheControl(t *testing.T) {
	tests := map[string]string{
		"index.html":                         CachePage,
		"host/web1.html":                     CachePage,
		"assets/app.3f9a1c2e.js":             CacheImmutable,
		"assets/echarts-5d41402abc4b.min.js": CacheImmutable,
		"assets/style.9e107d9d372bb6826bd81d3542a419d6.css": CacheImmutable,
		"assets/echarts.min.js":                             CacheAsset,
		"assets/almanac.css":                                CacheAsset,
		"assets/deadbeef.css":                               CacheAsset, // letters only: a word, not a hash
		"assets/20260821.css":                               CacheAsset, // digits only: a date, not a hash
		"data/hosts.json":                                   CacheAsset,
	}
	for key, want := range tests {
		if got := DefaultCacheControl(key); got != want {
			t.Errorf("DefaultCacheControl(%q) = %q, want %q", key, got, want)
		}
	}
}
