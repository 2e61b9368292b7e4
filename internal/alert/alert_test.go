package alert

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// counts is a Counters for tests.
type counts struct {
	mu                    sync.Mutex
	sent, failed, dropped map[string]int
}

func newCounts() *counts {
	return &counts{sent: map[string]int{}, failed: map[string]int{}, dropped: map[string]int{}}
}

func (c *counts) AlertSent(k string)    { c.mu.Lock(); c.sent[k]++; c.mu.Unlock() }
func (c *counts) AlertFailed(k string)  { c.mu.Lock(); c.failed[k]++; c.mu.Unlock() }
func (c *counts) AlertDropped(k string) { c.mu.Lock(); c.dropped[k]++; c.mu.Unlock() }

func (c *counts) get(m map[string]int, k string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return m[k]
}

// receiver records POSTs; fail answers the nth request (1-based) with a
// status, or 0 for 200.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	bodies [][]byte
	heads  []http.Header
	calls  int
	fail   func(n int) (status int, retryAfter string)
	got    chan struct{}
}

func newReceiver(t *testing.T, fail func(int) (int, string)) *receiver {
	r := &receiver{fail: fail, got: make(chan struct{}, 100)}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.calls++
		n := r.calls
		r.mu.Unlock()
		if r.fail != nil {
			if code, ra := r.fail(n); code != 0 {
				if ra != "" {
					w.Header().Set("Retry-After", ra)
				}
				http.Error(w, "not now", code)
				return
			}
		}
		r.mu.Lock()
		r.bodies = append(r.bodies, body)
		r.heads = append(r.heads, req.Header.Clone())
		r.mu.Unlock()
		r.got <- struct{}{}
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) wait(t *testing.T, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		select {
		case <-r.got:
		case <-time.After(10 * time.Second):
			t.Fatalf("received %d of %d alerts in 10s", i, n)
		}
	}
}

func (r *receiver) snapshot() ([][]byte, []http.Header, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([][]byte{}, r.bodies...), append([]http.Header{}, r.heads...), r.calls
}

var t0 = time.Date(2026, 11, 28, 1, 18, 0, 0, time.UTC)

func sampleExclusion() Event {
	return Excluded(Exclusion{Region: "REG3", Stage: "dump", Run: "20261128-0118",
		Reason: "gave up after 4 attempts: dump REG3: Can't connect\nsecond line", ReasonClass: "retries_exhausted", Attempts: 4, At: t0})
}

func TestRenderJSON(t *testing.T) {
	fin := RunFinished(RunSummary{Run: "r1", Started: t0, Finished: t0.Add(90 * time.Second), Good: 2,
		Excluded: []ExcludedRegion{{Region: "REG3", Stage: "dump", Reason: "boom", ReasonClass: "dump_failed"}}})
	never := Stale(Staleness{Region: "REG1", Since: t0, After: time.Hour, At: t0.Add(2 * time.Hour)})
	old := Stale(Staleness{Region: "REG2", LastVerified: t0, After: time.Hour, At: t0.Add(3 * time.Hour)})
	back := Recovered(Staleness{Region: "REG2", LastVerified: t0.Add(3 * time.Hour), After: time.Hour, At: t0.Add(3*time.Hour + time.Minute)})
	cases := []struct {
		name string
		ev   Event
		want map[string]any // top-level fields and their JSON values
		none []string       // fields that must be absent
	}{
		{"excluded", sampleExclusion(), map[string]any{"v": 1.0, "kind": "excluded", "region": "REG3", "stage": "dump",
			"run": "20261128-0118", "reason_class": "retries_exhausted", "attempts": 4.0, "time": "2026-11-28T01:18:00Z"},
			[]string{"good", "excluded", "last_verified", "stale_after_seconds"}},
		{"run finished", fin, map[string]any{"kind": "run_finished", "run": "r1", "good": 2.0, "excluded": 1.0, "duration_seconds": 90.0},
			[]string{"region", "reason", "attempts"}},
		{"stale, never verified", never, map[string]any{"kind": "stale", "region": "REG1", "stale_after_seconds": 3600.0},
			[]string{"last_verified", "age_seconds", "run"}},
		{"stale, old backup", old, map[string]any{"kind": "stale", "region": "REG2", "age_seconds": 10800.0, "last_verified": "2026-11-28T01:18:00Z"}, nil},
		{"recovered", back, map[string]any{"kind": "recovered", "region": "REG2", "age_seconds": 60.0}, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := Render(FormatJSON, c.ev)
			if err != nil {
				t.Fatal(err)
			}
			var got map[string]any
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			for k, want := range c.want {
				if got[k] != want {
					t.Errorf("%s = %v, want %v (in %s)", k, got[k], want, b)
				}
			}
			for _, k := range c.none {
				if _, ok := got[k]; ok {
					t.Errorf("%s present in %s", k, b)
				}
			}
			if s, _ := got["summary"].(string); s == "" || strings.Contains(s, "\n") {
				t.Errorf("summary %q: want one non-empty line", s)
			}
		})
	}
	b, _ := Render(FormatJSON, fin)
	var got Event
	_ = json.Unmarshal(b, &got)
	if len(got.ExcludedRegions) != 1 || got.ExcludedRegions[0] != (ExcludedRegion{Region: "REG3", Stage: "dump", Reason: "boom", ReasonClass: "dump_failed"}) {
		t.Errorf("excluded_regions = %+v", got.ExcludedRegions)
	}
}

