// Package alerts finds what a CM team should hear about at once: a spike
// of messages, of negative ones or of one topic against the usual, and the
// watched keywords (brand names, competitors, crisis words) as soon as
// they are written. Detect is a pure function of the messages it is
// given; the jobs raise what it finds as events (live stream, webhooks)
// and e-mails.
package alerts

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"palabre/internal/enrich/topics"
	"palabre/internal/i18n"
	"palabre/internal/model"
)

// Kinds of alert.
const (
	Volume   = "volume"   // messages from the community
	Negative = "negative" // negative messages
	Topic    = "topic"    // messages of one topic; Subject names it
	Keyword  = "keyword"  // a watched keyword written; Subject names it
)

// Defaults and bounds of the settings.
const (
	DefaultWindow      = 60 // minutes
	DefaultFactor      = 3.0
	DefaultMinMessages = 5
	// Baseline is how far back the usual is measured, before the window.
	Baseline    = 7 * 24 * time.Hour
	MaxKeywords = 100
	// MaxQuoted is how many messages an alert names, the newest first.
	MaxQuoted = 20
)

// Check fills s's zero values with the defaults and checks the rest.
func Check(s model.AlertSettings) (model.AlertSettings, error) {
	if s.WindowMinutes == 0 {
		s.WindowMinutes = DefaultWindow
	}
	if s.Factor == 0 {
		s.Factor = DefaultFactor
	}
	if s.MinMessages == 0 {
		s.MinMessages = DefaultMinMessages
	}
	var keywords []string
	for _, k := range s.Keywords {
		k = strings.Join(strings.Fields(k), " ")
		if k != "" && !slices.ContainsFunc(keywords, func(o string) bool { return strings.EqualFold(o, k) }) {
			keywords = append(keywords, k)
		}
	}
	s.Keywords = keywords
	if s.Keywords == nil {
		s.Keywords = []string{}
	}
	if s.Recipients == nil {
		s.Recipients = []string{}
	}
	switch {
	case s.WindowMinutes < 10 || s.WindowMinutes > 24*60:
		return s, fmt.Errorf("window_minutes %d: want 10 to 1440", s.WindowMinutes)
	case s.Factor < 1.5 || s.Factor > 100 || math.IsNaN(s.Factor):
		return s, fmt.Errorf("factor %g: want 1.5 to 100", s.Factor)
	case s.MinMessages < 1 || s.MinMessages > 10000:
		return s, fmt.Errorf("min_messages %d: want 1 to 10000", s.MinMessages)
	case len(s.Keywords) > MaxKeywords:
		return s, fmt.Errorf("%d keywords, at most %d", len(s.Keywords), MaxKeywords)
	case len(s.Recipients) > model.MaxReportRecipients:
		return s, fmt.Errorf("%d recipients, at most %d", len(s.Recipients), model.MaxReportRecipients)
	}
	if _, err := keywordMatcher(s.Keywords); err != nil {
		return s, err
	}
	return s, nil
}

// keywordMatcher finds the watched keywords, each a topic of its own:
// case and accents folded, words stemmed, phrases matched whole.
func keywordMatcher(keywords []string) (*topics.Matcher, error) {
	vocabulary := make([]model.Topic, len(keywords))
	for i, k := range keywords {
		vocabulary[i] = model.Topic{Name: k, Terms: []string{k}}
	}
	m, err := topics.Compile(vocabulary)
	if err != nil {
		return nil, fmt.Errorf("keywords: %w", err)
	}
	return m, nil
}

// Message is a customer's message as alerts read it.
type Message struct {
	ID, ConversationID int64
	At                 time.Time
	Lang, Sentiment    string
	Topics             []string
	Body               string // read for the window's messages only
}

// Counts are how many customers' messages a span of time had: all of
// them, the negative ones, and those of each topic.
type Counts struct {
	All, Negative int
	Topics        map[string]int
}

// Count counts msgs.
func Count(msgs []Message) Counts {
	c := Counts{Topics: map[string]int{}}
	for _, m := range msgs {
		c.All++
		if m.Sentiment == "neg" {
			c.Negative++
		}
		for _, t := range m.Topics {
			c.Topics[t]++
		}
	}
	return c
}

// Input is what Detect reads.
type Input struct {
	Settings model.AlertSettings // checked
	Now      time.Time
	// Window are the customers' messages written in the window, the
	// WindowMinutes up to Now; Before counts those of the Baseline before
	// it.
	Window []Message
	Before Counts
	// Fresh says which of Window's messages arrived since the last
	// detection: only those are searched for keywords.
	Fresh func(id int64) bool
}

