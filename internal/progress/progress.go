// Package progress shows how far a long restore has got: a line redrawn in
// place on a terminal, periodic log lines otherwise (cron mail and journald
// must not fill with carriage returns).
package progress

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"gravedancer/internal/report"
)

// Meter renders byte and row progress against known totals.
type Meter struct {
	TotalBytes int64 // decompressed dump size, from the manifest
	TotalRows  int64
	Out        io.Writer    // the terminal, when TTY
	TTY        bool         // redraw one line; otherwise log every Every
	Log        *slog.Logger // for the non-TTY lines
	Every      time.Duration

	mu          sync.Mutex
	started     time.Time
	last        time.Time
	drawn       bool
	bytes, rows int64 // the newest figures, drawn or not
}

// Start sets the totals and starts the clock.
func (m *Meter) Start(totalBytes, totalRows int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.TotalBytes, m.TotalRows = totalBytes, totalRows
	m.started, m.last = time.Now(), time.Now()
}

// IsTerminal says whether f is a character device, the cheap test that
// needs no dependency: good enough to choose between redraw and log lines.
func IsTerminal(f *os.File) bool {
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// Update reports the cumulative figures; it draws at most every 200 ms on a
// terminal and every Every (default 10 s) in the log.
func (m *Meter) Update(bytes, rows int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	m.bytes, m.rows = bytes, rows
	if m.started.IsZero() {
		m.started, m.last = now, now
	}
	gap := m.Every
	if gap <= 0 {
		gap = 10 * time.Second
	}
	if m.TTY {
		gap = 200 * time.Millisecond
	}
	if now.Sub(m.last) < gap {
		return
	}
	m.last = now
	line := m.line(bytes, rows, now)
	if m.TTY {
		fmt.Fprintf(m.Out, "\r\033[K%s", line)
		m.drawn = true
		return
	}
	if m.Log != nil {
		m.Log.Info("restore progress", "done", line)
	}
}

// Done shows the final figures and ends the redrawn line, so later output
// starts on a fresh one.
func (m *Meter) Done() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started.IsZero() {
		return
	}
	line := m.line(m.bytes, m.rows, time.Now())
	switch {
	case m.TTY:
		fmt.Fprintf(m.Out, "\r\033[K%s\n", line)
	case m.Log != nil:
		m.Log.Info("restore progress", "done", line)
	}
	m.drawn = false
}

// line is "42% 120 MiB/284 MiB, 300000/765781 rows, 31.2 MiB/s, ETA 5s".
func (m *Meter) line(bytes, rows int64, now time.Time) string {
	el := now.Sub(m.started).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(bytes) / el
	}
	pct, eta := "", "?"
	if m.TotalBytes > 0 {
		pct = fmt.Sprintf("%3.0f%% ", 100*float64(bytes)/float64(m.TotalBytes))
		if rate > 0 {
			eta = time.Duration(float64(m.TotalBytes-bytes) / rate * float64(time.Second)).Round(time.Second).String()
		}
	}
	return fmt.Sprintf("%s%s/%s, %d/%d rows, %s/s, ETA %s", pct, report.HumanBytes(bytes), report.HumanBytes(m.TotalBytes),
		rows, m.TotalRows, report.HumanBytes(int64(rate)), eta)
}
