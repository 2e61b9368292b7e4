package web

import (
	"mime"
	"net/http"

	"gravedancer/internal/app"
	"gravedancer/internal/report"
)

// apiStatus is exactly what `gravedancer status --json` prints.
func (s *Server) apiStatus(w http.ResponseWriter, r *http.Request) {
	st, err := s.b.Status(r.Context())
	if err != nil {
		s.fail(w, r, http.StatusBadGateway, "status: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// apiRegions is the regions part of `gravedancer status --json`.
func (s *Server) apiRegions(w http.ResponseWriter, r *http.Request) {
	st, err := s.b.Status(r.Context())
	if err != nil {
		s.fail(w, r, http.StatusBadGateway, "status: "+err.Error())
		return
	}
	regions := st.Regions
	if regions == nil {
		regions = []app.RegionStatus{}
	}
	writeJSON(w, http.StatusOK, regions)
}

func (s *Server) apiRuns(w http.ResponseWriter, r *http.Request) {
	runs, err := s.b.Runs(r.Context())
	if err != nil {
		s.fail(w, r, http.StatusInternalServerError, "run reports: "+err.Error())
		return
	}
	if runs == nil {
		runs = []*report.Report{}
	}
	writeJSON(w, http.StatusOK, limit(runs, lastN(r, 100)))
}

func (s *Server) apiRun(w http.ResponseWriter, r *http.Request) {
	if rep, ok := s.findRun(w, r); ok {
		writeJSON(w, http.StatusOK, rep)
	}
}

func (s *Server) apiDLQ(w http.ResponseWriter, r *http.Request) {
	_, entries, ok := s.dlqEntries(w, r)
	if !ok {
		return
	}
	if entries == nil {
		entries = []DLQEntry{}
	}
	writeJSON(w, http.StatusOK, entries)
}

// apiReplay replays one entry; ?force=true replays one replayed before.
// A body a cross-site HTML form can send (urlencoded, multipart, text) is
// refused, so the API cannot be driven by a form on another origin even by
// a browser that hides where a request comes from.
func (s *Server) apiReplay(w http.ResponseWriter, r *http.Request) {
	if formLike(r.Header.Get("Content-Type")) {
		s.fail(w, r, http.StatusUnsupportedMediaType, "the API takes no form body: POST without a body (or application/json), with ?force=true to replay again")
		return
	}
	seq, who, ok := s.authorizeReplay(w, r)
	if !ok {
		return
	}
	if res, ok := s.replay(w, r, seq, who); ok {
		writeJSON(w, http.StatusOK, res)
	}
}

func formLike(contentType string) bool {
	mt, _, _ := mime.ParseMediaType(contentType)
	switch mt {
	case "application/x-www-form-urlencoded", "multipart/form-data", "text/plain":
		return true
	}
	return false
}
