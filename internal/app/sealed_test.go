package app

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"gravedancer/internal/catalog"
	"gravedancer/internal/codec"
	"gravedancer/internal/config"
	"gravedancer/internal/job"
	"gravedancer/internal/mysqlx"
	"gravedancer/internal/recovery"
	"gravedancer/internal/report"
	engine "gravedancer/internal/restore"
	"gravedancer/internal/seal"
	"gravedancer/internal/store"
	"gravedancer/internal/testenv"
)

// keyFiles writes an age key pair's files: the identity (0600) and returns
// its path and public key.
func keyFile(t *testing.T, dir, name string) (path, public string) {
	t.Helper()
	k, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	path = filepath.Join(dir, name)
	body := "# public key: " + k.Recipient().String() + "\n" + k.String() + "\n"
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path, k.Recipient().String()
}

// sealedSetup is one source, one test server and the keys.
type sealedSetup struct {
	src, test         *testenv.MariaDB
	canary            string // a value only the source's rows hold
	pw                string // the source password file
	ops, escrow       string // identity files
	stranger          string // an identity the artifacts are not sealed to
	opsPub, escrowPub string
	recipients        string // recipients file: ops + escrow
}

func newSealedSetup(t *testing.T) *sealedSetup {
	t.Helper()
	s := &sealedSetup{src: testenv.StartMariaDB(t), test: testenv.StartMariaDB(t)}
	testenv.LoadSample(t, s.src, "REG1")
	s.src.CreateUser(t, "backupuser", sourcePassword, testenv.BackupGrants)
	nonce := make([]byte, 12)
	rand.Read(nonce)
	s.canary = "gd-canary-" + hex.EncodeToString(nonce)
	s.src.Exec(t, "CREATE TABLE keystone.gd_canary (id INT PRIMARY KEY, v VARCHAR(64)); INSERT INTO keystone.gd_canary VALUES (1, '"+s.canary+"')")

	dir := t.TempDir()
	s.pw = filepath.Join(dir, "pw")
	if err := os.WriteFile(s.pw, []byte(sourcePassword), 0o600); err != nil {
		t.Fatal(err)
	}
	s.ops, s.opsPub = keyFile(t, dir, "ops.key")
	s.escrow, s.escrowPub = keyFile(t, dir, "escrow.key")
	s.stranger, _ = keyFile(t, dir, "stranger.key")
	s.recipients = filepath.Join(dir, "recipients.txt")
	body := "# ops\n" + s.opsPub + "\n\n# escrow, kept offline\n" + s.escrowPub + "\n"
	if err := os.WriteFile(s.recipients, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return s
}

// config sets the environment for a run on spool and state; extra
// overrides ("" unsets).
func (s *sealedSetup) config(t *testing.T, spool, state string, extra map[string]string) *config.Config {
	t.Helper()
	vars := map[string]string{
		"GD_REGIONS": "REG1=" + s.src.Addr(), "GD_SOURCE_USER": "backupuser", "GD_SOURCE_PASSWORD_FILE": s.pw,
		"GD_TEST_SERVERS": s.test.Addr(), "GD_RESTORE_USER": "root",
		"GD_CHECK_DATABASES": "keystone,nova,neutron", "GD_CHECK_TABLES": "keystone.gd_canary",
		"GD_SHIP": "none", "GD_SPOOL_DIR": spool, "GD_STATE_DIR": state,
		"GD_MAX_DELIVER": "2", "GD_RETRY_DELAY": "50ms", "GD_ACK_WAIT": "5s",
		"GD_ENCRYPT": "", "GD_ENCRYPT_RECIPIENTS_FILE": "", "GD_DECRYPT_IDENTITY_FILE": "",
	}
	return loadConfig(t, vars, extra)
}

// TestSealedPipeline takes a sealed backup through every stage and then
// restores it with each recipient's key; a worker without a key, a
// stranger's key and a flipped byte are each stopped before the test server
// sees a statement.
func TestSealedPipeline(t *testing.T) {
	s := newSealedSetup(t)
	dir := t.TempDir()
	spool, state := filepath.Join(dir, "spool"), filepath.Join(dir, "state")
	// Shipped to a real S3 server: the bucket must hold ciphertext only.
	srv := testenv.StartS3(t)
	bucket := srv.CreateBucket(t, "sealed", false)
	s3secret := filepath.Join(dir, "s3.secret")
	if err := os.WriteFile(s3secret, []byte(srv.SecretKey), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := s.config(t, spool, state, map[string]string{
		"GD_ENCRYPT_RECIPIENTS_FILE": s.recipients, "GD_DECRYPT_IDENTITY_FILE": s.ops, "GD_COMPRESS": "zstd",
		"GD_SHIP": "s3", "GD_S3_ENDPOINT": srv.Endpoint, "GD_S3_BUCKET": bucket, "GD_S3_PATH_STYLE": "true",
		"GD_S3_ACCESS_KEY": srv.AccessKey, "GD_S3_SECRET_KEY_FILE": s3secret,
	})
	testDB := s.test.DB(t)
	users := accounts(t, testDB)

	g := once(t, cfg)["REG1"]
	if g.Outcome != report.OutcomeGood || g.RowsVerified == 0 {
		t.Fatalf("REG1 = %s at %s: %q; want good and verified", g.Outcome, g.Stage, g.Reason)
	}
	entries, err := (&store.Spool{Dir: spool}).List("REG1")
	if err != nil || len(entries) != 1 {
		t.Fatalf("spool: %d artifacts, %v", len(entries), err)
	}
	e := entries[0]
	if !strings.HasSuffix(e.Path, ".sql.zst.age") || e.Verified == nil {
		t.Fatalf("artifact %s (verified %v), want a verified .sql.zst.age", e.Path, e.Verified)
	}
	m := e.Manifest
	if m.Encryption == nil || !slices.Equal(m.Encryption.Recipients, []string{s.opsPub, s.escrowPub}) {
		t.Fatalf("manifest encryption %+v, want sealed to ops and escrow", m.Encryption)
	}
	stored, _ := os.ReadFile(e.Path)
	if sum := sha256.Sum256(stored); m.SHA256 != hex.EncodeToString(sum[:]) || m.Bytes != int64(len(stored)) {
		t.Error("manifest sha256/bytes are not the stored ciphertext's")
	}
	if m.RawSHA256 == "" || m.RawSHA256 == m.SHA256 {
		t.Errorf("manifest raw_sha256 %q: want the plaintext dump's hash", m.RawSHA256)
	}
	if hits := plaintextHits(t, s.canary, spool, state, srv.Root); len(hits) != 0 {
		t.Errorf("the canary row is readable in %v with encryption on", hits)
	}
	var shipped []string
	_ = filepath.WalkDir(srv.Root, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".sql.zst.age") {
			shipped = append(shipped, p)
		}
		return nil
	})
	if len(shipped) != 1 {
		t.Errorf("bucket holds %v, want the one sealed artifact", shipped)
	}
	assertTestServerClean(t, testDB, users)

	// The catalog names the recipients.
	backups, _, err := Catalog(context.Background(), cfg, catalog.Filter{Region: "REG1"})
	if err != nil || len(backups) != 1 || !slices.Equal(backups[0].Recipients, []string{s.opsPub, s.escrowPub}) {
		t.Fatalf("catalog: %v, %v; want one backup listing both recipients", backups, err)
	}

	t.Run("restore with either key", func(t *testing.T) {
		want := checksums(t, s.src.DB(t))
		for i, key := range []string{s.ops, s.escrow} {
			res, err := recoverWith(t, s, backups, key, i > 0)
			if err != nil || !res.OK() {
				t.Fatalf("%s: restore: %v", filepath.Base(key), err)
			}
			if got := checksums(t, testDB); !maps.Equal(got, want) {
				t.Errorf("%s: CHECKSUM TABLE differs from the source:\n got %v\nwant %v", filepath.Base(key), got, want)
			}
		}
		dropUserDatabases(t, testDB)
	})

	t.Run("restore with a stranger's key", func(t *testing.T) {
		before := statements(t, testDB)
		_, err := recoverWith(t, s, backups, s.stranger, true)
		if !errors.Is(err, seal.ErrNoIdentity) || !strings.Contains(err.Error(), "nothing was sent to the target") {
			t.Fatalf("err = %v, want ErrNoIdentity before the target", err)
		}
		if after := statements(t, testDB); after != before {
			t.Errorf("the target ran %d statements", after-before)
		}
	})

	t.Run("restore worker without identity", func(t *testing.T) {
		noKey := s.config(t, spool, state, map[string]string{"GD_ENCRYPT_RECIPIENTS_FILE": s.recipients})
		before := statements(t, testDB)
		g := verifyRegion(t, noKey, backups[0])
		if g.Outcome != report.OutcomeExcluded || g.Stage != job.StageRestore ||
			!strings.HasPrefix(g.Reason, "cannot decrypt: no identity matches the artifact's recipients") ||
			!strings.Contains(g.Reason, seal.Short(s.escrowPub)) {
			t.Fatalf("REG1 = %s at %s: %q; want excluded at restore: cannot decrypt, naming the recipients", g.Outcome, g.Stage, g.Reason)
		}
		if _, err := os.Stat(e.Path); err != nil {
			t.Errorf("the backup moved: %v", err)
		}
		if q, _ := os.ReadDir(filepath.Join(spool, "quarantine")); len(q) != 0 {
			t.Errorf("quarantine holds %d files, want none: a missing key is not a broken backup", len(q))
		}
		if after := statements(t, testDB); after != before {
			t.Errorf("the test server ran %d statements", after-before)
		}
		assertTestServerClean(t, testDB, users)
	})

	t.Run("flipped byte", func(t *testing.T) {
		b, _ := os.ReadFile(e.Path)
		b[len(b)*2/3] ^= 0x01
		if err := os.WriteFile(e.Path, b, 0o640); err != nil {
			t.Fatal(err)
		}
		before := statements(t, testDB)
		g := verifyRegion(t, cfg, backups[0])
		if g.Outcome != report.OutcomeExcluded || g.Stage != job.StageCheck || !strings.Contains(g.Reason, "sha256") {
			t.Fatalf("REG1 = %s at %s: %q; want excluded at check by the sha256", g.Outcome, g.Stage, g.Reason)
		}
		if after := statements(t, testDB); after != before {
			t.Errorf("the test server ran %d statements from a tampered backup", after-before)
		}
		assertTestServerClean(t, testDB, users)
	})
}

