// Package report writes a workspace's monthly report for its client: what
// the community said and how the team answered, compared with the month
// before, in words a client reads without a glossary. One Document is
// built from the metrics and the insights of the month; it is then written
// as an HTML page (WriteHTML), a PDF made without a browser (WritePDF) or
// the figures as CSV (WriteCSV).
package report

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"time"

	"palabre/internal/chart"
	"palabre/internal/i18n"
	"palabre/internal/insights"
	"palabre/internal/metrics"
	"palabre/internal/model"
	"palabre/internal/rollup"
)

// ErrBadMonth is wrapped by the errors of a month that cannot be read.
var ErrBadMonth = errors.New("bad month")

// Month reads "2026-10" as the local dates its report covers, its first
// day and the first day of the next month.
func Month(s string) (from, to string, err error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return "", "", fmt.Errorf("%w: %q is not a month written YYYY-MM", ErrBadMonth, s)
	}
	return t.Format(time.DateOnly), t.AddDate(0, 1, 0).Format(time.DateOnly), nil
}

// LastMonth is the month before the one holding now in loc: the last
// whole month, the one a report is sent for.
func LastMonth(now time.Time, loc *time.Location) string {
	t := now.In(loc)
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, loc).AddDate(0, -1, 0).Format("2006-01")
}

// Document is one month's report, its texts in one language.
type Document struct {
	Lang      i18n.Lang       `json:"lang"`
	Workspace model.Workspace `json:"workspace"`
	Month     string          `json:"month"` // "2026-10"
	// Title is "Community report"; Period the month in words
	// ("October 2026"); Generated says when and in which time zone.
	Title     string `json:"title"`
	Period    string `json:"period"`
	Generated string `json:"generated"`
	// Summary is the month in a few sentences.
	Summary []string `json:"summary"`
	// Figures compares the month's key figures with the month before.
	Figures Table `json:"figures"`
	// Charts show the month week by week (their figures are Answer's
	// trend).
	Charts []chart.Bars `json:"-"`
	// Relationship counts the members, and Engaged ranks the most engaged.
	Relationship Table `json:"relationship"`
	Engaged      Table `json:"engaged"`
	// Topics are what the community talked about, the most talked about
	// first; Highlights quotes the month (topic "").
	Topics     []Topic `json:"topics"`
	Highlights Topic   `json:"highlights"`
	// Notes say how the figures are computed.
	Notes []string `json:"notes"`
	// Answer is the figures themselves, for the CSV.
	Answer metrics.Answer `json:"figures_raw"`
}

// Table is a table of texts: a header row and rows of as many cells.
type Table struct {
	Caption string     `json:"caption"`
	Head    []string   `json:"head"`
	Rows    [][]string `json:"rows"`
}

// Topic is what was said about one topic, in quotes.
type Topic struct {
	Name      string   `json:"name"`
	Messages  string   `json:"messages"` // "12 messages"
	Quotes    []Quote  `json:"quotes"`
	Questions []Quote  `json:"questions"`
	Emerging  []string `json:"emerging"`
	// QuestionsTitle and EmergingTitle head the questions and the terms.
	QuestionsTitle string `json:"questions_title"`
	EmergingTitle  string `json:"emerging_title"`
}

// Quote is a message quoted, with who wrote it and when.
type Quote struct {
	Text string `json:"text"`
	By   string `json:"by"`
}

// MaxTopics is how many topics a report names.
const MaxTopics = 6

// Source is what a report is gathered from: the metrics' rollups and
// the messages. *store.Store satisfies it.
type Source interface {
	insights.Source
	rollup.Source
}

