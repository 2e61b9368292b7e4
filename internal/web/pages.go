package web

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"gravedancer/internal/app"
	"gravedancer/internal/config"
	"gravedancer/internal/job"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/report"
)

// Freshness of a region's newest verified backup, by its age against
// GD_STALE_AFTER: fresh below half of it, ageing below it, stale at or
// past it or when there is none.
const (
	fresh  = "fresh"
	ageing = "ageing"
	stale  = "stale"
)

func freshness(age time.Duration, verified bool, staleAfter time.Duration) string {
	switch {
	case !verified || age >= staleAfter:
		return stale
	case age >= staleAfter/2:
		return ageing
	}
	return fresh
}

type overviewPage struct {
	At         time.Time
	StaleAfter time.Duration
	Regions    []regionRow
	Stages     []app.StageStatus
	Workers    int
}

// regionRow is one region on the overview.
type regionRow struct {
	Name      string
	LastGood  *time.Time
	Age       time.Duration
	Freshness string
	Bytes     int64
	Delta     *float64 // vs the previous backup; nil: first or unknown
	Rows      int64
	LastRun   string
	Outcome   string
	Reason    string
	// NextTrigger is when the next run is due. Runs are triggered from
	// outside (cron or a systemd timer calling `gravedancer trigger`), so
	// the service does not know it yet: zero renders as a dash.
	NextTrigger time.Time
}

func (s *Server) overview(w http.ResponseWriter, r *http.Request) {
	st, err := s.b.Status(r.Context())
	if err != nil {
		s.fail(w, r, http.StatusBadGateway, "status: "+err.Error())
		return
	}
	runs, err := s.b.Runs(r.Context())
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "run reports: "+err.Error())
		return
	}
	now := s.opts.Now()
	page := overviewPage{At: now, StaleAfter: s.opts.StaleAfter, Stages: st.Stages, Workers: len(st.Workers)}
	for _, rs := range st.Regions {
		row := regionRow{Name: rs.Region, LastGood: rs.LastGood, Bytes: rs.Bytes, Rows: rs.VerifiedRows,
			LastRun: rs.LastRun, Outcome: rs.LastOutcome, Reason: rs.LastReason, Delta: lastDelta(runs, rs.Region)}
		if rs.LastGood != nil {
			row.Age = now.Sub(*rs.LastGood)
		}
		row.Freshness = freshness(row.Age, rs.LastGood != nil, s.opts.StaleAfter)
		page.Regions = append(page.Regions, row)
	}
	s.render(w, http.StatusOK, "overview", page)
}

// lastDelta is the size change of the region's newest good backup against
// the one before, as the stats stage measured it.
func lastDelta(runs []*report.Report, region string) *float64 {
	for _, r := range runs {
		for _, g := range r.Regions {
			if g.Region == region && g.Outcome == report.OutcomeGood {
				return g.DeltaPct
			}
		}
	}
	return nil
}

type runsPage struct{ Runs []*report.Report }

func (s *Server) runs(w http.ResponseWriter, r *http.Request) {
	runs, err := s.b.Runs(r.Context())
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "run reports: "+err.Error())
		return
	}
	s.render(w, http.StatusOK, "runs", runsPage{Runs: limit(runs, lastN(r, 100))})
}

type runPage struct {
	Report *report.Report
	Stages []string
	Rows   []runRow
}

// runRow is a region's line in a run with its time per stage.
type runRow struct {
	report.Region
	PerStage []time.Duration // aligned with runPage.Stages; 0: did not run
}

func (s *Server) run(w http.ResponseWriter, r *http.Request) {
	rep, ok := s.findRun(w, r)
	if !ok {
		return
	}
	page := runPage{Report: rep}
	for _, name := range app.AllStages() {
		if ranIn(rep, name) {
			page.Stages = append(page.Stages, name)
		}
	}
	for _, g := range rep.Regions {
		row := runRow{Region: g, PerStage: make([]time.Duration, len(page.Stages))}
		for _, rec := range g.Stages {
			if i := slices.Index(page.Stages, rec.Stage); i >= 0 {
				row.PerStage[i] += rec.Duration()
			}
		}
		page.Rows = append(page.Rows, row)
	}
	s.render(w, http.StatusOK, "run", page)
}

