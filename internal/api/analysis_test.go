package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"palabre/internal/analysis"
	"palabre/internal/enrich"
	"palabre/internal/model"
	"palabre/internal/store"
	"palabre/internal/testutil"
)

// The embedded model's weights change as it is retrained: these tests
// assert what holds whatever they are — that every field is there and in
// range, that vocabularies and corrections stay in their workspace, that a
// correction wins — and never a label the global model alone would give.
// Corrections always ask for a value the analysis does not already give.

// analysisResult is an answer of POST …/analyze.
type analysisResult struct {
	Lang               string   `json:"lang"`
	LangConfidence     float64  `json:"lang_confidence"`
	Sentiment          string   `json:"sentiment"`
	SentimentScore     float64  `json:"sentiment_score"`
	Intent             string   `json:"intent"`
	IntentConfidence   float64  `json:"intent_confidence"`
	NeedsResponse      bool     `json:"needs_response"`
	NeedsResponseScore float64  `json:"needs_response_score"`
	Spam               bool     `json:"spam"`
	SpamScore          float64  `json:"spam_score"`
	Topics             []string `json:"topics"`
}

// storedAnalysis is the analysis part of a message as GET
// /api/v1/conversations/{id} shows it.
type storedAnalysis struct {
	ID                 int64    `json:"id"`
	Sentiment          string   `json:"sentiment"`
	SentimentScore     *float64 `json:"sentiment_score"`
	Intent             string   `json:"intent"`
	NeedsResponse      *bool    `json:"needs_response"`
	NeedsResponseScore *float64 `json:"needs_response_score"`
	Spam               *bool    `json:"spam"`
	SpamScore          *float64 `json:"spam_score"`
	Corrected          string   `json:"corrected"`
}

func analyzePath(slug string) string { return "/api/v1/workspaces/" + slug + "/analyze" }

func correctPath(slug string, messageID any) string {
	return fmt.Sprintf("/api/v1/workspaces/%s/messages/%v/corrections", slug, messageID)
}

