package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"gravedancer/internal/store"
	"gravedancer/internal/testenv"
)

// TestS3ShipListRestore backs a region up to a real S3 server (versitygw),
// lists the bucket's copy with `backups`, prunes the spool copy and
// restores from the bucket; a copy tampered with in the bucket is refused
// before anything reaches the target.
func TestS3ShipListRestore(t *testing.T) {
	dir := t.TempDir()
	srv := testenv.StartS3(t)
	bucket := srv.CreateBucket(t, "e2e", false)
	reg := testenv.StartMariaDB(t)
	testenv.LoadSample(t, reg, "REG1")
	reg.CreateUser(t, "backupuser", password, testenv.BackupGrants)
	test := testenv.StartMariaDB(t)
	test.CreateUser(t, "restoreuser", restorePassword, restoreGrants)
	target := testenv.StartMariaDB(t)
	target.CreateUser(t, "admin", targetPassword, "ALL PRIVILEGES ON *.*")
	files := map[string]string{"source.password": password, "restore.password": restorePassword,
		"target.password": targetPassword, "s3.secret": srv.SecretKey + "\n"}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := map[string]string{
		"GD_REGIONS":               "REG1=" + reg.Addr(),
		"GD_SOURCE_USER":           "backupuser",
		"GD_SOURCE_PASSWORD_FILE":  filepath.Join(dir, "source.password"),
		"GD_TEST_SERVERS":          test.Addr(),
		"GD_RESTORE_USER":          "restoreuser",
		"GD_RESTORE_PASSWORD_FILE": filepath.Join(dir, "restore.password"),
		"GD_TARGET_PASSWORD_FILE":  filepath.Join(dir, "target.password"),
		"GD_SHIP":                  "s3",
		"GD_S3_ENDPOINT":           srv.Endpoint,
		"GD_S3_BUCKET":             bucket,
		"GD_S3_PREFIX":             "gravedancer/prod",
		"GD_S3_PATH_STYLE":         "true",
		"GD_S3_ACCESS_KEY":         srv.AccessKey,
		"GD_S3_SECRET_KEY_FILE":    filepath.Join(dir, "s3.secret"),
		"GD_SPOOL_DIR":             filepath.Join(dir, "spool"),
		"GD_ENCRYPT":               "off", // plaintext: these tests read the dumps
		"GD_STATE_DIR":             filepath.Join(dir, "state"),
		"GD_LOG_FORMAT":            "json",
	}
	f := &restoreFixture{env: env, target: target}
	r := run(t, env, "backup")
	wantOutput(t, "backup", r, exitOK, "s3: nothing to prune") // the bucket's retention is reported
	if strings.Contains(r.Stdout+r.Stderr, srv.SecretKey) {
		t.Error("backup output shows the S3 secret key")
	}

	got := f.catalog(t, "--region", "REG1")
	if len(got) != 1 {
		t.Fatalf("catalog: %+v, want one backup", got)
	}
	b := got[0]
	wantKey := fmt.Sprintf("gravedancer/prod/REG1/%s/%s", b.Time.Local().Format("2006-01-02"), b.File)
	if len(b.Copies) != 1 || b.Copies[0].Target != "s3" || !b.Copies[0].Listed ||
		b.Copies[0].Location != "s3://"+bucket+"/"+wantKey {
		t.Fatalf("copies %+v, want the listed s3 copy s3://%s/%s", b.Copies, bucket, wantKey)
	}
	r = run(t, env, "backups", "--region", "REG1")
	wantOutput(t, "backups", r, exitOK, b.File, "s3")

	// Retention pruned the spool copy.
	for _, p := range append(store.Sidecars(b.Local), b.Local, store.ManifestPath(b.Local)) {
		_ = os.Remove(p)
	}
	r = f.restore(t, "--region", "REG1", "--databases", "neutron", "--into-database", "neutron_s3")
	wantOutput(t, "restore from s3", r, exitOK, "fetching "+b.File+" from s3")
	src, dst := reg.DB(t), target.DB(t)
	sameChecksums(t, "neutron_s3", checksums(t, dst, "neutron_s3"), checksums(t, src, "neutron"))

	// Someone rewrites the object in the bucket: the fetched copy fails
	// its sha256 and nothing is sent.
	cl := srv.Client()
	bad := bytes.Repeat([]byte{0x1f}, int(b.Bytes))
	if _, err := cl.PutObject(context.Background(), bucket, wantKey, bytes.NewReader(bad), int64(len(bad)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	r = f.restore(t, "--region", "REG1", "--databases", "neutron", "--into-database", "neutron_bad")
	wantOutput(t, "tampered", r, exitFailed, "failed its check", "nothing was sent to the target")
	var n int
	if err := dst.QueryRow("SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = 'neutron_bad'").Scan(&n); err != nil || n != 0 {
		t.Errorf("neutron_bad exists on the target (%d, %v)", n, err)
	}
}