func ranIn(rep *report.Report, stage string) bool {
	for _, g := range rep.Regions {
		for _, rec := range g.Stages {
			if rec.Stage == stage {
				return true
			}
		}
	}
	return false
}

// findRun loads the run named in the path, answering 404 itself.
func (s *Server) findRun(w http.ResponseWriter, r *http.Request) (*report.Report, bool) {
	id := r.PathValue("id")
	if !job.ValidRunID(id) {
		s.fail(w, r, http.StatusNotFound, "no run "+strconv.Quote(id))
		return nil, false
	}
	rep, err := s.b.Run(r.Context(), id)
	if errors.Is(err, report.ErrNoRun) {
		s.fail(w, r, http.StatusNotFound, "no report for run "+strconv.Quote(id))
		return nil, false
	}
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "run report: "+err.Error())
		return nil, false
	}
	return rep, true
}

type dlqPage struct {
	Filter    pipeline.Filter
	Regions   []string
	Stages    []string
	Entries   []dlqRow
	Replayed  string // the seq just replayed, from the redirect
	TokenAuth bool   // show the token field on replay forms
}

type dlqRow struct {
	DLQEntry
	FormToken string
}

func (s *Server) dlq(w http.ResponseWriter, r *http.Request) {
	f, entries, ok := s.dlqEntries(w, r)
	if !ok {
		return
	}
	page := dlqPage{Filter: f, Regions: s.b.Regions(), Stages: app.AllStages(), TokenAuth: s.opts.Auth.Token != ""}
	if seq, err := strconv.ParseUint(r.URL.Query().Get("replayed"), 10, 64); err == nil {
		page.Replayed = strconv.FormatUint(seq, 10)
	}
	for i := len(entries) - 1; i >= 0; i-- { // newest first
		page.Entries = append(page.Entries, dlqRow{DLQEntry: entries[i], FormToken: s.tokens.replay(entries[i].Seq)})
	}
	s.render(w, http.StatusOK, "dlq", page)
}

// dlqEntries reads the DLQ entries the request's filter selects; on a bad
// filter or an unreadable stream it has answered with the error.
func (s *Server) dlqEntries(w http.ResponseWriter, r *http.Request) (pipeline.Filter, []DLQEntry, bool) {
	f, err := parseFilter(r.URL.Query())
	if err != nil {
		s.fail(w, r, http.StatusBadRequest, err.Error())
		return f, nil, false
	}
	entries, err := s.b.DLQ(r.Context(), f)
	if err != nil {
		s.fail(w, r, http.StatusBadGateway, "dlq: "+err.Error())
		return f, nil, false
	}
	return f, entries, true
}

// parseFilter reads region, stage and run from a query. They end up in NATS
// subject filters, so only valid names pass.
func parseFilter(q url.Values) (pipeline.Filter, error) {
	f := pipeline.Filter{Region: q.Get("region"), Stage: q.Get("stage"), Run: q.Get("run")}
	if f.Region != "" && !config.ValidRegionName(f.Region) {
		return f, fmt.Errorf("region %q: not a region name", f.Region)
	}
	if f.Stage != "" && !slices.Contains(app.AllStages(), f.Stage) {
		return f, fmt.Errorf("stage %q: not a stage", f.Stage)
	}
	if f.Run != "" && !job.ValidRunID(f.Run) {
		return f, fmt.Errorf("run %q: not a run id", f.Run)
	}
	return f, nil
}

func (s *Server) replayForm(w http.ResponseWriter, r *http.Request) {
	seq, who, ok := s.authorizeReplay(w, r)
	if !ok {
		return
	}
	if !s.tokens.validReplay(seq, r.PostFormValue("csrf")) {
		s.log.Warn("replay refused: bad form token", "seq", seq, "remote", r.RemoteAddr)
		s.fail(w, r, http.StatusForbidden, "the form is stale or was not sent from this page: reload the DLQ page and try again")
		return
	}
	if _, ok := s.replay(w, r, seq, who); ok {
		http.Redirect(w, r, "/dlq?replayed="+strconv.FormatUint(seq, 10), http.StatusSeeOther)
	}
}

