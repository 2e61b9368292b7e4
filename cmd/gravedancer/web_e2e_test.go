package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"gravedancer/internal/app"
	"gravedancer/internal/report"
	"gravedancer/internal/testenv"
)

const webToken = "web-e2e-t0ken"

// TestWebStatusPageReplay drives the status page of a real `gravedancer run`
// in headless Chromium: a run with one region whose source is down, the
// overview showing both outcomes, then the region's DLQ entry replayed with
// the button once the source is back, and the region good afterwards.
func TestWebStatusPageReplay(t *testing.T) {
	chromium := requireChromium(t)
	env, sources := webEnv(t)
	sources[1].Stop() // REG2's source is down for the first run
	_, url := testenv.StartNATS(t)
	env["GD_NATS_URL"] = url
	env["GD_WEB_TOKEN"] = webToken
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	base := "http://" + addr
	logs := startService(t, env, "run", "--health", addr)
	waitReady(t, base, logs)

	js := testenv.ConnectNATS(t, url)
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	watch, err := app.WatchRun(ctx, js, "web-1")
	if err != nil {
		t.Fatal(err)
	}
	if r := run(t, env, "trigger", "--run", "web-1"); r.Code != exitOK {
		t.Fatalf("trigger: exit %d\n%s", r.Code, r.Stderr)
	}
	rep, err := watch.Wait(ctx, nil)
	if err != nil {
		t.Fatalf("%v\nservice log:\n%s", err, logs)
	}
	if rep.Good() != 1 || rep.Excluded() != 1 {
		t.Fatalf("run web-1: %+v", rep.Regions)
	}

	b := newBrowser(t, chromium)
	if _, err := chromedp.Call(b, network.SetExtraHTTPHeaders,
		network.SetExtraHTTPHeadersParams{Headers: network.Headers{"Authorization": "Bearer " + webToken}}); err != nil {
		t.Fatal(err)
	}
	step(t, b, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#regions")))
	if got := text(t, b, `tr[data-region="REG1"] td.outcome`); !strings.Contains(got, "good") {
		t.Errorf("overview, REG1: %q", got)
	}
	if got := text(t, b, `tr[data-region="REG2"] td.outcome`); !strings.Contains(got, "excluded") || !strings.Contains(got, "connect") {
		t.Errorf("overview, REG2: %q", got)
	}

	step(t, b, chromedp.Navigate(base+"/dlq"), chromedp.WaitVisible(chromedp.CSS(`tr[data-region="REG2"]`)))
	seq := attr(t, b, `tr[data-region="REG2"]`, "data-seq")

	// Writes that must be refused, before the real one.
	for _, c := range []struct {
		name   string
		path   string
		header map[string]string
		want   int
	}{
		{"api without token", "/api/dlq/" + seq + "/replay", nil, http.StatusUnauthorized},
		{"api with a wrong token", "/api/dlq/" + seq + "/replay", map[string]string{"Authorization": "Bearer nope"}, http.StatusUnauthorized},
		{"form without token", "/dlq/" + seq + "/replay", map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, http.StatusUnauthorized},
		{"cross-origin with the token", "/api/dlq/" + seq + "/replay",
			map[string]string{"Authorization": "Bearer " + webToken, "Origin": "http://evil.example", "Sec-Fetch-Site": "cross-site"}, http.StatusForbidden},
	} {
		if code := post(t, base+c.path, c.header); code != c.want {
			t.Errorf("%s: %d, want %d", c.name, code, c.want)
		}
	}
	if got := text(t, b, `tr[data-region="REG2"] td:nth-child(8)`); got != "—" {
		t.Fatalf("refused writes replayed the entry: %q", got)
	}

	sources[1].Restart(t)
	step(t, b, chromedp.Click(chromedp.CSS("#replay-"+seq)), chromedp.WaitVisible(chromedp.CSS("#flash")))
	if got := text(t, b, `tr[data-seq="`+seq+`"] td:nth-child(8)`); !strings.Contains(got, "1× by web 127.0.0.1") {
		t.Errorf("DLQ after replay: replayed %q", got)
	}

	waitRegionGood(t, base, "REG2", logs)
	step(t, b, chromedp.Navigate(base+"/"), chromedp.WaitVisible(chromedp.CSS("#regions")))
	if got := text(t, b, `tr[data-region="REG2"] td.outcome`); !strings.Contains(got, "good") {
		t.Errorf("overview after replay, REG2: %q", got)
	}
	step(t, b, chromedp.Navigate(base+"/runs/web-1"), chromedp.WaitVisible(chromedp.CSS("#summary")))
	if got := text(t, b, `#summary tr[data-region="REG2"]`); !strings.Contains(got, "verified") {
		t.Errorf("run page after replay, REG2: %q", got)
	}
	step(t, b, chromedp.Navigate(base+"/regions/REG1"), chromedp.WaitVisible(chromedp.CSS("svg polyline")))
}

// TestServeCommandStatusPage runs `gravedancer serve`: the status page, the
// API and /metrics without any stage worker.
func TestServeCommandStatusPage(t *testing.T) {
	dir := t.TempDir()
	_, url := testenv.StartNATS(t)
	env := map[string]string{"GD_NATS_URL": url, "GD_REGIONS": "REG1=" + testenv.DeadAddr(t), "GD_TEST_SERVERS": "127.0.0.1:1",
		"GD_SOURCE_PASSWORD": "sekrit-src", "GD_ENCRYPT": "off", "GD_SPOOL_DIR": filepath.Join(dir, "spool"), "GD_STATE_DIR": filepath.Join(dir, "state"),
		"GD_WEB_USER": "ops", "GD_WEB_PASSWORD": "sekrit-web"}
	addr := fmt.Sprintf("127.0.0.1:%d", testenv.FreePort(t))
	base := "http://" + addr
	logs := startService(t, env, "serve", "--listen", addr)
	waitReady(t, base, logs)
	for _, c := range []struct{ path, want string }{
		{"/", `data-region="REG1"`},
		{"/dlq", "Nothing excluded"},
		{"/runs", "No run reports"},
		{"/api/regions", `"region": "REG1"`},
		{"/metrics", "# TYPE"},
	} {
		body := getBody(t, base+c.path)
		if !strings.Contains(body, c.want) {
			t.Errorf("GET %s lacks %q:\n%s", c.path, c.want, body)
		}
		if strings.Contains(body, "sekrit") {
			t.Errorf("GET %s shows a secret", c.path)
		}
	}
	var st app.Status
	if err := json.Unmarshal([]byte(getBody(t, base+"/api/status")), &st); err != nil {
		t.Fatal(err)
	}
	if len(st.Workers) != 0 {
		t.Errorf("serve announced itself as a worker: %+v", st.Workers)
	}
	if code := post(t, base+"/api/dlq/1/replay", nil); code != http.StatusUnauthorized {
		t.Errorf("replay without basic auth: %d, want 401", code)
	}
}

// requireChromium finds Debian's chromium; missing, it fails under CI.
func requireChromium(t *testing.T) string {
	t.Helper()
	for _, p := range []string{os.Getenv("GD_TEST_CHROMIUM"), "/usr/bin/chromium"} {
		if p != "" {
			if _, err := os.Stat(p); err == nil {
				return p
			}
		}
	}
	if p, err := exec.LookPath("chromium"); err == nil {
		return p
	}
	testenv.Require(t, "chromium not found (apt-get install chromium, or make deps)")
	return ""
}

// webEnv starts two regions with the sample, a test server, and returns the
// configuration and the regions' servers.
func webEnv(t *testing.T) (map[string]string, []*testenv.MariaDB) {
	t.Helper()
	dir := t.TempDir()
	var sources []*testenv.MariaDB
	for _, region := range []string{"REG1", "REG2"} {
		m := testenv.StartMariaDB(t)
		testenv.LoadSample(t, m, region)
		m.CreateUser(t, "backupuser", password, testenv.BackupGrants)
		sources = append(sources, m)
	}
	testServer := testenv.StartMariaDB(t)
	testServer.CreateUser(t, "restoreuser", restorePassword, restoreGrants)
	pw := filepath.Join(dir, "source.password")
	restorePw := filepath.Join(dir, "restore.password")
	for path, secret := range map[string]string{pw: password, restorePw: restorePassword} {
		if err := os.WriteFile(path, []byte(secret), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return map[string]string{
		"GD_REGIONS":               fmt.Sprintf("REG1=%s,REG2=%s", sources[0].Addr(), sources[1].Addr()),
		"GD_SOURCE_USER":           "backupuser",
		"GD_SOURCE_PASSWORD_FILE":  pw,
		"GD_TEST_SERVERS":          testServer.Addr(),
		"GD_RESTORE_USER":          "restoreuser",
		"GD_RESTORE_PASSWORD_FILE": restorePw,
		"GD_CHECK_DATABASES":       "keystone,nova,neutron",
		"GD_SPOOL_DIR":             filepath.Join(dir, "spool"),
		"GD_ENCRYPT":               "off", // plaintext: these tests read the dumps
		"GD_STATE_DIR":             filepath.Join(dir, "state"),
		"GD_MAX_DELIVER":           "2",
		"GD_RETRY_DELAY":           "100ms",
		"GD_LOG_FORMAT":            "json",
	}, sources
}

// startService starts the binary as a long-running service, stopped with
// SIGTERM when the test ends.
func startService(t *testing.T, env map[string]string, args ...string) *testenv.SyncBuffer {
	t.Helper()
	svc := exec.Command(binary, args...)
	svc.Env = []string{"PATH=" + os.Getenv("PATH"), "TZ=UTC"}
	for k, v := range env {
		svc.Env = append(svc.Env, k+"="+v)
	}
	logs := &testenv.SyncBuffer{}
	svc.Stderr = logs
	if err := svc.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- svc.Wait() }()
	t.Cleanup(func() {
		_ = svc.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("%s exit after SIGTERM: %v\n%s", args[0], err, logs)
			}
		case <-time.After(30 * time.Second):
			_ = svc.Process.Kill()
			<-exited
			t.Errorf("%s did not stop within 30s of SIGTERM", args[0])
		}
	})
	return logs
}

