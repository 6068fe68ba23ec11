package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/go-pdf/fpdf"

	"palabre/internal/chart"
	"palabre/internal/i18n"
)

// The PDF's page, in millimetres: A4 portrait.
const (
	pageW, pageH = 210.0, 297.0
	margin       = 16.0
	bodyW        = pageW - 2*margin
	lineH        = 5.2
	// chartHeight is a chart with its title and the space after it.
	chartHeight = chart.Height*bodyW/chart.Width + 9
)

// rgb is a colour of the PDF, 0xRRGGBB.
type rgb uint32

func (c rgb) r() int { return int(c >> 16 & 0xff) }
func (c rgb) g() int { return int(c >> 8 & 0xff) }
func (c rgb) b() int { return int(c & 0xff) }

// Colours, those of the console's charts.
const (
	ink    rgb = 0x1b1f2a
	muted  rgb = 0x5b6275
	line   rgb = 0xdfe3ec
	accent rgb = 0x3046c5
)

// seriesColour is the colour of a chart's series, by its CSS class.
func seriesColour(class string) rgb {
	switch class {
	case "s-out", "s-pos":
		return 0x17663a
	case "s-neu":
		return 0xa4a8b1
	case "s-neg":
		return 0xa1261b
	}
	return accent
}

// pdfDoc writes one report into a PDF.
type pdfDoc struct {
	f    *fpdf.Fpdf
	text func(string) string // UTF-8 to the core fonts' code page
	// open and close are the language's quotation marks.
	open, close string
}

// WritePDF writes the report as an A4 PDF, drawn by palabre itself (no
// browser): its texts are real text, its charts vector drawings. The core
// Helvetica font covers French and the other western European languages;
// a character it lacks (an emoji, a script it does not have) prints as a
// question mark. created dates the file, so that one report written twice
// is the same file.
func WritePDF(out io.Writer, d *Document, created time.Time) error {
	f := fpdf.New("P", "mm", "A4", "")
	f.SetMargins(margin, margin, margin)
	f.SetAutoPageBreak(true, margin+6)
	f.SetCreationDate(created)
	f.SetModificationDate(created)
	f.SetCatalogSort(true) // fonts in a fixed order: the same report is the same file
	f.SetTitle(d.Title+" · "+d.Workspace.Name+" · "+d.Period, true)
	f.SetAuthor("palabre", true)
	f.SetCreator("palabre", true)
	f.SetLang(string(d.Lang))
	f.AliasNbPages("{nb}")
	p := &pdfDoc{f: f, text: codePage(f), open: "“", close: "”"}
	if d.Lang == i18n.French {
		p.open, p.close = "« ", " »"
	}
	f.SetFooterFunc(func() {
		f.SetY(-margin)
		p.font("", 8, muted)
		f.CellFormat(bodyW/2, 4, p.text(d.Workspace.Name+" · "+d.Period), "", 0, "L", false, 0, "")
		f.CellFormat(bodyW/2, 4, p.text(fmt.Sprintf("%d / {nb}", f.PageNo())), "", 0, "R", false, 0, "")
	})
	f.AddPage()
	p.header(d)
	p.heading(d.T("The month in brief"), 20)
	for _, s := range d.Summary {
		p.paragraph(s, 11, ink)
	}
	p.heading(d.Figures.Caption, 30)
	p.table(d.Figures)
	p.heading(d.T("Week by week"), chartHeight)
	for _, c := range d.Charts {
		p.chart(c)
	}
	p.heading(d.Relationship.Caption, 30)
	p.table(d.Relationship)
	if len(d.Engaged.Rows) > 0 {
		p.subheading(d.Engaged.Caption)
		p.table(d.Engaged)
	}
	p.heading(d.T("What the community said"), 20)
	p.topic(d.Highlights)
	for _, t := range d.Topics {
		p.subheading(t.Name + " · " + t.Messages)
		p.topic(t)
	}
	p.heading(d.T("How these figures are counted"), 15)
	for _, n := range d.Notes {
		p.paragraph(n, 9, muted)
	}
	if err := f.Output(out); err != nil {
		return fmt.Errorf("write the PDF report of %s for %s: %w", d.Workspace.Slug, d.Month, err)
	}
	return nil
}

// codePage returns the translation of UTF-8 text into the code page of
// the core fonts (Windows-1252). The spaces French puts before ; : ! ?
// and % become the no-break space the code page has.
func codePage(f *fpdf.Fpdf) func(string) string {
	tr := f.UnicodeTranslatorFromDescriptor("cp1252")
	spaces := strings.NewReplacer("\u202f", "\u00a0", "\u2009", " ", "\u2007", " ")
	return func(s string) string { return tr(spaces.Replace(s)) }
}

func (p *pdfDoc) font(style string, size float64, c rgb) {
	p.f.SetFont("Helvetica", style, size)
	p.f.SetTextColor(c.r(), c.g(), c.b())
}

// header writes the title block.
func (p *pdfDoc) header(d *Document) {
	f := p.f
	p.font("B", 22, ink)
	f.CellFormat(bodyW, 10, p.text(d.Title), "", 1, "L", false, 0, "")
	p.font("B", 14, accent)
	f.CellFormat(bodyW, 8, p.text(d.Workspace.Name+" · "+d.Period), "", 1, "L", false, 0, "")
	p.font("", 9, muted)
	f.CellFormat(bodyW, 5, p.text(d.Generated), "", 1, "L", false, 0, "")
	f.SetDrawColor(accent.r(), accent.g(), accent.b())
	f.SetLineWidth(0.8)
	y := f.GetY() + 2
	f.Line(margin, y, pageW-margin, y)
	f.SetY(y + 2)
}

