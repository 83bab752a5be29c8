package site

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/ratelimit"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"
	"github.com/aws/smithy-go/logging"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// S3Options configures access to S3-compatible storage. The zero value uses
// the standard AWS settings: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY,
// AWS_SESSION_TOKEN, AWS_REGION or AWS_DEFAULT_REGION, AWS_PROFILE,
// AWS_ENDPOINT_URL (or AWS_ENDPOINT_URL_S3), and the shared files
// ~/.aws/config and ~/.aws/credentials (AWS_CONFIG_FILE,
// AWS_SHARED_CREDENTIALS_FILE). Fields that are set override them.
type S3Options struct {
	// Endpoint is the base URL of an S3-compatible store such as MinIO,
	// e.g. "http://127.0.0.1:9000".
	Endpoint string
	// PathStyle addresses buckets as ENDPOINT/bucket/key instead of
	// bucket.ENDPOINT/key; most self-hosted stores need it.
	PathStyle bool
	// Region is the signing region; without it and without AWS_REGION or a
	// profile region, "us-east-1".
	Region string
	// Profile names a profile of the shared config files.
	Profile string
	// MaxAttempts bounds the attempts of one request, retries included
	// (default 5). Requests that fail with 5xx, throttling, timeouts or
	// connection errors are retried with exponential backoff and jitter.
	MaxAttempts int
	// MaxBackoff caps the wait between two attempts (default 10s).
	MaxBackoff time.Duration
}

// Errors a caller can test for with errors.Is.
var (
	// ErrAccessDenied means the store refused the credentials or the
	// bucket policy refused the request.
	ErrAccessDenied = errors.New("site: access denied")
	// ErrNoBucket means the bucket of the target does not exist.
	ErrNoBucket = errors.New("site: bucket does not exist")
	// ErrUnreachable means the store could not be reached or kept failing
	// after every retry.
	ErrUnreachable = errors.New("site: store unreachable")
)

// storeError is an error with a short message of our own that still
// unwraps to a sentinel and to the underlying SDK error.
type storeError struct {
	msg   string
	kind  error
	cause error
}

func (e *storeError) Error() string   { return e.msg }
func (e *storeError) Unwrap() []error { return []error{e.kind, e.cause} }

// metaMD5 is the user metadata key (x-amz-meta-md5) holding the hex MD5 of
// an uploaded object, for stores whose ETag is not the MD5.
const metaMD5 = "md5"

type s3Store struct {
	c        *s3.Client
	t        Target
	endpoint string // for messages only
	attempts int
}

// sdkLogger passes the AWS SDK's own messages (such as "falling back to
// IMDSv1") to almanac's logger, warnings as warnings and the rest as debug
// lines, instead of the SDK's default: raw lines on stderr.
type sdkLogger struct{ log *slog.Logger }

// Logf implements the SDK's logging.Logger.
func (l sdkLogger) Logf(c logging.Classification, format string, v ...any) {
	level := slog.LevelDebug
	if c == logging.Warn {
		level = slog.LevelWarn
	}
	l.log.Log(context.Background(), level, "aws sdk", "message", fmt.Sprintf(format, v...))
}

