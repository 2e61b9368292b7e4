package retain

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"gravedancer/internal/job"
	"gravedancer/internal/retention"
	"gravedancer/internal/ship"
	"gravedancer/internal/store"
	"gravedancer/internal/testenv"
)

// shipCopy writes a tiny artifact of region at `at` with its manifest to a
// scratch spool and ships it to s; it returns the location.
func shipCopy(t *testing.T, s *ship.S3, region string, at time.Time) string {
	t.Helper()
	sp := &store.Spool{Dir: t.TempDir()}
	p := sp.ArtifactPath(region, at, "gzip")
	data := []byte(fmt.Sprintf("dump of %s at %v", region, at))
	sum := sha256.Sum256(data)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, data, 0o640); err != nil {
		t.Fatal(err)
	}
	m := &job.Manifest{V: job.Version, Region: region, File: filepath.Base(p), Bytes: int64(len(data)), SHA256: hex.EncodeToString(sum[:]), Run: "r"}
	if err := os.WriteFile(store.ManifestPath(p), job.EncodeManifest(m), 0o640); err != nil {
		t.Fatal(err)
	}
	r, err := s.Ship(context.Background(), ship.Artifact{Path: p, ManifestPath: store.ManifestPath(p), SHA256: m.SHA256,
		Bytes: m.Bytes, Region: region, Time: at})
	if err != nil {
		t.Fatal(err)
	}
	return r.Location
}

// bucketKeys lists every key of the bucket.
func bucketKeys(t *testing.T, cl *minio.Client, bucket string) []string {
	t.Helper()
	var keys []string
	for oi := range cl.ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Recursive: true}) {
		if oi.Err != nil {
			t.Fatal(oi.Err)
		}
		keys = append(keys, oi.Key)
	}
	sort.Strings(keys)
	return keys
}

func putObject(t *testing.T, cl *minio.Client, bucket, key string) {
	t.Helper()
	if _, err := cl.PutObject(context.Background(), bucket, key, bytes.NewReader([]byte("decoy")), 5, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
}

func keyOf(bucket, location string) string { return strings.TrimPrefix(location, "s3://"+bucket+"/") }

// TestRetainPrunesS3 runs the stage with a real S3 server as a remote
// target over random histories and checks, whatever the history: the
// region's newest copy survives in the bucket, exactly what the retention
// plan keeps is kept, and nothing else in the bucket is touched — decoys
// outside the prefix, another region's copies under it (one whose name
// starts like this region's), an artifact whose manifest never arrived
// and a foreign file beside the copies.
func TestRetainPrunesS3(t *testing.T) {
	srv := testenv.StartS3(t)
	cl := srv.Client()
	now := time.Date(2026, 11, 28, 3, 0, 0, 0, time.Local)
	for seed := uint64(1); seed <= 12; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			r := rand.New(rand.NewPCG(seed, 11))
			bucket := srv.CreateBucket(t, "retain", false)
			s := &ship.S3{Endpoint: srv.Endpoint, Bucket: bucket, Prefix: "gd/prod", PathStyle: true,
				AccessKey: srv.AccessKey, SecretKey: srv.SecretKey, Timeout: time.Minute}

			// What must survive whatever happens.
			untouchable := []string{
				"gd/prod-other/R/2020-01-01/mdb_bkp_R-20200101_000000.sql.gz",
				"elsewhere/mdb_bkp_R-20200101_000000.sql.gz",
				"gd/prod/R/2020-01-01/notes.txt",
				"gd/prod/R/2020-01-02/mdb_bkp_R-20200102_000000.sql.gz", // no manifest: an interrupted ship
			}
			for _, k := range untouchable {
				putObject(t, cl, bucket, k)
			}
			untouchable = append(untouchable, keyOf(bucket, shipCopy(t, s, "R2", now.AddDate(-1, 0, 0))))
			untouchable = append(untouchable, store.ManifestPath(untouchable[len(untouchable)-1]))

			policy := retention.Policy{Days: 1 + r.IntN(5), KeepMin: 1 + r.IntN(2), Daily: r.IntN(3), Weekly: r.IntN(2)}
			var backups []retention.Backup
			var newest string
			var newestAt time.Time
			for i := range 1 + r.IntN(7) {
				at := now.Add(-time.Duration(r.IntN(30*24)) * time.Hour).Add(-time.Duration(i) * time.Second)
				loc := shipCopy(t, s, "R", at)
				backups = append(backups, retention.Backup{ID: loc, Time: at, Verified: true})
				if at.After(newestAt) {
					newest, newestAt = loc, at
				}
			}
			want := map[string]bool{}
			for _, d := range retention.Plan(backups, policy, now) {
				want[d.Backup.ID] = d.Keep
			}

			// The spool holds the job's verified backup, as after a real run.
			sp := &store.Spool{Dir: t.TempDir()}
			current := backup(t, sp, now.Add(-time.Minute), true)
			var logs bytes.Buffer
			st := &Stage{Spool: sp, Remotes: []Remote{s}, Policy: policy, Now: func() time.Time { return now },
				Logger: slog.New(slog.NewTextHandler(&logs, nil))}
			out, err := st.Handle(context.Background(), &job.Job{Region: "R", Run: "r", Restore: &job.Restore{}, Artifact: &job.Artifact{Path: current}})
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(logs.String(), "remote prune failed") {
				t.Errorf("remote prune failed:\n%s", logs.String())
			}
			// The job records what went, for the run report.
			var wantRemoved []string
			for loc, keep := range want {
				if !keep {
					wantRemoved = append(wantRemoved, loc)
				}
			}
			if rr := out.Retained.Remote; len(rr) != 1 || rr[0].Target != "s3" || rr[0].Error != "" ||
				!sameSet(rr[0].Removed, wantRemoved) || rr[0].Kept != len(want)-len(wantRemoved) {
				t.Errorf("job records remote retention %+v, want s3 removing %q, keeping %d", rr, wantRemoved, len(want)-len(wantRemoved))
			}
			keys := bucketKeys(t, cl, bucket)
			has := func(k string) bool { return slices.Contains(keys, k) }
			if k := keyOf(bucket, newest); !has(k) || !has(store.ManifestPath(k)) {
				t.Errorf("policy %+v: the newest copy %s was pruned from the bucket", policy, k)
			}
			for loc, keep := range want {
				k := keyOf(bucket, loc)
				if has(k) != keep || has(store.ManifestPath(k)) != keep {
					t.Errorf("policy %+v: %s present = %v (manifest %v), want %v", policy, k, has(k), has(store.ManifestPath(k)), keep)
				}
			}
			for _, k := range untouchable {
				if !has(k) {
					t.Errorf("%s outside the region's copies was deleted", k)
				}
			}
			t.Logf("policy %+v: %d copies, %d kept", policy, len(want), countTrue(want))
			if n := len(keys); n != len(untouchable)+2*countTrue(want) {
				t.Errorf("the bucket holds %d objects, want %d: %q", n, len(untouchable)+2*countTrue(want), keys)
			}
		})
	}
}

