// Package analysis joins palabre's analyser (package enrich) to the store:
// it builds each workspace's analyzer from its vocabulary and corrections,
// enriches messages as they are imported, records corrections and
// refreshes stored analyses.
package analysis

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"palabre/internal/enrich"
	"palabre/internal/enrich/topics"
	"palabre/internal/model"
	"palabre/internal/store"
)

// ForWorkspace builds the analyzer of a workspace: the global model, the
// workspace's vocabulary and everything its CMs corrected, in order.
func ForWorkspace(ctx context.Context, st *store.Store, m *enrich.Model, workspaceID int64) (*enrich.Analyzer, error) {
	ws, err := st.Workspace(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	vocab, err := st.Topics(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	var matcher *topics.Matcher
	if len(vocab) > 0 {
		if matcher, err = topics.Compile(vocab); err != nil {
			return nil, fmt.Errorf("workspace vocabulary: %w", err)
		}
	}
	a := enrich.NewAnalyzer(m, matcher, nil).WithLanguage(ws.Language)
	cs, err := st.Corrections(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	if len(cs) == 0 {
		return a, nil
	}
	learn := make([]enrich.Correction, 0, len(cs))
	for _, c := range cs {
		learn = append(learn, enrich.Correction{Field: c.Field, Value: c.NewValue, Text: c.Text})
	}
	a, err = a.Learn(learn...)
	if err != nil {
		return nil, fmt.Errorf("replay corrections: %w", err)
	}
	return a, nil
}

// Version identifies what an analyzer computes: the global model, the
// vocabulary and the corrections learned. Stored analyses made under
// another version may differ.
func Version(a *enrich.Analyzer) string {
	v := a.Model().Version()
	if t := a.Topics(); t != nil {
		v += "+t" + t.Fingerprint()
	}
	if n := a.Overlay().Len(); n > 0 {
		v += "+c" + strconv.Itoa(n)
	}
	return v
}

// Text is what is analysed of a message: its title, if any, then its body.
func Text(title, body string) string {
	if title == "" {
		return body
	}
	return title + "\n" + body
}

// Apply writes a result into a message's analysis fields. A message by
// the workspace's own staff never needs an answer.
func Apply(m *model.Message, r enrich.Result, staff bool) {
	m.Lang = r.Lang
	m.LangConfidence = ptr(r.LangConfidence)
	m.Sentiment = r.Sentiment
	m.SentimentScore = ptr(r.SentimentScore)
	m.Intent = r.Intent
	needs, score := r.NeedsResponse, r.NeedsResponseScore
	if staff {
		needs, score = false, 0
	}
	m.NeedsResponse = &needs
	m.NeedsResponseScore = ptr(score)
	spam := r.Spam
	m.Spam = &spam
	m.SpamScore = ptr(r.SpamScore)
	m.Topics = nil
	if len(r.Topics) > 0 {
		m.Topics = append([]string(nil), r.Topics...)
	}
}

func ptr(v float64) *float64 { return &v }

// Enricher analyses messages on their way into the store, with one
// workspace's analyzer. It is used by one goroutine at a time.
type Enricher struct {
	a *enrich.Analyzer
	s *enrich.Scratch
}

// NewEnricher returns an enricher for analyses made with a.
func NewEnricher(a *enrich.Analyzer) *Enricher {
	return &Enricher{a: a, s: enrich.NewScratch(a.Model())}
}

// Enrich fills the analysis fields of m.
func (e *Enricher) Enrich(m *model.Message) {
	Apply(m, e.a.Analyze(e.s, Text(m.Title, m.Body)), m.AuthorIsStaff)
}

// Registry keeps each workspace's analyzer and rebuilds it when the
// workspace's vocabulary or corrections change, whichever palabre node
// changed them. It is safe for concurrent use.
type Registry struct {
	st    *store.Store
	model *enrich.Model
	mu    sync.Mutex
	byWS  map[int64]registryEntry
}

type registryEntry struct {
	stamp string
	a     *enrich.Analyzer
}

// NewRegistry returns a registry of analyzers over st with model m.
func NewRegistry(st *store.Store, m *enrich.Model) *Registry {
	return &Registry{st: st, model: m, byWS: map[int64]registryEntry{}}
}

// Analyzer returns the current analyzer of a workspace.
func (r *Registry) Analyzer(ctx context.Context, workspaceID int64) (*enrich.Analyzer, error) {
	stamp, err := r.st.AnalysisStamp(ctx, workspaceID)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	e, ok := r.byWS[workspaceID]
	r.mu.Unlock()
	if ok && e.stamp == stamp {
		return e.a, nil
	}
	a, err := ForWorkspace(ctx, r.st, r.model, workspaceID)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.byWS[workspaceID] = registryEntry{stamp: stamp, a: a}
	r.mu.Unlock()
	return a, nil
}

// Correct records a CM's correction with Correct, on the registry's store.
func (r *Registry) Correct(ctx context.Context, workspaceID, messageID int64, field, value, actor string) (store.Correction, error) {
	return Correct(ctx, r.st, workspaceID, messageID, field, value, actor)
}

// Correct records a CM's correction of one message's field and returns it.
// The message's stored field takes the corrected value; the workspace's
// analyzer learns it the next time it is asked for.
func Correct(ctx context.Context, st *store.Store, workspaceID, messageID int64, field, value, actor string) (store.Correction, error) {
	value = strings.TrimSpace(value)
	if err := (enrich.Correction{Field: field, Value: value}).Validate(); err != nil {
		return store.Correction{}, fmt.Errorf("%w: %v", store.ErrInvalid, err)
	}
	msg, err := st.Message(ctx, workspaceID, messageID)
	if err != nil {
		return store.Correction{}, err
	}
	return st.AddCorrection(ctx, store.Correction{
		WorkspaceID: workspaceID,
		MessageID:   messageID,
		Field:       field,
		OldValue:    currentValue(&msg.Message, field),
		NewValue:    value,
		Text:        Text(msg.Title, msg.Body),
		Actor:       actor,
	})
}

// currentValue is a message's stored value of a correctable field.
func currentValue(m *model.Message, field string) string {
	switch field {
	case enrich.FieldSentiment:
		return m.Sentiment
	case enrich.FieldIntent:
		return m.Intent
	case enrich.FieldSpam:
		if m.Spam != nil {
			return strconv.FormatBool(*m.Spam)
		}
	case enrich.FieldNeedsResponse:
		if m.NeedsResponse != nil {
			return strconv.FormatBool(*m.NeedsResponse)
		}
	}
	return ""
}
