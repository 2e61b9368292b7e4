package pipeline

import (
	"errors"
	"fmt"
)

// ExcludeError removes a region from the run: the job goes to the DLQ with
// Reason and is never retried. Stages return it for failures that another
// attempt cannot fix (a corrupt artifact, a failed check, bad credentials).
type ExcludeError struct {
	Reason string
}

func (e *ExcludeError) Error() string { return "excluded: " + e.Reason }

// Exclude returns an *ExcludeError with a formatted reason.
func Exclude(format string, args ...any) error {
	return &ExcludeError{Reason: fmt.Sprintf(format, args...)}
}

// IsExclude reports whether err asks for exclusion, and its reason.
func IsExclude(err error) (string, bool) {
	var ex *ExcludeError
	if errors.As(err, &ex) {
		return ex.Reason, true
	}
	return "", false
}

var (
	// ErrUnknownRegion is returned when a trigger names a region that is not configured.
	ErrUnknownRegion = errors.New("unknown region")
	// ErrNoEntry is returned when a DLQ sequence does not exist.
	ErrNoEntry = errors.New("no such DLQ entry")
)