// Build gathers ws's report for month ("2026-10") at now, in lang.
func Build(ctx context.Context, src Source, ws model.Workspace, month string, lang i18n.Lang, now time.Time) (*Document, error) {
	from, to, err := Month(month)
	if err != nil {
		return nil, err
	}
	q := metrics.Query{From: from, To: to, Every: metrics.Week}
	a, err := rollup.Ask(ctx, src, ws.ID, q, now)
	if err != nil {
		return nil, fmt.Errorf("report of %s for %s: %w", ws.Slug, month, err)
	}
	said, err := insights.Ask(ctx, src, ws.ID, q, now)
	if err != nil {
		return nil, fmt.Errorf("report of %s for %s: %w", ws.Slug, month, err)
	}
	loc, err := time.LoadLocation(a.TimeZone)
	if err != nil {
		return nil, fmt.Errorf("report of %s: time zone %q: %w", ws.Slug, a.TimeZone, err)
	}
	p := i18n.New(lang)
	start, _ := time.ParseInLocation(time.DateOnly, from, loc)
	before := start.AddDate(0, -1, 0)
	d := &Document{Lang: lang, Workspace: ws, Month: month, Answer: a,
		Title:     p.T("Community report"),
		Period:    p.MonthYear(start, nil),
		Generated: p.T("Generated on %s (%s time).", p.DateTime(now, loc), a.TimeZone)}
	w := words{p: p, month: p.MonthYear(start, nil), before: p.MonthYear(before, nil), loc: loc}
	d.Summary = w.summary(a.Total, a.Previous)
	d.Figures = w.figures(a.Total, a.Previous)
	d.Charts, _ = TrendCharts(p, a.Trend, loc, ChartTitles{Volume: p.T("Messages in and out, week by week"),
		Response: p.T("Median first reply, in business hours"), ResponseSeries: p.T("median first reply")})
	d.Relationship = w.relationship(a.Total.Members, a.Previous.Members)
	d.Engaged = w.engaged(a.Engaged)
	d.Highlights, d.Topics = w.topics(said.Topics)
	d.Notes = []string{
		p.T("Times are counted in business hours, per the workspace's calendar, from a member's first message to the team's first reply (response) or to the conversation's resolution."),
		p.T("A member turned around wrote something negative, was answered by the team, then wrote something positive in the same conversation."),
		p.T("An advocate wrote at least %d positive or praising messages in the month; a regular member took part in at least %d conversations.", metrics.AdvocateMessages, metrics.RegularConversations),
	}
	return d, nil
}

// words writes a report's texts in one language.
type words struct {
	p             *i18n.Printer
	month, before string // the month and the one before, in words
	loc           *time.Location
}

// share is of/total as a fraction, and whether there was anything to
// count.
func share(r metrics.Rate) (float64, bool) {
	if r.Total == 0 {
		return 0, false
	}
	return float64(r.Of) / float64(r.Total), true
}

// smallBase is the count below which a change is told as a difference
// ("+12") rather than a percentage, which would say little ("+1,100%").
const smallBase = 10

// change writes how a count changed: "+12%", "-8%", "=", or "+3" from a
// small base.
func (w words) change(now, before int) string {
	if now == before {
		return "="
	}
	if before < smallBase {
		return w.signed(float64(now - before))
	}
	f := float64(now-before) / float64(before)
	if math.Abs(f) < 0.005 {
		return "="
	}
	s := w.p.Percent(f)
	if f > 0 {
		s = "+" + s
	}
	return s
}

// signed writes a whole number with its sign.
func (w words) signed(n float64) string {
	s := w.p.Number(n, 0)
	if n > 0 {
		s = "+" + s
	}
	return s
}

// rate writes a share ("87%", "–" when nothing was counted).
func (w words) rate(r metrics.Rate) string {
	f, ok := share(r)
	if !ok {
		return "–"
	}
	return w.p.Percent(f)
}

// points writes how a share changed, in percentage points.
func (w words) points(now, before metrics.Rate) string {
	a, okA := share(now)
	b, okB := share(before)
	if !okA || !okB {
		return "–"
	}
	d := math.Round((a - b) * 100)
	if d == 0 {
		return "="
	}
	return w.p.T("%s pts", w.signed(d))
}

// duration writes a duration in seconds ("–" when none was measured).
func (w words) duration(d metrics.Durations, secs int64) string {
	if d.Count == 0 {
		return "–"
	}
	return w.p.Duration(time.Duration(secs) * time.Second)
}

