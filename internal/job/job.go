// Package job is the message schema that travels between stages: a trigger
// for a run, and one Job per region that accumulates what each stage learned.
// Messages are versioned JSON decoded strictly, so a message from a newer or
// broken producer is refused with a reason instead of half-understood.
package job

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"time"
)

// Version is the schema version this build writes and accepts.
const Version = 1

// Stage names, in pipeline order.
const (
	StagePlan    = "plan"
	StageDump    = "dump"
	StageStats   = "stats"
	StageCheck   = "check"
	StageRestore = "restore"
	StageShip    = "ship"
	StageRetain  = "retain"
	// StageDone addresses a job that completed the route: it is announced, not worked.
	StageDone = "done"
)

// PurposeVerify marks a job that re-proves an existing backup (gravedancer
// verify) instead of taking a new one.
const PurposeVerify = "verify"

// Trigger asks for one run. Its Msg-Id is the run id, so a cron that fires
// twice yields one run.
type Trigger struct {
	V       int       `json:"v"`
	Run     string    `json:"run"`
	Regions []string  `json:"regions,omitempty"` // empty = every configured region
	At      time.Time `json:"at"`
	By      string    `json:"by,omitempty"` // host/command that asked, for the report
}

// Job is one region's backup as it moves through the stages.
type Job struct {
	V      int    `json:"v"`
	Run    string `json:"run"`
	Region string `json:"region"`
	Addr   string `json:"addr"`  // host:port of the source; never credentials
	Stage  string `json:"stage"` // the stage this message is addressed to
	// Purpose is "" for a backup; PurposeVerify re-proves an existing
	// artifact: it enters at check and its route ends after restore.
	Purpose string `json:"purpose,omitempty"`
	// Replay counts replays from the DLQ; it keeps a replayed job's Msg-Ids
	// distinct from the first attempt's inside the duplicate window.
	Replay   int           `json:"replay,omitempty"`
	History  []StageRecord `json:"history,omitempty"`
	Artifact *Artifact     `json:"artifact,omitempty"`
	Manifest *Manifest     `json:"manifest,omitempty"`
	Stats    *Stats        `json:"stats,omitempty"`
	Restore  *Restore      `json:"restore,omitempty"`
	Shipped  []Shipment    `json:"shipped,omitempty"`
	Retained *Retained     `json:"retained,omitempty"`
	// Exclusion is set on the copy that goes to the DLQ and events.
	Exclusion *Exclusion `json:"exclusion,omitempty"`
}

