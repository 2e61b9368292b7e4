package web

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"gravedancer/internal/app"
	"gravedancer/internal/job"
	"gravedancer/internal/pipeline"
	"gravedancer/internal/report"
)

const hostile = `<script>alert("x")</script>`

var now = time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)

// fakeBackend is a Backend in memory that records replays.
type fakeBackend struct {
	status  *app.Status
	runs    []*report.Report
	dlq     []DLQEntry
	filters []pipeline.Filter
	replays []string // "seq by force"
	err     error    // returned by Replay
}

func (f *fakeBackend) Regions() []string {
	var out []string
	for _, r := range f.status.Regions {
		out = append(out, r.Region)
	}
	return out
}

func (f *fakeBackend) Status(context.Context) (*app.Status, error) { return f.status, nil }

func (f *fakeBackend) Runs(context.Context) ([]*report.Report, error) { return f.runs, nil }

func (f *fakeBackend) Run(_ context.Context, id string) (*report.Report, error) {
	for _, r := range f.runs {
		if r.Run == id {
			return r, nil
		}
	}
	return nil, report.ErrNoRun
}

func (f *fakeBackend) DLQ(_ context.Context, flt pipeline.Filter) ([]DLQEntry, error) {
	f.filters = append(f.filters, flt)
	return f.dlq, nil
}

func (f *fakeBackend) Replay(_ context.Context, seq uint64, by string, force bool) (Replay, error) {
	if f.err != nil {
		return Replay{}, f.err
	}
	f.replays = append(f.replays, strings.Join([]string{itoa(seq), by, map[bool]string{true: "force", false: "-"}[force]}, " "))
	return Replay{Seq: seq, Region: "REG2", Subject: "gd.job.dump.REG2", By: by}, nil
}

func itoa(n uint64) string { return strconv.FormatUint(n, 10) }

func newFake() *fakeBackend {
	good := now.Add(-2 * time.Hour)
	delta := 3.5
	rec := func(stage string, d time.Duration) job.StageRecord {
		return job.StageRecord{Stage: stage, Started: good, Finished: good.Add(d)}
	}
	return &fakeBackend{
		status: &app.Status{At: now, Regions: []app.RegionStatus{
			{Region: "REG1", LastGood: &good, AgeSeconds: 7200, Bytes: 2 << 20, LastRun: "r2", LastOutcome: "good", VerifiedRows: 1234},
			{Region: "REG2", LastRun: "r2", LastOutcome: "excluded", LastReason: hostile + "\nsecond line"},
		}, Stages: []app.StageStatus{{Stage: "dump", Cap: 4}}},
		runs: []*report.Report{
			{Run: "r2", Started: now.Add(-2 * time.Hour), Finished: now.Add(-time.Hour), Regions: []report.Region{
				{Region: "REG1", Outcome: "good", Reached: "dumped+checked", Bytes: 2 << 20, DeltaPct: &delta, RowsVerified: 1234,
					Duration: 90 * time.Second, Stages: []job.StageRecord{rec("dump", 30*time.Second), rec("restore", time.Minute)}},
				{Region: "REG2", Outcome: "excluded", Stage: "dump", Reason: hostile, Duration: time.Second,
					Stages: []job.StageRecord{rec("dump", time.Second)}},
			}},
			{Run: "r1", Started: now.Add(-26 * time.Hour), Finished: now.Add(-25 * time.Hour), Regions: []report.Region{
				{Region: "REG1", Outcome: "good", Bytes: 2 << 19, Duration: 80 * time.Second},
			}},
		},
		dlq: []DLQEntry{{Seq: 7, Time: now, Run: "r2", Region: "REG2", Stage: "dump", Deliveries: 2, Reason: hostile}},
	}
}