// authorizeReplay parses the sequence and checks who may write.
func (s *Server) authorizeReplay(w http.ResponseWriter, r *http.Request) (seq uint64, who string, ok bool) {
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	seq, err := strconv.ParseUint(r.PathValue("seq"), 10, 64)
	if err != nil || seq == 0 {
		s.fail(w, r, http.StatusBadRequest, "not a DLQ sequence number: "+strconv.Quote(r.PathValue("seq")))
		return 0, "", false
	}
	who, d := s.opts.Auth.authorize(r)
	if d != nil {
		s.log.Warn("replay refused", "seq", seq, "remote", r.RemoteAddr, "code", d.code)
		if d.code == http.StatusUnauthorized {
			s.opts.Auth.challenge(w)
		}
		s.fail(w, r, d.code, d.msg)
		return 0, "", false
	}
	return seq, who, true
}

// replay does the replay an authorized request asked for.
func (s *Server) replay(w http.ResponseWriter, r *http.Request, seq uint64, who string) (Replay, bool) {
	force, _ := strconv.ParseBool(r.FormValue("force"))
	res, err := s.b.Replay(r.Context(), seq, who, force)
	switch {
	case errors.Is(err, pipeline.ErrNoEntry):
		s.fail(w, r, http.StatusNotFound, err.Error())
	case errors.Is(err, pipeline.ErrAlreadyReplayed):
		s.fail(w, r, http.StatusConflict, err.Error())
	case errors.Is(err, pipeline.ErrNotReplayable):
		s.fail(w, r, http.StatusUnprocessableEntity, err.Error())
	case err != nil:
		s.fail(w, r, http.StatusBadGateway, "replay: "+err.Error())
	default:
		s.log.Info("dlq entry replayed", "seq", seq, "run", res.Run, "region", res.Region, "subject", res.Subject, "by", who)
		return res, true
	}
	return res, false
}

type regionPage struct {
	Name     string
	History  []report.Region
	Runs     []*report.Report // aligned with History
	Size     chart
	Duration chart
}

func (s *Server) region(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	runs, err := s.b.Runs(r.Context())
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "run reports: "+err.Error())
		return
	}
	page := regionPage{Name: name}
	n := lastN(r, s.opts.History)
	for _, rep := range runs {
		for _, g := range rep.Regions {
			if g.Region == name && len(page.History) < n {
				page.History = append(page.History, g)
				page.Runs = append(page.Runs, rep)
			}
		}
	}
	if len(page.History) == 0 && !slices.Contains(s.b.Regions(), name) {
		s.fail(w, r, http.StatusNotFound, "no region "+strconv.Quote(name))
		return
	}
	var size, dur []point
	for i := len(page.History) - 1; i >= 0; i-- { // oldest first
		g, rep := page.History[i], page.Runs[i]
		if g.Outcome == report.OutcomeGood && g.Bytes > 0 {
			size = append(size, point{T: rep.Started, V: float64(g.Bytes), Label: rep.Run + ": " + report.HumanBytes(g.Bytes)})
		}
		if g.Duration > 0 {
			dur = append(dur, point{T: rep.Started, V: g.Duration.Seconds(), Label: rep.Run + ": " + roundDur(g.Duration).String(),
				Bad: g.Outcome != report.OutcomeGood})
		}
	}
	page.Size = newChart("size", size, func(v float64) string { return report.HumanBytes(int64(v)) })
	page.Duration = newChart("duration", dur, func(v float64) string { return roundDur(time.Duration(v * float64(time.Second))).String() })
	s.render(w, http.StatusOK, "region", page)
}

// lastN reads ?n=, bounded to 1..1000, else def.
func lastN(r *http.Request, def int) int {
	n, err := strconv.Atoi(r.URL.Query().Get("n"))
	if err != nil || n < 1 {
		return def
	}
	return min(n, 1000)
}

func limit[T any](s []T, n int) []T {
	if len(s) > n {
		return s[:n]
	}
	return s
}
