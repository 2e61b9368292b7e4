package web

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"gravedancer/internal/report"
)

var funcs = template.FuncMap{
	"bytes":     report.HumanBytes,
	"age":       age,
	"dur":       func(d time.Duration) string { return dash(roundDur(d)) },
	"ts":        ts,
	"iso":       func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"delta":     delta,
	"firstLine": report.FirstLine,
	"dash":      func(s string) string { return or(s, "—") },
	"count":     count,
	"join":      strings.Join,
	"add":       func(a, b int) int { return a + b },
}

// age renders how long ago compactly: 45s, 12m, 3h20m, 2d4h.
func age(d time.Duration) string {
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%ds", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	}
	return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
}

func roundDur(d time.Duration) time.Duration {
	switch {
	case d >= time.Minute:
		return d.Round(time.Second)
	case d >= time.Second:
		return d.Round(100 * time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Microsecond)
}

func dash(d time.Duration) string {
	if d <= 0 {
		return "—"
	}
	return d.String()
}

func ts(t time.Time) string {
	if t.IsZero() {
		return "—"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

func delta(d *float64) string {
	if d == nil {
		return "—"
	}
	return fmt.Sprintf("%+.1f%%", *d)
}

func count(n int64) string {
	if n == 0 {
		return "—"
	}
	return fmt.Sprint(n)
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
