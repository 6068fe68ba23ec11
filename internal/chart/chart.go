// Package chart draws the console's charts as SVG on the server: readable
// without JavaScript, styled by the page's CSS (each series has a class),
// and described for screen readers (a title, and the figures in a table
// next to each chart).
package chart

import (
	"fmt"
	"html"
	"html/template"
	"math"
	"strings"
)

// Series is one set of values, one per label, drawn in the CSS class
// Class.
type Series struct {
	Name   string
	Class  string
	Values []float64
}

// Bars is a bar chart: for each label, the series' values side by side,
// or stacked.
type Bars struct {
	Title   string
	Labels  []string
	Series  []Series
	Stacked bool
	// Unit formats a value for the axis ("" prints it as a number).
	Unit func(float64) string
}

// Geometry of a chart, in SVG user units.
const (
	width, height      = 640, 220
	left, right        = 48, 8
	top, bottom        = 10, 40
	plotW, plotH       = width - left - right, height - top - bottom
	maxLabels          = 12 // x labels drawn; the others are left out
	legendY            = height - 6
	legendGap, swatchW = 110, 10
)

// SVG draws the chart.
func (b Bars) SVG() template.HTML {
	peak := b.max()
	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		width, height, html.EscapeString(b.Title))
	fmt.Fprintf(&s, `<title>%s</title>`, html.EscapeString(b.Title))
	// The axis: zero and the top value.
	fmt.Fprintf(&s, `<line class="axis" x1="%d" y1="%d" x2="%d" y2="%d"/>`, left, top0, left+plotW, top0)
	fmt.Fprintf(&s, `<text class="tick" x="%d" y="%d" text-anchor="end">%s</text>`, left-4, top0, html.EscapeString(b.format(0)))
	fmt.Fprintf(&s, `<text class="tick" x="%d" y="%d" text-anchor="end">%s</text>`, left-4, topY+8, html.EscapeString(b.format(peak)))
	n := len(b.Labels)
	if n > 0 && peak > 0 {
		slot := float64(plotW) / float64(n)
		bars := len(b.Series)
		if b.Stacked {
			bars = 1
		}
		barW := math.Max(slot*0.8/float64(max(bars, 1)), 1)
		for i := range b.Labels {
			base := 0.0
			for j, sr := range b.Series {
				if i >= len(sr.Values) || sr.Values[i] <= 0 {
					continue
				}
				v := sr.Values[i]
				h := v / peak * plotH
				x := float64(left) + slot*float64(i) + slot*0.1
				y := float64(top0) - h
				if b.Stacked {
					y -= base / peak * plotH
					base += v
				} else {
					x += barW * float64(j)
				}
				fmt.Fprintf(&s, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s · %s: %s</title></rect>`,
					html.EscapeString(sr.Class), x, y, barW, h,
					html.EscapeString(b.Labels[i]), html.EscapeString(sr.Name), html.EscapeString(b.format(v)))
			}
		}
		every := (n + maxLabels - 1) / maxLabels
		for i := 0; i < n; i += every {
			x := float64(left) + slot*(float64(i)+0.5)
			fmt.Fprintf(&s, `<text class="tick" x="%.1f" y="%d" text-anchor="middle">%s</text>`, x, top0+14, html.EscapeString(b.Labels[i]))
		}
	}
	for j, sr := range b.Series {
		x := left + j*legendGap
		fmt.Fprintf(&s, `<rect class="%s" x="%d" y="%d" width="%d" height="%d"/><text class="legend" x="%d" y="%d">%s</text>`,
			html.EscapeString(sr.Class), x, legendY-swatchW+1, swatchW, swatchW, x+swatchW+4, legendY, html.EscapeString(sr.Name))
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}

// The plot's vertical bounds: topY is the top of the tallest bar, top0
// the zero line.
const (
	topY = top
	top0 = top + plotH
)

// max is the top of the axis: the greatest bar (or stack), 0 when none.
func (b Bars) max() float64 {
	peak := 0.0
	for i := range b.Labels {
		sum := 0.0
		for _, sr := range b.Series {
			if i < len(sr.Values) && sr.Values[i] > 0 {
				if b.Stacked {
					sum += sr.Values[i]
				} else {
					peak = math.Max(peak, sr.Values[i])
				}
			}
		}
		peak = math.Max(peak, sum)
	}
	return peak
}

func (b Bars) format(v float64) string {
	if b.Unit != nil {
		return b.Unit(v)
	}
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.1f", v)
}
