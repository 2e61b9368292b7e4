package restore

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"

	"gravedancer/internal/job"
	"gravedancer/internal/pipeline"
	engine "gravedancer/internal/restore"
	"gravedancer/internal/seal"
	"gravedancer/internal/store"
)

// TestFailDecidesQuarantineOrRetry: a backup's own fault (bad SQL, a failed
// check) excludes and quarantines it; the test server's fault (down, bad
// credentials) is retried and leaves the backup alone.
func TestFailDecidesQuarantineOrRetry(t *testing.T) {
	cases := []struct {
		name       string
		err        error
		quarantine bool
		want       string
	}{
		{"syntax error in the dump", &engine.LoadError{Tool: "mariadb", ExitCode: 1, Stderr: "ERROR 1064 (42000) at line 25: You have an error"}, true, "ERROR 1064"},
		{"failed check", &engine.CheckError{Reason: "table nova.instances: dump had 1000 rows, restored 999"}, true, "restored 999"},
		{"test server down", &engine.LoadError{Tool: "mariadb", ExitCode: 1, Stderr: "ERROR 2002 (HY000): Can't connect"}, false, "Can't connect"},
		{"restore user lacks a grant", &engine.LoadError{Tool: "mariadb", ExitCode: 1, Stderr: "ERROR 1227 (42000) at line 3: Access denied"}, false, "1227"},
		{"connection error", errors.New("connect: dial tcp: connection refused"), false, "connection refused"},
		{"engine: syntax error", &engine.LoadError{ExitCode: -1, Code: 1064, At: &engine.Position{Line: 9, Offset: 400, Database: "nova", Table: "t"},
			Err: errors.New("statement at line 9 (byte 400) of table nova.t: Error 1064 (42000): syntax")}, true, "line 9 (byte 400) of table nova.t"},
		{"engine: access denied", &engine.LoadError{ExitCode: -1, Code: 1045, Err: errors.New("connect to test server: Error 1045")}, false, "1045"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sp := &store.Spool{Dir: t.TempDir()}
			p := sp.ArtifactPath("R", time.Now(), "gzip")
			os.MkdirAll(filepath.Dir(p), 0o755)
			os.WriteFile(p, []byte("x"), 0o640)
			os.WriteFile(store.ManifestPath(p), []byte("{}"), 0o640)
			s := &Stage{Spool: sp, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
			err := s.fail(&job.Job{Region: "R", Artifact: &job.Artifact{Path: p}}, "db1:3306", c.err)
			reason, excluded := pipeline.IsExclude(err)
			if excluded != c.quarantine || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v (exclude %v), want exclude %v containing %q", err, excluded, c.quarantine, c.want)
			}
			_, statErr := os.Stat(p)
			if c.quarantine != os.IsNotExist(statErr) {
				t.Errorf("artifact in place = %v, want quarantined = %v", statErr == nil, c.quarantine)
			}
			if c.quarantine && !strings.Contains(reason, "quarantined as") {
				t.Errorf("reason %q does not say where the backup went", reason)
			}
		})
	}
}

func TestRestoreRefusesJobWithoutArtifact(t *testing.T) {
	s := &Stage{Logger: slog.Default()}
	if _, err := s.Handle(t.Context(), &job.Job{Region: "R"}); err == nil {
		t.Fatal("accepted a job without artifact")
	} else if _, ok := pipeline.IsExclude(err); !ok {
		t.Errorf("err = %v, want exclusion", err)
	}
}

func TestUnionSkipsSystemSchemas(t *testing.T) {
	got := union([]string{"nova", "mysql"}, []string{"nova", "keystone", "SYS"})
	if strings.Join(got, ",") != "nova,keystone" {
		t.Errorf("union = %v", got)
	}
}

// fakeLoader is a Loader that returns what it is told and counts calls.
type fakeLoader struct {
	res   *engine.LoadResult
	err   error
	calls int
}

func (f *fakeLoader) Load(context.Context, string, string, engine.Target, engine.LoadOptions) (*engine.LoadResult, error) {
	f.calls++
	return f.res, f.err
}