func TestRenderSlack(t *testing.T) {
	fin := RunFinished(RunSummary{Run: "r1", Started: t0, Finished: t0.Add(time.Minute), Good: 1,
		Excluded: []ExcludedRegion{{Region: "REG<3>", Stage: "restore", Reason: "a & b\nmore"}}})
	cases := []struct {
		name      string
		ev        Event
		wantText  string // in "text"
		wantBlock string // in the section's text
	}{
		{"excluded", sampleExclusion(), "region REG3 excluded at dump in run 20261128-0118", "class `retries_exhausted`, 4 attempt(s)"},
		{"run finished escapes markup", fin, "1 good and 1 excluded (REG&lt;3&gt;)", "• *REG&lt;3&gt;* at restore: a &amp; b …"},
		{"stale", Stale(Staleness{Region: "REG1", Since: t0, After: time.Hour, At: t0.Add(time.Hour)}), "region REG1 is stale", ":rotating_light:"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b, err := Render(FormatSlack, c.ev)
			if err != nil {
				t.Fatal(err)
			}
			var got struct {
				Text   string `json:"text"`
				Blocks []struct {
					Type string `json:"type"`
					Text struct{ Type, Text string }
				} `json:"blocks"`
			}
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(got.Text, c.wantText) {
				t.Errorf("text %q, want it to contain %q", got.Text, c.wantText)
			}
			if len(got.Blocks) != 1 || got.Blocks[0].Type != "section" || got.Blocks[0].Text.Type != "mrkdwn" ||
				!strings.Contains(got.Blocks[0].Text.Text, c.wantBlock) {
				t.Errorf("blocks %+v, want one mrkdwn section containing %q", got.Blocks, c.wantBlock)
			}
			if strings.Contains(string(b), `"kind"`) {
				t.Errorf("slack payload carries the JSON event: %s", b)
			}
		})
	}
	if _, err := Render("xml", sampleExclusion()); err == nil || !strings.HasPrefix(err.Error(), "alert excluded: ") {
		t.Errorf("unknown format: err %v, want an 'alert excluded: ' error", err)
	}
}

func TestClipLongReason(t *testing.T) {
	ev := Excluded(Exclusion{Region: "R", Reason: strings.Repeat("é", MaxReason), At: t0})
	if len(ev.Reason) > MaxReason || !strings.HasSuffix(ev.Reason, "…") || !json.Valid(mustRender(t, ev)) {
		t.Errorf("reason of %d bytes, want at most %d ending in …", len(ev.Reason), MaxReason)
	}
	b, _ := Render(FormatSlack, Excluded(Exclusion{Region: "R", Reason: strings.Repeat("x\n", 3000), At: t0}))
	if len(b) > 7000 {
		t.Errorf("slack payload %d bytes: want the section clipped", len(b))
	}
}

