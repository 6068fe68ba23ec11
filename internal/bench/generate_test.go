package bench

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"

	"palabre/internal/connector/ndjson"
	"palabre/internal/ingest"
	"palabre/internal/model"
)

// readAll decodes generated NDJSON the way palabre import does, failing on
// any record palabre would reject.
func readAll(t *testing.T, data []byte) []model.Message {
	t.Helper()
	r := ndjson.NewReader(bytes.NewReader(data))
	var msgs []model.Message
	for {
		rec, err := r.Next()
		if errors.Is(err, io.EOF) {
			return msgs
		}
		if err != nil {
			t.Fatal(err)
		}
		if rec.Err != nil {
			t.Fatalf("%s: %v", rec.Pos, rec.Err)
		}
		if _, err := ingest.Prepare(Workspace, rec.Message.Channel, rec.Message); err != nil {
			t.Fatalf("%s: ingest refuses it: %v", rec.Pos, err)
		}
		msgs = append(msgs, rec.Message)
	}
}

func generate(t *testing.T, n int, seed uint64) ([]byte, Stats) {
	t.Helper()
	var buf bytes.Buffer
	st, err := Generate(&buf, n, seed)
	if err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), st
}

func TestGenerateShape(t *testing.T) {
	t.Parallel()
	const n = 20000
	data, st := generate(t, n, 7)
	msgs := readAll(t, data)
	if len(msgs) != n || st.Messages != n {
		t.Fatalf("%d messages read, Stats.Messages %d, want %d", len(msgs), st.Messages, n)
	}

	type conv struct {
		size    int
		channel string
		ids     map[string]bool
	}
	convs := make(map[string]*conv)
	byEmail := make(map[string]int)
	signer := make(map[string]string) // channel + name → e-mail
	channels := make(map[string]bool)
	bodies := make(map[string]bool)
	bodyBytes, french, english, staff := 0, 0, 0, 0
	for i, m := range msgs {
		if i > 0 && !m.CreatedAt.After(msgs[i-1].CreatedAt) {
			t.Fatalf("message %d: created_at %s not after %s", i, m.CreatedAt, msgs[i-1].CreatedAt)
		}
		c := convs[m.ConversationExternalID]
		switch {
		case c == nil && m.ExternalID != m.ConversationExternalID:
			t.Fatalf("message %d (%s) comes before its conversation's root %s", i, m.ExternalID, m.ConversationExternalID)
		case c == nil:
			if m.Kind != model.KindPost || m.ParentExternalID != "" {
				t.Fatalf("root %s: kind %q, parent %q", m.ExternalID, m.Kind, m.ParentExternalID)
			}
			c = &conv{channel: m.Channel, ids: make(map[string]bool)}
			convs[m.ExternalID] = c
		case !c.ids[m.ParentExternalID]:
			t.Fatalf("message %s: parent %q is not an earlier message of its conversation", m.ExternalID, m.ParentExternalID)
		case m.Channel != c.channel:
			t.Fatalf("message %s is in %s, its conversation in %s", m.ExternalID, m.Channel, c.channel)
		case (m.Kind == model.KindComment) != (m.ParentExternalID == m.ConversationExternalID):
			t.Fatalf("message %s: kind %s with parent %s", m.ExternalID, m.Kind, m.ParentExternalID)
		}
		c.ids[m.ExternalID] = true
		c.size++

		if m.AuthorName == "" || !strings.Contains(m.AuthorEmail, "@") {
			t.Fatalf("message %s: author %q <%s>", m.ExternalID, m.AuthorName, m.AuthorEmail)
		}
		byEmail[m.AuthorEmail]++
		key := m.Channel + "|" + strings.ToLower(m.AuthorName)
		if e, ok := signer[key]; ok && e != m.AuthorEmail {
			t.Fatalf("%q signs for %s and %s on %s: they would share an identity", m.AuthorName, e, m.AuthorEmail, m.Channel)
		}
		signer[key] = m.AuthorEmail
		if m.AuthorIsStaff {
			staff++
		}
		channels[m.Channel] = true
		bodies[m.Body] = true
		bodyBytes += len(m.Body)
		switch {
		case strings.ContainsAny(m.Body, "éèàç"):
			french++
		case strings.Contains(m.Body, "ou") || strings.Contains(m.Body, "th"):
			english++ // no accent, and a frequent English bigram
		}
	}

	if len(convs) != st.Conversations {
		t.Errorf("%d conversations, Stats says %d", len(convs), st.Conversations)
	}
	for root, c := range convs {
		if c.size < minThread || c.size > maxThread {
			t.Errorf("conversation %s has %d messages, want %d to %d", root, c.size, minThread, maxThread)
		}
	}
	if len(byEmail) != st.Authors {
		t.Errorf("%d distinct authors, Stats says %d", len(byEmail), st.Authors)
	}
	repeat := 0
	for _, k := range byEmail {
		if k > 1 {
			repeat += k
		}
	}
	if share := float64(repeat) / n; share < 0.08 || share > 0.12 {
		t.Errorf("%.3f of the messages are by repeat authors, want about 0.10", share)
	}
	if repeat != st.RepeatMessages {
		t.Errorf("%d messages by repeat authors, Stats says %d", repeat, st.RepeatMessages)
	}
	if staff == 0 || staff > n/10 {
		t.Errorf("%d messages by staff", staff)
	}
	if len(channels) < 3 {
		t.Errorf("channels %v, want a few", channels)
	}
	if avg := bodyBytes / n; avg < 270 || avg > 330 {
		t.Errorf("bodies average %d bytes, want about 300", avg)
	}
	if len(bodies) < n*99/100 {
		t.Errorf("only %d distinct bodies in %d messages", len(bodies), n)
	}
	if french < n/4 || english < n/4 {
		t.Errorf("%d French-looking and %d English-looking bodies of %d", french, english, n)
	}
}

