package progress

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestLine(t *testing.T) {
	m := &Meter{TotalBytes: 100 << 20, TotalRows: 1000}
	m.started = time.Unix(0, 0)
	got := m.line(50<<20, 400, time.Unix(10, 0))
	for _, want := range []string{" 50% ", "50.0 MiB/100.0 MiB", "400/1000 rows", "5.0 MiB/s", "ETA 10s"} {
		if !strings.Contains(got, want) {
			t.Errorf("line %q lacks %q", got, want)
		}
	}
}

func TestThrottleAndModes(t *testing.T) {
	var tty bytes.Buffer
	m := &Meter{TotalBytes: 10, TotalRows: 1, Out: &tty, TTY: true}
	m.Update(1, 0) // starts the clock, draws nothing yet
	m.last = time.Now().Add(-time.Second)
	m.Update(5, 0)
	m.Update(6, 0) // within 200 ms: not drawn
	m.Done()
	if got := strings.Count(tty.String(), "\r"); got != 2 {
		t.Errorf("terminal output %q: %d redraws, want 2 (one throttled update, the final one)", tty.String(), got)
	}
	if !strings.Contains(tty.String(), " 60% ") {
		t.Errorf("terminal output %q does not end on the newest figures", tty.String())
	}
	if !strings.HasSuffix(tty.String(), "\n") {
		t.Errorf("terminal output %q does not end the line", tty.String())
	}

	var logs bytes.Buffer
	l := &Meter{TotalBytes: 10, Log: slog.New(slog.NewTextHandler(&logs, nil)), Every: time.Hour}
	l.Update(1, 0)
	l.last = time.Now().Add(-2 * time.Hour)
	l.Update(5, 0)
	l.Update(6, 0)
	l.Done()
	if got := strings.Count(logs.String(), "restore progress"); got != 2 || strings.Contains(logs.String(), "\r") {
		t.Errorf("log output %q: %d lines, want 2 (one throttled update, the final one) and no carriage return", logs.String(), got)
	}
}
