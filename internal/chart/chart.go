// Package chart draws the console's charts as SVG on the server: readable
// without JavaScript, styled by the page's CSS (each series has a class),
// and described for screen readers (a title, and the figures in a table
// next to each chart). The same layout (Plot) draws them in PDF reports.
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

// Geometry of a chart, in user units (SVG's; a PDF scales them).
const (
	Width, Height      = 640, 220
	left, right        = 48, 8
	top, bottom        = 10, 40
	plotW, plotH       = Width - left - right, Height - top - bottom
	maxLabels          = 12 // x labels drawn; the others are left out
	legendY            = Height - 6
	legendGap, swatchW = 110, 10
)

// The plot's vertical bounds: topY is the top of the tallest bar, top0
// the zero line.
const (
	topY = top
	top0 = top + plotH
)

// Anchors of a text: which of its points stands at its X.
const (
	Start  = "start"
	Middle = "middle"
	End    = "end"
)

// Plot is a chart laid out, in user units from the top left corner of a
// Width × Height box.
type Plot struct {
	// The zero line, from (AxisX1, AxisY) to (AxisX2, AxisY).
	AxisX1, AxisX2, AxisY float64
	Bars                  []Bar
	Texts                 []Text // the axis's ticks and the labels under it
	Legend                []Swatch
}

// Bar is one value drawn.
type Bar struct {
	Series, Label int // indexes in Bars.Series and Bars.Labels
	Value         float64
	X, Y, W, H    float64
}

// Text is a line of text whose baseline starts, is centred or ends (by
// Anchor) at X, Y.
type Text struct {
	X, Y   float64
	Anchor string
	Text   string
}

// Swatch names a series in the legend: a Size square at X, Y, its name
// after it.
type Swatch struct {
	Series     int
	X, Y, Size float64
	Name       Text
}

// Plot lays the chart out.
func (b Bars) Plot() Plot {
	peak := b.max()
	p := Plot{AxisX1: left, AxisX2: left + plotW, AxisY: top0,
		Texts: []Text{{left - 4, top0, End, b.format(0)}, {left - 4, topY + 8, End, b.format(peak)}}}
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
				p.Bars = append(p.Bars, Bar{Series: j, Label: i, Value: v, X: x, Y: y, W: barW, H: h})
			}
		}
		every := (n + maxLabels - 1) / maxLabels
		for i := 0; i < n; i += every {
			p.Texts = append(p.Texts, Text{float64(left) + slot*(float64(i)+0.5), top0 + 14, Middle, b.Labels[i]})
		}
	}
	for j, sr := range b.Series {
		x := float64(left + j*legendGap)
		p.Legend = append(p.Legend, Swatch{Series: j, X: x, Y: legendY - swatchW + 1, Size: swatchW,
			Name: Text{x + swatchW + 4, legendY, Start, sr.Name}})
	}
	return p
}

// SVG draws the chart.
func (b Bars) SVG() template.HTML {
	p := b.Plot()
	var s strings.Builder
	fmt.Fprintf(&s, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s" xmlns="http://www.w3.org/2000/svg">`,
		Width, Height, html.EscapeString(b.Title))
	fmt.Fprintf(&s, `<title>%s</title>`, html.EscapeString(b.Title))
	fmt.Fprintf(&s, `<line class="axis" x1="%g" y1="%g" x2="%g" y2="%g"/>`, p.AxisX1, p.AxisY, p.AxisX2, p.AxisY)
	for _, bar := range p.Bars {
		sr := b.Series[bar.Series]
		fmt.Fprintf(&s, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%.1f"><title>%s · %s: %s</title></rect>`,
			html.EscapeString(sr.Class), bar.X, bar.Y, bar.W, bar.H,
			html.EscapeString(b.Labels[bar.Label]), html.EscapeString(sr.Name), html.EscapeString(b.format(bar.Value)))
	}
	for _, t := range p.Texts {
		fmt.Fprintf(&s, `<text class="tick" x="%.1f" y="%g" text-anchor="%s">%s</text>`, t.X, t.Y, t.Anchor, html.EscapeString(t.Text))
	}
	for _, sw := range p.Legend {
		fmt.Fprintf(&s, `<rect class="%s" x="%g" y="%g" width="%g" height="%g"/><text class="legend" x="%g" y="%g">%s</text>`,
			html.EscapeString(b.Series[sw.Series].Class), sw.X, sw.Y, sw.Size, sw.Size, sw.Name.X, sw.Name.Y, html.EscapeString(sw.Name.Text))
	}
	s.WriteString(`</svg>`)
	return template.HTML(s.String())
}

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
