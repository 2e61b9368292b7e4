package ship

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"gravedancer/internal/store"
	"gravedancer/internal/testenv"
)

// newS3Target ships into a fresh bucket of srv under a prefix with a space
// and a quote in it.
func newS3Target(t *testing.T, srv *testenv.S3) target {
	bucket := srv.CreateBucket(t, "conf", false)
	s := &S3{Endpoint: srv.Endpoint, Bucket: bucket, Prefix: "gd backups/it's", PathStyle: true,
		AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Timeout: time.Minute}
	cl := srv.Client()
	blackHole := blackHolePort(t)
	dayPrefix := func(a Artifact, name string) string {
		region := a.Region
		if region == "" {
			region, _, _ = store.ParseName(name)
		}
		sc := s.withDefaults()
		return sc.key(region, a.day(), "")
	}
	return target{
		sh: s,
		readBack: func(t *testing.T, a Artifact, name string) ([]byte, bool) {
			return s3Read(t, cl, bucket, dayPrefix(a, name)+name)
		},
		list: func(t *testing.T, a Artifact) []string {
			ctx := context.Background()
			p := dayPrefix(a, filepath.Base(a.Path))
			var names []string
			for oi := range cl.ListObjects(ctx, bucket, minio.ListObjectsOptions{Prefix: p, Recursive: true}) {
				if oi.Err != nil {
					t.Fatal(oi.Err)
				}
				names = append(names, strings.TrimPrefix(oi.Key, p))
			}
			return names
		},
		fail: func(on bool) {
			if on {
				s.SecretKey = srv.SecretKey + "x" // every request: 403
			} else {
				s.SecretKey = srv.SecretKey
			}
		},
		hang: func(on bool) {
			if on {
				s.Endpoint = fmt.Sprintf("http://127.0.0.1:%d", blackHole) // accepts, never answers
			} else {
				s.Endpoint = srv.Endpoint
			}
		},
		put: func(t *testing.T, a Artifact, name string, data []byte) {
			_, err := cl.PutObject(context.Background(), bucket, dayPrefix(a, name)+name, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{})
			if err != nil {
				t.Fatal(err)
			}
		},
	}
}

