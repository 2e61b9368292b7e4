package web

import (
	"fmt"
	"strings"
	"time"
)

// Chart geometry, in SVG user units.
const (
	chartW, chartH            = 640, 150
	padLeft, padRight         = 70, 12
	padTop, padBottom         = 12, 22
	plotW, plotH      float64 = chartW - padLeft - padRight, chartH - padTop - padBottom
)

// point is one value at one time.
type point struct {
	T     time.Time
	V     float64
	Label string
	Bad   bool // drawn as a failure (an excluded run)
}

// chart is a line chart drawn on the server: the template turns it into
// inline SVG, with nothing but numbers and escaped labels in it.
type chart struct {
	Title          string
	W, H           int
	X0, X1, Y0, Y1 float64 // the plot area
	Line           string  // polyline points
	Dots           []dot
	YTop, YBottom  string
	XFirst, XLast  string
	Empty          bool
}

type dot struct {
	X, Y  float64
	Label string
	Bad   bool
}

// newChart lays pts (oldest first) out over time, the y axis spanning the
// values with a little headroom.
func newChart(title string, pts []point, label func(float64) string) chart {
	c := chart{Title: title, W: chartW, H: chartH, X0: padLeft, X1: padLeft + plotW, Y0: padTop, Y1: padTop + plotH}
	if len(pts) == 0 {
		c.Empty = true
		return c
	}
	lo, hi := pts[0].V, pts[0].V
	for _, p := range pts {
		lo, hi = min(lo, p.V), max(hi, p.V)
	}
	span := hi - lo
	if span == 0 {
		span = max(hi*0.1, 1)
	}
	lo, hi = max(lo-span*0.1, 0), hi+span*0.1
	t0, t1 := pts[0].T, pts[len(pts)-1].T
	var line []string
	for i, p := range pts {
		x := c.X0 + plotW/2
		switch {
		case t1.After(t0):
			x = c.X0 + plotW*float64(p.T.Sub(t0))/float64(t1.Sub(t0))
		case len(pts) > 1:
			x = c.X0 + plotW*float64(i)/float64(len(pts)-1)
		}
		y := c.Y1 - plotH*(p.V-lo)/(hi-lo)
		line = append(line, fmt.Sprintf("%.1f,%.1f", x, y))
		c.Dots = append(c.Dots, dot{X: round1(x), Y: round1(y), Label: p.Label, Bad: p.Bad})
	}
	c.Line = strings.Join(line, " ")
	c.YTop, c.YBottom = label(hi), label(lo)
	c.XFirst, c.XLast = t0.UTC().Format("01-02 15:04"), t1.UTC().Format("01-02 15:04")
	return c
}

func round1(f float64) float64 { return float64(int(f*10+0.5)) / 10 }
