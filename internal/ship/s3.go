package ship

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"gravedancer/internal/job"
	"gravedancer/internal/store"
)

// S3 defaults and limits.
const (
	// DefaultS3PartSize is the multipart part size when PartSize is zero:
	// Ship holds one part in memory at a time.
	DefaultS3PartSize = 64 << 20
	// MinS3PartSize is the smallest part S3 accepts (but for the last).
	MinS3PartSize = 5 << 20
	// MaxS3PartSize is the largest part S3 accepts.
	MaxS3PartSize = 5 << 30
	// s3MaxParts is S3's limit on parts per upload; a bigger artifact gets
	// bigger parts.
	s3MaxParts = 10000
	// s3ManifestLimit bounds a manifest read back for List.
	s3ManifestLimit = 16 << 20
	// s3MetaSHA256 is the user metadata key holding the hex sha256 of an
	// object, for people and tools looking at the bucket. Ship never trusts
	// it: it compares the checksum the server computed.
	s3MetaSHA256 = "Gd-Sha256"
)

// Object lock modes (GD_S3_OBJECT_LOCK_MODE).
const (
	S3LockGovernance = "GOVERNANCE"
	S3LockCompliance = "COMPLIANCE"
)

// S3 ships to a bucket of an S3-compatible object store through minio-go.
// The artifact and then its manifest go to
//
//	<Prefix>/<region>/<YYYY-MM-DD>/<name>
//
// (no leading "<Prefix>/" when Prefix is empty). Receipt.Location is
// "s3://<Bucket>/<key>".
//
// Contract, for the artifact and then its manifest:
//  1. If the key exists with the size and the SHA256 checksum the server
//     computed for the local bytes (see below), nothing is sent (idempotent).
//     Deciding that takes one local read of the file.
//  2. Otherwise the file is streamed: one PUT up to the part size, a
//     multipart upload above it, one part in memory at a time, never the
//     whole file. Every request carries a SHA256 checksum of its bytes
//     (x-amz-checksum-sha256), which the server verifies before it stores
//     them. The sha256 of everything read from the local file is compared
//     with the expected one before the last byte is handed over, so on a
//     mismatch the upload is aborted (ErrHashMismatch) and never becomes
//     visible under the key.
//  3. After the upload the stored object's checksum (a HEAD with checksum
//     mode) must equal the one computed locally: the whole-object sha256,
//     or for a multipart upload the sha256 of the parts' sha256s with the
//     part count ("-N"). A server that returns no checksum makes Ship read
//     the object back and hash it instead. A stored object that does not
//     match is removed and the ship fails with ErrHashMismatch.
//
// With LockDays set every object is put with an object-lock retention of
// LockMode (GOVERNANCE or COMPLIANCE) until LockDays after the upload; the
// bucket must have been created with object lock enabled.
//
// Credentials: AccessKey and SecretKey when set, else the standard AWS
// chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, the shared credentials
// file, then the EC2/ECS/EKS instance role). An error always means the copy
// is not confirmed. Timeout (DefaultTimeout when zero) bounds one Ship;
// ctx cancellation aborts at once (an unfinished multipart upload is
// aborted, best effort).
//
// List, Fetch and Delete read (and Delete removes) the same layout.
type S3 struct {
	Endpoint  string // host[:port] (https) or http(s)://host[:port]
	Bucket    string
	Prefix    string // key prefix, without leading or trailing "/"
	Region    string // "" = ask the server
	PathStyle bool   // path-style requests instead of virtual-host style
	AccessKey string
	SecretKey string // never printed: see String
	PartSize  int64  // multipart part size; DefaultS3PartSize when zero
	LockMode  string // object lock mode; GOVERNANCE when LockDays is set and this is empty
	LockDays  int    // object lock retention in days; 0 = none
	Timeout   time.Duration

	// creds overrides the credentials (tests only).
	creds *credentials.Credentials
}

var (
	_ Shipper = (*S3)(nil)
	_ Lister  = (*S3)(nil)
	_ Fetcher = (*S3)(nil)
	_ Deleter = (*S3)(nil)
)