// faster writes how a duration changed: shorter is better.
func (w words) faster(now, before metrics.Durations, pick func(metrics.Durations) int64) string {
	if now.Count == 0 || before.Count == 0 {
		return "–"
	}
	return w.change(int(pick(now)), int(pick(before)))
}

func median(d metrics.Durations) int64 { return d.Median }
func p90(d metrics.Durations) int64    { return d.P90 }

// summary is the month in sentences.
func (w words) summary(r, prev metrics.Report) []string {
	p := w.p
	var out []string
	msgs := p.N(r.In, "%d message", "%d messages")
	convs := p.N(r.Conversations, "%d conversation", "%d conversations")
	switch {
	case prev.In < smallBase:
		out = append(out, p.T("In %s, your community wrote %s, in %s (%s in %s).", w.month, msgs, convs,
			p.N(prev.In, "%d message", "%d messages"), w.before))
	case r.In >= prev.In:
		out = append(out, p.T("In %s, your community wrote %s, in %s: %s more than in %s.", w.month, msgs, convs,
			p.Percent(float64(r.In-prev.In)/float64(prev.In)), w.before))
	default:
		out = append(out, p.T("In %s, your community wrote %s, in %s: %s fewer than in %s.", w.month, msgs, convs,
			p.Percent(float64(prev.In-r.In)/float64(prev.In)), w.before))
	}
	if f, ok := share(r.ResponseRate); ok {
		s := p.T("The team answered %s of the questions and complaints.", p.Percent(f))
		if r.FirstResponse.Count > 0 {
			s = p.T("The team answered %s of the questions and complaints; half of the first replies came within %s in business hours.",
				p.Percent(f), w.duration(r.FirstResponse, r.FirstResponse.Median))
		}
		out = append(out, s)
	}
	if f, ok := share(r.SLA); ok {
		out = append(out, p.T("Response commitments were kept in %s of the conversations.", p.Percent(f)))
	}
	if known := r.Sentiment.Positive + r.Sentiment.Neutral + r.Sentiment.Negative; known > 0 {
		out = append(out, p.T("%s of the messages were positive and %s negative.",
			p.Percent(float64(r.Sentiment.Positive)/float64(known)), p.Percent(float64(r.Sentiment.Negative)/float64(known))))
	}
	m := r.Members
	if m.Active > 0 {
		out = append(out, p.T("%s took part, %s of them for the first time; %s turned from a negative to a positive tone after a reply, and %s spoke up for you.",
			p.N(m.Active, "%d member", "%d members"), p.Int(int64(m.New)), p.Int(int64(m.TurnedAround)), p.Int(int64(m.Advocates))))
	}
	return out
}

// figures compares the month's key figures with the month before.
func (w words) figures(r, prev metrics.Report) Table {
	p := w.p
	count := func(label string, now, before int) []string {
		return []string{label, p.Int(int64(now)), p.Int(int64(before)), w.change(now, before)}
	}
	rate := func(label string, now, before metrics.Rate) []string {
		return []string{label, w.rate(now), w.rate(before), w.points(now, before)}
	}
	dur := func(label string, pick func(metrics.Durations) int64, now, before metrics.Durations) []string {
		return []string{label, w.duration(now, pick(now)), w.duration(before, pick(before)), w.faster(now, before, pick)}
	}
	neg := func(s metrics.Sentiment) metrics.Rate {
		return metrics.Rate{Of: s.Negative, Total: s.Positive + s.Neutral + s.Negative}
	}
	pos := func(s metrics.Sentiment) metrics.Rate {
		return metrics.Rate{Of: s.Positive, Total: s.Positive + s.Neutral + s.Negative}
	}
	return Table{Caption: p.T("Key figures"), Head: []string{"", w.month, w.before, p.T("Difference")}, Rows: [][]string{
		count(p.T("Messages from the community"), r.In, prev.In),
		count(p.T("Replies from the team"), r.Out, prev.Out),
		count(p.T("Conversations"), r.Conversations, prev.Conversations),
		rate(p.T("Questions and complaints answered"), r.ResponseRate, prev.ResponseRate),
		dur(p.T("First reply, median (business hours)"), median, r.FirstResponse, prev.FirstResponse),
		dur(p.T("First reply, 9 in 10 within"), p90, r.FirstResponse, prev.FirstResponse),
		dur(p.T("Resolution, median (business hours)"), median, r.Resolution, prev.Resolution),
		rate(p.T("Response commitments kept"), r.SLA, prev.SLA),
		rate(p.T("Answered with an expert"), r.WithExpert, prev.WithExpert),
		rate(p.T("Positive messages"), pos(r.Sentiment), pos(prev.Sentiment)),
		rate(p.T("Negative messages"), neg(r.Sentiment), neg(prev.Sentiment)),
		count(p.T("Still open at the end of the month"), r.Backlog.Open, prev.Backlog.Open),
	}}
}

