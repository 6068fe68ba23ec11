package chart

import (
	"encoding/xml"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// bars reads the bars drawn (rects with a title, legend swatches apart)
// as their class, height and the y of their top.
func bars(t *testing.T, svg string) []struct {
	class string
	y, h  float64
} {
	t.Helper()
	var out []struct {
		class string
		y, h  float64
	}
	re := regexp.MustCompile(`<rect class="([^"]*)" x="[^"]*" y="([^"]*)" width="[^"]*" height="([^"]*)"><title>`)
	for _, m := range re.FindAllStringSubmatch(svg, -1) {
		y, _ := strconv.ParseFloat(m[2], 64)
		h, _ := strconv.ParseFloat(m[3], 64)
		out = append(out, struct {
			class string
			y, h  float64
		}{m[1], y, h})
	}
	return out
}

func TestBarsScale(t *testing.T) {
	b := Bars{Title: "Messages", Labels: []string{"lun.", "mar.", "mer."},
		Series: []Series{{Name: "in", Class: "s-in", Values: []float64{10, 0, 5}}, {Name: "out", Class: "s-out", Values: []float64{4, 2, 0}}}}
	svg := string(b.SVG())
	got := bars(t, svg)
	if len(got) != 4 { // zero values draw nothing
		t.Fatalf("%d bars: %s", len(got), svg)
	}
	// Side by side: the tallest (10) fills the plot; 5 is half of it.
	if got[0].h != plotH || got[1].h != plotH*4/10 || got[2].h != plotH*2/10 || got[3].h != plotH/2 {
		t.Errorf("heights %+v, plot %d", got, plotH)
	}
	b.Stacked = true
	got = bars(t, string(b.SVG()))
	// Stacked: 10+4 fills the plot, the second bar stands on the first.
	if got[0].h+got[1].h != plotH || got[1].y+got[1].h != got[0].y {
		t.Errorf("stacked %+v", got)
	}
	if !strings.Contains(svg, `<title>Messages</title>`) || !strings.Contains(svg, `aria-label="Messages"`) ||
		!strings.Contains(svg, `lun. · in: 10`) {
		t.Errorf("not described: %s", svg)
	}
}

func TestBarsWellFormed(t *testing.T) {
	for _, b := range []Bars{
		{Title: `<script>alert("x")</script> & co`, Labels: []string{`"><b>`}, Series: []Series{{Name: "a&b", Class: `c" onload="x`, Values: []float64{1}}}},
		{Title: "empty"},
		{Title: "zeros", Labels: []string{"a", "b"}, Series: []Series{{Name: "a", Class: "a", Values: []float64{0, 0}}}},
		{Title: "short series", Labels: []string{"a", "b", "c"}, Series: []Series{{Name: "a", Class: "a", Values: []float64{3}}}},
		{Title: "many", Labels: make([]string, 400), Series: []Series{{Name: "a", Class: "a", Values: make([]float64, 400)}},
			Unit: func(v float64) string { return strconv.FormatFloat(v, 'f', 0, 64) + " h" }},
	} {
		svg := string(b.SVG())
		if strings.Contains(svg, "<script") || strings.Contains(svg, `onload="`) || strings.Contains(svg, "<b>") {
			t.Errorf("%q: not escaped: %s", b.Title, svg)
		}
		d := xml.NewDecoder(strings.NewReader(svg))
		for {
			_, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Errorf("%q: not well-formed XML: %v\n%s", b.Title, err, svg)
				break
			}
		}
		if ticks := strings.Count(svg, `class="tick" x=`) - 2; ticks > maxLabels {
			t.Errorf("%q: %d x labels, at most %d", b.Title, ticks, maxLabels)
		}
	}
}