// Deleter is a target whose copies retention may remove: S3. Delete
// removes the artifact at location and then its manifest, and refuses a
// location outside region's part of the target.
type Deleter interface {
	Delete(ctx context.Context, region, location string) error
}

// Name implements Shipper.
func (s *S3) Name() string { return TargetS3 }

// String describes the target without its secret.
func (s *S3) String() string {
	return fmt.Sprintf("s3 %s bucket %s prefix %q", s.Endpoint, s.Bucket, s.Prefix)
}

// GoString keeps %#v from printing SecretKey.
func (s *S3) GoString() string { return s.String() }

func (s S3) withDefaults() S3 {
	s.Prefix = strings.Trim(strings.TrimSpace(s.Prefix), "/")
	if s.PartSize == 0 {
		s.PartSize = DefaultS3PartSize
	}
	if s.LockDays > 0 && s.LockMode == "" {
		s.LockMode = S3LockGovernance
	}
	s.LockMode = strings.ToUpper(strings.TrimSpace(s.LockMode))
	if s.Timeout <= 0 {
		s.Timeout = DefaultTimeout
	}
	return s
}

func (s *S3) validate() error {
	if _, _, err := ParseS3Endpoint(s.Endpoint); err != nil {
		return fmt.Errorf("s3: %w (GD_S3_ENDPOINT)", err)
	}
	switch {
	case strings.TrimSpace(s.Bucket) == "":
		return errors.New("s3: bucket is not set (GD_S3_BUCKET)")
	case strings.ContainsAny(s.Bucket, "/ \t\n\x00"):
		return fmt.Errorf("s3: bucket %q is not a bucket name (GD_S3_BUCKET)", s.Bucket)
	case strings.Contains(s.Prefix, "//") || strings.ContainsAny(s.Prefix, "\n\r\x00"):
		return fmt.Errorf("s3: prefix %q holds an empty path segment or a line break (GD_S3_PREFIX)", s.Prefix)
	case (s.AccessKey == "") != (s.SecretKey == ""):
		return errors.New("s3: set both the access key and the secret key, or neither to use the AWS credential chain (GD_S3_ACCESS_KEY, GD_S3_SECRET_KEY[_FILE])")
	case s.PartSize < MinS3PartSize || s.PartSize > MaxS3PartSize:
		return fmt.Errorf("s3: part size %d is not between 5 MiB and 5 GiB (GD_S3_PART_SIZE_MB)", s.PartSize)
	case s.LockDays < 0:
		return fmt.Errorf("s3: object lock days %d is negative (GD_S3_OBJECT_LOCK_DAYS)", s.LockDays)
	}
	if _, err := lockMode(s.LockMode); err != nil {
		return err
	}
	return nil
}

// lockMode maps GD_S3_OBJECT_LOCK_MODE to minio-go's mode.
func lockMode(mode string) (minio.RetentionMode, error) {
	switch strings.ToUpper(strings.TrimSpace(mode)) {
	case "":
		return "", nil
	case S3LockGovernance:
		return minio.Governance, nil
	case S3LockCompliance:
		return minio.Compliance, nil
	}
	return "", fmt.Errorf("s3: object lock mode %q is not GOVERNANCE or COMPLIANCE (GD_S3_OBJECT_LOCK_MODE)", mode)
}

