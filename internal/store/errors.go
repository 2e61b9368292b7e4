package store

import "errors"

var (
	// ErrNotFound is returned when no artifact matches.
	ErrNotFound = errors.New("not found")
	// ErrLocked is returned when another process holds the state directory.
	ErrLocked = errors.New("another gravedancer holds the lock")
	// ErrCorrupt marks an artifact that does not match its manifest.
	ErrCorrupt = errors.New("artifact does not match its manifest")
)