func newTestServer(t *testing.T, b Backend, auth Auth) *Server {
	t.Helper()
	return NewServer(b, Options{StaleAfter: 26 * time.Hour, Auth: auth, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
}

// do serves one request from remote and returns the response.
func do(t *testing.T, h http.Handler, r *http.Request, remote string) *httptest.ResponseRecorder {
	t.Helper()
	r.RemoteAddr = remote
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func get(t *testing.T, h http.Handler, path string) *httptest.ResponseRecorder {
	t.Helper()
	return do(t, h, httptest.NewRequest(http.MethodGet, path, nil), "127.0.0.1:5555")
}

func TestWebPages(t *testing.T) {
	s := newTestServer(t, newFake(), Auth{})
	cases := []struct {
		path string
		code int
		want []string
	}{
		{"/", 200, []string{`data-region="REG1"`, `badge fresh`, "2.0 MiB", "+3.5%", "1234", `href="/runs/r2"`, `badge stale`, "never", "—"}},
		{"/runs", 200, []string{`href="/runs/r2"`, `href="/runs/r1"`}},
		{"/runs/r2", 200, []string{"Run r2", "dumped+checked", "30s", "1m0s", "REG2 excluded at dump"}},
		{"/runs/nope", 404, []string{"no report for run"}},
		{"/runs/..%2fx", 404, nil},
		{"/dlq", 200, []string{`action="/dlq/7/replay"`, `name="csrf"`, "REG2"}},
		{"/regions/REG1", 200, []string{"<svg", "<polyline", "size over time", "duration over time", `href="/runs/r1"`}},
		{"/regions/NOPE", 404, []string{"no region"}},
		{"/static/style.css", 200, []string{".badge"}},
		{"/nope", 404, nil},
	}
	for _, c := range cases {
		t.Run(c.path, func(t *testing.T) {
			w := get(t, s, c.path)
			if w.Code != c.code {
				t.Fatalf("GET %s: %d, want %d\n%s", c.path, w.Code, c.code, w.Body)
			}
			body := html.UnescapeString(w.Body.String())
			for _, want := range c.want {
				if !strings.Contains(body, want) {
					t.Errorf("GET %s lacks %q", c.path, want)
				}
			}
			if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
				t.Errorf("GET %s: CSP %q", c.path, csp)
			}
		})
	}
}

func TestWebFreshness(t *testing.T) {
	const after = 26 * time.Hour
	cases := []struct {
		age      time.Duration
		verified bool
		want     string
	}{
		{0, true, fresh},
		{13*time.Hour - time.Second, true, fresh},
		{13 * time.Hour, true, ageing},
		{26*time.Hour - time.Second, true, ageing},
		{26 * time.Hour, true, stale},
		{0, false, stale},
	}
	for _, c := range cases {
		if got := freshness(c.age, c.verified, after); got != c.want {
			t.Errorf("freshness(%s, %v) = %s, want %s", c.age, c.verified, got, c.want)
		}
	}
}

func TestWebEscapesHostileStrings(t *testing.T) {
	f := newFake()
	f.status.Regions[1].Region = hostile
	s := newTestServer(t, f, Auth{})
	for _, path := range []string{"/", "/runs/r2", "/dlq", "/regions/REG2"} {
		body := get(t, s, path).Body.String()
		if strings.Contains(body, "<script>") {
			t.Errorf("GET %s renders a raw <script>:\n%s", path, body)
		}
		if !strings.Contains(body, "&lt;script&gt;") {
			t.Errorf("GET %s does not show the escaped string", path)
		}
	}
}

func TestWebAPI(t *testing.T) {
	s := newTestServer(t, newFake(), Auth{})
	var regions []app.RegionStatus
	decode(t, get(t, s, "/api/regions"), &regions)
	if len(regions) != 2 || regions[0].Region != "REG1" || regions[0].LastGood == nil || regions[1].LastOutcome != "excluded" {
		t.Errorf("/api/regions: %+v", regions)
	}
	var st app.Status
	decode(t, get(t, s, "/api/status"), &st)
	if len(st.Regions) != 2 || len(st.Stages) != 1 {
		t.Errorf("/api/status: %+v", st)
	}
	var runs []report.Report
	decode(t, get(t, s, "/api/runs?n=1"), &runs)
	if len(runs) != 1 || runs[0].Run != "r2" {
		t.Errorf("/api/runs?n=1: %+v", runs)
	}
	var entries []DLQEntry
	decode(t, get(t, s, "/api/dlq"), &entries)
	if len(entries) != 1 || entries[0].Seq != 7 || entries[0].Reason != hostile {
		t.Errorf("/api/dlq: %+v", entries)
	}
	if w := get(t, s, "/api/runs/nope"); w.Code != 404 || !strings.Contains(w.Body.String(), `"error"`) {
		t.Errorf("/api/runs/nope: %d %s", w.Code, w.Body)
	}
}

func decode(t *testing.T, w *httptest.ResponseRecorder, v any) {
	t.Helper()
	if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
		t.Fatalf("%d %s: %s", w.Code, w.Header().Get("Content-Type"), w.Body)
	}
	if err := json.Unmarshal(w.Body.Bytes(), v); err != nil {
		t.Fatal(err)
	}
}

func TestWebDLQFilter(t *testing.T) {
	f := newFake()
	s := newTestServer(t, f, Auth{})
	cases := []struct {
		query string
		code  int
		want  pipeline.Filter
	}{
		{"", 200, pipeline.Filter{}},
		{"region=REG2&stage=dump", 200, pipeline.Filter{Region: "REG2", Stage: "dump"}},
		{"run=r2", 200, pipeline.Filter{Run: "r2"}},
		{"region=" + url.QueryEscape("a.>"), 400, pipeline.Filter{}},
		{"stage=nope", 400, pipeline.Filter{}},
		{"region=" + url.QueryEscape(hostile), 400, pipeline.Filter{}},
	}
	for _, c := range cases {
		for _, path := range []string{"/dlq?", "/api/dlq?"} {
			f.filters = nil
			w := get(t, s, path+c.query)
			if w.Code != c.code {
				t.Errorf("GET %s%s: %d, want %d", path, c.query, w.Code, c.code)
				continue
			}
			if c.code == 200 && (len(f.filters) != 1 || f.filters[0] != c.want) {
				t.Errorf("GET %s%s: backend saw %+v, want %+v", path, c.query, f.filters, c.want)
			}
			if c.code != 200 && len(f.filters) != 0 {
				t.Errorf("GET %s%s: reached the backend", path, c.query)
			}
			if strings.Contains(w.Body.String(), "<script>") {
				t.Errorf("GET %s%s echoes a raw <script>", path, c.query)
			}
		}
	}
	if body := get(t, s, "/dlq?region=REG2").Body.String(); !strings.Contains(body, "<option selected>REG2</option>") {
		t.Errorf("filter form does not keep the region selected")
	}
}

// replayRequest builds a replay POST: the HTML form (with a valid form
// token) or the API.
func replayRequest(s *Server, api bool, cred string) *http.Request {
	var r *http.Request
	if api {
		r = httptest.NewRequest(http.MethodPost, "/api/dlq/7/replay", nil)
	} else {
		form := url.Values{"csrf": {s.tokens.replay(7)}}
		r = httptest.NewRequest(http.MethodPost, "/dlq/7/replay", strings.NewReader(form.Encode()))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	switch cred {
	case "bearer":
		r.Header.Set("Authorization", "Bearer tok-3n")
	case "bad-bearer":
		r.Header.Set("Authorization", "Bearer wrong")
	case "basic":
		r.SetBasicAuth("ops", "pw")
	case "bad-basic":
		r.SetBasicAuth("ops", "nope")
	}
	return r
}

func TestWebReplayAuth(t *testing.T) {
	token := Auth{Token: "tok-3n"}
	basic := Auth{User: "ops", Password: "pw"}
	both := Auth{Token: "tok-3n", User: "ops", Password: "pw"}
	const loop, lan, loop6 = "127.0.0.1:4000", "192.0.2.10:4000", "[::1]:4000"
	cases := []struct {
		name   string
		auth   Auth
		cred   string
		remote string
		code   int
		by     string
	}{
		{"no auth, loopback", Auth{}, "", loop, 0, "web 127.0.0.1"},
		{"no auth, loopback v6", Auth{}, "", loop6, 0, "web ::1"},
		{"no auth, remote", Auth{}, "", lan, 403, ""},
		{"no auth, remote with a token", Auth{}, "bearer", lan, 403, ""},
		{"token, none given", token, "", loop, 401, ""},
		{"token, wrong", token, "bad-bearer", lan, 401, ""},
		{"token, right", token, "bearer", lan, 0, "web 192.0.2.10"},
		{"token, basic given", token, "basic", lan, 401, ""},
		{"basic, none", basic, "", lan, 401, ""},
		{"basic, wrong", basic, "bad-basic", lan, 401, ""},
		{"basic, right", basic, "basic", lan, 0, "web ops"},
		{"basic, bearer given", basic, "bearer", lan, 401, ""},
		{"both, basic", both, "basic", lan, 0, "web ops"},
		{"both, bearer", both, "bearer", lan, 0, "web 192.0.2.10"},
	}
	for _, c := range cases {
		for _, api := range []bool{false, true} {
			name := c.name + map[bool]string{true: " (api)", false: " (form)"}[api]
			t.Run(name, func(t *testing.T) {
				f := newFake()
				s := newTestServer(t, f, c.auth)
				w := do(t, s, replayRequest(s, api, c.cred), c.remote)
				want := c.code
				if want == 0 {
					want = map[bool]int{true: 200, false: 303}[api]
				}
				if w.Code != want {
					t.Fatalf("%d, want %d: %s", w.Code, want, w.Body)
				}
				if c.code != 0 {
					if len(f.replays) != 0 {
						t.Errorf("refused, yet replayed: %v", f.replays)
					}
					if c.code == 401 && w.Header().Get("WWW-Authenticate") == "" {
						t.Errorf("401 without WWW-Authenticate")
					}
					return
				}
				if len(f.replays) != 1 || f.replays[0] != "7 "+c.by+" -" {
					t.Errorf("replays %q, want one by %q", f.replays, c.by)
				}
				if !api && w.Header().Get("Location") != "/dlq?replayed=7" {
					t.Errorf("redirect to %q", w.Header().Get("Location"))
				}
			})
		}
	}
}

func TestWebReplayTokenFormField(t *testing.T) {
	f := newFake()
	s := newTestServer(t, f, Auth{Token: "tok-3n"})
	form := url.Values{"csrf": {s.tokens.replay(7)}, "token": {"tok-3n"}, "force": {"true"}}
	r := httptest.NewRequest(http.MethodPost, "/dlq/7/replay", strings.NewReader(form.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if w := do(t, s, r, "192.0.2.10:1"); w.Code != 303 || len(f.replays) != 1 || f.replays[0] != "7 web 192.0.2.10 force" {
		t.Fatalf("%d %v %s", w.Code, f.replays, w.Body)
	}
	// The token in the query string does not count: it would end up in logs.
	r = httptest.NewRequest(http.MethodPost, "/dlq/7/replay?token=tok-3n", strings.NewReader(url.Values{"csrf": {s.tokens.replay(7)}}.Encode()))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if w := do(t, s, r, "192.0.2.10:1"); w.Code != 401 {
		t.Errorf("token in the query: %d, want 401", w.Code)
	}
}

func TestWebReplayCSRF(t *testing.T) {
	cases := []struct {
		name string
		mod  func(s *Server, r *http.Request) *http.Request
		code int
	}{
		{"same origin", func(_ *Server, r *http.Request) *http.Request {
			r.Header.Set("Origin", "http://example.com")
			r.Header.Set("Sec-Fetch-Site", "same-origin")
			return r
		}, 303},
		{"cross site", func(_ *Server, r *http.Request) *http.Request {
			r.Header.Set("Sec-Fetch-Site", "cross-site")
			return r
		}, 403},
		{"foreign origin", func(_ *Server, r *http.Request) *http.Request {
			r.Header.Set("Origin", "http://evil.example")
			return r
		}, 403},
		{"no form token", func(_ *Server, _ *http.Request) *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/dlq/7/replay", strings.NewReader(""))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, 403},
		{"another entry's form token", func(s *Server, _ *http.Request) *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/dlq/7/replay", strings.NewReader("csrf="+s.tokens.replay(8)))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, 403},
		{"another process's form token", func(_ *Server, _ *http.Request) *http.Request {
			r := httptest.NewRequest(http.MethodPost, "/dlq/7/replay", strings.NewReader("csrf="+newFormTokens().replay(7)))
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			return r
		}, 403},
		{"GET does not replay", func(_ *Server, _ *http.Request) *http.Request {
			return httptest.NewRequest(http.MethodGet, "/dlq/7/replay", nil)
		}, 405},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f := newFake()
			s := newTestServer(t, f, Auth{})
			w := do(t, s, c.mod(s, replayRequest(s, false, "")), "127.0.0.1:1")
			if w.Code != c.code {
				t.Fatalf("%d, want %d: %s", w.Code, c.code, w.Body)
			}
			if replayed := len(f.replays) == 1; replayed != (c.code == 303) {
				t.Errorf("replays %v", f.replays)
			}
		})
	}
	t.Run("api refuses a cross-site form", func(t *testing.T) {
		f := newFake()
		s := newTestServer(t, f, Auth{})
		for _, ct := range []string{"application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain"} {
			r := replayRequest(s, true, "")
			r.Header.Set("Content-Type", ct)
			if w := do(t, s, r, "127.0.0.1:1"); w.Code != http.StatusUnsupportedMediaType {
				t.Errorf("%s: %d", ct, w.Code)
			}
		}
		r := replayRequest(s, true, "")
		r.Header.Set("Origin", "http://evil.example")
		if w := do(t, s, r, "127.0.0.1:1"); w.Code != 403 || !strings.Contains(w.Body.String(), "cross-origin") {
			t.Errorf("api, foreign origin: %d %s", w.Code, w.Body)
		}
		if len(f.replays) != 0 {
			t.Errorf("replayed: %v", f.replays)
		}
	})
}

func TestWebReplayErrors(t *testing.T) {
	cases := []struct {
		err  error
		code int
	}{
		{pipeline.ErrNoEntry, 404},
		{pipeline.ErrAlreadyReplayed, 409},
		{pipeline.ErrNotReplayable, 422},
		{io.ErrUnexpectedEOF, 502},
	}
	for _, c := range cases {
		f := newFake()
		f.err = c.err
		s := newTestServer(t, f, Auth{})
		if w := do(t, s, replayRequest(s, true, ""), "127.0.0.1:1"); w.Code != c.code {
			t.Errorf("%v: %d, want %d", c.err, w.Code, c.code)
		}
	}
	s := newTestServer(t, newFake(), Auth{})
	if w := do(t, s, httptest.NewRequest(http.MethodPost, "/api/dlq/x/replay", nil), "127.0.0.1:1"); w.Code != 400 {
		t.Errorf("bad seq: %d", w.Code)
	}
}

func TestWebNeverRendersSecrets(t *testing.T) {
	auth := Auth{Token: "tok-very-secret", User: "ops", Password: "pw-very-secret"}
	s := newTestServer(t, newFake(), auth)
	for _, path := range []string{"/", "/runs", "/runs/r2", "/dlq", "/regions/REG1", "/api/status", "/api/dlq"} {
		body := get(t, s, path).Body.String()
		if strings.Contains(body, auth.Token) || strings.Contains(body, auth.Password) {
			t.Errorf("GET %s shows a secret", path)
		}
	}
	// With a token configured the DLQ page offers a token field, empty.
	if body := get(t, s, "/dlq").Body.String(); !strings.Contains(body, `name="token"`) {
		t.Errorf("no token field on the DLQ page")
	}
}

func TestWebChart(t *testing.T) {
	t0 := now
	c := newChart("size", []point{{T: t0, V: 100}, {T: t0.Add(time.Hour), V: 200}, {T: t0.Add(2 * time.Hour), V: 150, Bad: true}},
		func(v float64) string { return "v" })
	if c.Empty || len(c.Dots) != 3 || c.Dots[0].X != padLeft || c.Dots[2].X != padLeft+plotW || !c.Dots[2].Bad {
		t.Fatalf("%+v", c)
	}
	if c.Dots[1].Y >= c.Dots[0].Y {
		t.Errorf("the larger value is not drawn higher: %+v", c.Dots)
	}
	if one := newChart("d", []point{{T: t0, V: 5}}, func(float64) string { return "" }); one.Empty || len(one.Dots) != 1 {
		t.Errorf("one point: %+v", one)
	}
	if !newChart("d", nil, nil).Empty {
		t.Error("no points should be empty")
	}
}