// ParseS3Endpoint splits an endpoint into the host[:port] minio-go wants
// and whether to use TLS. A bare host[:port] means https; http:// is only
// accepted for a loopback host, so credentials and backups never cross a
// network in clear text.
func ParseS3Endpoint(endpoint string) (host string, secure bool, err error) {
	e := strings.TrimSpace(endpoint)
	if e == "" {
		return "", false, errors.New("endpoint is not set")
	}
	if !strings.Contains(e, "://") {
		e = "https://" + e
	}
	u, err := url.Parse(e)
	if err != nil {
		return "", false, fmt.Errorf("endpoint %q is not a URL: %v", endpoint, err)
	}
	switch {
	case u.Scheme != "https" && u.Scheme != "http":
		return "", false, fmt.Errorf("endpoint %q: scheme must be https or http", endpoint)
	case u.Host == "" || u.Hostname() == "":
		return "", false, fmt.Errorf("endpoint %q has no host", endpoint)
	case u.User != nil:
		return "", false, fmt.Errorf("endpoint %q must not carry credentials; use GD_S3_ACCESS_KEY and GD_S3_SECRET_KEY_FILE", u.Redacted())
	case (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.Fragment != "":
		return "", false, fmt.Errorf("endpoint %q must be scheme://host[:port] without a path; the bucket goes in GD_S3_BUCKET", endpoint)
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", false, fmt.Errorf("endpoint %q: port %q is not 1-65535", endpoint, p)
		}
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		return "", false, fmt.Errorf("endpoint %q: plain http is only allowed for a loopback host; use https", endpoint)
	}
	return u.Host, u.Scheme == "https", nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// transports are shared by every client, one per scheme, so connections
// are reused across calls (a client is cheap; its transport is not).
var transports = struct {
	sync.Mutex
	m map[bool]http.RoundTripper
}{m: map[bool]http.RoundTripper{}}

func transport(secure bool) (http.RoundTripper, error) {
	transports.Lock()
	defer transports.Unlock()
	if t, ok := transports.m[secure]; ok {
		return t, nil
	}
	t, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, err
	}
	transports.m[secure] = t
	return t, nil
}

// ready returns s with defaults filled in and validated, and a client for
// it. Building the client does no I/O.
func (s *S3) ready() (S3, *minio.Client, error) {
	sc := s.withDefaults()
	if err := sc.validate(); err != nil {
		return S3{}, nil, err
	}
	host, secure, _ := ParseS3Endpoint(sc.Endpoint)
	creds := sc.creds
	switch {
	case creds != nil:
	case sc.AccessKey != "":
		creds = credentials.NewStaticV4(sc.AccessKey, sc.SecretKey, "")
	default:
		creds = credentials.NewChainCredentials([]credentials.Provider{
			&credentials.EnvAWS{}, &credentials.FileAWSCredentials{}, &credentials.IAM{},
		})
	}
	tr, err := transport(secure)
	if err != nil {
		return S3{}, nil, fmt.Errorf("s3: %w", err)
	}
	lookup := minio.BucketLookupAuto
	if sc.PathStyle {
		lookup = minio.BucketLookupPath
	}
	cl, err := minio.New(host, &minio.Options{
		Creds: creds, Secure: secure, Transport: tr, Region: sc.Region, BucketLookup: lookup,
		// Checksums travel as trailers of an unsigned-payload stream:
		// the SHA256 checksum protects the bytes, and servers that
		// mis-verify signed streaming trailers (versitygw) still work.
		TrailingHeaders: true,
		MaxRetries:      3,
	})
	if err != nil {
		return S3{}, nil, fmt.Errorf("s3: client for %s: %w", sc.Endpoint, err)
	}
	return sc, cl, nil
}

// regionPrefix is the key prefix of one region's copies, ending in "/".
func (s *S3) regionPrefix(region string) string { return s.rootPrefix() + region + "/" }

// rootPrefix is Prefix with a trailing "/", or "" without a prefix.
func (s *S3) rootPrefix() string {
	if s.Prefix == "" {
		return ""
	}
	return s.Prefix + "/"
}

// key is where the file name of region's dump of day lives.
func (s *S3) key(region, day, name string) string { return s.regionPrefix(region) + day + "/" + name }

func (s *S3) location(key string) string { return "s3://" + s.Bucket + "/" + key }