// relationship counts the members against the month before.
func (w words) relationship(m, prev metrics.Members) Table {
	p := w.p
	row := func(label string, now, before int) []string {
		return []string{label, p.Int(int64(now)), p.Int(int64(before)), w.change(now, before)}
	}
	return Table{Caption: p.T("The relationship with the community"), Head: []string{"", w.month, w.before, p.T("Difference")}, Rows: [][]string{
		row(p.T("Members who wrote"), m.Active, prev.Active),
		row(p.T("New members"), m.New, prev.New),
		row(p.T("Returning members"), m.Returning, prev.Returning),
		row(p.T("Regular members"), m.Regular, prev.Regular),
		row(p.T("Members turned around"), m.TurnedAround, prev.TurnedAround),
		row(p.T("Advocates"), m.Advocates, prev.Advocates),
	}}
}

// engaged ranks the month's most engaged members.
func (w words) engaged(list []metrics.Engagement) Table {
	p := w.p
	t := Table{Caption: p.T("Most engaged members"),
		Head: []string{p.T("Member"), p.T("Messages"), p.T("Conversations"), p.T("Positive"), p.T("Score")}}
	for _, e := range list[:min(len(list), 5)] {
		t.Rows = append(t.Rows, []string{cmp.Or(e.Name, e.MemberID), p.Int(int64(e.Messages)), p.Int(int64(e.Conversations)),
			p.Int(int64(e.Positive + e.Helpful)), p.Number(e.Score, 0)})
	}
	return t
}

// ChartTitles name a trend's charts, in the printer's language: the
// title of the volume chart, and the title and series of the response
// chart.
type ChartTitles struct {
	Volume, Response, ResponseSeries string
}

// TrendCharts draws a trend, its steps' first days (in loc) as labels:
// messages in and out, the sentiment of the community's messages, and the
// median first response in business hours. It returns the labels too.
func TrendCharts(p *i18n.Printer, trend []metrics.Report, loc *time.Location, t ChartTitles) ([]chart.Bars, []string) {
	n := len(trend)
	labels := make([]string, n)
	in, out := make([]float64, n), make([]float64, n)
	pos, neu, neg := make([]float64, n), make([]float64, n), make([]float64, n)
	first := make([]float64, n)
	for i, r := range trend {
		labels[i] = p.Date(r.Period.From, loc)
		in[i], out[i] = float64(r.In), float64(r.Out)
		pos[i], neu[i], neg[i] = float64(r.Sentiment.Positive), float64(r.Sentiment.Neutral), float64(r.Sentiment.Negative)
		first[i] = float64(r.FirstResponse.Median) / 3600
	}
	hours := func(h float64) string { return p.Duration(time.Duration(h * float64(time.Hour))) }
	return []chart.Bars{
		{Title: t.Volume, Labels: labels, Series: []chart.Series{
			{Name: p.T("from the community"), Class: "s-in", Values: in}, {Name: p.T("from the team"), Class: "s-out", Values: out}}},
		{Title: p.T("Sentiment of the community's messages"), Labels: labels, Stacked: true, Series: []chart.Series{
			{Name: p.T("positive"), Class: "s-pos", Values: pos}, {Name: p.T("neutral"), Class: "s-neu", Values: neu},
			{Name: p.T("negative"), Class: "s-neg", Values: neg}}},
		{Title: t.Response, Labels: labels, Unit: hours, Series: []chart.Series{
			{Name: t.ResponseSeries, Class: "s-out", Values: first}}},
	}, labels
}

