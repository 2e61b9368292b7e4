// Package report builds the run summary: a table for the operator, like the
// old script's final statistics, and a JSON file next to the backups.
package report

import (
	"encoding/json"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"gravedancer/internal/job"
	"gravedancer/internal/store"
)

// Outcomes of a region in a run.
const (
	OutcomeGood     = "good"
	OutcomeExcluded = "excluded"
	OutcomePending  = "pending" // the run was cut short before the region finished
)

// Region is one region's line in the report.
type Region struct {
	Region   string            `json:"region"`
	Outcome  string            `json:"outcome"`
	Reached  string            `json:"reached"` // e.g. dumped+checked
	Stage    string            `json:"stage,omitempty"`
	Reason   string            `json:"reason,omitempty"`
	Artifact string            `json:"artifact,omitempty"`
	RawBytes int64             `json:"raw_bytes,omitempty"`
	Bytes    int64             `json:"bytes,omitempty"`
	DeltaPct *float64          `json:"delta_pct,omitempty"`
	Tables   int               `json:"tables,omitempty"`
	Rows     int64             `json:"rows,omitempty"`
	MD5      string            `json:"md5,omitempty"`
	SHA256   string            `json:"sha256,omitempty"`
	Duration time.Duration     `json:"duration_ns"`
	Stages   []job.StageRecord `json:"stages,omitempty"`
}

// Report is one run.
type Report struct {
	V        int       `json:"v"`
	Run      string    `json:"run"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished"`
	Regions  []Region  `json:"regions"`
}

// Good counts regions with a good backup.
func (r *Report) Good() int { return r.count(OutcomeGood) }

// Excluded counts regions that left the run.
func (r *Report) Excluded() int { return len(r.Regions) - r.Good() }

func (r *Report) count(outcome string) int {
	n := 0
	for _, g := range r.Regions {
		if g.Outcome == outcome {
			n++
		}
	}
	return n
}

// FromJob makes a region's line from its final job message.
func FromJob(j *job.Job) Region {
	g := Region{Region: j.Region, Outcome: OutcomeGood, Reached: reached(j.History), Stages: j.History}
	if j.Exclusion != nil {
		g.Outcome, g.Stage, g.Reason = OutcomeExcluded, j.Exclusion.Stage, j.Exclusion.Reason
	}
	if a := j.Artifact; a != nil {
		g.Artifact, g.Bytes, g.SHA256 = a.Path, a.Bytes, a.SHA256
	}
	if m := j.Manifest; m != nil {
		g.RawBytes, g.Tables, g.Rows, g.MD5 = m.RawBytes, len(m.Tables), m.Rows(), m.MD5
	}
	if s := j.Stats; s != nil && !s.FirstEver {
		d := s.DeltaPct
		g.DeltaPct = &d
	}
	if n := len(j.History); n > 0 {
		g.Duration = j.History[n-1].Finished.Sub(j.History[0].Started)
	}
	return g
}

// reached names how far a region got, in the words an operator uses.
func reached(h []job.StageRecord) string {
	words := map[string]string{job.StageDump: "dumped", job.StageCheck: "checked",
		job.StageRestore: "verified", job.StageShip: "shipped", job.StageRetain: "retained"}
	var got []string
	for _, r := range h {
		if w, ok := words[r.Stage]; ok {
			got = append(got, w)
		}
	}
	return strings.Join(got, "+")
}

// Path is where a run's report is written: the dated directory of its start.
func Path(spool *store.Spool, r *Report) string {
	return filepath.Join(spool.DayDir(r.Started), "run-"+r.Run+".json")
}

// Write stores the report as JSON.
func Write(spool *store.Spool, r *Report) (string, error) {
	b, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	p := Path(spool, r)
	if err := store.WriteFileAtomic(p, append(b, '\n'), 0o640); err != nil {
		return "", fmt.Errorf("write report: %w", err)
	}
	return p, nil
}

// Table prints the summary for a person.
func Table(w io.Writer, r *Report) {
	fmt.Fprintf(w, "run %s: %d good, %d excluded, %s\n", r.Run, r.Good(), r.Excluded(),
		r.Finished.Sub(r.Started).Round(time.Second/10))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REGION\tOUTCOME\tSIZE\tRAW\tDELTA\tTABLES\tROWS\tTIME\tDETAIL")
	for _, g := range r.Regions {
		outcome, detail := g.Reached, g.Artifact
		if g.Outcome != OutcomeGood {
			outcome, detail = g.Outcome, g.Stage+": "+firstLine(g.Reason)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\n", g.Region, outcome, HumanBytes(g.Bytes),
			HumanBytes(g.RawBytes), delta(g.DeltaPct), g.Tables, g.Rows, g.Duration.Round(time.Second/10), detail)
	}
	tw.Flush()
}

func delta(d *float64) string {
	if d == nil {
		return "first"
	}
	return fmt.Sprintf("%+.1f%%", *d)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}

// HumanBytes renders a size in binary units.
func HumanBytes(n int64) string {
	if n == 0 {
		return "-"
	}
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
