package seal

import "errors"

// Sentinels callers test with errors.Is.
var (
	// ErrNoIdentity is wrapped when none of the identities given can open
	// an artifact (or none was given): a fault of the reader's keys, never
	// of the artifact.
	ErrNoIdentity = errors.New("cannot decrypt: no identity matches the artifact's recipients")
	// ErrNoRecipients is wrapped when a recipients file names nobody.
	ErrNoRecipients = errors.New("no recipients")
	// ErrFileMode is wrapped when an identities file can be read or written
	// by group or others.
	ErrFileMode = errors.New("identities file is accessible by group or others")
	// ErrNotSealed is wrapped when a file said to be sealed does not start
	// with an age header.
	ErrNotSealed = errors.New("not an age-encrypted file")
)
