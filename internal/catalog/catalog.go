// Package catalog answers "which backups do we have, and which can I trust?"
// It joins what the service already wrote down — the spool's artifacts with
// their manifests and sidecars, the quarantine, the latest pointers, the run
// reports — with what the ship targets that can be listed hold. It never
// re-reads a dump: every fact comes from a manifest or a report.
package catalog

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"gravedancer/internal/job"
	"gravedancer/internal/report"
	"gravedancer/internal/ship"
	"gravedancer/internal/store"
)

// Backup is one artifact, wherever its copies are.
type Backup struct {
	Region      string              `json:"region"`
	File        string              `json:"file"` // artifact base name, the key across copies
	Time        time.Time           `json:"time"` // when the dump was taken
	Bytes       int64               `json:"bytes"`
	RawBytes    int64               `json:"raw_bytes,omitempty"`
	Rows        int64               `json:"rows,omitempty"`
	SHA256      string              `json:"sha256,omitempty"`
	Compression string              `json:"compression,omitempty"`
	Binlog      *job.BinlogPosition `json:"binlog,omitempty"`
	// Recipients are the public keys a sealed backup is encrypted to
	// (any one's private key restores it); empty for plaintext.
	Recipients  []string      `json:"recipients,omitempty"`
	Local       string        `json:"local,omitempty"`       // spool path; "" once pruned
	Quarantined string        `json:"quarantined,omitempty"` // quarantine path of a backup that failed
	Reason      string        `json:"reason,omitempty"`      // why it was quarantined
	Verified    *Verification `json:"verified,omitempty"`    // nil: never proved to restore
	Copies      []Copy        `json:"copies,omitempty"`      // ship targets holding it
	Latest      bool          `json:"latest,omitempty"`
	Audit       *Audit        `json:"audit,omitempty"` // newest on-demand verify

	Manifest *job.Manifest `json:"-"`
}

// Verification is the newest restore test that passed.
type Verification struct {
	Run          string    `json:"run"`
	At           time.Time `json:"at"`
	TestServer   string    `json:"test_server,omitempty"`
	RowsVerified int64     `json:"rows_verified"`
}

// Copy is one ship target's copy.
type Copy struct {
	Target   string    `json:"target"`
	Location string    `json:"location"`
	At       time.Time `json:"at,omitzero"`
	// Listed says the target was asked just now and holds it; otherwise the
	// copy is known from the shipping record alone.
	Listed bool `json:"listed,omitempty"`
}

// Audit is the outcome of the newest `gravedancer verify` of a backup.
type Audit struct {
	Run     string    `json:"run"`
	At      time.Time `json:"at"`
	Outcome string    `json:"outcome"` // good | excluded
	Reason  string    `json:"reason,omitempty"`
}

// Trusted says the backup may be restored without --artifact: it passed a
// restore test, is not quarantined and its last audit did not fail.
func (b *Backup) Trusted() bool {
	return b.Verified != nil && b.Quarantined == "" && (b.Audit == nil || b.Audit.Outcome == report.OutcomeGood)
}

// Lister is a ship target that can say what it holds.
type Lister interface {
	Name() string
	List(ctx context.Context, region string) ([]ship.Remote, error)
}

// Filter narrows a listing.
type Filter struct {
	Region string    // "" = every region
	Since  time.Time // zero = all time
}

// Build lists every backup the filter admits, oldest first per region. A
// target that cannot be listed does not hide the rest: its error is
// returned beside the listing, which then lacks that target's copies.
func Build(ctx context.Context, spool *store.Spool, targets []Lister, f Filter) ([]*Backup, []error, error) {
	c := &collector{byKey: map[string]*Backup{}}
	entries, err := spool.List(f.Region)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range entries {
		c.spoolEntry(e)
	}
	if err := c.quarantine(spool, f.Region); err != nil {
		return nil, nil, err
	}
	var warnings []error
	for _, t := range targets {
		remotes, err := t.List(ctx, f.Region)
		if err != nil {
			warnings = append(warnings, fmt.Errorf("list %s: %w", t.Name(), err))
			continue
		}
		for _, r := range remotes {
			c.remote(r)
		}
	}
	runs, err := report.List(spool)
	if err != nil {
		warnings = append(warnings, fmt.Errorf("run reports: %w", err))
	}
	c.reports(runs)
	c.latest(spool)
	return c.result(f), warnings, nil
}

type collector struct {
	byKey map[string]*Backup
}

func (c *collector) get(region, file string, t time.Time) *Backup {
	b := c.byKey[file]
	if b == nil {
		b = &Backup{Region: region, File: file, Time: t}
		c.byKey[file] = b
	}
	return b
}

// describe fills what the manifest says, once.
func (b *Backup) describe(m *job.Manifest) {
	if m == nil || b.Manifest != nil {
		return
	}
	b.Manifest = m
	b.Bytes, b.RawBytes, b.Rows = m.Bytes, m.RawBytes, m.Rows()
	b.SHA256, b.Compression, b.Binlog = m.SHA256, m.Compression, m.Binlog
	if m.Sealed() {
		b.Recipients = append([]string(nil), m.Encryption.Recipients...)
	}
}