func jsonBody(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// analyze asks for the analysis of text in a workspace, checks that it is
// a 200 JSON answer and decodes it.
func analyze(t *testing.T, f *fixture, slug, text string) (analysisResult, response) {
	t.Helper()
	res := f.send(t, http.MethodPost, analyzePath(slug), jsonBody(t, map[string]string{"text": text}))
	if res.status != http.StatusOK {
		t.Fatalf("analyze in %s: status %d, body %s", slug, res.status, res.body)
	}
	checkJSONHeaders(t, res)
	var a analysisResult
	if err := json.Unmarshal(res.body, &a); err != nil {
		t.Fatalf("analyze in %s: %v in %s", slug, err, res.body)
	}
	return a, res
}

// correct posts a correction that must be accepted and returns it.
func correct(t *testing.T, f *fixture, slug string, messageID int64, field, value string) (store.Correction, response) {
	t.Helper()
	path := correctPath(slug, messageID)
	res := f.send(t, http.MethodPost, path, jsonBody(t, map[string]string{"field": field, "value": value}))
	if res.status != http.StatusCreated {
		t.Fatalf("POST %s %s=%s: status %d, body %s", path, field, value, res.status, res.body)
	}
	checkJSONHeaders(t, res)
	var c store.Correction
	if err := json.Unmarshal(res.body, &c); err != nil {
		t.Fatalf("POST %s: %v in %s", path, err, res.body)
	}
	return c, res
}

func listCorrections(t *testing.T, f *fixture, slug string) []store.Correction {
	t.Helper()
	var got struct {
		Corrections []store.Correction `json:"corrections"`
	}
	res := f.getJSON(t, "/api/v1/workspaces/"+slug+"/corrections", &got)
	if got.Corrections == nil {
		t.Fatalf("corrections of %s is not a list: %s", slug, res.body)
	}
	return got.Corrections
}

// storedMessage returns message id of a conversation as the API shows it.
func storedMessage(t *testing.T, f *fixture, conversationID, id int64) storedAnalysis {
	t.Helper()
	var got struct {
		Messages []storedAnalysis `json:"messages"`
	}
	f.getJSON(t, fmt.Sprintf("/api/v1/conversations/%d", conversationID), &got)
	for _, m := range got.Messages {
		if m.ID == id {
			return m
		}
	}
	t.Fatalf("conversation %d has no message %d", conversationID, id)
	return storedAnalysis{}
}

// addAnalysedMessage imports into a workspace a one-message conversation
// whose body is text, analysed as palabre's import would with the
// workspace's analyzer, and returns the ids of the message and of its
// conversation.
func addAnalysedMessage(t *testing.T, st *store.Store, slug, channel, ext, text string) (messageID, conversationID int64) {
	t.Helper()
	ctx := context.Background()
	ws, err := st.WorkspaceBySlug(ctx, slug)
	if err != nil {
		t.Fatal(err)
	}
	ch, err := st.EnsureChannel(ctx, ws.ID, channel, "wordpress")
	if err != nil {
		t.Fatal(err)
	}
	m, err := enrich.Default()
	if err != nil {
		t.Fatal(err)
	}
	a, err := analysis.ForWorkspace(ctx, st, m, ws.ID)
	if err != nil {
		t.Fatal(err)
	}
	it := message(ext, "", ext, t0.Add(24*time.Hour))
	it.Message.Body = text
	analysis.NewEnricher(a).Enrich(&it.Message)
	if _, err := st.NewImporter(ws, ch).Write(ctx, []store.IngestItem{it}); err != nil {
		t.Fatal(err)
	}
	return firstMessage(t, st, ws.ID, ext)
}

// firstMessage returns the ids of the root message of a workspace's
// conversation and of the conversation.
func firstMessage(t *testing.T, st *store.Store, workspaceID int64, root string) (messageID, conversationID int64) {
	t.Helper()
	ctx := context.Background()
	page, err := st.Conversations(ctx, workspaceID, store.ConversationFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range page.Conversations {
		if c.RootExternalID != root {
			continue
		}
		msgs, err := st.ConversationMessages(ctx, c.ID)
		if err != nil || len(msgs) == 0 {
			t.Fatalf("messages of conversation %s: %v, %v", root, msgs, err)
		}
		return msgs[0].ID, c.ID
	}
	t.Fatalf("workspace %d has no conversation %s", workspaceID, root)
	return 0, 0
}

// otherThan returns the first of labels that is not not.
func otherThan(labels []string, not string) string {
	for _, l := range labels {
		if l != not {
			return l
		}
	}
	panic("no other label than " + not)
}

// propertySchema is the part of a JSON Schema property these tests check.
type propertySchema struct {
	Type    string          `json:"type"`
	Format  string          `json:"format"`
	Enum    []string        `json:"enum"`
	Minimum *float64        `json:"minimum"`
	Maximum *float64        `json:"maximum"`
	Items   *propertySchema `json:"items"`
}

type objectSchema struct {
	Required   []string                  `json:"required"`
	Properties map[string]propertySchema `json:"properties"`
}

// documentedSchema reads a schema of components.schemas from the served
// OpenAPI document.
func documentedSchema(t *testing.T, f *fixture, name string) objectSchema {
	t.Helper()
	var doc struct {
		Components struct {
			Schemas map[string]json.RawMessage `json:"schemas"`
		} `json:"components"`
	}
	f.getJSON(t, "/api/v1/openapi.json", &doc)
	var s objectSchema
	if err := json.Unmarshal(doc.Components.Schemas[name], &s); err != nil || len(s.Properties) == 0 {
		t.Fatalf("schema %s: %v, %+v", name, err, s)
	}
	return s
}

// checkSchema checks that body is a JSON object with every required field
// of s, and only fields s documents, each of its type and in its range.
func checkSchema(t *testing.T, s objectSchema, body []byte) {
	t.Helper()
	var got map[string]any
	if err := json.Unmarshal(body, &got); err != nil {
		t.Fatalf("%v in %s", err, body)
	}
	for _, name := range s.Required {
		if _, ok := got[name]; !ok {
			t.Errorf("%s lacks %s", body, name)
		}
	}
	for name, v := range got {
		p, ok := s.Properties[name]
		if !ok {
			t.Errorf("%s: field %s is not documented", body, name)
			continue
		}
		checkValue(t, name, p, v)
	}
}

func checkValue(t *testing.T, name string, p propertySchema, v any) {
	t.Helper()
	switch p.Type {
	case "string":
		s, ok := v.(string)
		if !ok {
			t.Errorf("%s: %v is not a string", name, v)
			return
		}
		if len(p.Enum) > 0 && !slices.Contains(p.Enum, s) {
			t.Errorf("%s: %q is not one of %v", name, s, p.Enum)
		}
		if p.Format == "date-time" {
			if _, err := time.Parse(time.RFC3339, s); err != nil {
				t.Errorf("%s: %q is not a date-time: %v", name, s, err)
			}
		}
	case "number", "integer":
		n, ok := v.(float64)
		if !ok {
			t.Errorf("%s: %v is not a number", name, v)
			return
		}
		if p.Type == "integer" && n != math.Trunc(n) {
			t.Errorf("%s: %v is not an integer", name, n)
		}
		if p.Minimum != nil && n < *p.Minimum || p.Maximum != nil && n > *p.Maximum {
			t.Errorf("%s: %v is outside [%v, %v]", name, n, deref(p.Minimum), deref(p.Maximum))
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			t.Errorf("%s: %v is not a boolean", name, v)
		}
	case "array":
		items, ok := v.([]any)
		if !ok { // null too
			t.Errorf("%s: %v is not an array", name, v)
			return
		}
		if p.Items != nil {
			for i, it := range items {
				checkValue(t, fmt.Sprintf("%s[%d]", name, i), *p.Items, it)
			}
		}
	default:
		t.Errorf("%s: the test does not check type %q", name, p.Type)
	}
}

func deref(p *float64) any {
	if p == nil {
		return "none"
	}
	return *p
}

// TestAnalyzeAnswersTheDocumentedSchema analyses texts of every kind, odd
// ones included: each answer has every field of the documented Analysis,
// of its type and in its range, and topics is a list even when empty.
func TestAnalyzeAnswersTheDocumentedSchema(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		f := serve(t, st)
		schema := documentedSchema(t, f, "Analysis")
		for name := range schema.Properties {
			if !slices.Contains(schema.Required, name) {
				t.Errorf("Analysis.%s is not required: every field of an analysis is always there", name)
			}
		}
		texts := []string{
			"Bonjour, mon frein arrière couine depuis la révision, est-ce normal ?",
			"Thanks a lot, the new catalogue looks great!",
			"The delivery is late again and nobody answers my emails.",
			"Achetez des pilules pas chères sur http://spam.example maintenant !!!",
			"Hola, ¿dónde está mi pedido? Muchas gracias por todo.",
			"Добрый день, где мой заказ?",
			"",
			"   \n\t ",
			"👍👍👍",
			"https://example.com/a/b?c=d",
			"a\x00b",
			"\xff\xfe invalid UTF-8 \xc3",
			strings.Repeat("pas terrible ", 2000),
		}
		for _, text := range texts {
			t.Run(fmt.Sprintf("%.30q", text), func(t *testing.T) {
				_, res := analyze(t, f, "velo", text)
				checkSchema(t, schema, res.body)
				if !bytes.Contains(res.body, []byte(`"topics":[]`)) {
					t.Errorf("a workspace without vocabulary: topics is not []: %s", res.body)
				}
				if _, again := analyze(t, f, "velo", text); !bytes.Equal(again.body, res.body) {
					t.Errorf("the same text analysed twice: %s, then %s", res.body, again.body)
				}
			})
		}
		t.Run("documented maximum length", func(t *testing.T) {
			text := strings.Repeat("ma livraison est en retard ", 1_000_000/27)
			text += strings.Repeat("x", 1_000_000-len(text))
			_, res := analyze(t, f, "velo", text)
			checkSchema(t, schema, res.body)
		})
	})
}