// Ship implements Shipper.
func (s *S3) Ship(ctx context.Context, a Artifact) (Receipt, error) {
	sc, cl, err := s.ready()
	if err != nil {
		return Receipt{}, err
	}
	if err := a.check(); err != nil {
		return Receipt{}, err
	}
	if err := ctx.Err(); err != nil {
		return Receipt{}, context.Cause(ctx)
	}
	ctx, cancel := withTimeout(ctx, sc.Timeout)
	defer cancel()
	name := filepath.Base(a.Path)
	if a.Region == "" {
		return Receipt{}, fmt.Errorf("ship %s to s3: artifact region is not set", name)
	}
	mhash, err := hashFile(ctx, a.ManifestPath)
	if err != nil {
		if ctx.Err() != nil {
			return Receipt{}, fmt.Errorf("ship %s to s3: %w", name, context.Cause(ctx))
		}
		return Receipt{}, fmt.Errorf("ship %s to s3: hash manifest: %w", name, err)
	}
	key := sc.key(a.Region, a.day(), name)
	if err := sc.send(ctx, cl, a.Path, key, a.SHA256); err != nil {
		return Receipt{}, fmt.Errorf("ship %s to s3: %w", name, err)
	}
	mkey := sc.key(a.Region, a.day(), filepath.Base(a.ManifestPath))
	if err := sc.send(ctx, cl, a.ManifestPath, mkey, mhash); err != nil {
		return Receipt{}, fmt.Errorf("ship %s to s3: %w", name, err)
	}
	return Receipt{Target: TargetS3, Location: sc.location(key), At: time.Now()}, nil
}

// partSizeFor is the part size for an object of size bytes: PartSize, or
// more when the object would need over s3MaxParts parts.
func (s *S3) partSizeFor(size int64) int64 {
	p := s.PartSize
	if need := (size + s3MaxParts - 1) / s3MaxParts; need > p {
		const mib = 1 << 20
		p = (need + mib - 1) / mib * mib
	}
	return p
}

