package store

// ArtifactStore is everything the pipeline asks of the place backups live.
// Spool, a directory (local or a shared NFS mount), is the implementation
// today; an object store can implement the same contract. Stages depend on
// narrower slices of it.
type ArtifactStore interface {
	// List returns region's committed artifacts ("" = all regions), oldest
	// first, with whatever manifest and sidecars are readable. Never lists
	// temp or quarantined files. No artifacts is an empty list, not an error.
	List(region string) ([]Entry, error)
	// Previous returns region's newest verified artifact other than
	// exclude (or, before any was verified, its newest one); ErrNotFound if
	// there is none.
	Previous(region, exclude string) (*Entry, error)
	// FindRun returns region's committed artifact of run; ErrNotFound if
	// none. Lets a redelivered dump reuse its artifact instead of dumping twice.
	FindRun(region, run string) (*Entry, error)
	// Quarantine moves one file aside with the reason beside it and returns
	// its new name. A missing file is not an error (returns ""). Idempotent.
	Quarantine(path, reason string) (string, error)
	// SetLatest points region's latest at an artifact, replacing the old
	// pointer atomically. GetLatest returns it, or ErrNotFound.
	SetLatest(l Latest) error
	GetLatest(region string) (*Latest, error)
	// Prune deletes what decisions say, plus expired litter; it never
	// deletes what latest names, nor anything it did not write.
	Prune(region string, decisions []PruneDecision, opt PruneOptions) (*PruneResult, error)
}

var _ ArtifactStore = (*Spool)(nil)