// newS3Store connects to the bucket of t; the SDK's messages go to log
// (nil: discarded).
func newS3Store(ctx context.Context, t Target, o S3Options, log *slog.Logger) (*s3Store, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	attempts := o.MaxAttempts
	if attempts <= 0 {
		attempts = 5
	}
	maxBackoff := o.MaxBackoff
	if maxBackoff <= 0 {
		maxBackoff = 10 * time.Second
	}
	httpClient := awshttp.NewBuildableClient().
		WithDialerOptions(func(d *net.Dialer) { d.Timeout = 10 * time.Second }).
		WithTransportOptions(func(tr *http.Transport) {
			tr.ResponseHeaderTimeout = 60 * time.Second
			tr.MaxIdleConnsPerHost = 32
		})
	lo := []func(*config.LoadOptions) error{
		config.WithLogger(sdkLogger{log}),
		config.WithDefaultRegion("us-east-1"),
		config.WithHTTPClient(httpClient),
		config.WithRetryer(func() aws.Retryer {
			return retry.NewStandard(func(so *retry.StandardOptions) {
				so.MaxAttempts = attempts
				so.MaxBackoff = maxBackoff
				so.RateLimiter = ratelimit.None
			})
		}),
	}
	if o.Region != "" {
		lo = append(lo, config.WithRegion(o.Region))
	}
	if o.Profile != "" {
		lo = append(lo, config.WithSharedConfigProfile(o.Profile))
	}
	cfg, err := config.LoadDefaultConfig(ctx, lo...)
	if err != nil {
		return nil, fmt.Errorf("s3: load AWS settings: %w", err)
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		return nil, &storeError{
			msg: "s3: no credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, " +
				"or AWS_PROFILE with a shared credentials file",
			kind: ErrAccessDenied, cause: err,
		}
	}
	endpoint := o.Endpoint
	if endpoint == "" && cfg.BaseEndpoint != nil {
		endpoint = *cfg.BaseEndpoint
	}
	c := s3.NewFromConfig(cfg, func(so *s3.Options) {
		if o.Endpoint != "" {
			so.BaseEndpoint = aws.String(o.Endpoint)
		}
		so.UsePathStyle = o.PathStyle
		// Checksums only where the API demands them: we send Content-MD5
		// ourselves, and many S3-compatible stores reject the trailing
		// checksums newer SDKs add by default.
		so.RequestChecksumCalculation = aws.RequestChecksumCalculationWhenRequired
		so.ResponseChecksumValidation = aws.ResponseChecksumValidationWhenRequired
	})
	if endpoint == "" {
		endpoint = "AWS S3 (" + cfg.Region + ")"
	}
	return &s3Store{c: c, t: t, endpoint: endpoint, attempts: attempts}, nil
}

func (s *s3Store) String() string { return s.t.String() }

// base is the key prefix every object of the target starts with.
func (s *s3Store) base() string {
	if s.t.Prefix == "" {
		return ""
	}
	return s.t.Prefix + "/"
}

// list returns the objects whose relative key starts with prefix. Keys are
// returned as the store has them: hostile keys are the caller's to reject.
func (s *s3Store) list(ctx context.Context, prefix string) ([]Object, error) {
	base := s.base()
	p := s3.NewListObjectsV2Paginator(s.c, &s3.ListObjectsV2Input{
		Bucket: aws.String(s.t.Bucket),
		Prefix: aws.String(base + prefix),
	})
	var out []Object
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, s.classify("list "+s.t.String(), err)
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			if !strings.HasPrefix(key, base) || strings.HasSuffix(key, "/") {
				continue // folder markers
			}
			etag := strings.Trim(aws.ToString(o.ETag), `"`)
			out = append(out, Object{
				Key:  strings.TrimPrefix(key, base),
				Size: aws.ToInt64(o.Size),
				MD5:  etagMD5(etag),
				ETag: etag,
			})
		}
	}
	return out, nil
}

// etagMD5 returns the ETag when it is a plain MD5 (a single-part upload
// without SSE-KMS or SSE-C), else "".
func etagMD5(etag string) string {
	if len(etag) != 32 {
		return ""
	}
	if _, err := hex.DecodeString(etag); err != nil {
		return ""
	}
	return strings.ToLower(etag)
}

// resolve reads the MD5 stored in the object's metadata, for objects whose
// ETag is not their MD5. It leaves o unchanged when there is none.
func (s *s3Store) resolve(ctx context.Context, o *Object) error {
	h, err := s.c.HeadObject(ctx, &s3.HeadObjectInput{
		Bucket: aws.String(s.t.Bucket),
		Key:    aws.String(s.t.key(o.Key)),
	})
	if err != nil {
		return s.classify("head "+o.Key, err)
	}
	if m := h.Metadata[metaMD5]; len(m) == 32 {
		if _, err := hex.DecodeString(m); err == nil {
			o.MD5 = strings.ToLower(m)
		}
	}
	return nil
}

