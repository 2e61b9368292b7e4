package restore

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gravedancer/internal/job"
	"gravedancer/internal/pipeline"
	engine "gravedancer/internal/restore"
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