// TestPlaintextSpoolHoldsTheCanary is the control for the scan above:
// with GD_ENCRYPT=off the same scan finds the row.
func TestPlaintextSpoolHoldsTheCanary(t *testing.T) {
	s := newSealedSetup(t)
	dir := t.TempDir()
	spool, state := filepath.Join(dir, "spool"), filepath.Join(dir, "state")
	cfg := s.config(t, spool, state, map[string]string{"GD_ENCRYPT": "off", "GD_COMPRESS": "zstd"})
	if g := once(t, cfg)["REG1"]; g.Outcome != report.OutcomeGood {
		t.Fatalf("REG1 = %s at %s: %q", g.Outcome, g.Stage, g.Reason)
	}
	if hits := plaintextHits(t, s.canary, spool, state); len(hits) == 0 {
		t.Error("the scan did not find the canary in a plaintext spool: it cannot prove anything")
	}
	// And without GD_ENCRYPT=off, no recipients is a configuration error.
	noChoice := s.config(t, filepath.Join(dir, "spool2"), filepath.Join(dir, "state2"), nil)
	_, _, err := Once(context.Background(), noChoice, OnceOptions{}, quietLog())
	var ce *config.Error
	if !errors.As(err, &ce) || ce.Var != "GD_ENCRYPT_RECIPIENTS_FILE" {
		t.Errorf("Once without recipients or GD_ENCRYPT=off: %v, want a config error naming GD_ENCRYPT_RECIPIENTS_FILE", err)
	}
}

