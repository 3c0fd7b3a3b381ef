package main

import (
	"fmt"
	"math"
	"strings"
)

// benchAPISVG draws p50 and p99 per route as horizontal bars on a
// logarithmic millisecond axis, with the 50 ms target line: plain SVG.
func benchAPISVG(res benchAPIResult) string {
	const (
		left, right, top, row = 360.0, 90.0, 70.0, 22.0
		width                 = 1000.0
	)
	routes := res.Routes
	height := top + row*float64(len(routes)) + 60
	lo, hi := 0.1, 1000.0 // ms, decades
	for _, rt := range routes {
		for rt.MaxMs > hi || rt.P99Ms > hi {
			hi *= 10
		}
	}
	plot := width - left - right
	x := func(v float64) float64 {
		v = math.Max(v, lo)
		return left + plot*math.Log10(v/lo)/math.Log10(hi/lo)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%.0f" height="%.0f" viewBox="0 0 %.0f %.0f" font-family="sans-serif" font-size="12">`+"\n",
		width, height, width, height)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#fff"/>`+"\n")
	title := fmt.Sprintf("beian bench api — %s, %d customers, %.0f s: %.1f order steps/s, %.2f lifecycles/s", res.Engine, res.Clients, res.DurationSecs,
		res.StepsPerSec, res.LifecyclesPerSec)
	if res.Ratio != nil {
		title += fmt.Sprintf(", %.3f × pgbench TPC-B", *res.Ratio)
	}
	fmt.Fprintf(&b, `<text x="10" y="22" font-size="15" font-weight="bold">%s</text>`+"\n", xmlText(title))
	fmt.Fprintf(&b, `<text x="10" y="42">latency per route (log scale): p50 dark, p99 light; red line: the 50 ms p99 target (login and uploads exempt, marked *)</text>`+"\n")
	axis := top + row*float64(len(routes))
	for v := lo; v <= hi*1.0001; v *= 10 {
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#ddd"/>`+"\n", x(v), top-6, x(v), axis)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" text-anchor="middle" fill="#555">%s ms</text>`+"\n", x(v), axis+16, trimFloat(v))
	}
	for i, rt := range routes {
		y := top + row*float64(i)
		label := rt.Route
		if rt.TargetMs == nil {
			label += " *"
		}
		fmt.Fprintf(&b, `<text x="%.0f" y="%.1f" text-anchor="end">%s</text>`+"\n", left-8, y+row/2+4, xmlText(label))
		p99c, p50c := "#9ecae1", "#3182bd"
		if rt.Met != nil && !*rt.Met {
			p99c, p50c = "#fcae91", "#de2d26"
		}
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>p99 %.1f ms</title></rect>`+"\n",
			left, y+3, x(rt.P99Ms)-left, row-6, p99c, rt.P99Ms)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>p50 %.1f ms</title></rect>`+"\n",
			left, y+7, x(rt.P50Ms)-left, row-14, p50c, rt.P50Ms)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="10" fill="#333">%.1f / %.1f</text>`+"\n", x(rt.P99Ms)+4, y+row/2+4, rt.P50Ms, rt.P99Ms)
	}
	t := x(millis(targetRouteP99))
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#d00" stroke-width="1.5" stroke-dasharray="5,3"/>`+"\n", t, top-12, t, axis)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.0f" fill="#d00" text-anchor="middle">50 ms</text>`+"\n", t, top-16)
	fmt.Fprintf(&b, `<text x="10" y="%.0f" fill="#555">%d requests; 5xx %d; machine: %d CPUs, load average %s → %s</text>`+"\n", height-12,
		res.Requests, res.Errors.Status5xx, res.Machine.CPUs, xmlText(res.Machine.LoadBefore), xmlText(res.Machine.LoadAfter))
	b.WriteString("</svg>\n")
	return b.String()
}

// xmlText escapes s for SVG text.
func xmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

// trimFloat writes a decade tick without trailing zeros.
func trimFloat(v float64) string {
	s := fmt.Sprintf("%.1f", v)
	return strings.TrimSuffix(s, ".0")
}