// StageRecord is one stage's pass over the job.
type StageRecord struct {
	Stage    string    `json:"stage"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Attempt  int       `json:"attempt"`
	Worker   string    `json:"worker,omitempty"`
}

// Duration is how long the stage took.
func (r StageRecord) Duration() time.Duration { return r.Finished.Sub(r.Started) }

// Artifact locates the stored dump. Files never travel through NATS.
type Artifact struct {
	Path         string `json:"path"`          // the compressed dump
	ManifestPath string `json:"manifest_path"` // the manifest beside it
	SHA256       string `json:"sha256"`        // of the file as stored (compressed)
	Bytes        int64  `json:"bytes"`         // stored size
	Compression  string `json:"compression"`   // gzip | zstd
}

// Exclusion says why a region left the run.
type Exclusion struct {
	Stage  string    `json:"stage"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// Stats is what the stats stage measured.
type Stats struct {
	RawBytes     int64   `json:"raw_bytes"`
	Bytes        int64   `json:"bytes"`
	MD5          string  `json:"md5"`
	PrevPath     string  `json:"prev_path,omitempty"`
	PrevRawBytes int64   `json:"prev_raw_bytes,omitempty"`
	DeltaPct     float64 `json:"delta_pct"`
	FirstOfDay   bool    `json:"first_of_day"`
	FirstEver    bool    `json:"first_ever"`
}

var token = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidRunID reports whether s can be a run id: it becomes part of subjects'
// Msg-Ids and report file names, so only letters, digits, - and _.
func ValidRunID(s string) bool { return token.MatchString(s) }

// Restore is what the restore test proved.
type Restore struct {
	TestServer   string `json:"test_server"`
	Mode         string `json:"mode"` // all | checked | off
	Databases    int    `json:"databases"`
	Tables       int    `json:"tables"`
	RowsVerified int64  `json:"rows_verified"`
	Statements   int64  `json:"statements"`
	Method       string `json:"method,omitempty"`      // engine | client
	Connections  int    `json:"connections,omitempty"` // the engine's
	// Fallback says why the client loaded a dump meant for the engine.
	Fallback string `json:"fallback,omitempty"`
}

// Shipment is one target that confirmed a copy.
type Shipment struct {
	Target   string    `json:"target"`
	Location string    `json:"location"`
	At       time.Time `json:"at"`
}

// Retained is what the retain stage did for the region.
type Retained struct {
	Latest  string   `json:"latest"`
	Removed []string `json:"removed,omitempty"`
	Kept    int      `json:"kept"`
	// Remote is what it did on each ship target it prunes (S3).
	Remote []RemoteRetained `json:"remote,omitempty"`
}

// RemoteRetained is the retain stage's work on one ship target.
type RemoteRetained struct {
	Target  string   `json:"target"`
	Removed []string `json:"removed,omitempty"` // the copies' locations
	Kept    int      `json:"kept"`
	// Error says why some or all of the prune failed; the copies it could
	// not delete stay until the next run, and the region's backup is good.
	Error string `json:"error,omitempty"`
}

// ErrMalformed marks a message that cannot be decoded; it is excluded, never retried.
var ErrMalformed = errors.New("malformed message")

// DecodeJob decodes and checks a job message.
func DecodeJob(data []byte) (*Job, error) {
	var j Job
	if err := strictDecode(data, &j); err != nil {
		return nil, err
	}
	if err := j.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	return &j, nil
}

// Validate checks the fields every stage relies on.
func (j *Job) Validate() error {
	switch {
	case j.V != Version:
		return fmt.Errorf("schema version %d, this build reads %d", j.V, Version)
	case !ValidRunID(j.Run):
		return fmt.Errorf("run id %q is not 1-64 letters, digits, - or _", j.Run)
	case !token.MatchString(j.Region):
		return fmt.Errorf("region %q is not 1-64 letters, digits, - or _", j.Region)
	case j.Stage == "":
		return errors.New("stage is empty")
	}
	return nil
}

// DecodeTrigger decodes and checks a trigger message.
func DecodeTrigger(data []byte) (*Trigger, error) {
	var t Trigger
	if err := strictDecode(data, &t); err != nil {
		return nil, err
	}
	if t.V != Version {
		return nil, fmt.Errorf("%w: trigger schema version %d, this build reads %d", ErrMalformed, t.V, Version)
	}
	if !ValidRunID(t.Run) {
		return nil, fmt.Errorf("%w: trigger run id %q is not 1-64 letters, digits, - or _", ErrMalformed, t.Run)
	}
	return &t, nil
}

func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: %v", ErrMalformed, err)
	}
	if dec.More() {
		return fmt.Errorf("%w: trailing data after the JSON object", ErrMalformed)
	}
	return nil
}

// Encode marshals a message; schema types always marshal.
func Encode(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("job: encode %T: %v", v, err))
	}
	return b
}

// Next returns a copy of j addressed to stage. The history slice is copied so
// the copy and the original never share appends.
func (j *Job) Next(stage string) *Job {
	n := *j
	n.Stage = stage
	n.History = append([]StageRecord(nil), j.History...)
	return &n
}

// LastRecord returns the newest stage record.
func (j *Job) LastRecord() (StageRecord, bool) {
	if len(j.History) == 0 {
		return StageRecord{}, false
	}
	return j.History[len(j.History)-1], true
}