func s3Read(t *testing.T, cl *minio.Client, bucket, key string) ([]byte, bool) {
	t.Helper()
	obj, err := cl.GetObject(context.Background(), bucket, key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Close()
	b, err := io.ReadAll(obj)
	if minio.ToErrorResponse(err).Code == minio.NoSuchKey {
		return nil, false
	}
	if err != nil {
		t.Fatal(err)
	}
	return b, true
}

// s3Fixture is one bucket of a shared server with a shipper for it.
func s3Fixture(t *testing.T, srv *testenv.S3, lock bool) (*S3, *minio.Client) {
	t.Helper()
	bucket := srv.CreateBucket(t, "unit", lock)
	return &S3{Endpoint: srv.Endpoint, Bucket: bucket, Prefix: "backups", PathStyle: true,
		AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Timeout: time.Minute}, srv.Client()
}

func TestS3(t *testing.T) {
	srv := testenv.StartS3(t)
	ctx := context.Background()

	t.Run("MultipartAboveThePartSize", func(t *testing.T) {
		t.Parallel()
		s, cl := s3Fixture(t, srv, false)
		s.PartSize = MinS3PartSize
		a := makeArtifact(t, "big")
		// 12 MiB and a bit: three parts of 5 MiB, the last one short.
		data := bytes.Repeat([]byte("gravedancer "), (12<<20)/12+1000)
		a = rewriteArtifact(t, a, data)
		r, err := s.Ship(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		key := strings.TrimPrefix(r.Location, "s3://"+s.Bucket+"/")
		st, err := cl.StatObject(ctx, s.Bucket, key, minio.StatObjectOptions{Checksum: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("etag %s, sha256 checksum %s (%s)", st.ETag, st.ChecksumSHA256, st.ChecksumMode)
		if !strings.HasSuffix(st.ETag, "-3") || !strings.HasSuffix(st.ChecksumSHA256, "-3") {
			t.Errorf("ETag %q / checksum %q: want a 3-part multipart upload", st.ETag, st.ChecksumSHA256)
		}
		if got, _ := s3Read(t, cl, s.Bucket, key); !bytes.Equal(got, data) {
			t.Error("the stored object differs from the artifact")
		}
		// Idempotent: the second ship finds the same checksum and sends nothing.
		if _, err := s.Ship(ctx, a); err != nil {
			t.Fatal(err)
		}
		st2, err := cl.StatObject(ctx, s.Bucket, key, minio.StatObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if st2.ETag != st.ETag || !st2.LastModified.Equal(st.LastModified) {
			t.Errorf("re-ship rewrote the object: %s %v, was %s %v", st2.ETag, st2.LastModified, st.ETag, st.LastModified)
		}
		// A changed part size makes another composite checksum: shipped again, still right.
		s.PartSize = 6 << 20
		if _, err := s.Ship(ctx, a); err != nil {
			t.Fatal(err)
		}
		if got, _ := s3Read(t, cl, s.Bucket, key); !bytes.Equal(got, data) {
			t.Error("the stored object differs from the artifact after a re-ship")
		}
	})

	t.Run("ObjectLock", func(t *testing.T) {
		t.Parallel()
		s, cl := s3Fixture(t, srv, true)
		s.LockDays = 1
		a := makeArtifact(t, "locked")
		r, err := s.Ship(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		key := strings.TrimPrefix(r.Location, "s3://"+s.Bucket+"/")
		st, err := cl.StatObject(ctx, s.Bucket, key, minio.StatObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		mode, until := st.Metadata.Get("X-Amz-Object-Lock-Mode"), st.Metadata.Get("X-Amz-Object-Lock-Retain-Until-Date")
		t.Logf("lock mode %q until %q", mode, until)
		if mode != S3LockGovernance {
			t.Errorf("object lock mode = %q, want GOVERNANCE", mode)
		}
		if u, err := time.Parse(time.RFC3339, until); err != nil || u.Before(time.Now().Add(23*time.Hour)) {
			t.Errorf("retain until %q: want about a day from now (%v)", until, err)
		}
		if err := s.Delete(ctx, a.Region, r.Location); err == nil {
			t.Error("Delete of an object under object lock succeeded")
		}
		if _, ok := s3Read(t, cl, s.Bucket, key); !ok {
			t.Error("the locked object is gone")
		}
		if _, err := s.Ship(ctx, a); err != nil {
			t.Errorf("re-ship of a locked copy: %v", err)
		}
		// Clean up what a governance lock allows the root account to remove.
		t.Cleanup(func() {
			for _, k := range []string{key, store.ManifestPath(key)} {
				_ = cl.RemoveObject(ctx, s.Bucket, k, minio.RemoveObjectOptions{GovernanceBypass: true})
			}
		})
	})

	t.Run("LockOnABucketWithoutObjectLockFails", func(t *testing.T) {
		t.Parallel()
		s, _ := s3Fixture(t, srv, false)
		s.LockDays, s.LockMode = 3, S3LockCompliance
		if _, err := s.Ship(ctx, makeArtifact(t, "nolock")); err == nil {
			t.Error("Ship with object lock to a bucket without it succeeded")
		} else {
			t.Logf("as expected: %v", err)
		}
	})

	t.Run("DeleteStaysInItsRegion", func(t *testing.T) {
		t.Parallel()
		s, cl := s3Fixture(t, srv, false)
		a := makeArtifact(t, "eu")
		r, err := s.Ship(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		b := makeArtifact(t, "eu-west")
		rb, err := s.Ship(ctx, b)
		if err != nil {
			t.Fatal(err)
		}
		decoy := "elsewhere/eu/2024-03-15/" + filepath.Base(a.Path)
		if _, err := cl.PutObject(ctx, s.Bucket, decoy, strings.NewReader("decoy"), 5, minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
		for _, tc := range []struct{ region, location string }{
			{"eu-west", r.Location}, {"eu", rb.Location}, {"", r.Location},
			{"eu", "s3://" + s.Bucket + "/" + decoy + "x"},
		} {
			if err := s.Delete(ctx, tc.region, tc.location); err == nil {
				t.Errorf("Delete(%q, %q) succeeded", tc.region, tc.location)
			}
		}
		// A location naming the region's artifact resolves to its own key,
		// wherever the location says it is.
		if err := s.Delete(ctx, "eu", "s3://"+s.Bucket+"/"+decoy); err != nil {
			t.Fatal(err)
		}
		if _, ok := s3Read(t, cl, s.Bucket, decoy); !ok {
			t.Error("the decoy outside the prefix was deleted")
		}
		got, err := s.List(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Location != rb.Location {
			t.Errorf("after deleting eu's copy the bucket lists %+v, want only %s", got, rb.Location)
		}
		if err := s.Delete(ctx, "eu", r.Location); err != nil {
			t.Errorf("deleting an absent copy again: %v", err)
		}
	})

	t.Run("MissingBucketIsNotNotFound", func(t *testing.T) {
		t.Parallel()
		s, _ := s3Fixture(t, srv, false)
		a := makeArtifact(t, "nb")
		r, err := s.Ship(ctx, a)
		if err != nil {
			t.Fatal(err)
		}
		s.Bucket = "no-such-bucket-here"
		if _, _, err := s.Fetch(ctx, r.Location, t.TempDir()); err == nil || errors.Is(err, ErrNotFound) {
			t.Errorf("Fetch from a missing bucket: %v, want an error that is not ErrNotFound", err)
		}
		if _, err := s.List(ctx, ""); err == nil {
			t.Error("List of a missing bucket succeeded")
		}
	})
}

// rewriteArtifact replaces a's content with data and fixes its manifest.
func rewriteArtifact(t *testing.T, a Artifact, data []byte) Artifact {
	t.Helper()
	if err := os.WriteFile(a.Path, data, 0o640); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	a.SHA256, a.Bytes = hex.EncodeToString(sum[:]), int64(len(data))
	manifest := fmt.Sprintf(`{"v":1,"region":%q,"file":%q,"bytes":%d,"sha256":%q}`+"\n", a.Region, filepath.Base(a.Path), a.Bytes, a.SHA256)
	if err := os.WriteFile(a.ManifestPath, []byte(manifest), 0o640); err != nil {
		t.Fatal(err)
	}
	return a
}

func TestParseS3Endpoint(t *testing.T) {
	for _, tc := range []struct {
		in, host string
		secure   bool
		err      string
	}{
		{"s3.example.com", "s3.example.com", true, ""},
		{"s3.example.com:9000", "s3.example.com:9000", true, ""},
		{"https://s3.example.com/", "s3.example.com", true, ""},
		{"http://127.0.0.1:7070", "127.0.0.1:7070", false, ""},
		{"http://localhost:9000", "localhost:9000", false, ""},
		{"http://[::1]:9000", "[::1]:9000", false, ""},
		{"http://s3.example.com", "", false, "only allowed for a loopback host"},
		{"", "", false, "not set"},
		{"ftp://s3.example.com", "", false, "scheme"},
		{"https://s3.example.com/bucket", "", false, "without a path"},
		{"https://key:secret@s3.example.com", "", false, "must not carry credentials"},
		{"https://s3.example.com:99999", "", false, "not 1-65535"},
		{"https://", "", false, "no host"},
	} {
		host, secure, err := ParseS3Endpoint(tc.in)
		switch {
		case tc.err != "" && (err == nil || !strings.Contains(err.Error(), tc.err)):
			t.Errorf("ParseS3Endpoint(%q) err = %v, want %q", tc.in, err, tc.err)
		case tc.err == "" && (err != nil || host != tc.host || secure != tc.secure):
			t.Errorf("ParseS3Endpoint(%q) = %q, %v, %v; want %q, %v", tc.in, host, secure, err, tc.host, tc.secure)
		}
		if err != nil && strings.Contains(err.Error(), "secret") && strings.Contains(err.Error(), "key:secret") {
			t.Errorf("error shows the credentials: %v", err)
		}
	}
}

func TestS3Options(t *testing.T) {
	for _, tc := range []struct {
		mode string
		want minio.RetentionMode
		err  bool
	}{
		{"", "", false}, {"governance", minio.Governance, false}, {"GOVERNANCE", minio.Governance, false},
		{"Compliance", minio.Compliance, false}, {"legal-hold", "", true},
	} {
		got, err := lockMode(tc.mode)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("lockMode(%q) = %q, %v; want %q, error %v", tc.mode, got, err, tc.want, tc.err)
		}
	}
	base := S3{Endpoint: "s3.example.com", Bucket: "b"}
	d := base.withDefaults()
	if d.PartSize != DefaultS3PartSize || d.LockMode != "" || d.Timeout != DefaultTimeout {
		t.Errorf("defaults: %+v", d)
	}
	locked := S3{Endpoint: "s3.example.com", Bucket: "b", LockDays: 30}
	if d := locked.withDefaults(); d.LockMode != S3LockGovernance {
		t.Errorf("lock days without a mode: mode %q, want GOVERNANCE", d.LockMode)
	}
	for _, tc := range []struct {
		s    S3
		want string
	}{
		{S3{Bucket: "b"}, "GD_S3_ENDPOINT"},
		{S3{Endpoint: "s3.example.com"}, "GD_S3_BUCKET"},
		{S3{Endpoint: "s3.example.com", Bucket: "b", AccessKey: "AK"}, "GD_S3_SECRET_KEY"},
		{S3{Endpoint: "s3.example.com", Bucket: "b", SecretKey: "sk"}, "GD_S3_ACCESS_KEY"},
		{S3{Endpoint: "s3.example.com", Bucket: "b", LockDays: -1}, "GD_S3_OBJECT_LOCK_DAYS"},
		{S3{Endpoint: "s3.example.com", Bucket: "b", LockDays: 1, LockMode: "forever"}, "GD_S3_OBJECT_LOCK_MODE"},
		{S3{Endpoint: "s3.example.com", Bucket: "b", PartSize: 1 << 20}, "GD_S3_PART_SIZE_MB"},
	} {
		_, err := New([]string{"s3"}, Config{S3: tc.s})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(s3, %v): err = %v, want it to name %s", &tc.s, err, tc.want)
		}
	}
	sh, err := New([]string{"s3"}, Config{S3: S3{Endpoint: "s3.example.com", Bucket: "b", AccessKey: "AK", SecretKey: "very-secret"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"%v", "%+v", "%#v", "%s"} {
		if out := fmt.Sprintf(f, sh[0]); strings.Contains(out, "very-secret") {
			t.Errorf("%s of the shipper shows the secret: %s", f, out)
		}
	}
}

func TestS3PartDigest(t *testing.T) {
	// The composite checksum is sha256 over the parts' sha256s, "-N".
	data := bytes.Repeat([]byte{7}, 11)
	d := newPartDigest(int64(len(data)), 4)
	_, _ = d.Write(data[:3])
	_, _ = d.Write(data[3:])
	var parts []byte
	for _, p := range [][]byte{data[:4], data[4:8], data[8:]} {
		s := sha256.Sum256(p)
		parts = append(parts, s[:]...)
	}
	c := sha256.Sum256(parts)
	if want := base64.StdEncoding.EncodeToString(c[:]) + "-3"; d.expected() != want {
		t.Errorf("expected() = %s, want %s", d.expected(), want)
	}
	one := newPartDigest(3, 4)
	_, _ = one.Write(data[:3])
	s := sha256.Sum256(data[:3])
	if want := base64.StdEncoding.EncodeToString(s[:]); one.expected() != want {
		t.Errorf("single part: expected() = %s, want %s", one.expected(), want)
	}
	big := S3{PartSize: DefaultS3PartSize}
	if p := big.partSizeFor(2 << 40); p*s3MaxParts < 2<<40 || p%(1<<20) != 0 {
		t.Errorf("partSizeFor(2 TiB) = %d: too small for %d parts or not whole MiB", p, s3MaxParts)
	}
}
