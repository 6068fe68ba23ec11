// Package api serves palabre's REST API, version 1, under /api/v1: JSON
// views of workspaces and their conversations, each workspace's vocabulary
// of topics (which it can also edit), analysis of a text with a
// workspace's model, CMs' corrections of analyses, CMs' profiles (languages,
// hours, capacity, status, specialisations), and the OpenAPI document that
// describes them (openapi.json, kept in step with the route table by a
// test).
//
// Errors are RFC 9457 problem details; the store's sentinel errors decide
// their status in one place, fail.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"palabre/internal/httpx"
	"palabre/internal/model"
	"palabre/internal/store"
)

// Store is what the API reads and changes. *store.Store satisfies it.
type Store interface {
	Accounts
	Workspaces(ctx context.Context) ([]model.Workspace, error)
	Workspace(ctx context.Context, id int64) (model.Workspace, error)
	WorkspaceBySlug(ctx context.Context, slug string) (model.Workspace, error)
	Conversations(ctx context.Context, workspaceID int64, f store.ConversationFilter) (store.ConversationPage, error)
	Conversation(ctx context.Context, id int64) (model.Conversation, error)
	ConversationMessages(ctx context.Context, conversationID int64) ([]store.StoredMessage, error)
	Topics(ctx context.Context, workspaceID int64) ([]model.Topic, error)
	SetTopic(ctx context.Context, workspaceID int64, t model.Topic, actor string) (created bool, err error)
	DeleteTopic(ctx context.Context, workspaceID int64, name, actor string) error
	Corrections(ctx context.Context, workspaceID int64) ([]store.Correction, error)
	UserByLogin(ctx context.Context, login string) (model.User, error)
	Profile(ctx context.Context, userID int64) (model.Profile, error)
	SetProfile(ctx context.Context, p model.Profile, actor string) error
	SetStatus(ctx context.Context, userID int64, status, actor string) error
	SectorSpread(ctx context.Context, userID int64) ([]string, error)
}

// Config tunes the API. Zero fields take the defaults given.
type Config struct {
	// MaxSectors is how many unrelated sectors a CM may work in before
	// their profile warns of it; model.DefaultMaxSectors.
	MaxSectors int
}

func (c Config) withDefaults() Config {
	if c.MaxSectors <= 0 {
		c.MaxSectors = model.DefaultMaxSectors
	}
	return c
}

// New returns the handler of every /api/v1 route. Paths under /api/v1 that
// no route serves get a 404 problem, known paths asked with the wrong method
// a 405 problem with an Allow header.
//
// Every route but login asks for a session cookie or an API token, and
// answers only about the workspaces the caller has a role in.
// authn signs users in; nil makes one for this handler alone.
func New(cfg Config, st Store, an Analysis, authn *Authenticator, logger *slog.Logger) http.Handler {
	if authn == nil {
		authn = NewAuthenticator(st, logger)
	}
	h := &handler{cfg: cfg.withDefaults(), store: st, accounts: st, analysis: an, authn: authn, logger: logger}
	mux := http.NewServeMux()
	table := make(map[string]route)
	for _, rt := range h.routes() {
		mux.HandleFunc(rt.pattern, rt.serve)
		table[rt.pattern] = rt
	}
	return h.authenticate(mux, table, httpx.ProblemFallback(mux))
}

// Failed sign-ins allowed per client address and per login in a window.
const (
	loginAttempts = 10
	loginWindow   = 15 * time.Minute
)

// handler holds what the route handlers need.
type handler struct {
	cfg      Config
	store    Store
	accounts Accounts
	analysis Analysis
	authn    *Authenticator
	logger   *slog.Logger
}

// route is one line of the route table: a ServeMux pattern (method and
// path) and its handler.
type route struct {
	pattern string
	serve   http.HandlerFunc
	// public routes answer without credentials (signing in).
	public bool
	// readOnly marks a POST that changes nothing (analysing a text,
	// logging out), which a read-only API token may make.
	readOnly bool
}

// routes is the whole route table of the API.
func (h *handler) routes() []route {
	return []route{
		{pattern: "POST /api/v1/login", serve: h.login, public: true},
		{pattern: "POST /api/v1/logout", serve: h.logout, readOnly: true},
		{pattern: "DELETE /api/v1/sessions", serve: h.logoutEverywhere},
		{pattern: "GET /api/v1/me", serve: h.me},
		{pattern: "PUT /api/v1/me/status", serve: h.putMyStatus},
		{pattern: "GET /api/v1/users/{login}/profile", serve: h.showProfile},
		{pattern: "PUT /api/v1/users/{login}/profile", serve: h.putProfile},
		{pattern: "GET /api/v1/workspaces", serve: h.listWorkspaces},
		{pattern: "GET /api/v1/workspaces/{slug}/conversations", serve: h.listConversations},
		{pattern: "GET /api/v1/workspaces/{slug}/topics", serve: h.listTopics},
		{pattern: "PUT /api/v1/workspaces/{slug}/topics/{name}", serve: h.putTopic},
		{pattern: "DELETE /api/v1/workspaces/{slug}/topics/{name}", serve: h.deleteTopic},
		{pattern: "POST /api/v1/workspaces/{slug}/analyze", serve: h.analyze, readOnly: true},
		{pattern: "GET /api/v1/workspaces/{slug}/corrections", serve: h.listCorrections},
		{pattern: "POST /api/v1/workspaces/{slug}/messages/{id}/corrections", serve: h.correct},
		{pattern: "GET /api/v1/conversations/{id}", serve: h.showConversation},
		{pattern: "GET /api/v1/openapi.json", serve: h.openAPI},
	}
}