func recoverWith(t *testing.T, s *sealedSetup, backups []*catalog.Backup, identity string, force bool) (*recovery.Result, error) {
	t.Helper()
	ids, err := seal.LoadIdentities(identity)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	return recovery.Run(ctx, backups, nil, recovery.Options{
		Region: "REG1", Target: mysqlx.Credentials{Host: s.test.Host, Port: s.test.Port, User: "root"},
		Identities: ids, Force: force, WorkDir: t.TempDir(), Out: io.Discard,
	})
}

func verifyRegion(t *testing.T, cfg *config.Config, b *catalog.Backup) report.Region {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rep, _, err := Verify(ctx, cfg, b, VerifyOptions{}, quietLog())
	if err != nil || len(rep.Regions) != 1 {
		t.Fatalf("verify: %v (%v)", err, rep)
	}
	return rep.Regions[0]
}

// plaintextHits lists the files under dirs whose bytes, or whose
// gzip/zstd-decompressed bytes, contain needle.
func plaintextHits(t *testing.T, needle string, dirs ...string) []string {
	t.Helper()
	var hits []string
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !d.Type().IsRegular() {
				return err
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			if bytes.Contains(b, []byte(needle)) || bytes.Contains(decompressed(b), []byte(needle)) {
				hits = append(hits, p)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if len(hits) == 0 {
		// Make sure the scan looked at something.
		if n := countFiles(t, dirs[0]); n == 0 {
			t.Fatalf("nothing to scan in %s", dirs[0])
		}
	}
	return hits
}

func decompressed(b []byte) []byte {
	for _, algo := range []string{codec.Gzip, codec.Zstd} {
		zr, err := codec.NewReader(bytes.NewReader(b), algo)
		if err != nil {
			continue
		}
		out, _ := io.ReadAll(zr)
		zr.Close()
		if len(out) > 0 {
			return out
		}
	}
	return nil
}

func countFiles(t *testing.T, dir string) int {
	n := 0
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, _ error) error {
		if d != nil && !d.IsDir() {
			n++
		}
		return nil
	})
	return n
}