// send makes key a verified copy of the local file, whose sha256 must be
// want (see the S3 contract).
func (s *S3) send(ctx context.Context, cl *minio.Client, local, key, want string) error {
	f, err := os.Open(local)
	if err != nil {
		return fmt.Errorf("local file: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("local file: %w", err)
	}
	size := fi.Size()
	part := s.partSizeFor(size)

	st, err := cl.StatObject(ctx, s.Bucket, key, minio.StatObjectOptions{Checksum: true})
	switch {
	case err == nil && st.Size == size:
		d := newPartDigest(size, part)
		if _, err := io.Copy(d, ctxReader{ctx, f}); err != nil {
			return s.ctxErr(ctx, fmt.Errorf("read %s: %w", local, err))
		}
		if got := d.sum(); got != want {
			return fmt.Errorf("%w: local file %s has sha256 %s, want %s (changed since it was verified?)", ErrHashMismatch, local, got, want)
		}
		ok, err := s.stored(ctx, cl, key, st, d.expected(), want)
		if err != nil {
			return err
		}
		if ok {
			return nil // already shipped
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("local file: %w", err)
		}
	case err == nil, isNotFound(err):
		// Absent, or a different object: upload below.
	default:
		return s.ctxErr(ctx, fmt.Errorf("look up %s: %w", s.location(key), err))
	}

	d := newPartDigest(size, part)
	vr := &verifyingReader{r: ctxReader{ctx, f}, d: d, size: size, want: want, local: local}
	opts := minio.PutObjectOptions{
		PartSize: uint64(part), Checksum: minio.ChecksumSHA256, DisableContentSha256: true,
		ContentType: "application/octet-stream", UserMetadata: map[string]string{s3MetaSHA256: want},
	}
	if s.LockDays > 0 {
		mode, err := lockMode(s.LockMode)
		if err != nil {
			return err
		}
		opts.Mode, opts.RetainUntilDate = mode, time.Now().Add(time.Duration(s.LockDays)*24*time.Hour)
	}
	if _, err := cl.PutObject(ctx, s.Bucket, key, vr, size, opts); err != nil {
		if vr.err != nil {
			return vr.err // the local file, not the server
		}
		return s.ctxErr(ctx, fmt.Errorf("upload %s to %s: %w", local, s.location(key), err))
	}
	if vr.err != nil { // cannot happen: the last Read failed the upload
		return vr.err
	}
	st, err = cl.StatObject(ctx, s.Bucket, key, minio.StatObjectOptions{Checksum: true})
	if err != nil {
		return s.ctxErr(ctx, fmt.Errorf("confirm %s: %w", s.location(key), err))
	}
	ok, err := s.stored(ctx, cl, key, st, d.expected(), want)
	if err != nil {
		return err
	}
	if !ok {
		// Best effort: a wrong object under the final name must not pass
		// for a copy. An object lock may keep it; the manifest never goes
		// up beside it, so List and Fetch ignore it either way.
		_ = cl.RemoveObject(context.WithoutCancel(ctx), s.Bucket, key, minio.RemoveObjectOptions{})
		return fmt.Errorf("%w: %s does not hold what was sent (checksum %q)", ErrHashMismatch, s.location(key), st.ChecksumSHA256)
	}
	return nil
}

// stored says whether the object st describes holds the bytes whose
// server-side SHA256 checksum is expected (and whose sha256 is want). A
// server that keeps no checksum makes it read the object back.
func (s *S3) stored(ctx context.Context, cl *minio.Client, key string, st minio.ObjectInfo, expected, want string) (bool, error) {
	if st.ChecksumSHA256 != "" {
		return st.ChecksumSHA256 == expected, nil
	}
	obj, err := cl.GetObject(ctx, s.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return false, s.ctxErr(ctx, fmt.Errorf("read back %s: %w", s.location(key), err))
	}
	defer obj.Close()
	h := sha256.New()
	if _, err := io.Copy(h, ctxReader{ctx, obj}); err != nil {
		return false, s.ctxErr(ctx, fmt.Errorf("read back %s: %w", s.location(key), err))
	}
	return hex.EncodeToString(h.Sum(nil)) == want, nil
}

// ctxErr prefers ctx's cause over err once ctx is done, so a canceled
// ship says context.Canceled rather than a transport error.
func (s *S3) ctxErr(ctx context.Context, err error) error {
	if ctx.Err() != nil {
		return fmt.Errorf("%w (%v)", context.Cause(ctx), err)
	}
	return err
}

func isNotFound(err error) bool {
	code := minio.ToErrorResponse(err).Code
	return code == minio.NoSuchKey || code == "NotFound"
}

// partDigest hashes a stream of size bytes as a whole and per part of
// part bytes, the way the server's SHA256 checksum of the stored object is
// built: the sha256 itself for a single PUT (size <= part), else the
// sha256 of the parts' raw sha256 digests and "-<parts>".
type partDigest struct {
	whole   hash.Hash
	part    hash.Hash
	size    int64
	partLen int64
	inPart  int64
	parts   []byte // concatenated raw part digests
	n       int64
}

func newPartDigest(size, part int64) *partDigest {
	return &partDigest{whole: sha256.New(), part: sha256.New(), size: size, partLen: part}
}

func (d *partDigest) Write(p []byte) (int, error) {
	n := len(p)
	d.whole.Write(p)
	d.n += int64(n)
	for len(p) > 0 {
		take := min(int64(len(p)), d.partLen-d.inPart)
		d.part.Write(p[:take])
		d.inPart += take
		p = p[take:]
		if d.inPart == d.partLen {
			d.endPart()
		}
	}
	return n, nil
}

func (d *partDigest) endPart() {
	d.parts = d.part.Sum(d.parts)
	d.part.Reset()
	d.inPart = 0
}

// sum is the hex sha256 of everything written.
func (d *partDigest) sum() string { return hex.EncodeToString(d.whole.Sum(nil)) }

// expected is the server's SHA256 checksum of the object, as a HEAD with
// checksum mode returns it. Call it once, after the last Write.
func (d *partDigest) expected() string {
	if d.size <= d.partLen {
		return base64.StdEncoding.EncodeToString(d.whole.Sum(nil))
	}
	if d.inPart > 0 {
		d.endPart()
	}
	n := len(d.parts) / sha256.Size
	c := sha256.Sum256(d.parts)
	return base64.StdEncoding.EncodeToString(c[:]) + "-" + strconv.Itoa(n)
}

// verifyingReader hands the upload exactly size bytes of r, digesting them,
// and fails the Read that would complete them when their sha256 is not
// want: the upload is then aborted before the object becomes visible.
type verifyingReader struct {
	r     io.Reader
	d     *partDigest
	size  int64
	want  string
	local string
	read  int64
	err   error // ErrHashMismatch, once seen
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	if v.err != nil {
		return 0, v.err
	}
	if v.read >= v.size {
		return 0, io.EOF
	}
	if rest := v.size - v.read; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := v.r.Read(p)
	v.d.Write(p[:n])
	v.read += int64(n)
	if v.read == v.size {
		if got := v.d.sum(); got != v.want {
			v.err = fmt.Errorf("%w: local file %s has sha256 %s, want %s (changed since it was verified?)", ErrHashMismatch, v.local, got, v.want)
			return 0, v.err
		}
		if err == nil {
			err = io.EOF
		}
	} else if err == io.EOF {
		err = io.ErrUnexpectedEOF // the file shrank under us
	}
	return n, err
}

// List implements Lister: it lists <Prefix>/<region>/<YYYY-MM-DD>/ for
// artifacts with their manifest beside them and reads each manifest.
// Locations are the ones Ship reports. An empty bucket (or prefix) holds
// nothing; a bucket that does not exist or cannot be read is an error.
func (s *S3) List(ctx context.Context, region string) ([]Remote, error) {
	sc, cl, err := s.ready()
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("s3 list %s: %w", s.Bucket, context.Cause(ctx))
	}
	base := sc.rootPrefix()
	if region != "" {
		base = sc.regionPrefix(region)
	}
	type obj struct {
		key  string
		size int64
	}
	var arts []obj
	keys := map[string]bool{}
	for oi := range cl.ListObjects(ctx, sc.Bucket, minio.ListObjectsOptions{Prefix: base, Recursive: true}) {
		if oi.Err != nil {
			return nil, fmt.Errorf("s3 list %s: %w", sc.location(base), sc.ctxErr(ctx, oi.Err))
		}
		keys[oi.Key] = true
		if r, _, _, ok := sc.parseKey(oi.Key); ok && (region == "" || r == region) {
			arts = append(arts, obj{oi.Key, oi.Size})
		}
	}
	out := []Remote{}
	for _, a := range arts {
		mkey := path.Join(path.Dir(a.key), manifestName(path.Base(a.key)))
		if !keys[mkey] {
			continue // an interrupted ship: the manifest goes last
		}
		r, t, _, _ := sc.parseKey(a.key)
		m, err := sc.readManifest(ctx, cl, mkey)
		if err != nil {
			return nil, fmt.Errorf("s3 list: %w", err)
		}
		out = append(out, Remote{Target: TargetS3, Location: sc.location(a.key), Region: r, Time: t, Bytes: a.size, Manifest: m})
	}
	sortRemotes(out)
	return out, nil
}