// TestAnalyzeUsesTheWorkspaceVocabulary checks that a workspace's topics
// are found in its texts, in the vocabulary's order, and only in its own.
func TestAnalyzeUsesTheWorkspaceVocabulary(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		f := serve(t, st)
		const text = "Bonjour, le frein de mon vélo couine et ma livraison est en retard."
		before, _ := analyze(t, f, "velo", text) // the analyzer is cached from here on
		velo := mustWorkspace(t, st, "velo")
		for _, tp := range []model.Topic{
			{Name: "Livraison", Terms: []string{"livraison", "colis"}},
			{Name: "Freins", Terms: []string{"frein"}},
			{Name: "Prix", Terms: []string{"prix"}},
		} {
			if _, err := st.SetTopic(context.Background(), velo, tp, "test"); err != nil {
				t.Fatal(err)
			}
		}
		got, _ := analyze(t, f, "velo", text)
		if !slices.Equal(got.Topics, []string{"Livraison", "Freins"}) {
			t.Errorf("velo topics %q, want [Livraison Freins]", got.Topics)
		}
		got.Topics = before.Topics
		if !equalAnalysis(got, before) {
			t.Errorf("the vocabulary changed more than topics: %+v, before %+v", got, before)
		}
		if _, res := analyze(t, f, "velo", "Merci pour votre réponse rapide."); !bytes.Contains(res.body, []byte(`"topics":[]`)) {
			t.Errorf("velo, a text with no topic's term: %s", res.body)
		}
		other, res := analyze(t, f, "banque", text)
		if !bytes.Contains(res.body, []byte(`"topics":[]`)) {
			t.Errorf("banque, which has no vocabulary, found topics: %s", res.body)
		}
		if other.Topics = before.Topics; !equalAnalysis(other, before) {
			t.Errorf("banque's analysis %+v differs from velo's before its vocabulary %+v", other, before)
		}

		// A topic removed through the API is no longer found.
		if res := f.do(t, http.MethodDelete, "/api/v1/workspaces/velo/topics/Freins"); res.status != http.StatusNoContent {
			t.Fatalf("DELETE Freins: status %d, body %s", res.status, res.body)
		}
		if got, _ := analyze(t, f, "velo", text); !slices.Equal(got.Topics, []string{"Livraison"}) {
			t.Errorf("velo topics after deleting Freins: %q, want [Livraison]", got.Topics)
		}
	})
}

