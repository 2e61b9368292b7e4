package recovery

import "errors"

// Sentinels a caller maps to exit codes and advice.
var (
	// ErrUsage is a request that cannot be honoured as asked.
	ErrUsage = errors.New("invalid restore request")
	// ErrCorrupt: the artifact does not match its manifest; the target was not touched.
	ErrCorrupt = errors.New("backup failed its check")
	// ErrUnavailable: neither the spool nor any ship target could provide the file.
	ErrUnavailable = errors.New("backup not available")
	// ErrTarget: the target server refused or could not be reached.
	ErrTarget = errors.New("target server")
	// ErrTargetExists: a database to restore exists on the target and --force was not given.
	ErrTargetExists = errors.New("refusing to overwrite")
	// ErrRowsDiffer: the restore ran but some table's rows differ from the manifest.
	ErrRowsDiffer = errors.New("restored rows differ from the manifest")
)