// parseKey reads <Prefix>/<region>/<day>/<artifact>: the region of the
// directory must be the one in the file name, and the day its date.
func (s *S3) parseKey(key string) (region string, t time.Time, day string, ok bool) {
	rest, found := strings.CutPrefix(key, s.rootPrefix())
	if !found {
		return "", time.Time{}, "", false
	}
	parts := strings.Split(rest, "/")
	if len(parts) != 3 {
		return "", time.Time{}, "", false
	}
	r, t, ok := store.ParseName(parts[2])
	if !ok || r != parts[0] || t.Format(dayLayout) != parts[1] {
		return "", time.Time{}, "", false
	}
	return r, t, parts[1], true
}

// readManifest reads a manifest object; nil when it does not decode.
func (s *S3) readManifest(ctx context.Context, cl *minio.Client, key string) (*job.Manifest, error) {
	obj, err := cl.GetObject(ctx, s.Bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", s.location(key), s.ctxErr(ctx, err))
	}
	defer obj.Close()
	data, err := io.ReadAll(io.LimitReader(obj, s3ManifestLimit))
	if isNotFound(err) {
		return nil, nil // removed while we looked
	}
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", s.location(key), s.ctxErr(ctx, err))
	}
	return decodeManifest(data), nil
}

// keyOf maps a location (or any path ending in an artifact name) to the
// key Ship files that artifact under, and its region.
func (s *S3) keyOf(location string) (key, region, name string, err error) {
	name, day, err := artifactName(location)
	if err != nil {
		return "", "", "", err
	}
	region, _, _ = store.ParseName(name)
	return s.key(region, day, name), region, name, nil
}