func equalAnalysis(a, b analysisResult) bool {
	return a.Lang == b.Lang && a.LangConfidence == b.LangConfidence && a.Sentiment == b.Sentiment &&
		a.SentimentScore == b.SentimentScore && a.Intent == b.Intent && a.IntentConfidence == b.IntentConfidence &&
		a.NeedsResponse == b.NeedsResponse && a.NeedsResponseScore == b.NeedsResponseScore &&
		a.Spam == b.Spam && a.SpamScore == b.SpamScore && slices.Equal(a.Topics, b.Topics)
}

func sameCorrection(a, b store.Correction) bool {
	at, bt := a.CreatedAt, b.CreatedAt
	a.CreatedAt, b.CreatedAt = time.Time{}, time.Time{}
	return a == b && at.Equal(bt)
}

func TestAnalyzeRequestErrors(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		f := serve(t, st)
		path := analyzePath("velo")
		tooLarge := `{"text":"` + strings.Repeat("a ", 1<<19) + `"}`
		cases := []struct {
			name, method, path, body string
			status                   int
			want                     []string
			allow                    string
		}{
			{"unknown workspace", "POST", analyzePath("nope"), `{"text":"bonjour"}`, 404, []string{`workspace "nope"`, "not found"}, ""},
			{"workspace that cannot be", "POST", analyzePath("%00"), `{"text":"bonjour"}`, 404, []string{"not found"}, ""},
			{"not JSON", "POST", path, `{"text":`, 400, []string{"request body"}, ""},
			{"not an object", "POST", path, `"bonjour"`, 400, []string{"request body"}, ""},
			{"text not a string", "POST", path, `{"text":42}`, 400, []string{"request body"}, ""},
			{"unknown field", "POST", path, `{"text":"bonjour","lang":"fr"}`, 400, []string{`unknown field "lang"`}, ""},
			{"two values", "POST", path, `{"text":"bonjour"} {"text":"encore"}`, 400, []string{"more than one JSON value"}, ""},
			{"trailing garbage", "POST", path, `{"text":"bonjour"} x`, 400, []string{"request body"}, ""},
			{"empty body", "POST", path, ``, 400, []string{"request body is empty"}, ""},
			{"no text", "POST", path, `{}`, 400, []string{`"text"`}, ""},
			{"null text", "POST", path, `{"text":null}`, 400, []string{`"text"`}, ""},
			{"null body", "POST", path, `null`, 400, []string{`"text"`}, ""},
			{"body over 1 MiB", "POST", path, tooLarge, 400, []string{"larger than 1048576 bytes"}, ""},
			{"GET", "GET", path, "", 405, []string{"GET"}, "POST"},
			{"PUT", "PUT", path, `{"text":"bonjour"}`, 405, []string{"PUT"}, "POST"},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				res := f.send(t, c.method, c.path, c.body)
				checkProblem(t, res, c.status, c.want...)
				if got := res.header.Get("Allow"); got != c.allow {
					t.Errorf("Allow %q, want %q", got, c.allow)
				}
			})
		}
		// The connection a refused body left behind does not spoil the
		// next request.
		analyze(t, f, "velo", "bonjour")
		if strings.Contains(f.logs.String(), "level=ERROR") {
			t.Errorf("client errors logged as server errors:\n%s", f.logs)
		}
	})
}

