package insights

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"palabre/internal/metrics"
)

// WriteMarkdown writes an answer as a Markdown document, titled title:
// per topic, the questions asked most, what was said, the emerging terms.
func WriteMarkdown(w io.Writer, title string, a Answer) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n\nFrom %s to %s (exclusive), %s time; %d messages read.\n", mdText(title), a.From, a.To, a.TimeZone, a.Read)
	for _, t := range a.Topics {
		name := t.Topic
		if name == "" {
			name = "All messages"
		}
		fmt.Fprintf(&b, "\n## %s (%d messages)\n", mdText(name), t.Messages)
		if len(t.Questions) > 0 {
			b.WriteString("\n### Questions asked most\n\n")
			for _, q := range t.Questions {
				fmt.Fprintf(&b, "- %s (%d×, %s)\n", mdText(q.Text), q.Count, q.At.Format(time.DateOnly))
			}
		}
		if len(t.Quotes) > 0 {
			b.WriteString("\n### What was said\n\n")
			for _, q := range t.Quotes {
				fmt.Fprintf(&b, "> %s\n>\n> — %s, %s\n\n", mdText(q.Text), mdText(q.Author), q.At.Format(time.DateOnly))
			}
		}
		if len(t.Emerging) > 0 {
			b.WriteString("\n### Emerging terms\n\n")
			for _, e := range t.Emerging {
				fmt.Fprintf(&b, "- %s: in %d messages, %d the period before\n", mdText(e.Term), e.Now, e.Before)
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdText keeps a text on one line and from being read as Markdown: the
// characters of emphasis, code, links, HTML and tables are escaped, and
// a first character that would start a heading, list or quote.
func mdText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	var b strings.Builder
	for i, r := range s {
		if strings.ContainsRune("\\`*_[]<>|~", r) || (i == 0 && strings.ContainsRune("#+-!>", r)) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// WriteCSV writes an answer as CSV, one row per item: topic ("" for all
// messages), kind (question, quote, term), text, count (questions asked
// alike; messages with the term), before (messages with the term the
// period before), message id and time (questions and quotes).
func WriteCSV(w io.Writer, a Answer) error {
	cw := csv.NewWriter(w)
	if err := cw.Write([]string{"topic", "kind", "text", "count", "before", "message_id", "at"}); err != nil {
		return err
	}
	for _, t := range a.Topics {
		for _, q := range t.Questions {
			if err := cw.Write([]string{metrics.SafeCell(t.Topic), "question", metrics.SafeCell(q.Text), strconv.Itoa(q.Count), "",
				strconv.FormatInt(q.MessageID, 10), q.At.Format(time.RFC3339)}); err != nil {
				return err
			}
		}
		for _, q := range t.Quotes {
			if err := cw.Write([]string{metrics.SafeCell(t.Topic), "quote", metrics.SafeCell(q.Text), "", "",
				strconv.FormatInt(q.MessageID, 10), q.At.Format(time.RFC3339)}); err != nil {
				return err
			}
		}
		for _, e := range t.Emerging {
			if err := cw.Write([]string{metrics.SafeCell(t.Topic), "term", metrics.SafeCell(e.Term), strconv.Itoa(e.Now), strconv.Itoa(e.Before), "", ""}); err != nil {
				return err
			}
		}
	}
	cw.Flush()
	return cw.Error()
}