func (c *collector) spoolEntry(e store.Entry) {
	b := c.get(e.Region, filepath.Base(e.Path), e.Time)
	b.Local = e.Path
	b.describe(e.Manifest)
	if b.Bytes == 0 {
		if fi, err := os.Stat(e.Path); err == nil {
			b.Bytes = fi.Size()
		}
	}
	if v := e.Verified; v != nil {
		b.Verified = &Verification{Run: v.Run, At: v.At, TestServer: v.TestServer, RowsVerified: v.RowsVerified}
	}
	if e.Shipped != nil {
		for _, s := range e.Shipped.Shipments {
			b.addCopy(Copy{Target: s.Target, Location: s.Location, At: s.At})
		}
	}
}

// addCopy records a copy once per target, a listing confirming a record.
func (b *Backup) addCopy(cp Copy) {
	for i, have := range b.Copies {
		if have.Target == cp.Target {
			b.Copies[i].Listed = have.Listed || cp.Listed
			if b.Copies[i].Location == "" {
				b.Copies[i].Location = cp.Location
			}
			return
		}
	}
	b.Copies = append(b.Copies, cp)
}

func (c *collector) quarantine(spool *store.Spool, region string) error {
	files, err := os.ReadDir(spool.QuarantineDir())
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("list quarantine: %w", err)
	}
	for _, f := range files {
		r, t, ok := store.ParseName(f.Name())
		if !ok || (region != "" && r != region) {
			continue
		}
		p := filepath.Join(spool.QuarantineDir(), f.Name())
		b := c.get(r, f.Name(), t)
		b.Quarantined = p
		if reason, err := os.ReadFile(p + ".reason"); err == nil {
			b.Reason = firstLine(string(reason))
		}
		if data, err := os.ReadFile(store.ManifestPath(p)); err == nil {
			if m, err := job.DecodeManifest(data); err == nil {
				b.describe(m)
			}
		}
		if b.Bytes == 0 {
			if fi, err := f.Info(); err == nil {
				b.Bytes = fi.Size()
			}
		}
	}
	return nil
}

func (c *collector) remote(r ship.Remote) {
	file := filepath.Base(r.Location)
	if r.Manifest != nil && r.Manifest.File != "" {
		file = r.Manifest.File
	}
	b := c.get(r.Region, file, r.Time)
	b.describe(r.Manifest)
	if b.Bytes == 0 && r.Bytes > 0 {
		b.Bytes = r.Bytes
	}
	b.addCopy(Copy{Target: r.Target, Location: r.Location, Listed: true})
}

// reports adds what run reports remember of backups whose sidecars are
// gone with the local copy, and the outcome of on-demand verifies.
func (c *collector) reports(runs []*report.Report) {
	// Oldest first, so the newest fact wins.
	sort.Slice(runs, func(i, j int) bool { return runs[i].Finished.Before(runs[j].Finished) })
	for _, r := range runs {
		for _, g := range r.Regions {
			if g.Artifact == "" {
				continue
			}
			b := c.byKey[filepath.Base(g.Artifact)]
			if b == nil {
				continue
			}
			if IsVerifyRun(r.Run) {
				b.Audit = &Audit{Run: r.Run, At: r.Finished, Outcome: g.Outcome, Reason: firstLine(g.Reason)}
			}
			if g.Outcome == report.OutcomeGood && g.TestServer != "" && (b.Verified == nil || b.Verified.At.Before(r.Finished)) && !hasSidecar(b) {
				b.Verified = &Verification{Run: r.Run, At: r.Finished, TestServer: g.TestServer, RowsVerified: g.RowsVerified}
			}
			if b.Local == "" && g.Outcome == report.OutcomeGood {
				for _, t := range g.ShippedTo {
					b.addCopy(Copy{Target: t, Location: g.Artifact})
				}
			}
		}
	}
}

// hasSidecar: the spool's verified.json, when present, is the record.
func hasSidecar(b *Backup) bool {
	if b.Local == "" {
		return false
	}
	_, err := os.Stat(store.VerifiedPath(b.Local))
	return err == nil
}

func (c *collector) latest(spool *store.Spool) {
	seen := map[string]bool{}
	for _, b := range c.byKey {
		if seen[b.Region] {
			continue
		}
		seen[b.Region] = true
		if l, err := spool.GetLatest(b.Region); err == nil {
			if lb := c.byKey[filepath.Base(l.Path)]; lb != nil {
				lb.Latest = true
			}
		}
	}
}

func (c *collector) result(f Filter) []*Backup {
	var out []*Backup
	for _, b := range c.byKey {
		if f.Region != "" && b.Region != f.Region {
			continue
		}
		if !f.Since.IsZero() && b.Time.Before(f.Since) {
			continue
		}
		out = append(out, b)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Region != out[j].Region {
			return out[i].Region < out[j].Region
		}
		return out[i].Time.Before(out[j].Time)
	})
	return out
}

// VerifyRunPrefix starts the run id of an on-demand verify.
const VerifyRunPrefix = "verify-"

// IsVerifyRun says whether a run re-proved an existing backup.
func IsVerifyRun(run string) bool { return strings.HasPrefix(run, VerifyRunPrefix) }

func firstLine(s string) string {
	line, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return line
}