// waitReady polls /readyz until the service answers ready.
func waitReady(t *testing.T, base string, logs *testenv.SyncBuffer) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s not ready within 30s (%v)\n%s", base, err, logs)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// waitRegionGood polls /api/regions until region's last outcome is good.
func waitRegionGood(t *testing.T, base, region string, logs *testenv.SyncBuffer) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Minute)
	var last []app.RegionStatus
	for time.Now().Before(deadline) {
		if err := json.Unmarshal([]byte(getBody(t, base+"/api/regions")), &last); err != nil {
			t.Fatal(err)
		}
		for _, r := range last {
			if r.Region == region && r.LastOutcome == report.OutcomeGood && r.LastGood != nil {
				return
			}
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Fatalf("%s not good within 3m after the replay: %+v\n%s", region, last, logs)
}

func getBody(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s\n%s", url, resp.Status, b)
	}
	return string(b)
}

// post sends a bodiless POST with headers and returns the status.
func post(t *testing.T, url string, header map[string]string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// newBrowser starts headless chromium for the test.
func newBrowser(t *testing.T, path string) context.Context {
	t.Helper()
	// Chromium leaves org.chromium.Chromium.* directories in TMPDIR: give
	// it the test's own.
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true), chromedp.UserDataDir(t.TempDir()), chromedp.Env("TMPDIR="+t.TempDir()))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil { // starts the browser, without a timeout
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// step runs browser actions with a time limit.
func step(t *testing.T, b context.Context, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	ctx, cancel := context.WithTimeout(b, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		t.Fatalf("browser: %v", err)
	}
}

func text(t *testing.T, b context.Context, css string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b, 30*time.Second)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		t.Fatalf("browser: text of %s: %v", css, err)
	}
	return strings.TrimSpace(s)
}

func attr(t *testing.T, b context.Context, css, name string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(b, 30*time.Second)
	defer cancel()
	a, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(css), name))
	if err != nil || !a.Exists {
		t.Fatalf("browser: %s of %s: %v", name, css, err)
	}
	return a.Value
}