// checksums is CHECKSUM TABLE of every user base table.
func checksums(t *testing.T, db *sql.DB) map[string]int64 {
	t.Helper()
	rows, err := db.Query(`SELECT table_schema, table_name FROM information_schema.tables
		WHERE table_type = 'BASE TABLE' AND table_schema NOT IN ('mysql', 'sys', 'performance_schema', 'information_schema', ?)`, engine.LedgerSchema)
	if err != nil {
		t.Fatal(err)
	}
	var names [][2]string
	for rows.Next() {
		var n [2]string
		rows.Scan(&n[0], &n[1])
		names = append(names, n)
	}
	rows.Close()
	out := map[string]int64{}
	for _, n := range names {
		var name string
		var sum sql.NullInt64
		if err := db.QueryRow("CHECKSUM TABLE "+mysqlx.QuoteIdent(n[0])+"."+mysqlx.QuoteIdent(n[1])).Scan(&name, &sum); err != nil {
			t.Fatal(err)
		}
		out[n[0]+"."+n[1]] = sum.Int64
	}
	if len(out) == 0 {
		t.Fatal("no tables to checksum")
	}
	return out
}

// statements is the test server's count of CREATE DATABASE, CREATE TABLE
// and INSERT statements so far: unchanged means a restore sent nothing.
func statements(t *testing.T, db *sql.DB) int64 {
	t.Helper()
	rows, err := db.Query("SHOW GLOBAL STATUS WHERE Variable_name IN ('Com_create_db', 'Com_create_table', 'Com_insert')")
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var total int64
	for rows.Next() {
		var name string
		var n int64
		rows.Scan(&name, &n)
		total += n
	}
	return total
}

func dropUserDatabases(t *testing.T, db *sql.DB) {
	t.Helper()
	for _, name := range []string{"keystone", "nova", "neutron"} {
		if _, err := db.Exec("DROP DATABASE IF EXISTS " + mysqlx.QuoteIdent(name)); err != nil {
			t.Fatal(fmt.Errorf("drop %s: %w", name, err))
		}
	}
}
