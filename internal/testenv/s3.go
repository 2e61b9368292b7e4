package testenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"go/build"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
)

const (
	// s3ReadyTimeout bounds how long StartS3 waits for a new versitygw.
	s3ReadyTimeout = 30 * time.Second
	// s3StopTimeout is how long Stop waits after SIGTERM before SIGKILL.
	s3StopTimeout = 5 * time.Second
	// versitygwBin is the S3 server binary scripts/ensure-versitygw.sh
	// installs (go install, into the Go bin directory).
	versitygwBin = "versitygw"
)

// S3 is a private S3-compatible server (versitygw with its posix backend)
// started by StartS3 on a loopback port. Its root account's throwaway keys
// are AccessKey and SecretKey; Endpoint is "http://127.0.0.1:PORT".
type S3 struct {
	Endpoint  string
	Host      string // "127.0.0.1:PORT"
	AccessKey string
	SecretKey string
	Root      string // the posix backend's directory: one subdirectory per bucket

	dir     string
	logFile string
	bin     string
	daemon
}

// StartS3 starts `versitygw --port 127.0.0.1:PORT posix DIR` with fresh
// random root keys passed in its environment (not its argv), waits until
// it answers an authenticated ListBuckets, and stops it when the test
// ends; a watchdog kills it if the test binary dies first. The binary is
// looked up in PATH, then in the Go bin directory (GOBIN, else
// GOPATH/bin) where `make deps` installs it. A missing binary is reported
// through Require: a skip locally, a failure under CI.
func StartS3(t testing.TB) *S3 {
	t.Helper()
	began := time.Now()
	bin, ok := lookVersitygw()
	if !ok {
		Require(t, "versitygw not found in PATH or the Go bin directory (run make deps, or scripts/ensure-versitygw.sh)")
	}
	dir := tempDir(t, "StartS3", "gd-s3-")
	s := &S3{
		AccessKey: "gdtest" + randHex(t, 6),
		SecretKey: randHex(t, 20),
		Root:      filepath.Join(dir, "data"),
		dir:       dir,
		logFile:   filepath.Join(dir, "versitygw.log"),
		bin:       bin,
	}
	if err := os.Mkdir(s.Root, 0o700); err != nil {
		t.Fatalf("testenv: StartS3: %v", err)
	}
	var lastErr error
	for attempt := 0; attempt < startAttempts; attempt++ {
		port := FreePort(t)
		s.Host = "127.0.0.1:" + strconv.Itoa(port)
		s.Endpoint = "http://" + s.Host
		if lastErr = s.startOnce(); lastErr == nil {
			break
		}
	}
	if lastErr != nil {
		t.Logf("testenv: versitygw failed to start; tail of its log:\n%s", tail(s.logFile, 40))
		t.Fatalf("testenv: StartS3: %v", lastErr)
	}
	t.Cleanup(s.Stop)
	t.Logf("testenv: versitygw on %s ready in %v", s.Host, time.Since(began).Round(time.Millisecond))
	return s
}

// lookVersitygw finds versitygw in PATH or the Go bin directory.
func lookVersitygw() (string, bool) {
	if p, err := exec.LookPath(versitygwBin); err == nil {
		return p, true
	}
	var dirs []string
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	}
	for _, gp := range filepath.SplitList(build.Default.GOPATH) {
		dirs = append(dirs, filepath.Join(gp, "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, versitygwBin)
		if fi, err := os.Stat(p); err == nil && !fi.IsDir() && fi.Mode()&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}

func randHex(t testing.TB, n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatalf("testenv: %v", err)
	}
	return hex.EncodeToString(b)
}

func (s *S3) startOnce() error {
	cmd := exec.Command(s.bin, "--port", s.Host, "--quiet", "posix", s.Root)
	// The keys go in the environment: versitygw reads ROOT_ACCESS_KEY and
	// ROOT_SECRET_KEY, so they never show in /proc/*/cmdline.
	cmd.Env = append(os.Environ(), "ROOT_ACCESS_KEY="+s.AccessKey, "ROOT_SECRET_KEY="+s.SecretKey)
	done, err := s.launch(cmd, s.logFile, 0o600, s.dir)
	if err != nil {
		return err
	}
	if err := s.waitReady(done); err != nil {
		s.stop(syscall.SIGKILL, 0)
		return err
	}
	return nil
}

// waitReady polls until the port accepts connections and an authenticated
// ListBuckets succeeds.
func (s *S3) waitReady(done <-chan struct{}) error {
	deadline := time.Now().Add(s3ReadyTimeout)
	cl := s.client()
	var lastErr error
	for {
		select {
		case <-done:
			return fmt.Errorf("versitygw exited before accepting connections (last error: %v)", lastErr)
		default:
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("versitygw not ready after %v: %v", s3ReadyTimeout, lastErr)
		}
		c, err := net.DialTimeout("tcp", s.Host, time.Second)
		if err == nil {
			c.Close()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			_, err = cl.ListBuckets(ctx)
			cancel()
			if err == nil {
				return nil
			}
		}
		lastErr = err
		time.Sleep(20 * time.Millisecond)
	}
}

// client is a minio-go client of the root account.
func (s *S3) client() *minio.Client {
	cl, err := minio.New(s.Host, &minio.Options{
		Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""), BucketLookup: minio.BucketLookupPath,
		TrailingHeaders: true,
	})
	if err != nil {
		panic(err) // only a malformed endpoint fails, and Host is ours
	}
	return cl
}

// Client returns a minio-go client of the root account, for a test to
// look at and tamper with the bucket directly.
func (s *S3) Client() *minio.Client { return s.client() }

// CreateBucket makes a bucket named after prefix (lowercase, made unique)
// and returns its name. With objectLock the bucket has object lock enabled.
func (s *S3) CreateBucket(t testing.TB, prefix string, objectLock bool) string {
	t.Helper()
	name := prefix + "-" + randHex(t, 4)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.client().MakeBucket(ctx, name, minio.MakeBucketOptions{ObjectLocking: objectLock}); err != nil {
		t.Fatalf("testenv: create bucket %s: %v", name, err)
	}
	return name
}

// Log returns versitygw's output so far.
func (s *S3) Log() string { return tail(s.logFile, 200) }

// Stop shuts the server down (SIGTERM, then SIGKILL after 5s) and waits.
func (s *S3) Stop() { s.stop(syscall.SIGTERM, s3StopTimeout) }