func mustRender(t *testing.T, ev Event) []byte {
	t.Helper()
	b, err := Render(FormatJSON, ev)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestBackoff(t *testing.T) {
	cases := []struct {
		attempt    int
		first, max time.Duration
		want       time.Duration
	}{
		{1, time.Second, time.Minute, time.Second},
		{2, time.Second, time.Minute, 2 * time.Second},
		{3, time.Second, time.Minute, 4 * time.Second},
		{6, time.Second, time.Minute, 32 * time.Second},
		{7, time.Second, time.Minute, time.Minute},
		{60, time.Second, time.Minute, time.Minute},
		{1, 2 * time.Minute, time.Minute, time.Minute},
	}
	for _, c := range cases {
		if got := Backoff(c.attempt, c.first, c.max); got != c.want {
			t.Errorf("Backoff(%d, %s, %s) = %s, want %s", c.attempt, c.first, c.max, got, c.want)
		}
	}
}

func TestRetryAfter(t *testing.T) {
	now := t0
	cases := []struct {
		v    string
		want time.Duration
	}{
		{"", 0},
		{"7", 7 * time.Second},
		{" 0 ", 0},
		{"-3", 0},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
	}
	for _, c := range cases {
		if got := RetryAfter(c.v, now); got != c.want {
			t.Errorf("RetryAfter(%q) = %s, want %s", c.v, got, c.want)
		}
	}
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func fastOpts(c Counters) Options {
	return Options{Backoff: time.Millisecond, MaxBackoff: 20 * time.Millisecond, MaxAttempts: 4, Counters: c, Logger: quiet()}
}

// TestRetriesThen503: the receiver refuses the first two POSTs with 503;
// the event arrives once, with the secret header, after two retries.
func TestRetriesThen503(t *testing.T) {
	cases := []struct {
		name  string
		fail  func(int) (int, string)
		calls int
	}{
		{"503 twice", func(n int) (int, string) {
			if n <= 2 {
				return http.StatusServiceUnavailable, ""
			}
			return 0, ""
		}, 3},
		{"429 with Retry-After 0", func(n int) (int, string) {
			if n == 1 {
				return http.StatusTooManyRequests, "0"
			}
			return 0, ""
		}, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newReceiver(t, c.fail)
			cnt := newCounts()
			n := New(&Webhook{URL: r.URL + "/hook", Header: "X-Gd-Secret", Secret: "s3cr3t"}, fastOpts(cnt))
			n.Start(context.Background())
			defer n.Stop()
			n.Notify(sampleExclusion())
			r.wait(t, 1)
			waitFor(t, func() bool { return n.Pending() == 0 })
			n.Stop()
			bodies, heads, calls := r.snapshot()
			if len(bodies) != 1 || calls != c.calls {
				t.Fatalf("got %d bodies in %d calls, want 1 in %d", len(bodies), calls, c.calls)
			}
			if got := heads[0].Get("X-Gd-Secret"); got != "s3cr3t" {
				t.Errorf("secret header %q, want s3cr3t", got)
			}
			if got := heads[0].Get("Content-Type"); got != "application/json" {
				t.Errorf("content type %q", got)
			}
			if cnt.get(cnt.sent, "excluded") != 1 || cnt.get(cnt.failed, "excluded") != 0 {
				t.Errorf("sent %v failed %v, want sent 1", cnt.sent, cnt.failed)
			}
		})
	}
}

// TestGiveUp: a permanent refusal is tried once; a receiver that keeps
// failing is tried MaxAttempts times; both count as failed.
func TestGiveUp(t *testing.T) {
	cases := []struct {
		name   string
		status int
		calls  int
	}{
		{"400 is permanent", http.StatusBadRequest, 1},
		{"401 is permanent", http.StatusUnauthorized, 1},
		{"302 is not followed", http.StatusFound, 1},
		{"500 is retried", http.StatusInternalServerError, 4},
		{"408 is retried", http.StatusRequestTimeout, 4},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := newReceiver(t, func(int) (int, string) { return c.status, "" })
			cnt := newCounts()
			n := New(&Webhook{URL: r.URL}, fastOpts(cnt))
			n.Start(context.Background())
			n.Notify(sampleExclusion())
			waitFor(t, func() bool { return cnt.get(cnt.failed, "excluded") == 1 })
			n.Stop()
			if _, _, calls := r.snapshot(); calls != c.calls {
				t.Errorf("%d POSTs, want %d", calls, c.calls)
			}
		})
	}
}

// waitFor polls cond until it holds, failing after 10s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met in 10s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// blockingSender holds every Send until released.
type blockingSender struct {
	release chan struct{}
	started chan Event
	mu      sync.Mutex
	sent    []string
}

