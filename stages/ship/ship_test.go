package ship

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"gravedancer/internal/job"
	"gravedancer/internal/ship"
	"gravedancer/internal/store"
)

type failing struct{}

func (failing) Name() string { return "tape" }
func (failing) Ship(context.Context, ship.Artifact) (ship.Receipt, error) {
	return ship.Receipt{}, errors.New("tape library offline")
}

func verifiedJob(t *testing.T) *job.Job {
	t.Helper()
	sp := &store.Spool{Dir: t.TempDir()}
	p := sp.ArtifactPath("R", time.Now(), "gzip")
	os.MkdirAll(filepath.Dir(p), 0o755)
	os.WriteFile(p, []byte("dump bytes"), 0o640)
	os.WriteFile(store.ManifestPath(p), []byte("{}"), 0o640)
	return &job.Job{Region: "R", Run: "r", Restore: &job.Restore{},
		Manifest: &job.Manifest{Started: time.Now()},
		Artifact: &job.Artifact{Path: p, ManifestPath: store.ManifestPath(p),
			SHA256: "9c5b1d3b4b1b0b8b5fbf1fb2f04b4c5a7b3b4cd3e7f7a8c6b1e4d1b0a6c9e3f1", Bytes: 10}}
}

func TestShipFailureIsRetriedAndKeepsLocalCopy(t *testing.T) {
	j := verifiedJob(t)
	s := &Stage{Shippers: []ship.Shipper{failing{}}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	_, err := s.Handle(context.Background(), j)
	if err == nil || !strings.Contains(err.Error(), "tape library offline") || !strings.Contains(err.Error(), "local verified copy kept") {
		t.Fatalf("err = %v", err)
	}
	if _, err := os.Stat(j.Artifact.Path); err != nil {
		t.Errorf("local copy gone: %v", err)
	}
	if _, err := os.Stat(store.ShippedPath(j.Artifact.Path)); !os.IsNotExist(err) {
		t.Errorf("a failed ship was recorded as shipped")
	}
}

func TestNoTargetsShipsNothing(t *testing.T) {
	j := verifiedJob(t)
	out, err := (&Stage{Logger: slog.Default()}).Handle(context.Background(), j)
	if err != nil || len(out.Shipped) != 0 {
		t.Fatalf("GD_SHIP=none: %v %+v", err, out.Shipped)
	}
}

func TestUnverifiedJobIsRefused(t *testing.T) {
	j := verifiedJob(t)
	j.Restore = nil
	if _, err := (&Stage{Logger: slog.Default()}).Handle(context.Background(), j); err == nil {
		t.Fatal("shipped an unverified backup")
	}
}