// put uploads body as one PutObject: a single-part upload, so the ETag is
// the MD5, and atomic: a reader sees the old object or the new one.
func (s *s3Store) put(ctx context.Context, o Object, body io.ReadSeeker, h headers) error {
	sum, err := hex.DecodeString(o.MD5)
	if err != nil {
		return fmt.Errorf("put %s: bad md5 %q", o.Key, o.MD5)
	}
	in := &s3.PutObjectInput{
		Bucket:        aws.String(s.t.Bucket),
		Key:           aws.String(s.t.key(o.Key)),
		Body:          body,
		ContentLength: aws.Int64(o.Size),
		ContentMD5:    aws.String(base64.StdEncoding.EncodeToString(sum)),
		Metadata:      map[string]string{metaMD5: o.MD5},
	}
	if h.contentType != "" {
		in.ContentType = aws.String(h.contentType)
	}
	if h.cacheControl != "" {
		in.CacheControl = aws.String(h.cacheControl)
	}
	if _, err := s.c.PutObject(ctx, in); err != nil {
		return s.classify("put "+o.Key, err)
	}
	return nil
}

// get writes the object's content to w and returns its ETag.
func (s *s3Store) get(ctx context.Context, key string, w io.Writer) (string, error) {
	out, err := s.c.GetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(s.t.Bucket),
		Key:    aws.String(s.t.key(key)),
	})
	if err != nil {
		return "", s.classify("get "+key, err)
	}
	defer out.Body.Close()
	if _, err := io.Copy(w, out.Body); err != nil {
		return "", &storeError{msg: fmt.Sprintf("get %s: %v", key, err), kind: ErrUnreachable, cause: err}
	}
	return strings.Trim(aws.ToString(out.ETag), `"`), nil
}

func (s *s3Store) remove(ctx context.Context, key string) error {
	_, err := s.c.DeleteObject(ctx, &s3.DeleteObjectInput{
		Bucket: aws.String(s.t.Bucket),
		Key:    aws.String(s.t.key(key)),
	})
	if err != nil {
		return s.classify("delete "+key, err)
	}
	return nil
}

// classify turns an SDK error into a short message that says what to do,
// keeping the SDK error in the chain. SDK errors carry the status, the
// request ID and the server's message, never the secret key.
func (s *s3Store) classify(op string, err error) error {
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("s3: %s: %w", op, err)
	}
	b := s.t.Bucket
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "NoSuchBucket":
			return &storeError{msg: fmt.Sprintf("s3: %s: bucket %q does not exist at %s", op, b, s.endpoint), kind: ErrNoBucket, cause: err}
		case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken",
			"ExpiredToken", "TokenRefreshRequired", "AllAccessDisabled", "AccountProblem", "InvalidSecurity",
			"XAdminUserNotFound": // versitygw's answer (HTTP 404) to an unknown access key
			return &storeError{msg: fmt.Sprintf("s3: %s: access denied to bucket %q (%s): "+
				"check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (or AWS_PROFILE) and the bucket policy",
				op, b, ae.ErrorCode()), kind: ErrAccessDenied, cause: err}
		case "PermanentRedirect", "AuthorizationHeaderMalformed", "IllegalLocationConstraintException":
			return fmt.Errorf("s3: %s: bucket %q is in another region: set AWS_REGION: %w", op, b, err)
		}
	}
	var se *smithyhttp.RequestSendError
	var ne net.Error
	if errors.As(err, &se) || errors.As(err, &ne) {
		cause := err
		var oe *net.OpError
		if errors.As(err, &oe) {
			cause = oe
		}
		return &storeError{msg: fmt.Sprintf("s3: %s: endpoint %s unreachable after %d attempts: %v",
			op, s.endpoint, s.attempts, cause), kind: ErrUnreachable, cause: err}
	}
	var re *awshttp.ResponseError
	if errors.As(err, &re) {
		switch code := re.HTTPStatusCode(); {
		case code == http.StatusForbidden:
			return &storeError{msg: fmt.Sprintf("s3: %s: access denied to bucket %q (HTTP 403): "+
				"check AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN (or AWS_PROFILE) and the bucket policy",
				op, b), kind: ErrAccessDenied, cause: err}
		case code >= 500:
			return &storeError{msg: fmt.Sprintf("s3: %s: %s answered HTTP %d after %d attempts",
				op, s.endpoint, code, s.attempts), kind: ErrUnreachable, cause: err}
		}
		return fmt.Errorf("s3: %s: %w", op, err)
	}
	return fmt.Errorf("s3: %s: %w", op, err)
}
