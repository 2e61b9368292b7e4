package alert

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"
)

// Version is the schema version of Event's JSON; a receiver should check it.
const Version = 1

// Kind is what an event is about. The set is fixed: it is also the label
// of the alert metrics.
type Kind string

// The kinds of event.
const (
	KindExcluded    Kind = "excluded"     // a region left a run
	KindRunFinished Kind = "run_finished" // a run ended with at least one exclusion
	KindStale       Kind = "stale"        // no verified backup for longer than StaleAfter
	KindRecovered   Kind = "recovered"    // a stale region has a fresh verified backup again
)

// Kinds lists every kind, for metrics that show all of them from the start.
func Kinds() []Kind { return []Kind{KindExcluded, KindRunFinished, KindStale, KindRecovered} }

// MaxReason bounds a reason's length in an event: a dump tool's stderr tail
// can be long, and chat receivers cut long messages anyway.
const MaxReason = 2000

// Event is one alert. Fields that do not apply to its kind are left out of
// the JSON.
type Event struct {
	V       int       `json:"v"`
	Kind    Kind      `json:"kind"`
	Time    time.Time `json:"time"`    // when it happened
	Summary string    `json:"summary"` // one line for a person

	Region string `json:"region,omitempty"`
	Run    string `json:"run,omitempty"`

	// Excluded.
	Stage       string `json:"stage,omitempty"`
	Reason      string `json:"reason,omitempty"`
	ReasonClass string `json:"reason_class,omitempty"` // metrics.ReasonClass: a fixed set
	Attempts    int    `json:"attempts,omitempty"`

	// Run finished.
	Good            *int             `json:"good,omitempty"`
	Excluded        *int             `json:"excluded,omitempty"`
	ExcludedRegions []ExcludedRegion `json:"excluded_regions,omitempty"`
	DurationSeconds *float64         `json:"duration_seconds,omitempty"`
	Started         *time.Time       `json:"started,omitempty"`

	// Stale and recovered.
	LastVerified      *time.Time `json:"last_verified,omitempty"` // absent: never
	AgeSeconds        *int64     `json:"age_seconds,omitempty"`
	StaleAfterSeconds int64      `json:"stale_after_seconds,omitempty"`
}

// ExcludedRegion is one excluded region in a run-finished event.
type ExcludedRegion struct {
	Region      string `json:"region"`
	Stage       string `json:"stage,omitempty"`
	Reason      string `json:"reason"`
	ReasonClass string `json:"reason_class,omitempty"`
}

// Exclusion describes a region that left a run.
type Exclusion struct {
	Region, Stage, Run, Reason, ReasonClass string
	Attempts                                int
	At                                      time.Time
}

// Excluded is the event for one exclusion.
func Excluded(x Exclusion) Event {
	reason := clip(x.Reason)
	ev := Event{V: Version, Kind: KindExcluded, Time: x.At.UTC(), Region: x.Region, Run: x.Run,
		Stage: x.Stage, Reason: reason, ReasonClass: x.ReasonClass, Attempts: x.Attempts}
	where := ""
	if x.Stage != "" {
		where = " at " + x.Stage
	}
	if x.Run != "" {
		where += " in run " + x.Run
	}
	ev.Summary = fmt.Sprintf("gravedancer: region %s excluded%s: %s", orUnknown(x.Region), where, firstLine(reason))
	return ev
}

// RunSummary describes a finished run.
type RunSummary struct {
	Run               string
	Started, Finished time.Time
	Good              int
	Excluded          []ExcludedRegion
}

// RunFinished is the event for a run that ended; callers send it only when
// some region was excluded.
func RunFinished(r RunSummary) Event {
	good, excl := r.Good, len(r.Excluded)
	d := r.Finished.Sub(r.Started).Round(time.Millisecond).Seconds()
	started := r.Started.UTC()
	ev := Event{V: Version, Kind: KindRunFinished, Time: r.Finished.UTC(), Run: r.Run,
		Good: &good, Excluded: &excl, DurationSeconds: &d, Started: &started}
	names := make([]string, 0, excl)
	for _, x := range r.Excluded {
		x.Reason = clip(x.Reason)
		ev.ExcludedRegions = append(ev.ExcludedRegions, x)
		names = append(names, x.Region)
	}
	ev.Summary = fmt.Sprintf("gravedancer: run %s finished with %d good and %d excluded (%s) in %s",
		r.Run, good, excl, strings.Join(names, ", "), r.Finished.Sub(r.Started).Round(time.Second))
	return ev
}

// Staleness describes a region's newest verified backup at a check.
type Staleness struct {
	Region       string
	LastVerified time.Time // zero: none
	Since        time.Time // with no verified backup: when it was first seen without one
	After        time.Duration
	At           time.Time
}

// Stale is the event for a region that became stale.
func Stale(s Staleness) Event {
	ev := staleEvent(KindStale, s)
	if s.LastVerified.IsZero() {
		ev.Summary = fmt.Sprintf("gravedancer: region %s is stale: no verified backup at all, watched since %s (GD_STALE_AFTER %s)",
			s.Region, s.Since.UTC().Format(time.RFC3339), s.After)
	} else {
		ev.Summary = fmt.Sprintf("gravedancer: region %s is stale: newest verified backup is %s old, from %s (GD_STALE_AFTER %s)",
			s.Region, s.At.Sub(s.LastVerified).Round(time.Minute), s.LastVerified.UTC().Format(time.RFC3339), s.After)
	}
	return ev
}

// Recovered is the event for a stale region with a fresh verified backup.
func Recovered(s Staleness) Event {
	ev := staleEvent(KindRecovered, s)
	ev.Summary = fmt.Sprintf("gravedancer: region %s recovered: verified backup from %s",
		s.Region, s.LastVerified.UTC().Format(time.RFC3339))
	return ev
}

func staleEvent(k Kind, s Staleness) Event {
	ev := Event{V: Version, Kind: k, Time: s.At.UTC(), Region: s.Region, StaleAfterSeconds: int64(s.After / time.Second)}
	if !s.LastVerified.IsZero() {
		lv := s.LastVerified.UTC()
		age := int64(s.At.Sub(s.LastVerified) / time.Second)
		ev.LastVerified, ev.AgeSeconds = &lv, &age
	}
	return ev
}

// clip bounds a reason at MaxReason bytes without splitting a character.
func clip(s string) string {
	if len(s) <= MaxReason {
		return s
	}
	cut := MaxReason - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i] + " …"
	}
	return s
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
