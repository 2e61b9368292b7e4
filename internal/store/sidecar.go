package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Sidecars record facts learned about an artifact after it was written. The
// artifact and its manifest never change; each later fact is its own small
// file, written once, atomically, beside them:
//
//	<stem>.verified.json   the restore test passed (written by the restore stage)
//	<stem>.shipped.json    where it was shipped (written by the ship stage)
const (
	verifiedSuffix = ".verified.json"
	shippedSuffix  = ".shipped.json"
)

// Verification is what the restore test proved.
type Verification struct {
	Run          string    `json:"run"`
	At           time.Time `json:"at"`
	TestServer   string    `json:"test_server"`
	Mode         string    `json:"mode"` // all | checked | off
	Databases    int       `json:"databases"`
	Tables       int       `json:"tables"`
	RowsVerified int64     `json:"rows_verified"`
	Duration     string    `json:"duration"`
}

// Shipment is one target that holds a copy.
type Shipment struct {
	Target   string    `json:"target"`   // netbackup | scp | dir
	Location string    `json:"location"` // where, in the target's terms
	At       time.Time `json:"at"`
}

// Shipping lists every target an artifact reached.
type Shipping struct {
	Run       string     `json:"run"`
	Shipments []Shipment `json:"shipments"`
}

func stem(artifact string) string {
	for _, ext := range artifactExts {
		if st, ok := strings.CutSuffix(artifact, ext); ok {
			return st
		}
	}
	return artifact
}

// VerifiedPath is the verification sidecar of an artifact.
func VerifiedPath(artifact string) string { return stem(artifact) + verifiedSuffix }

// ShippedPath is the shipping sidecar of an artifact.
func ShippedPath(artifact string) string { return stem(artifact) + shippedSuffix }

// Sidecars lists every file that belongs to an artifact, the artifact first.
func Sidecars(artifact string) []string {
	return []string{artifact, ManifestPath(artifact), VerifiedPath(artifact), ShippedPath(artifact)}
}

// MarkVerified records a passed restore test.
func MarkVerified(artifact string, v Verification) error {
	return writeJSON(VerifiedPath(artifact), v)
}

// MarkShipped records the targets an artifact reached.
func MarkShipped(artifact string, s Shipping) error {
	return writeJSON(ShippedPath(artifact), s)
}

func writeJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return WriteFileAtomic(path, append(b, '\n'), 0o640)
}

func readJSON[T any](path string) (*T, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var v T
	if err := json.Unmarshal(b, &v); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Base(path), err)
	}
	return &v, nil
}

// Latest is the pointer to a region's newest verified backup: what the old
// script marked with a last_ prefix, without renaming anything.
type Latest struct {
	Region   string    `json:"region"`
	Path     string    `json:"path"`
	Manifest string    `json:"manifest"`
	SHA256   string    `json:"sha256"`
	Run      string    `json:"run"`
	At       time.Time `json:"at"`
}

// LatestDir holds <REGION>.json pointers and <REGION> symlinks.
func (s *Spool) LatestDir() string { return filepath.Join(s.Dir, "latest") }

// SetLatest points region's latest at l: a JSON file for programs and a
// relative symlink for people (`zcat latest/REG1 | …`). Both are replaced
// atomically.
func (s *Spool) SetLatest(l Latest) error {
	if err := writeJSON(filepath.Join(s.LatestDir(), l.Region+".json"), l); err != nil {
		return err
	}
	rel, err := filepath.Rel(s.LatestDir(), l.Path)
	if err != nil {
		return fmt.Errorf("latest %s: %w", l.Region, err)
	}
	link := filepath.Join(s.LatestDir(), l.Region)
	tmp := filepath.Join(s.LatestDir(), tmpPrefix+l.Region+".link")
	_ = os.Remove(tmp)
	if err := os.Symlink(rel, tmp); err != nil {
		return fmt.Errorf("latest %s: %w", l.Region, err)
	}
	if err := os.Rename(tmp, link); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("latest %s: %w", l.Region, err)
	}
	return syncDir(s.LatestDir())
}

// GetLatest returns region's pointer, or ErrNotFound.
func (s *Spool) GetLatest(region string) (*Latest, error) {
	l, err := readJSON[Latest](filepath.Join(s.LatestDir(), region+".json"))
	if err != nil {
		return nil, err
	}
	if l == nil {
		return nil, ErrNotFound
	}
	return l, nil
}
