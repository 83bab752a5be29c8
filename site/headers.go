package site

import (
	"path"
	"strings"
)

// contentTypes maps lower-case extensions to Content-Type values. It is a
// fixed table rather than mime.TypeByExtension, whose answer depends on the
// machine's mime.types files.
var contentTypes = map[string]string{
	".html":    "text/html; charset=utf-8",
	".htm":     "text/html; charset=utf-8",
	".css":     "text/css; charset=utf-8",
	".js":      "text/javascript; charset=utf-8",
	".mjs":     "text/javascript; charset=utf-8",
	".json":    "application/json",
	".map":     "application/json",
	".svg":     "image/svg+xml",
	".png":     "image/png",
	".jpg":     "image/jpeg",
	".jpeg":    "image/jpeg",
	".gif":     "image/gif",
	".webp":    "image/webp",
	".ico":     "image/x-icon",
	".txt":     "text/plain; charset=utf-8",
	".csv":     "text/csv; charset=utf-8",
	".xml":     "application/xml",
	".woff":    "font/woff",
	".woff2":   "font/woff2",
	".wasm":    "application/wasm",
	".parquet": "application/vnd.apache.parquet",
}

// ContentType returns the Content-Type for key by its extension, or
// application/octet-stream when the extension is unknown.
func ContentType(key string) string {
	if ct, ok := contentTypes[strings.ToLower(path.Ext(key))]; ok {
		return ct
	}
	return "application/octet-stream"
}

// Cache-Control values used by DefaultCacheControl.
const (
	CacheImmutable = "public, max-age=31536000, immutable"
	CachePage      = "public, max-age=60"
	CacheAsset     = "public, max-age=300"
)

// DefaultCacheControl returns the Cache-Control for a site file: HTML pages
// CachePage; assets whose names carry a content hash (app.3f9a1c2e.js,
// echarts-5d41402abc4b.min.js) CacheImmutable; other assets CacheAsset.
func DefaultCacheControl(key string) string {
	if isPage(key) {
		return CachePage
	}
	if isHashed(key) {
		return CacheImmutable
	}
	return CacheAsset
}

// isPage reports whether key is an HTML page, which goes up after the assets
// it refers to.
func isPage(key string) bool {
	switch strings.ToLower(path.Ext(key)) {
	case ".html", ".htm":
		return true
	}
	return false
}

// isHashed reports whether a dot- or dash-separated part of the base name
// (before its extension) is a hex string of at least 8 characters holding
// at least one digit and one letter, the way bundlers name content-hashed
// files.
func isHashed(key string) bool {
	base := path.Base(key)
	base = strings.TrimSuffix(base, path.Ext(base))
	for _, part := range strings.FieldsFunc(base, func(r rune) bool { return r == '.' || r == '-' || r == '_' }) {
		if len(part) < 8 {
			continue
		}
		hex, digit, letter := true, false, false
		for i := 0; i < len(part); i++ {
			c := part[i]
			switch {
			case c >= '0' && c <= '9':
				digit = true
			case c >= 'a' && c <= 'f', c >= 'A' && c <= 'F':
				letter = true
			default:
				hex = false
			}
		}
		if hex && digit && letter {
			return true
		}
	}
	return false
}
