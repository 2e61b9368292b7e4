// Package check is the stage that re-reads the stored artifact before anyone
// trusts it: its hash matches the manifest, it decompresses to the end, and
// the dump inside carries its header and "Dump completed" footer. An artifact
// that fails is moved to quarantine so it can never become a region's
// previous or latest backup.
//
// A sealed artifact is checked without a key: its hash (which catches any
// modified byte of the ciphertext before anyone decrypts it), its size and
// its age header. A worker that holds identities too (one process running
// every stage) decrypts and checks the dump inside as well.
package check

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"

	"gravedancer/internal/job"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/seal"
	"gravedancer/internal/store"
)

// Spool is what the stage needs of the store.
type Spool interface {
	Quarantine(path, reason string) (string, error)
}

// Stage verifies artifacts.
type Stage struct {
	Spool  Spool
	Logger *slog.Logger
	// Identities, when set, let the check decrypt sealed artifacts; nil
	// checks them as far as no key allows.
	Identities *seal.Identities
}

var _ pipeline.Stage = (*Stage)(nil)

// Name implements pipeline.Stage.
func (s *Stage) Name() string { return job.StageCheck }

// Handle verifies j's artifact in one pass over the file.
func (s *Stage) Handle(_ context.Context, j *job.Job) (*job.Job, error) {
	if j.Manifest == nil || j.Artifact == nil {
		return nil, pipeline.Exclude("%v: job reached check without an artifact and manifest", job.ErrMalformed)
	}
	err := store.VerifyWith(j.Artifact.Path, j.Manifest, s.Identities)
	if errors.Is(err, seal.ErrNoIdentity) {
		// Our keys do not open it: no fault of the artifact's. Check what
		// can be checked without them; the restore stage has its say.
		err = store.Verify(j.Artifact.Path, j.Manifest)
	}
	if err == nil && j.Artifact.ManifestPath != "" {
		// The manifest beside the artifact is what the catalog, retention
		// and restore read later: an artifact without it is not a backup.
		if _, serr := os.Stat(j.Artifact.ManifestPath); errors.Is(serr, os.ErrNotExist) {
			err = fmt.Errorf("%w: manifest %s is missing", store.ErrCorrupt, j.Artifact.ManifestPath)
		}
	}
	if err == nil {
		return j, nil
	}
	if !errors.Is(err, store.ErrCorrupt) {
		return nil, err // I/O trouble: retry
	}
	reason := "check failed: " + err.Error()
	q, qerr := s.Spool.Quarantine(j.Artifact.Path, reason)
	if qerr != nil {
		return nil, pipeline.Exclude("%s (and quarantine failed: %v)", reason, qerr)
	}
	if _, err := s.Spool.Quarantine(j.Artifact.ManifestPath, reason); err != nil {
		s.Logger.Warn("could not quarantine manifest", "region", j.Region, "run", j.Run, "err", err)
	}
	if q != "" {
		reason += "; quarantined as " + q
	}
	return nil, pipeline.Exclude("%s", reason)
}
