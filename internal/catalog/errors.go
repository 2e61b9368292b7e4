package catalog

import "errors"

// ErrNoBackup is returned when no backup matches what was asked for.
var ErrNoBackup = errors.New("no such backup")