// room starts a new page unless h millimetres are left on this one.
func (p *pdfDoc) room(h float64) {
	if p.f.GetY()+h > pageH-margin-6 {
		p.f.AddPage()
	}
}

// heading writes a section's title, on the page of the next next
// millimetres.
func (p *pdfDoc) heading(s string, next float64) {
	p.room(14 + next)
	p.f.Ln(4)
	p.font("B", 14, ink)
	p.f.CellFormat(bodyW, 8, p.text(s), "B", 1, "L", false, 0, "")
	p.f.Ln(2)
}

func (p *pdfDoc) subheading(s string) {
	p.room(24)
	p.f.Ln(2)
	p.font("B", 11, ink)
	p.f.CellFormat(bodyW, 6, p.text(s), "", 1, "L", false, 0, "")
}

func (p *pdfDoc) paragraph(s string, size float64, c rgb) {
	p.font("", size, c)
	p.f.MultiCell(bodyW, size*0.5, p.text(s), "", "L", false)
	p.f.Ln(1.5)
}

// table writes t: its first column is the widest, the others figures
// aligned right.
func (p *pdfDoc) table(t Table) {
	f := p.f
	cols := len(t.Head)
	if cols == 0 {
		return
	}
	first := bodyW * 0.4
	rest := (bodyW - first) / float64(max(cols-1, 1))
	width := func(i int) float64 {
		if i == 0 {
			return first
		}
		return rest
	}
	f.SetDrawColor(line.r(), line.g(), line.b())
	f.SetLineWidth(0.2)
	p.room(lineH * 3)
	p.font("B", 9, muted)
	for i, h := range t.Head {
		f.CellFormat(width(i), lineH+1, p.text(h), "B", 0, align(i), false, 0, "")
	}
	f.Ln(-1)
	for _, row := range t.Rows {
		p.room(lineH)
		for i, c := range row {
			style := ""
			if i == 0 {
				style = "B"
			}
			p.font(style, 9.5, ink)
			f.CellFormat(width(i), lineH+0.6, p.text(clip(c, 60)), "B", 0, align(i), false, 0, "")
		}
		f.Ln(-1)
	}
	f.Ln(2)
}

func align(col int) string {
	if col == 0 {
		return "L"
	}
	return "R"
}

// clip shortens s to n runes, with an ellipsis.
func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// chart draws c across the page, from the layout its SVG is drawn from.
func (p *pdfDoc) chart(c chart.Bars) {
	f := p.f
	scale := bodyW / chart.Width
	h := chart.Height * scale
	p.room(chartHeight)
	p.font("B", 10, ink)
	f.CellFormat(bodyW, 6, p.text(c.Title), "", 1, "L", false, 0, "")
	x0, y0 := margin, f.GetY()
	plot := c.Plot()
	at := func(x, y float64) (float64, float64) { return x0 + x*scale, y0 + y*scale }
	for _, b := range plot.Bars {
		col := seriesColour(c.Series[b.Series].Class)
		f.SetFillColor(col.r(), col.g(), col.b())
		x, y := at(b.X, b.Y)
		f.Rect(x, y, b.W*scale, b.H*scale, "F")
	}
	f.SetDrawColor(muted.r(), muted.g(), muted.b())
	f.SetLineWidth(0.2)
	ax1, ay := at(plot.AxisX1, plot.AxisY)
	ax2, _ := at(plot.AxisX2, plot.AxisY)
	f.Line(ax1, ay, ax2, ay)
	p.font("", 7, muted)
	for _, t := range plot.Texts {
		p.label(t, at)
	}
	for _, s := range plot.Legend {
		col := seriesColour(c.Series[s.Series].Class)
		f.SetFillColor(col.r(), col.g(), col.b())
		x, y := at(s.X, s.Y)
		f.Rect(x, y, s.Size*scale, s.Size*scale, "F")
		p.label(s.Name, at)
	}
	f.SetY(y0 + h + 3)
}

// label writes a chart's text at its anchor.
func (p *pdfDoc) label(t chart.Text, at func(x, y float64) (float64, float64)) {
	s := p.text(t.Text)
	x, y := at(t.X, t.Y)
	w := p.f.GetStringWidth(s)
	switch t.Anchor {
	case chart.Middle:
		x -= w / 2
	case chart.End:
		x -= w
	}
	p.f.Text(x, y, s)
}

// topic writes a topic's quotes, questions and emerging words.
func (p *pdfDoc) topic(t Topic) {
	f := p.f
	for _, q := range t.Quotes {
		p.room(14)
		y := f.GetY()
		f.SetX(margin + 4)
		p.font("I", 10, ink)
		f.MultiCell(bodyW-4, 4.8, p.text(p.open+q.Text+p.close), "", "L", false)
		f.SetX(margin + 4)
		p.font("", 8.5, muted)
		f.MultiCell(bodyW-4, 4.2, p.text("— "+q.By), "", "L", false)
		f.SetDrawColor(accent.r(), accent.g(), accent.b())
		f.SetLineWidth(0.7)
		f.Line(margin+1, y, margin+1, f.GetY())
		f.Ln(2)
	}
	if len(t.Questions) > 0 {
		p.room(12)
		p.font("B", 10, ink)
		f.CellFormat(bodyW, 6, p.text(t.QuestionsTitle), "", 1, "L", false, 0, "")
		for _, q := range t.Questions {
			p.font("", 9.5, ink)
			f.MultiCell(bodyW, 4.6, p.text("• "+q.Text+" — "+q.By), "", "L", false)
		}
		f.Ln(1.5)
	}
	if len(t.Emerging) > 0 {
		p.font("B", 10, ink)
		f.MultiCell(bodyW, 5, p.text(t.EmergingTitle+" "+strings.Join(t.Emerging, ", ")), "", "L", false)
		f.Ln(1.5)
	}
}