func countTrue(m map[string]bool) int {
	n := 0
	for _, v := range m {
		if v {
			n++
		}
	}
	return n
}

// TestRetainKeepsTheOnlyS3CopyHoweverOld: a region whose only copy in the
// bucket is a year old keeps it with the tightest policy.
func TestRetainKeepsTheOnlyS3CopyHoweverOld(t *testing.T) {
	srv := testenv.StartS3(t)
	bucket := srv.CreateBucket(t, "floor", false)
	s := &ship.S3{Endpoint: srv.Endpoint, Bucket: bucket, PathStyle: true, AccessKey: srv.AccessKey, SecretKey: srv.SecretKey}
	now := time.Date(2026, 11, 28, 3, 0, 0, 0, time.Local)
	loc := shipCopy(t, s, "R", now.AddDate(-1, 0, 0))
	sp := &store.Spool{Dir: t.TempDir()}
	current := backup(t, sp, now.Add(-time.Minute), true)
	st := &Stage{Spool: sp, Remotes: []Remote{s}, Policy: retention.Policy{Days: 1}, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	if _, err := st.Handle(context.Background(), &job.Job{Region: "R", Run: "r", Restore: &job.Restore{}, Artifact: &job.Artifact{Path: current}}); err != nil {
		t.Fatal(err)
	}
	got, err := s.List(context.Background(), "R")
	if err != nil || len(got) != 1 || got[0].Location != loc {
		t.Errorf("the bucket lists %+v, %v; want only %s", got, err, loc)
	}
}

// failingRemote fails every call, like a bucket that is down.
type failingRemote struct{}

func (failingRemote) Name() string { return "s3" }
func (failingRemote) List(context.Context, string) ([]ship.Remote, error) {
	return nil, fmt.Errorf("connection refused")
}
func (failingRemote) Delete(context.Context, string, string) error {
	return fmt.Errorf("connection refused")
}

// TestRetainRemoteFailureKeepsTheJob: a target that cannot be pruned is
// logged; the region's good backup is not excluded for it.
func TestRetainRemoteFailureKeepsTheJob(t *testing.T) {
	now := time.Date(2026, 11, 28, 3, 0, 0, 0, time.Local)
	sp := &store.Spool{Dir: t.TempDir()}
	current := backup(t, sp, now.Add(-time.Minute), true)
	var logs bytes.Buffer
	st := &Stage{Spool: sp, Remotes: []Remote{failingRemote{}}, Policy: retention.Policy{Days: 1}, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(&logs, nil))}
	out, err := st.Handle(context.Background(), &job.Job{Region: "R", Run: "r", Restore: &job.Restore{}, Artifact: &job.Artifact{Path: current}})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(logs.String(), "remote prune failed") || !strings.Contains(logs.String(), "target=s3") {
		t.Errorf("log does not report the failed remote prune:\n%s", logs.String())
	}
	if rr := out.Retained.Remote; len(rr) != 1 || rr[0].Target != "s3" || !strings.Contains(rr[0].Error, "connection refused") {
		t.Errorf("job records remote retention %+v, want the s3 failure", rr)
	}
}

func sameSet(a, b []string) bool {
	return len(a) == len(b) && len(a) == len(union(a, b))
}

func union(a, b []string) map[string]bool {
	m := map[string]bool{}
	for _, x := range append(slices.Clone(a), b...) {
		m[x] = true
	}
	return m
}
