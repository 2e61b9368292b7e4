package metrics

import (
	"strings"

	"gravedancer/internal/job"
)

// Reason classes: the bounded label values of region_excluded_total.
const (
	ReasonDumpFailed       = "dump_failed"
	ReasonZeroSize         = "zero_size"
	ReasonControlLines     = "control_lines"
	ReasonHashMismatch     = "hash_mismatch"
	ReasonRestoreFailed    = "restore_failed"
	ReasonCheckFailed      = "check_failed"
	ReasonShipFailed       = "ship_failed"
	ReasonRetriesExhausted = "retries_exhausted"
	ReasonMalformed        = "malformed"
)

// ReasonClass sorts an exclusion reason into one of the classes above. The
// stage decides the default; a few words of the reason refine it. An
// unknown stage or reason still lands in a class, so the label set stays
// fixed whatever the text says.
func ReasonClass(stage, reason string) string {
	r := strings.ToLower(reason)
	switch {
	case strings.Contains(r, "malformed") || strings.Contains(r, "schema version") || strings.Contains(r, "arrived on"):
		return ReasonMalformed
	case strings.HasPrefix(r, "gave up after") || strings.HasPrefix(r, "no worker finished"):
		return ReasonRetriesExhausted
	case containsAny(r, "sha256", "md5", "hash mismatch", "checksum"):
		return ReasonHashMismatch
	case containsAny(r, "footer", "control line", "dump completed", "header"):
		return ReasonControlLines
	case containsAny(r, "empty", "zero size", "0 bytes", "no tables"):
		return ReasonZeroSize
	}
	switch stage {
	case job.StageDump, job.StagePlan:
		return ReasonDumpFailed
	case job.StageRestore:
		if strings.Contains(r, "restore check") {
			return ReasonCheckFailed
		}
		return ReasonRestoreFailed
	case job.StageShip:
		return ReasonShipFailed
	}
	return ReasonCheckFailed // stats, check, retain: the artifact failed a check
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
