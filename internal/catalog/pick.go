package catalog

import (
	"fmt"
	"path/filepath"
	"time"
)

// Pick returns region's newest trusted backup taken at or before at (the
// newest of all when at is zero). Untrusted ones — never verified,
// quarantined, or failed their last audit — are passed over: a restore
// should not find out at 3 a.m. what the restore test already knew.
func Pick(backups []*Backup, region string, at time.Time) (*Backup, error) {
	var best, skipped *Backup
	for _, b := range backups {
		if b.Region != region || (!at.IsZero() && b.Time.After(at)) {
			continue
		}
		if !b.Trusted() {
			if skipped == nil || b.Time.After(skipped.Time) {
				skipped = b
			}
			continue
		}
		if best == nil || b.Time.After(best.Time) {
			best = b
		}
	}
	if best != nil {
		return best, nil
	}
	when := "latest"
	if !at.IsZero() {
		when = "at or before " + at.Local().Format(time.DateTime)
	}
	if skipped != nil {
		return nil, fmt.Errorf("%w: region %s has no verified backup %s (newest untrusted: %s; name it with --artifact to restore it anyway)",
			ErrNoBackup, region, when, skipped.File)
	}
	return nil, fmt.Errorf("%w: region %s has no backup %s", ErrNoBackup, region, when)
}

// Find returns the backup an --artifact names, by path or base name.
func Find(backups []*Backup, artifact string) (*Backup, error) {
	name := filepath.Base(artifact)
	for _, b := range backups {
		if b.File == name {
			return b, nil
		}
	}
	return nil, fmt.Errorf("%w: %s is not in the catalog (spool, quarantine or a listed ship target)", ErrNoBackup, name)
}