// Detect returns the alerts of in: spikes of the window against the
// usual, and the keywords of its fresh messages. A spike needs at least
// MinMessages in the window and Factor times the usual (the Baseline's
// messages per window, one at least). Alerts of one window share its
// start: a spike is raised once a window.
func Detect(in Input) ([]model.Alert, error) {
	s := in.Settings
	window := time.Duration(s.WindowMinutes) * time.Minute
	from := in.Now.Add(-window)
	bucket := in.Now.Truncate(window)
	windows := float64(Baseline) / float64(window)
	var out []model.Alert
	spike := func(kind, subject string, before int, keep func(Message) bool) {
		now := filter(in.Window, keep)
		if len(now) < s.MinMessages {
			return
		}
		usual := float64(before) / windows
		if float64(len(now)) < s.Factor*math.Max(usual, 1) {
			return
		}
		out = append(out, alert(kind, subject, from, in.Now, bucket.UnixMicro(), usual, now))
	}
	spike(Volume, "", in.Before.All, func(Message) bool { return true })
	spike(Negative, "", in.Before.Negative, func(m Message) bool { return m.Sentiment == "neg" })
	var names []string
	for _, m := range in.Window {
		names = append(names, m.Topics...)
	}
	slices.Sort(names)
	for _, t := range slices.Compact(names) {
		spike(Topic, t, in.Before.Topics[t], func(m Message) bool { return slices.Contains(m.Topics, t) })
	}
	if len(s.Keywords) == 0 {
		return out, nil
	}
	matcher, err := keywordMatcher(s.Keywords)
	if err != nil {
		return out, err
	}
	scratch := matcher.NewScratch()
	found := map[string][]Message{}
	var buf []string
	for _, m := range in.Window {
		if in.Fresh != nil && !in.Fresh(m.ID) {
			continue
		}
		buf = matcher.AppendMatches(buf[:0], m.Body, m.Lang, scratch)
		for _, k := range buf {
			found[k] = append(found[k], m)
		}
	}
	for _, k := range s.Keywords {
		if msgs := found[k]; len(msgs) > 0 {
			// A keyword's alerts are told apart by their newest message.
			last := slices.MaxFunc(msgs, func(a, b Message) int { return cmp.Compare(a.ID, b.ID) })
			out = append(out, alert(Keyword, k, from, in.Now, last.ID, 0, msgs))
		}
	}
	return out, nil
}

func filter(list []Message, keep func(Message) bool) []Message {
	var out []Message
	for _, m := range list {
		if keep(m) {
			out = append(out, m)
		}
	}
	return out
}

// alert is one alert over from–to of msgs, the newest first.
func alert(kind, subject string, from, to time.Time, bucket int64, usual float64, msgs []Message) model.Alert {
	msgs = slices.Clone(msgs)
	slices.SortFunc(msgs, func(a, b Message) int { return cmp.Or(b.At.Compare(a.At), cmp.Compare(b.ID, a.ID)) })
	a := model.Alert{Kind: kind, Subject: subject, From: from, To: to, Bucket: bucket, Count: len(msgs),
		Usual: math.Round(usual*10) / 10}
	for _, m := range msgs[:min(len(msgs), MaxQuoted)] {
		a.MessageIDs = append(a.MessageIDs, m.ID)
	}
	return a
}

// Headline says what an alert is about in one line, in p's language:
// "14 negative messages in 60 min (usually 2)".
func Headline(p *i18n.Printer, a model.Alert) string {
	minutes := int(a.To.Sub(a.From) / time.Minute)
	usual := p.Number(a.Usual, 1)
	if a.Usual == math.Trunc(a.Usual) {
		usual = p.Number(a.Usual, 0)
	}
	switch a.Kind {
	case Volume:
		return p.T("%s in %d min (usually %s)", p.N(a.Count, "%d message", "%d messages"), minutes, usual)
	case Negative:
		return p.T("%s in %d min (usually %s)", p.N(a.Count, "%d negative message", "%d negative messages"), minutes, usual)
	case Topic:
		return p.T("Topic %q: %s in %d min (usually %s)", a.Subject, p.N(a.Count, "%d message", "%d messages"), minutes, usual)
	}
	return p.T("Keyword %q: %s", a.Subject, p.N(a.Count, "%d new message", "%d new messages"))
}