func (b *blockingSender) Send(ctx context.Context, ev Event) error {
	b.started <- ev
	select {
	case <-b.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	b.mu.Lock()
	b.sent = append(b.sent, ev.Region)
	b.mu.Unlock()
	return nil
}

// TestQueueDropsOldest: with the receiver stuck, Notify never blocks; a
// full queue drops its oldest event, counted and logged.
func TestQueueDropsOldest(t *testing.T) {
	s := &blockingSender{release: make(chan struct{}), started: make(chan Event, 10)}
	cnt := newCounts()
	var logs bytes.Buffer
	opts := fastOpts(cnt)
	opts.QueueSize = 2
	opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
	n := New(s, opts)
	n.Start(context.Background())
	defer n.Stop()
	n.Notify(Event{Kind: KindExcluded, Region: "A"})
	<-s.started // A is being sent, the queue is empty
	done := make(chan struct{})
	go func() {
		for _, r := range []string{"B", "C", "D", "E"} {
			n.Notify(Event{Kind: KindStale, Region: r})
		}
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Notify blocked on a stuck receiver")
	}
	if got := cnt.get(cnt.dropped, "stale"); got != 2 {
		t.Errorf("dropped %d, want 2 (B and C)", got)
	}
	if !strings.Contains(logs.String(), "alert queue full") {
		t.Errorf("no warning logged for the drop: %s", logs.String())
	}
	if got := n.Pending(); got != 3 {
		t.Errorf("pending %d, want 3 (A in flight, D and E queued)", got)
	}
	close(s.release)
	waitFor(t, func() bool { return n.Pending() == 0 })
	s.mu.Lock()
	defer s.mu.Unlock()
	if strings.Join(s.sent, ",") != "A,D,E" {
		t.Errorf("sent %v, want A,D,E", s.sent)
	}
}

// TestStopBounded: a receiver that is down does not hold Stop past Drain;
// what could not be sent is counted as dropped.
func TestStopBounded(t *testing.T) {
	cnt := newCounts()
	opts := fastOpts(cnt)
	opts.MaxAttempts, opts.Backoff, opts.MaxBackoff, opts.Drain = 100, time.Second, time.Second, 200*time.Millisecond
	n := New(&Webhook{URL: "http://127.0.0.1:1/hook", Timeout: time.Second}, opts)
	n.Start(context.Background())
	for range 3 {
		n.Notify(sampleExclusion())
	}
	start := time.Now()
	n.Stop()
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Stop took %s with Drain 200ms", took)
	}
	if got := cnt.get(cnt.dropped, "excluded"); got != 3 {
		t.Errorf("dropped %d, want 3", got)
	}
	if cnt.get(cnt.sent, "excluded") != 0 {
		t.Error("sent to a dead receiver?")
	}
}

// TestNoSecretsInLogs: the URL's path, query and userinfo and the secret
// header's value appear in no log line and no error, whatever fails.
func TestNoSecretsInLogs(t *testing.T) {
	echo := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A receiver that echoes the request headers in its refusal.
		http.Error(w, "bad token "+r.Header.Get("Authorization"), http.StatusForbidden)
	}))
	defer echo.Close()
	const secret, pathToken, queryToken = "Bearer top-secret-value", "T000PATHTOKEN", "QUERYTOKEN"
	for _, url := range []string{
		echo.URL + "/services/" + pathToken + "?token=" + queryToken,
		"http://127.0.0.1:1/services/" + pathToken + "?token=" + queryToken, // refused connection
	} {
		var logs bytes.Buffer
		cnt := newCounts()
		opts := fastOpts(cnt)
		opts.MaxAttempts = 2
		opts.Logger = slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
		hook := &Webhook{URL: url, Header: "Authorization", Secret: secret}
		opts.Target = hook.Target()
		n := New(hook, opts)
		n.Start(context.Background())
		n.Notify(sampleExclusion())
		waitFor(t, func() bool { return cnt.get(cnt.failed, "excluded") == 1 })
		n.Stop()
		err := hook.Send(context.Background(), sampleExclusion())
		out := logs.String() + "\n" + err.Error()
		for _, s := range []string{"top-secret-value", pathToken, queryToken} {
			if strings.Contains(out, s) {
				t.Errorf("%q leaked:\n%s", s, out)
			}
		}
		if !strings.Contains(out, "127.0.0.1") || !strings.Contains(out, "alert excluded: ") {
			t.Errorf("logs should name the receiver's host and the kind:\n%s", out)
		}
	}
}

func TestRedact(t *testing.T) {
	cases := []struct{ in, want string }{
		{"https://hooks.example.com/services/T0/B0/XXXX", "https://hooks.example.com"},
		{"https://user:pw@alerts.example.com:8443/x?token=abc", "https://alerts.example.com:8443"},
		{"::not a url", "(unparsable webhook URL)"},
	}
	for _, c := range cases {
		if got := Redact(c.in); got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestSendTimeout: one POST is bounded by Timeout.
func TestSendTimeout(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-block }))
	defer srv.Close()
	defer close(block)
	hook := &Webhook{URL: srv.URL, Timeout: 100 * time.Millisecond}
	start := time.Now()
	err := hook.Send(context.Background(), sampleExclusion())
	var se *SendError
	if !errors.As(err, &se) || se.Permanent || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("err %v, want a retryable timeout", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("took %s", took)
	}
}
