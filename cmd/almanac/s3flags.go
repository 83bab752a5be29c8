package main

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"

	"almanac/site"
)

// s3Flags are the object-store flags of ship, publish and render. The
// credentials come from the standard AWS environment variables and shared
// files, never from flags (flags show in ps and shell history).
type s3Flags struct {
	endpoint  string
	pathStyle bool
	region    string
	profile   string
}

func (f *s3Flags) register(fs *pflag.FlagSet) {
	fs.StringVar(&f.endpoint, "endpoint", "", "S3 endpoint URL for MinIO-like stores (default: AWS, or AWS_ENDPOINT_URL)")
	fs.BoolVar(&f.pathStyle, "path-style", false, "address buckets as endpoint/bucket instead of bucket.endpoint")
	fs.StringVar(&f.region, "region", "", "S3 region (default: AWS_REGION or the shared config)")
	fs.StringVar(&f.profile, "profile", "", "profile of the shared AWS config and credentials files (default: AWS_PROFILE)")
}

func (f *s3Flags) options() site.S3Options {
	return site.S3Options{Endpoint: f.endpoint, PathStyle: f.pathStyle, Region: f.region, Profile: f.profile}
}

// parseTarget parses a --to or --archive value, as a usage error.
func parseTarget(cmd, flag, value, example string) (site.Target, error) {
	if value == "" {
		return site.Target{}, &usageError{msg: "--" + flag + " is missing", hint: "almanac " + cmd + " --" + flag + " " + example}
	}
	t, err := site.ParseTarget(value)
	if err != nil {
		return site.Target{}, &usageError{msg: fmt.Sprintf("--%s %q: %v", flag, value, err), hint: "almanac " + cmd + " --" + flag + " " + example}
	}
	return t, nil
}

// isS3 reports whether a location names object storage.
func isS3(s string) bool { return strings.HasPrefix(s, "s3://") }
