package pipeline

import "strings"

// Stream names.
const (
	StreamJobs   = "GD_JOBS"
	StreamDLQ    = "GD_DLQ"
	StreamEvents = "GD_EVENTS"
)

// Subjects. Region names are validated to [A-Za-z0-9_-], so they are always a
// single subject token.
const (
	SubjectTrigger = "gd.trigger"
	subjectJob     = "gd.job."
	subjectDLQ     = "gd.dlq."
	subjectEvent   = "gd.event."

	// EventPlanned carries the regions a run will back up.
	EventPlanned = subjectEvent + "planned"
	eventDone    = subjectEvent + "done."
	eventExclude = subjectEvent + "excluded."

	// SubjectRunFinished carries a finished run's report for other consumers.
	SubjectRunFinished = "gd.run.finished"

	// RunLevel stands in the region token for a failure that is about the
	// whole run (a trigger that could not be planned).
	RunLevel = "_run"
)

// Header names on DLQ entries and events.
const (
	HdrReason     = "Gd-Reason"
	HdrStage      = "Gd-Stage"
	HdrRun        = "Gd-Run"
	HdrRegion     = "Gd-Region"
	HdrDeliveries = "Gd-Deliveries"
	HdrSubject    = "Gd-Original-Subject"
	HdrSeq        = "Gd-Original-Seq"
	// HdrTruncated is set on a DLQ entry whose body had to be cut to fit
	// the server's max_payload next to the headers: the original's size
	// and sha256. Such an entry is a record, not replayable.
	HdrTruncated = "Gd-Truncated"
)

// JobSubject is where a region's job waits for stage.
func JobSubject(stage, region string) string { return subjectJob + stage + "." + region }

// JobFilter matches every job of a stage.
func JobFilter(stage string) string { return subjectJob + stage + ".>" }

// DLQSubject is where an exclusion from stage for region is recorded.
func DLQSubject(stage, region string) string { return subjectDLQ + stage + "." + region }

// DoneSubject announces a region that completed the route.
func DoneSubject(region string) string { return eventDone + region }

// ExcludedSubject announces a region that left the run.
func ExcludedSubject(region string) string { return eventExclude + region }

// RegionOf returns the region token of a job or DLQ subject, or RunLevel.
func RegionOf(subject string) string {
	parts := strings.Split(subject, ".")
	if len(parts) == 4 && (parts[1] == "job" || parts[1] == "dlq") {
		return parts[3]
	}
	return RunLevel
}

// oneLine flattens a reason for a header: headers cannot hold newlines, and a
// table of DLQ entries wants one line each. The full text stays in the body.
func oneLine(s string) string {
	s = strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " | ")), " ")
	if len(s) > 1000 {
		s = s[:997] + "..."
	}
	return s
}