// TestLoadFallsBackToClient: only a dump the engine declines goes to the
// client, with the reason kept; any other engine failure is the answer.
func TestLoadFallsBackToClient(t *testing.T) {
	declined := fmt.Errorf("%w: no dump header", engine.ErrEngineUnsupported)
	clientRes := &engine.LoadResult{Method: engine.MethodClient}
	cases := []struct {
		name         string
		engineErr    error
		fallback     bool
		wantCalls    int
		wantErr      error
		wantFallback string
	}{
		{"declined", declined, true, 1, nil, "no dump header"},
		{"declined, no client configured", declined, false, 0, engine.ErrEngineUnsupported, ""},
		{"failed", &engine.LoadError{Code: 1064}, true, 0, nil, ""},
		{"loaded", nil, true, 0, nil, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var logs strings.Builder
			client := &fakeLoader{res: clientRes}
			s := &Stage{Loader: &fakeLoader{res: &engine.LoadResult{Method: engine.MethodEngine}, err: c.engineErr},
				Logger: slog.New(slog.NewTextHandler(&logs, nil))}
			if c.fallback {
				s.Fallback = client
			}
			res, fallback, err := s.load(t.Context(), &job.Job{Region: "R", Run: "r1", Artifact: &job.Artifact{Path: "a", Compression: "gzip"}}, engine.Target{}, engine.LoadOptions{})
			if client.calls != c.wantCalls {
				t.Errorf("client loads = %d, want %d", client.calls, c.wantCalls)
			}
			switch {
			case c.wantErr != nil && !errors.Is(err, c.wantErr):
				t.Errorf("err = %v, want %v", err, c.wantErr)
			case c.wantErr == nil && c.wantCalls == 1 && (err != nil || res != clientRes):
				t.Errorf("got %v, %v; want the client's result", res, err)
			}
			if !strings.Contains(fallback, c.wantFallback) || (c.wantFallback == "") != (fallback == "") {
				t.Errorf("fallback = %q, want %q", fallback, c.wantFallback)
			}
			if logged := strings.Contains(logs.String(), "loading it with the client"); logged != (c.wantCalls == 1) {
				t.Errorf("warning logged = %v:\n%s", logged, logs.String())
			}
		})
	}
}

// TestNoIdentityExcludesWithoutQuarantine: a worker without the right key
// is a configuration fault; the backup stays in place.
func TestNoIdentityExcludesWithoutQuarantine(t *testing.T) {
	sp := &store.Spool{Dir: t.TempDir()}
	p := sp.SealedArtifactPath("R", time.Now(), "gzip")
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, []byte("age-encryption.org/v1\n"), 0o640)
	s := &Stage{Spool: sp, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	j := &job.Job{Region: "R", Artifact: &job.Artifact{Path: p},
		Manifest: &job.Manifest{Encryption: &job.Encryption{Scheme: "age", Recipients: []string{"age1qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqq"}}}}
	err := s.fail(j, "db1:3306", fmt.Errorf("restore %s: %w (this host holds age1x…)", p, seal.ErrNoIdentity))
	reason, excluded := pipeline.IsExclude(err)
	if !excluded || !strings.HasPrefix(reason, "cannot decrypt: no identity matches the artifact's recipients") ||
		!strings.Contains(reason, "not quarantined") || !strings.Contains(reason, "age1qqqqqqqq") {
		t.Fatalf("err = %v, want an exclusion saying it cannot decrypt", err)
	}
	if _, err := os.Stat(p); err != nil {
		t.Errorf("artifact moved: %v", err)
	}
}

// TestSealedArtifactChangedSinceCheck: a sealed artifact modified after the
// check stage is caught by its sha256 before a test server is leased (the
// stage has no Leases here: reaching Acquire would panic).
func TestSealedArtifactChangedSinceCheck(t *testing.T) {
	sp := &store.Spool{Dir: t.TempDir()}
	p := sp.SealedArtifactPath("R", time.Now(), "gzip")
	os.MkdirAll(filepath.Dir(p), 0o755)
	key, _ := age.GenerateX25519Identity()
	rs, _ := seal.ParseRecipients(strings.NewReader(key.Recipient().String()))
	ids, _ := seal.ParseIdentities(strings.NewReader(key.String()))
	var buf bytes.Buffer
	w, _ := seal.Encrypt(&buf, rs)
	w.Write(bytes.Repeat([]byte("x"), 200<<10))
	w.Close()
	b := buf.Bytes()
	sum := sha256.Sum256(b)
	b[len(b)-100] ^= 1 // in the last chunk: age alone would find it last
	os.WriteFile(p, b, 0o640)
	s := &Stage{Spool: sp, Identities: ids, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	j := &job.Job{Region: "R", Artifact: &job.Artifact{Path: p, Compression: "gzip"},
		Manifest: &job.Manifest{Compression: "gzip", Bytes: int64(len(b)), SHA256: hex.EncodeToString(sum[:]),
			Encryption: &job.Encryption{Scheme: "age", Recipients: rs.Keys()}}}
	_, err := s.Handle(t.Context(), j)
	reason, excluded := pipeline.IsExclude(err)
	if !excluded || !strings.Contains(reason, "before restore") || !strings.Contains(reason, "sha256") || !strings.Contains(reason, "quarantined as") {
		t.Fatalf("err = %v, want exclusion naming the sha256, quarantined", err)
	}
}