func TestGenerateIsDeterministic(t *testing.T) {
	t.Parallel()
	a, sa := generate(t, 3000, 42)
	b, sb := generate(t, 3000, 42)
	if !bytes.Equal(a, b) || sa != sb {
		t.Fatal("two runs with the same seed differ")
	}
	c, _ := generate(t, 3000, 43)
	if bytes.Equal(a, c) {
		t.Fatal("another seed gives the same output")
	}
}

func TestGenerateSmall(t *testing.T) {
	t.Parallel()
	for _, n := range []int{1, 4, 5, 21, 26} {
		data, st := generate(t, n, 1)
		msgs := readAll(t, data)
		if len(msgs) != n {
			t.Fatalf("n=%d: %d messages", n, len(msgs))
		}
		sizes := make(map[string]int)
		for _, m := range msgs {
			sizes[m.ConversationExternalID]++
		}
		for root, k := range sizes {
			if n >= minThread && (k < minThread || k > maxThread) {
				t.Errorf("n=%d: conversation %s has %d messages", n, root, k)
			}
		}
		if len(sizes) != st.Conversations {
			t.Errorf("n=%d: %d conversations, Stats says %d", n, len(sizes), st.Conversations)
		}
	}
	if _, err := Generate(io.Discard, 0, 1); err == nil {
		t.Error("n=0: no error")
	}
}

// TestNamesAreDistinct checks the namer: distinct signatures for distinct
// indexes, also past the end of the name lists.
func TestNamesAreDistinct(t *testing.T) {
	t.Parallel()
	g := newGenerator(1000, 3)
	seen := make(map[string]int)
	for i := range g.names.size + 5000 {
		_, _, full := g.names.name(i)
		if j, ok := seen[strings.ToLower(full)]; ok {
			t.Fatalf("indexes %d and %d both sign %q", j, i, full)
		}
		seen[strings.ToLower(full)] = i
	}
}
