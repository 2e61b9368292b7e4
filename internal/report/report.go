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
	Region   string   `json:"region"`
	Address  string   `json:"address,omitempty"`
	Outcome  string   `json:"outcome"`
	Reached  string   `json:"reached"` // e.g. dumped+checked+verified+shipped+pruned
	Stage    string   `json:"stage,omitempty"`
	Reason   string   `json:"reason,omitempty"`
	Artifact string   `json:"artifact,omitempty"`
	RawBytes int64    `json:"raw_bytes,omitempty"`
	Bytes    int64    `json:"bytes,omitempty"`
	DeltaPct *float64 `json:"delta_pct,omitempty"`
	Tables   int      `json:"tables,omitempty"`
	Rows     int64    `json:"rows,omitempty"`
	MD5      string   `json:"md5,omitempty"`
	SHA256   string   `json:"sha256,omitempty"`
	// RowsVerified counts rows compared with the dump after the restore test.
	RowsVerified int64    `json:"rows_verified,omitempty"`
	TestServer   string   `json:"test_server,omitempty"`
	ShippedTo    []string `json:"shipped_to,omitempty"`
	Latest       string   `json:"latest,omitempty"`
	Pruned       int      `json:"pruned,omitempty"`
	// PrunedRemote is retention on the ship targets that prune (S3).
	PrunedRemote []RemotePruned    `json:"pruned_remote,omitempty"`
	Duration     time.Duration     `json:"duration_ns"`
	Stages       []job.StageRecord `json:"stages,omitempty"`
}

// RemotePruned is retention's work on one ship target.
type RemotePruned struct {
	Target string `json:"target"`
	Pruned int    `json:"pruned"`
	Error  string `json:"error,omitempty"`
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
	g := Region{Region: j.Region, Address: j.Addr, Outcome: OutcomeGood, Reached: reached(j.History), Stages: j.History}
	if j.Exclusion != nil {
		g.Outcome, g.Stage, g.Reason = OutcomeExcluded, j.Exclusion.Stage, j.Exclusion.Reason
	}
	if a := j.Artifact; a != nil {
		g.Artifact, g.Bytes, g.SHA256 = a.Path, a.Bytes, a.SHA256
	}
	if m := j.Manifest; m != nil {
		g.RawBytes, g.Tables, g.Rows, g.MD5 = m.RawBytes, len(m.Tables), m.Rows(), m.MD5
	}
	if r := j.Restore; r != nil {
		g.RowsVerified, g.TestServer = r.RowsVerified, r.TestServer
	}
	for _, sh := range j.Shipped {
		g.ShippedTo = append(g.ShippedTo, sh.Target)
	}
	if r := j.Retained; r != nil {
		g.Latest, g.Pruned = r.Latest, len(r.Removed)
		for _, rr := range r.Remote {
			g.PrunedRemote = append(g.PrunedRemote, RemotePruned{Target: rr.Target, Pruned: len(rr.Removed), Error: rr.Error})
		}
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
		job.StageRestore: "verified", job.StageShip: "shipped", job.StageRetain: "pruned"}
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

// Table prints the summary for a person: one line per region, then the
// stage durations and the exclusion reasons in full.
func Table(w io.Writer, r *Report) {
	fmt.Fprintf(w, "run %s: %d good, %d excluded, %s\n", r.Run, r.Good(), r.Excluded(),
		r.Finished.Sub(r.Started).Round(time.Second/10))
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "REGION\tADDRESS\tOUTCOME\tSIZE\tDELTA\tROWS VERIFIED\tSHIPPED TO\tTIME\tSTAGES")
	for _, g := range r.Regions {
		outcome := g.Reached
		if g.Outcome != OutcomeGood {
			outcome = g.Outcome + " at " + g.Stage
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", g.Region, dash(g.Address), outcome, HumanBytes(g.Bytes),
			delta(g.DeltaPct), count(g.RowsVerified), dash(strings.Join(g.ShippedTo, ",")), g.Duration.Round(time.Second/10), stages(g.Stages))
	}
	tw.Flush()
	for _, g := range r.Regions {
		if g.Outcome == OutcomeGood {
			fmt.Fprintf(w, "%s: %s%s\n", g.Region, g.Artifact, pruned(g))
		} else {
			fmt.Fprintf(w, "%s excluded: %s\n", g.Region, FirstLine(g.Reason))
		}
	}
}

func pruned(g Region) string {
	if g.Latest == "" {
		return ""
	}
	parts := []string{"latest", prunedCount(g.Pruned)}
	for _, r := range g.PrunedRemote {
		switch {
		case r.Error != "" && r.Pruned == 0:
			parts = append(parts, fmt.Sprintf("%s: prune failed: %s", r.Target, FirstLine(r.Error)))
		case r.Error != "":
			parts = append(parts, fmt.Sprintf("%s: %s, then failed: %s", r.Target, prunedCount(r.Pruned), FirstLine(r.Error)))
		default:
			parts = append(parts, r.Target+": "+prunedCount(r.Pruned))
		}
	}
	return " (" + strings.Join(parts, "; ") + ")"
}

func prunedCount(n int) string {
	switch n {
	case 0:
		return "nothing to prune"
	case 1:
		return "pruned 1 older backup"
	}
	return fmt.Sprintf("pruned %d older backups", n)
}

// stages renders per-stage durations compactly: dump 1.2s restore 3.4s …
func stages(h []job.StageRecord) string {
	var parts []string
	for _, rec := range h {
		parts = append(parts, fmt.Sprintf("%s %s", rec.Stage, rec.Duration().Round(time.Millisecond*10)))
	}
	return dash(strings.Join(parts, " "))
}

func count(n int64) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprint(n)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func delta(d *float64) string {
	if d == nil {
		return "first"
	}
	return fmt.Sprintf("%+.1f%%", *d)
}

// FirstLine is a reason or error as one line for a table or a page: up
// to its first newline, at most 300 characters (never a rune cut in two).
func FirstLine(s string) string {
	s, _, _ = strings.Cut(s, "\n")
	if r := []rune(s); len(r) > 300 {
		s = string(r[:299]) + "…"
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