// TestCorrections corrects each field of a message through the API: the
// message shows the corrected values, the workspace's analysis of the
// message's text follows them, and the other workspace's does not move.
func TestCorrections(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := serve(t, st)
		const text = "Bonjour, j'ai reçu ma nouvelle carte bancaire hier mais le code ne fonctionne pas au distributeur."
		msgID, convID := addAnalysedMessage(t, st, "banque", "forum", "card", text)
		banque := mustWorkspace(t, st, "banque")

		before, _ := analyze(t, f, "banque", text)
		_, otherBefore := analyze(t, f, "velo", text)
		stored := storedMessage(t, f, convID, msgID)
		if stored.Sentiment != before.Sentiment || stored.Intent != before.Intent || stored.Spam == nil ||
			*stored.Spam != before.Spam || stored.NeedsResponse == nil || *stored.NeedsResponse != before.NeedsResponse ||
			stored.Corrected != "" {
			t.Fatalf("imported message %+v does not carry the analysis %+v", stored, before)
		}

		sentiment := otherThan(enrich.Sentiments[:], before.Sentiment)
		c, res := correct(t, f, "banque", msgID, "sentiment", sentiment)
		checkSchema(t, documentedSchema(t, f, "Correction"), res.body)
		if c.ID <= 0 || c.WorkspaceID != banque || c.MessageID != msgID || c.Field != "sentiment" ||
			c.OldValue != before.Sentiment || c.NewValue != sentiment || c.Text != text || !strings.HasPrefix(c.Actor, "admin") ||
			time.Since(c.CreatedAt).Abs() > time.Minute {
			t.Fatalf("correction %+v: want message %d of workspace %d, sentiment %s → %s, actor api, made now",
				c, msgID, banque, before.Sentiment, sentiment)
		}

		got := storedMessage(t, f, convID, msgID)
		wantScore := map[string]float64{"neg": -1, "neu": 0, "pos": 1}[sentiment]
		if got.Sentiment != sentiment || got.SentimentScore == nil || *got.SentimentScore != wantScore ||
			got.Corrected != "sentiment" || got.Intent != stored.Intent {
			t.Errorf("message after the correction: %+v; want sentiment %s (%v), corrected sentiment, the rest as it was",
				got, sentiment, wantScore)
		}
		if learned, _ := analyze(t, f, "banque", text); learned.Sentiment != sentiment {
			t.Errorf("banque analyses the corrected text as %s, want the correction's %s", learned.Sentiment, sentiment)
		}
		if _, other := analyze(t, f, "velo", text); !bytes.Equal(other.body, otherBefore.body) {
			t.Errorf("velo's analysis moved with banque's correction: %s, before %s", other.body, otherBefore.body)
		}
		if list := listCorrections(t, f, "banque"); len(list) != 1 || !sameCorrection(list[0], c) {
			t.Errorf("banque corrections %+v, want [%+v]", list, c)
		}
		if res := f.do(t, http.MethodGet, "/api/v1/workspaces/velo/corrections"); strings.TrimSpace(string(res.body)) != `{"corrections":[]}` {
			t.Errorf("velo corrections: status %d, body %s", res.status, res.body)
		}
		events, err := st.Events(ctx, banque, 10)
		if err != nil || len(events) == 0 || events[0].Action != "analysis.correct" || !strings.HasPrefix(events[0].Actor, "admin") ||
			events[0].Subject != "message "+strconv.FormatInt(msgID, 10) {
			t.Errorf("audit log: %+v, %v", events, err)
		}

		// The other fields, each to what the analysis did not say.
		intent := otherThan(enrich.Intents[:], stored.Intent)
		spam, needs := !*stored.Spam, !*stored.NeedsResponse
		for _, fv := range [][3]string{
			{"intent", stored.Intent, intent},
			{"spam", strconv.FormatBool(*stored.Spam), strconv.FormatBool(spam)},
			{"needs_response", strconv.FormatBool(*stored.NeedsResponse), strconv.FormatBool(needs)},
		} {
			c, _ := correct(t, f, "banque", msgID, fv[0], fv[2])
			if c.Field != fv[0] || c.OldValue != fv[1] || c.NewValue != fv[2] || c.MessageID != msgID || !strings.HasPrefix(c.Actor, "admin") {
				t.Errorf("correction %+v, want %s %s → %s", c, fv[0], fv[1], fv[2])
			}
		}
		got = storedMessage(t, f, convID, msgID)
		score := func(b bool) float64 {
			if b {
				return 1
			}
			return 0
		}
		if got.Sentiment != sentiment || got.Intent != intent || got.Spam == nil || *got.Spam != spam ||
			got.SpamScore == nil || *got.SpamScore != score(spam) || got.NeedsResponse == nil || *got.NeedsResponse != needs ||
			got.NeedsResponseScore == nil || *got.NeedsResponseScore != score(needs) ||
			got.Corrected != "sentiment,intent,spam,needs_response" {
			t.Errorf("message after four corrections: %+v; want sentiment %s, intent %s, spam %v, needs_response %v, all four corrected",
				got, sentiment, intent, spam, needs)
		}
		var fields []string
		for _, c := range listCorrections(t, f, "banque") {
			fields = append(fields, c.Field)
		}
		if !slices.Equal(fields, []string{"sentiment", "intent", "spam", "needs_response"}) {
			t.Errorf("banque corrections %v, want the four, oldest first", fields)
		}

		learned, _ := analyze(t, f, "banque", text)
		if learned.Sentiment != sentiment || learned.Spam != spam {
			t.Errorf("banque analyses the corrected text as %+v, want sentiment %s, spam %v", learned, sentiment, spam)
		}
		// A spam's intent is other and its need of an answer damped
		// whatever was learned: they can only be checked on a non-spam.
		if !spam && (learned.Intent != intent || learned.NeedsResponse != needs) {
			t.Errorf("banque analyses the corrected text as %+v, want intent %s, needs_response %v", learned, intent, needs)
		}
		if _, other := analyze(t, f, "velo", text); !bytes.Equal(other.body, otherBefore.body) {
			t.Errorf("velo's analysis moved with banque's corrections: %s, before %s", other.body, otherBefore.body)
		}

		// The value is trimmed; a second correction of a field starts from
		// the first one's value.
		c, _ = correct(t, f, "banque", msgID, "sentiment", " "+before.Sentiment+" ")
		if c.OldValue != sentiment || c.NewValue != before.Sentiment {
			t.Errorf("second sentiment correction %+v, want %s → %s", c, sentiment, before.Sentiment)
		}
		if learned, _ := analyze(t, f, "banque", text); learned.Sentiment != before.Sentiment {
			t.Errorf("after the second correction banque says %s, want %s", learned.Sentiment, before.Sentiment)
		}
	})
}