// Fetch implements Fetcher: it downloads the artifact and its manifest
// under the key Ship files the location's artifact name under (so a
// location from a run report or a spool path also resolves). An object or
// manifest that is not there is ErrNotFound; a bucket that is missing or
// cannot be read is another error.
func (s *S3) Fetch(ctx context.Context, location, dir string) (string, string, error) {
	fail := func(err error) (string, string, error) {
		return "", "", fmt.Errorf("s3 fetch %s: %w", location, err)
	}
	sc, cl, err := s.ready()
	if err != nil {
		return fail(err)
	}
	if err := ctx.Err(); err != nil {
		return fail(context.Cause(ctx))
	}
	key, _, name, err := sc.keyOf(location)
	if err != nil {
		return fail(err)
	}
	dst, err := fetchDir(dir)
	if err != nil {
		return fail(err)
	}
	mkey := path.Join(path.Dir(key), manifestName(name))
	// GET, not HEAD: a HEAD's 404 cannot tell a missing key from a missing
	// bucket, and only the first is "not found".
	var objs []*minio.Object
	defer func() {
		for _, o := range objs {
			o.Close()
		}
	}()
	for _, k := range []string{key, mkey} {
		o, err := cl.GetObject(ctx, sc.Bucket, k, minio.GetObjectOptions{})
		if err == nil {
			objs = append(objs, o)
			_, err = o.Stat()
		}
		if isNotFound(err) {
			return fail(fmt.Errorf("%w: %s does not exist", ErrNotFound, sc.location(k)))
		}
		if err != nil {
			return fail(sc.ctxErr(ctx, fmt.Errorf("read %s: %w", sc.location(k), err)))
		}
	}
	art, man, err := fetchVia(dst, name, func(tmp string) error {
		for i, n := range []string{name, manifestName(name)} {
			if err := sc.download(ctx, objs[i], filepath.Join(tmp, n)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fail(err)
	}
	return art, man, nil
}

func (s *S3) download(ctx context.Context, obj *minio.Object, dst string) error {
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o640)
	if err != nil {
		return diskFull(err, dst)
	}
	defer out.Close()
	if _, err := io.Copy(out, ctxReader{ctx, obj}); err != nil {
		return s.ctxErr(ctx, diskFull(fmt.Errorf("download to %s: %w", dst, err), dst))
	}
	if err := out.Close(); err != nil {
		return diskFull(fmt.Errorf("close %s: %w", dst, err), dst)
	}
	return nil
}

// Delete implements Deleter: it removes the artifact location names and
// then its manifest (so an interruption leaves at worst a lone manifest,
// which List ignores, never an artifact that looks like an interrupted
// ship). It refuses a location whose artifact is not region's, so
// retention of one region can never touch anything outside
// <Prefix>/<region>/. Removing an object that is already gone succeeds.
// An object still under object lock fails.
func (s *S3) Delete(ctx context.Context, region, location string) error {
	sc, cl, err := s.ready()
	if err != nil {
		return err
	}
	key, r, name, err := sc.keyOf(location)
	if err != nil {
		return fmt.Errorf("s3 delete %s: %w", location, err)
	}
	if region == "" || r != region || !strings.HasPrefix(key, sc.regionPrefix(region)) {
		return fmt.Errorf("s3 delete %s: refused: not a copy of region %q", location, region)
	}
	for _, k := range []string{key, path.Join(path.Dir(key), manifestName(name))} {
		if err := cl.RemoveObject(ctx, sc.Bucket, k, minio.RemoveObjectOptions{}); err != nil && !isNotFound(err) {
			return fmt.Errorf("s3 delete %s: %w", sc.location(k), sc.ctxErr(ctx, err))
		}
	}
	return nil
}
