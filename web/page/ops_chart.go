package page

import (
	"strconv"
)

// The ops dashboard's charts are inline SVG computed here, so the page
// needs no script: the template draws the shapes as they are. Each bar
// carries a <title> (the browser's tooltip, read by screen readers), the
// whole chart an aria-label, and every chart comes with its data table.

// chartRect is one bar.
type chartRect struct {
	X, Y, W, H int
	Fill       string // a colour of opsColors
	Tip        string // the bar's <title>
}

// chartText is one axis or value label.
type chartText struct {
	X, Y   int
	Anchor string // text-anchor: start, middle or end
	Text   string
}

// chartLine is an axis or a grid line.
type chartLine struct{ X1, Y1, X2, Y2 int }

// chart is one SVG chart and its data table.
type chart struct {
	Label  string // the chart's accessible name (aria-label)
	W, H   int
	Rects  []chartRect
	Texts  []chartText
	Lines  []chartLine
	Head   []string   // the data table's column headings
	Rows   [][]string // its rows
	Legend []chartRect
}

// chartBar is one value of a chart: a label, the value and, for a
// horizontal bar, an optional part of it drawn darker (e.g. the overdue
// share of the pending timers).
type chartBar struct {
	Label string
	Value int
	Part  int
	Tip   string
}

// The colours of the charts (presentation attributes, allowed by the CSP).
const (
	opsBlue   = "#2b6cb0"
	opsRed    = "#c53030"
	opsGreen  = "#2f855a"
	opsLabelW = 150 // the label column of a horizontal chart
	opsChartW = 640
)

// niceMax rounds a maximum up to 1, 2 or 5 times a power of ten, at least 1.
func niceMax(v int) int {
	if v < 1 {
		return 1
	}
	for p := 1; ; p *= 10 {
		for _, m := range []int{1, 2, 5} {
			if m*p >= v {
				return m * p
			}
		}
	}
}

// hChart lays out horizontal bars, one row each, the label on the left
// and the value at the bar's end; scale is the axis's end (0: the largest
// value, rounded up). unit follows each value (e.g. "%").
func hChart(label string, bars []chartBar, scale int, unit string) chart {
	const rowH, top = 26, 8
	c := chart{Label: label, W: opsChartW, H: top*2 + rowH*len(bars) + 18}
	if scale <= 0 {
		for _, b := range bars {
			scale = maxInt(scale, b.Value)
		}
		scale = niceMax(scale)
	}
	plotW := opsChartW - opsLabelW - 60
	x0 := opsLabelW
	bottom := top + rowH*len(bars)
	c.Lines = append(c.Lines, chartLine{x0, top, x0, bottom}, chartLine{x0, bottom, x0 + plotW, bottom})
	for _, v := range []int{0, scale / 2, scale} {
		x := x0 + plotW*v/scale
		c.Texts = append(c.Texts, chartText{X: x, Y: bottom + 14, Anchor: "middle", Text: strconv.Itoa(v) + unit})
	}
	for i, b := range bars {
		y := top + i*rowH
		w := plotW * min(b.Value, scale) / scale
		c.Rects = append(c.Rects, chartRect{X: x0, Y: y + 4, W: w, H: rowH - 8, Fill: opsBlue, Tip: b.Tip})
		if b.Part > 0 {
			pw := plotW * min(b.Part, scale) / scale
			c.Rects = append(c.Rects, chartRect{X: x0, Y: y + 4, W: pw, H: rowH - 8, Fill: opsRed, Tip: b.Tip})
		}
		c.Texts = append(c.Texts,
			chartText{X: x0 - 6, Y: y + rowH/2 + 4, Anchor: "end", Text: b.Label},
			chartText{X: x0 + w + 4, Y: y + rowH/2 + 4, Anchor: "start", Text: strconv.Itoa(b.Value) + unit})
	}
	return c
}

// vChart lays out vertical bars (a time series or a histogram) with the
// value axis on the left; every labelEvery-th bar (and the last) is
// labelled under the axis; a caption, when given, is written above.
func vChart(label, caption string, bars []chartBar, labelEvery int, w, h int) chart {
	const left, top, bottom = 36, 24, 22
	c := chart{Label: label, W: w, H: h}
	if caption != "" {
		c.Texts = append(c.Texts, chartText{X: left, Y: 14, Anchor: "start", Text: caption})
	}
	scale := 0
	for _, b := range bars {
		scale = maxInt(scale, b.Value)
	}
	scale = niceMax(scale)
	plotW, plotH := w-left-8, h-top-bottom
	base := top + plotH
	c.Lines = append(c.Lines, chartLine{left, top, left, base}, chartLine{left, base, left + plotW, base})
	for _, v := range []int{0, scale / 2, scale} {
		y := base - plotH*v/scale
		c.Texts = append(c.Texts, chartText{X: left - 4, Y: y + 4, Anchor: "end", Text: strconv.Itoa(v)})
	}
	if len(bars) == 0 {
		return c
	}
	slot := plotW / len(bars)
	bw := maxInt(slot*7/10, 1)
	for i, b := range bars {
		x := left + i*slot + (slot-bw)/2
		bh := plotH * b.Value / scale
		c.Rects = append(c.Rects, chartRect{X: x, Y: base - bh, W: bw, H: bh, Fill: opsGreen, Tip: b.Tip})
		if labelEvery > 0 && (i%labelEvery == 0 || i == len(bars)-1) {
			c.Texts = append(c.Texts, chartText{X: x + bw/2, Y: base + 15, Anchor: "middle", Text: b.Label})
		}
	}
	return c
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}
