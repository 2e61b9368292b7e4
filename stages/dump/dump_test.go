package dump

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"gravedancer/internal/config"
	"gravedancer/internal/dumper"
	"gravedancer/internal/job"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/store"
)

type dumpFunc func(src dumper.Source) (*job.Artifact, *job.Manifest, error)

func (f dumpFunc) Dump(_ context.Context, src dumper.Source, _ string) (*job.Artifact, *job.Manifest, error) {
	return f(src)
}

func TestDumpDecidesRetryOrExclude(t *testing.T) {
	regions := config.RegionList{{Name: "R", Host: "h", Port: 1, User: "u", Password: "p"}}
	cases := []struct {
		name      string
		err       error
		region    string
		wantRetry bool
		wantEx    string
	}{
		{"transient connection error retries", &dumper.Error{Region: "R", Transient: true, Stderr: "Can't connect"}, "R", true, ""},
		{"access denied excludes", &dumper.Error{Region: "R", ExitCode: 2, Stderr: "Got error: 1045: Access denied"}, "R", false, "Access denied"},
		{"other error excludes", errors.New("disk full writing x"), "R", false, "disk full"},
		{"unknown region excludes", nil, "Q", false, "not configured"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := &Stage{Regions: regions, Spool: &store.Spool{Dir: t.TempDir()}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
				Dumper: dumpFunc(func(src dumper.Source) (*job.Artifact, *job.Manifest, error) {
					if src.Password.Reveal() != "p" || src.User != "u" {
						t.Errorf("source = %+v", src)
					}
					return nil, nil, c.err
				})}
			_, err := s.Handle(context.Background(), &job.Job{Region: c.region, Run: "r"})
			reason, ex := pipeline.IsExclude(err)
			if c.wantRetry && (err == nil || ex) {
				t.Errorf("err = %v, want a retryable error", err)
			}
			if !c.wantRetry && (!ex || !strings.Contains(reason, c.wantEx)) {
				t.Errorf("err = %v, want exclusion containing %q", err, c.wantEx)
			}
		})
	}
}

func TestRedeliveredDumpReusesCommittedArtifact(t *testing.T) {
	sp := &store.Spool{Dir: t.TempDir()}
	p := sp.ArtifactPath("R", time.Now(), "gzip")
	tf, _ := store.CreateTemp(p)
	tf.WriteString("x")
	tf.Commit()
	store.WriteFileAtomic(store.ManifestPath(p), job.EncodeManifest(&job.Manifest{V: job.Version, Run: "r1", Region: "R", SHA256: "s", Bytes: 1, Compression: "gzip"}), 0o640)
	calls := 0
	s := &Stage{Regions: config.RegionList{{Name: "R"}}, Spool: sp, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Dumper: dumpFunc(func(dumper.Source) (*job.Artifact, *job.Manifest, error) { calls++; return nil, nil, errors.New("x") })}
	j, err := s.Handle(context.Background(), &job.Job{Region: "R", Run: "r1"})
	if err != nil || calls != 0 || j.Artifact.Path != p || j.Artifact.SHA256 != "s" {
		t.Fatalf("reuse: calls=%d err=%v job=%+v", calls, err, j)
	}
	if _, err := s.Handle(context.Background(), &job.Job{Region: "R", Run: "r2"}); calls != 1 || err == nil {
		t.Errorf("another run must dump: calls=%d err=%v", calls, err)
	}
}