func TestCorrectionRequestErrors(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		ctx := context.Background()
		f := serve(t, st)
		const text = "Bonjour, pourquoi ces frais sur mon compte ?"
		msgID, convID := addAnalysedMessage(t, st, "banque", "forum", "frais", text)
		veloMsg, veloConv := firstMessage(t, st, mustWorkspace(t, st, "velo"), "p0")
		banqueBefore := storedMessage(t, f, convID, msgID)
		veloBefore := storedMessage(t, f, veloConv, veloMsg)
		path := correctPath("banque", msgID)
		const neg = `{"field":"sentiment","value":"neg"}`
		cases := []struct {
			name, method, path, body string
			status                   int
			want                     []string
			allow                    string
		}{
			{"message of the other workspace", "POST", correctPath("banque", veloMsg), neg, 404,
				[]string{fmt.Sprintf("message %d", veloMsg), "not found"}, ""},
			{"the other workspace's path", "POST", correctPath("velo", msgID), neg, 404,
				[]string{fmt.Sprintf("message %d", msgID), "not found"}, ""},
			{"unknown message", "POST", correctPath("banque", 999999), neg, 404, []string{"message 999999", "not found"}, ""},
			{"non-numeric id", "POST", correctPath("banque", "abc"), neg, 404, []string{`message "abc"`, "not found"}, ""},
			{"zero id", "POST", correctPath("banque", 0), neg, 404, []string{`message "0"`}, ""},
			{"negative id", "POST", correctPath("banque", -1), neg, 404, []string{`message "-1"`}, ""},
			{"fractional id", "POST", correctPath("banque", "1.5"), neg, 404, []string{`message "1.5"`}, ""},
			{"id overflows", "POST", correctPath("banque", "99999999999999999999"), neg, 404, []string{"not found"}, ""},
			{"unknown workspace", "POST", correctPath("nope", msgID), neg, 404, []string{`workspace "nope"`}, ""},
			{"bad field", "POST", path, `{"field":"mood","value":"neg"}`, 400, []string{`field "mood"`}, ""},
			{"uncorrectable field", "POST", path, `{"field":"lang","value":"fr"}`, 400, []string{`field "lang"`}, ""},
			{"no field", "POST", path, `{"value":"neg"}`, 400, []string{`field ""`}, ""},
			{"bad sentiment", "POST", path, `{"field":"sentiment","value":"angry"}`, 400, []string{`sentiment "angry"`}, ""},
			{"sentiment in capitals", "POST", path, `{"field":"sentiment","value":"NEG"}`, 400, []string{`sentiment "NEG"`}, ""},
			{"no value", "POST", path, `{"field":"sentiment"}`, 400, []string{`sentiment ""`}, ""},
			{"bad intent", "POST", path, `{"field":"intent","value":"rant"}`, 400, []string{`intent "rant"`}, ""},
			{"spam yes", "POST", path, `{"field":"spam","value":"yes"}`, 400, []string{`spam "yes"`}, ""},
			{"needs_response 1", "POST", path, `{"field":"needs_response","value":"1"}`, 400, []string{`needs_response "1"`}, ""},
			{"value not a string", "POST", path, `{"field":"spam","value":true}`, 400, []string{"request body"}, ""},
			{"not JSON", "POST", path, `{"field":`, 400, []string{"request body"}, ""},
			{"unknown field", "POST", path, `{"field":"sentiment","value":"neg","why":"x"}`, 400, []string{`unknown field "why"`}, ""},
			{"two values", "POST", path, neg + neg, 400, []string{"more than one JSON value"}, ""},
			{"empty body", "POST", path, ``, 400, []string{"request body is empty"}, ""},
			{"body too large", "POST", path, `{"field":"sentiment","value":"` + strings.Repeat("n", 300<<10) + `"}`, 400,
				[]string{"larger than"}, ""},
			{"GET", "GET", path, "", 405, []string{"GET"}, "POST"},
			{"DELETE the list", "DELETE", "/api/v1/workspaces/banque/corrections", "", 405, []string{"DELETE"}, "GET, HEAD"},
			{"unknown workspace, list", "GET", "/api/v1/workspaces/nope/corrections", "", 404, []string{`workspace "nope"`}, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				res := f.send(t, c.method, c.path, c.body)
				checkProblem(t, res, c.status, c.want...)
				if got := res.header.Get("Allow"); got != c.allow {
					t.Errorf("Allow %q, want %q", got, c.allow)
				}
			})
		}

		// Nothing refused was stored.
		for _, slug := range []string{"banque", "velo"} {
			if got := listCorrections(t, f, slug); len(got) != 0 {
				t.Errorf("%s corrections after refused requests: %+v", slug, got)
			}
			events, err := st.Events(ctx, mustWorkspace(t, st, slug), 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range events {
				if e.Action == "analysis.correct" {
					t.Errorf("%s audit log records a refused correction: %+v", slug, e)
				}
			}
		}
		if got := storedMessage(t, f, convID, msgID); got.Corrected != "" || got.Sentiment != banqueBefore.Sentiment {
			t.Errorf("banque message after refused requests: %+v, before %+v", got, banqueBefore)
		}
		if got := storedMessage(t, f, veloConv, veloMsg); !reflect.DeepEqual(got, veloBefore) {
			t.Errorf("velo message after refused requests: %+v, before %+v", got, veloBefore)
		}
		if strings.Contains(f.logs.String(), "level=ERROR") {
			t.Errorf("client errors logged as server errors:\n%s", f.logs)
		}
	})
}

