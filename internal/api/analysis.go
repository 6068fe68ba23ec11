package api

import (
	"context"
	"fmt"
	"net/http"
	"strconv"

	"palabre/internal/enrich"
	"palabre/internal/model"
	"palabre/internal/store"
)

// Analysis is what the API needs of palabre's analysis: each workspace's
// analyzer, and a way to record a CM's correction. *analysis.Registry
// satisfies it.
type Analysis interface {
	Analyzer(ctx context.Context, workspaceID int64) (*enrich.Analyzer, error)
	Correct(ctx context.Context, workspaceID, messageID int64, field, value, actor string) (store.Correction, error)
}

// maxAnalyzeBody bounds the body of an analyze request.
const maxAnalyzeBody = 1 << 20

type analyzeRequest struct {
	Text *string `json:"text"` // a pointer, to refuse a body without it
}

// analysisResponse is one analysis, with the field names of the NDJSON
// format and of palabre analyze.
type analysisResponse struct {
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

// analyze answers the analysis of a text with the workspace's vocabulary
// and learned corrections; nothing is stored.
func (h *handler) analyze(w http.ResponseWriter, r *http.Request) {
	var req analyzeRequest
	// The text is read, not stored: any text will do, NULs included.
	if err := decodeJSON(w, r, maxAnalyzeBody, &req, true); err != nil {
		h.fail(w, r, err)
		return
	}
	ws, err := h.workspace(r, r.PathValue("slug"), accessRead)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if req.Text == nil {
		h.fail(w, r, fmt.Errorf(`%w: the body needs "text", the text to analyse`, store.ErrInvalid))
		return
	}
	a, err := h.analysis.Analyzer(r.Context(), ws.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	res := a.Analyze(enrich.NewScratch(a.Model()), *req.Text)
	h.respond(w, r, analysisResponse{
		Lang: res.Lang, LangConfidence: res.LangConfidence,
		Sentiment: res.Sentiment, SentimentScore: res.SentimentScore,
		Intent: res.Intent, IntentConfidence: res.IntentConfidence,
		NeedsResponse: res.NeedsResponse, NeedsResponseScore: res.NeedsResponseScore,
		Spam: res.Spam, SpamScore: res.SpamScore,
		Topics: nonNil(append([]string(nil), res.Topics...)),
	})
}

type correctionRequest struct {
	Field string `json:"field"`
	Value string `json:"value"`
}

// correct records a CM's correction of one analysis field of a message:
// the message takes the value, and the workspace's model learns it.
func (h *handler) correct(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		h.fail(w, r, fmt.Errorf("message %q: %w", r.PathValue("id"), store.ErrNotFound))
		return
	}
	var req correctionRequest
	ws, ok := h.decodeForWorkspace(w, r, maxTopicBody, &req, accessWork)
	if !ok {
		return
	}
	c, err := h.analysis.Correct(r.Context(), ws.ID, id, req.Field, req.Value, actor(r))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respondStatus(w, r, http.StatusCreated, c)
}

type correctionsResponse struct {
	Corrections []store.Correction `json:"corrections"`
}

// listCorrections answers a workspace's corrections, oldest first.
func (h *handler) listCorrections(w http.ResponseWriter, r *http.Request) {
	ws, err := h.workspace(r, r.PathValue("slug"), accessRead)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	cs, err := h.store.Corrections(r.Context(), ws.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, correctionsResponse{Corrections: nonNil(cs)})
}

// decodeForWorkspace reads a request's JSON body into v and finds the
// workspace of its path. On failure it has answered the problem and
// returns false.
func (h *handler) decodeForWorkspace(w http.ResponseWriter, r *http.Request, limit int64, v any, need access) (model.Workspace, bool) {
	if err := decodeBody(w, r, limit, v); err != nil {
		h.fail(w, r, err)
		return model.Workspace{}, false
	}
	ws, err := h.workspace(r, r.PathValue("slug"), need)
	if err != nil {
		h.fail(w, r, err)
		return model.Workspace{}, false
	}
	return ws, true
}
