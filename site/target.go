package site

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strings"
)

// Kind says where a Target lives.
type Kind int

const (
	// Dir is a directory on a local (or mounted) filesystem.
	Dir Kind = iota
	// S3 is a bucket and key prefix on S3-compatible object storage.
	S3
)

// Target is where files go: a local directory or a bucket and key prefix.
// Make one with ParseTarget.
type Target struct {
	Kind Kind
	// Path is the cleaned directory path of a Dir target.
	Path string
	// Bucket is the bucket name of an S3 target.
	Bucket string
	// Prefix is the key prefix of an S3 target, without leading or trailing
	// slash; "" means the whole bucket. Keys are Prefix + "/" + relative key.
	Prefix string
}

// String returns the target as ParseTarget accepts it.
func (t Target) String() string {
	if t.Kind == S3 {
		if t.Prefix == "" {
			return "s3://" + t.Bucket
		}
		return "s3://" + t.Bucket + "/" + t.Prefix
	}
	return t.Path
}

// key returns the full object key of the relative key rel.
func (t Target) key(rel string) string {
	if t.Prefix == "" {
		return rel
	}
	return t.Prefix + "/" + rel
}

// ParseTarget parses "s3://bucket/prefix" into an S3 target and anything
// without a scheme (or with file://) into a directory target.
// Bucket names follow the S3 rules (3 to 63 lower-case letters, digits, '.'
// and '-', starting and ending with a letter or digit, not an IP address);
// prefixes may not hold empty, "." or ".." segments. An error says what
// is wrong with s, not s: the caller names it (the flag that gave it).
func ParseTarget(s string) (Target, error) {
	if s == "" {
		return Target{}, errors.New("empty target: want a directory or s3://bucket/prefix")
	}
	scheme, rest, hasScheme := strings.Cut(s, "://")
	if !hasScheme {
		return Target{Kind: Dir, Path: filepath.Clean(s)}, nil
	}
	switch strings.ToLower(scheme) {
	case "s3":
		return parseS3(rest)
	case "file":
		if rest == "" || !strings.HasPrefix(rest, "/") {
			return Target{}, errors.New("want file:///absolute/path")
		}
		return Target{Kind: Dir, Path: filepath.Clean(rest)}, nil
	default:
		return Target{}, fmt.Errorf("unsupported scheme %q: want a directory or s3://bucket/prefix", scheme)
	}
}

func parseS3(rest string) (Target, error) {
	bucket, prefix, _ := strings.Cut(rest, "/")
	if bucket == "" {
		return Target{}, errors.New("no bucket: want s3://bucket/prefix")
	}
	if err := checkBucket(bucket); err != nil {
		return Target{}, err
	}
	prefix = strings.Trim(prefix, "/")
	if prefix != "" {
		if err := checkPrefix(prefix); err != nil {
			return Target{}, err
		}
	}
	return Target{Kind: S3, Bucket: bucket, Prefix: prefix}, nil
}

// checkBucket applies the S3 bucket naming rules.
func checkBucket(b string) error {
	if len(b) < 3 || len(b) > 63 {
		return fmt.Errorf("bucket name %q: want 3 to 63 characters", b)
	}
	for i := 0; i < len(b); i++ {
		c := b[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '.', c == '-':
		default:
			return fmt.Errorf("bucket name %q: want lower-case letters, digits, '.' or '-'", b)
		}
	}
	if !isAlnum(b[0]) || !isAlnum(b[len(b)-1]) {
		return fmt.Errorf("bucket name %q: want a letter or digit first and last", b)
	}
	if strings.Contains(b, "..") {
		return fmt.Errorf("bucket name %q: two dots in a row", b)
	}
	if net.ParseIP(b) != nil {
		return fmt.Errorf("bucket name %q: an IP address is not a bucket name", b)
	}
	return nil
}

func isAlnum(c byte) bool { return c >= 'a' && c <= 'z' || c >= '0' && c <= '9' }

// checkPrefix rejects prefixes that are not safe relative keys (see
// CheckKey): they must map back onto a directory tree.
func checkPrefix(p string) error {
	if err := CheckKey(p); err != nil {
		return fmt.Errorf("prefix: %w", err)
	}
	return nil
}