// topics picks the month's highlights (topic "") and its topics, the
// most talked about first.
func (w words) topics(list []insights.Topic) (Topic, []Topic) {
	list = slices.Clone(list)
	slices.SortStableFunc(list, func(a, b insights.Topic) int { return cmp.Compare(b.Messages, a.Messages) })
	var all Topic
	var named []Topic
	for _, t := range list {
		if t.Topic == "" {
			all = w.topic(t)
		} else if len(named) < MaxTopics {
			named = append(named, w.topic(t))
		}
	}
	return all, named
}

func (w words) topic(t insights.Topic) Topic {
	p := w.p
	out := Topic{Name: t.Topic, Messages: p.N(t.Messages, "%d message", "%d messages"),
		QuestionsTitle: p.T("Questions asked"), EmergingTitle: p.T("Words coming up more than last month:")}
	by := func(q insights.Quote) string {
		if q.Author == "" {
			return p.Date(q.At, w.loc)
		}
		return q.Author + ", " + p.Date(q.At, w.loc)
	}
	for _, q := range t.Quotes {
		out.Quotes = append(out.Quotes, Quote{Text: q.Text, By: by(q)})
	}
	for _, q := range t.Questions {
		text := q.Text
		if q.Count > 1 {
			text = p.T("%s (asked %d times)", q.Text, q.Count)
		}
		out.Questions = append(out.Questions, Quote{Text: text, By: by(q.Quote)})
	}
	for _, e := range t.Emerging {
		out.Emerging = append(out.Emerging, e.Term)
	}
	return out
}

// WriteCSV writes the report's figures: the month, its weeks and the
// month before, one row each (metrics.WriteCSV).
func WriteCSV(out io.Writer, d *Document) error {
	return metrics.WriteCSV(out, d.Answer)
}

// Formats lists the formats Write takes.
func Formats() []string { return []string{"pdf", "html", "csv"} }

// ErrBadFormat is wrapped by Write's error for a format it does not know.
var ErrBadFormat = errors.New("bad report format")

// Write writes d in format (see Formats); created dates a PDF.
func Write(out io.Writer, d *Document, format string, created time.Time) error {
	switch format {
	case "pdf":
		return WritePDF(out, d, created)
	case "html":
		return WriteHTML(out, d)
	case "csv":
		return WriteCSV(out, d)
	}
	return fmt.Errorf("%w: %q is not one of %v", ErrBadFormat, format, Formats())
}

// ContentType is the media type of a format Write takes.
func ContentType(format string) string {
	switch format {
	case "pdf":
		return "application/pdf"
	case "html":
		return "text/html; charset=utf-8"
	}
	return "text/csv; charset=utf-8"
}

// FileName names d's file in format: palabre-acme-2026-10.pdf.
func FileName(d *Document, format string) string {
	return "palabre-" + d.Workspace.Slug + "-" + d.Month + "." + format
}

// Language is the language of ws's reports by default: its own when
// palabre's screens speak it, English otherwise.
func Language(ws model.Workspace) i18n.Lang {
	if l, ok := i18n.Parse(ws.Language); ok {
		return l
	}
	return i18n.English
}

// Location is the time zone of a workspace's months: its SLA calendar's,
// UTC without one.
func Location(ctx context.Context, src metrics.Source, workspaceID int64) (*time.Location, error) {
	res, err := metrics.Resolve(ctx, src, workspaceID, metrics.Query{}, time.Now())
	if err != nil {
		return nil, err
	}
	return res.Clock.Location(), nil
}

// DefaultMonth is the month a report covers when none is asked: the last
// whole month in the workspace's time zone at now.
func DefaultMonth(ctx context.Context, src metrics.Source, workspaceID int64, now time.Time) (string, error) {
	loc, err := Location(ctx, src, workspaceID)
	if err != nil {
		return "", err
	}
	return LastMonth(now, loc), nil
}