// TestAnalyzeWhileCorrecting analyses a text from several clients at once
// while its workspace learns corrections of it: every analysis succeeds,
// and once the corrections are in, the last one holds.
func TestAnalyzeWhileCorrecting(t *testing.T) {
	t.Parallel()
	testutil.ForEachEngine(t, func(t *testing.T, st *store.Store) {
		f := serve(t, st)
		const text = "The app logs me out every time I open my statement, please fix it."
		msgID, _ := addAnalysedMessage(t, st, "banque", "forum", "app", text)
		before, _ := analyze(t, f, "banque", text)
		body := jsonBody(t, map[string]string{"text": text})

		var wg sync.WaitGroup
		errs := make(chan error, 64)
		for range 4 {
			wg.Go(func() {
				for range 8 {
					res, err := f.client.Post(f.base+analyzePath("banque"), "application/json", strings.NewReader(body))
					if err != nil {
						errs <- err
						return
					}
					var a analysisResult
					err = json.NewDecoder(res.Body).Decode(&a)
					res.Body.Close()
					if res.StatusCode != http.StatusOK || err != nil || !slices.Contains(enrich.Sentiments[:], a.Sentiment) {
						errs <- fmt.Errorf("analyze: status %d, %+v, %v", res.StatusCode, a, err)
					}
				}
			})
		}
		last := before.Sentiment
		for range 3 {
			last = otherThan(enrich.Sentiments[:], last)
			correct(t, f, "banque", msgID, "sentiment", last)
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
		if got, _ := analyze(t, f, "banque", text); got.Sentiment != last {
			t.Errorf("after the corrections banque says %s, want the last one's %s", got.Sentiment, last)
		}
	})
}
