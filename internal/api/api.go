// Package api serves palabre's REST API, version 1, under /api/v1: JSON
// views of workspaces and their conversations, each workspace's vocabulary
// of topics (which it can also edit), analysis of a text with a
// workspace's model, CMs' corrections of analyses, CMs' profiles (languages,
// hours, capacity, status, specialisations), community members (their panel,
// notes, tags and merges), users' saved inbox views and screen language, and
// the OpenAPI document that describes them (openapi.json, kept in step with
// the route table by a test).
//
// Errors are RFC 9457 problem details; the store's sentinel errors decide
// their status in one place, fail.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"palabre/internal/auth"
	"palabre/internal/httpx"
	"palabre/internal/idempotency"
	"palabre/internal/ingest"
	"palabre/internal/insights"
	"palabre/internal/metrics"
	"palabre/internal/model"
	"palabre/internal/rollup"
	"palabre/internal/route"
	"palabre/internal/routing"
	"palabre/internal/sla"
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

	ConversationTags(ctx context.Context, id int64) ([]string, error)
	ChangeConversations(ctx context.Context, workspaceID int64, ids []int64, ch store.ConversationChange, actor string, now time.Time) ([]model.Conversation, error)
	ConversationEvents(ctx context.Context, workspaceID, conversationID, afterID int64, limit int) ([]model.Event, error)
	AddNote(ctx context.Context, workspaceID, conversationID int64, author model.User, body string, now time.Time) (model.Note, error)
	Notes(ctx context.Context, workspaceID, conversationID int64) ([]model.Note, error)
	IsParticipant(ctx context.Context, conversationID, userID int64) (bool, error)
	ParticipantConversations(ctx context.Context, workspaceID, userID int64) ([]int64, error)
	AddReply(ctx context.Context, r store.Reply, now time.Time) (store.SentReply, error)
	Outbox(ctx context.Context, workspaceID int64, status string, limit int) ([]store.OutboxEntry, error)
	SetRoutingRules(ctx context.Context, workspaceID int64, rules []route.Rule, actor string) error
	CannedReplies(ctx context.Context, workspaceID int64, language string) ([]model.CannedReply, error)
	CannedReply(ctx context.Context, workspaceID, id int64) (model.CannedReply, error)
	SaveCannedReply(ctx context.Context, workspaceID int64, c model.CannedReply, actor string) (model.CannedReply, error)
	DeleteCannedReply(ctx context.Context, workspaceID, id int64, actor string) error
	Webhooks(ctx context.Context, workspaceID int64) ([]model.Webhook, error)
	CreateWebhook(ctx context.Context, workspaceID int64, h model.Webhook, actor string) (model.Webhook, error)
	DeleteWebhook(ctx context.Context, workspaceID, id int64, actor string) error
	CreateWorkspace(ctx context.Context, w model.Workspace) (model.Workspace, error)
	Users(ctx context.Context) ([]model.User, error)
	UserByID(ctx context.Context, id int64) (model.User, error)
	CreateUser(ctx context.Context, u model.User, passwordHash, actor string) (model.User, error)
	WorkspaceMembers(ctx context.Context, workspaceID int64) ([]model.Membership, error)
	SetMembership(ctx context.Context, userID, workspaceID int64, role, actor string) error
	DeleteMembership(ctx context.Context, userID, workspaceID int64, actor string) error
	APITokens(ctx context.Context, userID int64) ([]model.APIToken, error)
	CreateAPIToken(ctx context.Context, t model.APIToken, secretHash, actor string) (model.APIToken, error)
	RevokeAPIToken(ctx context.Context, userID, tokenID int64, actor string) error
	WebhookDeliveries(ctx context.Context, workspaceID, webhookID int64, limit int) ([]store.WebhookDelivery, error)
	// The metrics' rollups (SLASettings, MetricFacts, EngagementWeights
	// and what rollup.Ask reads).
	rollup.Source
	InsightMessages(ctx context.Context, workspaceID int64, p metrics.Period, limit int) ([]insights.Message, error)
	ReportSchedule(ctx context.Context, workspaceID int64) (model.ReportSchedule, error)
	SetReportSchedule(ctx context.Context, workspaceID int64, sc model.ReportSchedule, thisMonth, actor string, now time.Time) (model.ReportSchedule, error)
	QueueReport(ctx context.Context, workspaceID int64, month string, again bool, actor string, now time.Time) (bool, error)
	ReportDeliveries(ctx context.Context, workspaceID int64, limit int) ([]model.ReportDelivery, error)
	AlertSettings(ctx context.Context, workspaceID int64) (model.AlertSettings, error)
	SetAlertSettings(ctx context.Context, workspaceID int64, set model.AlertSettings, actor string, now time.Time) (model.AlertSettings, error)
	Alerts(ctx context.Context, workspaceID int64, limit int) ([]model.Alert, error)
	SetEngagementWeights(ctx context.Context, workspaceID int64, w metrics.Weights, now time.Time) error
	SetSLASettings(ctx context.Context, workspaceID int64, settings sla.Settings, actor string) error
	Sources(ctx context.Context, workspaceID int64) ([]model.Source, error)
	Source(ctx context.Context, workspaceID, id int64) (model.Source, error)
	SourceConfig(ctx context.Context, workspaceID, id int64) (string, error)
	SourceConfigs(ctx context.Context, workspaceID int64) (map[int64]string, error)
	CreateSource(ctx context.Context, workspaceID int64, src model.Source, config, actor string, now time.Time) (model.Source, error)
	UpdateSource(ctx context.Context, workspaceID, id int64, c store.SourceChange, actor string, now time.Time) (model.Source, error)
	DeleteSource(ctx context.Context, workspaceID, id int64, actor string) error
	PollSourceNow(ctx context.Context, workspaceID, id int64, now time.Time) error
	RetryOutbox(ctx context.Context, workspaceID, id int64, actor string, now time.Time) (store.OutboxEntry, error)
	ConversationOutbox(ctx context.Context, workspaceID, conversationID int64) ([]store.OutboxEntry, error)
	ModerateMessage(ctx context.Context, workspaceID, messageID int64, action, actor string, now time.Time) (store.Moderation, error)
	Moderations(ctx context.Context, workspaceID int64, status string, limit int) ([]store.Moderation, error)
	RetryModeration(ctx context.Context, workspaceID, id int64, actor string, now time.Time) (store.Moderation, error)

	Member(ctx context.Context, workspaceID int64, id string) (model.Member, error)
	MemberNotes(ctx context.Context, workspaceID int64, memberID string) ([]model.MemberNote, error)
	AddMemberNote(ctx context.Context, workspaceID int64, memberID string, author model.User, body string, now time.Time) (model.MemberNote, error)
	SetMemberTags(ctx context.Context, workspaceID int64, memberID string, add, remove []string, actor string) ([]string, error)
	MemberConversations(ctx context.Context, workspaceID int64, memberID string, limit int) ([]store.MemberConversation, error)
	MemberSentiment(ctx context.Context, workspaceID int64, memberID string) ([]store.SentimentPoint, error)
	MergeMembers(ctx context.Context, workspaceID int64, into, from string, actor string, now time.Time) (model.Member, error)
	UnmergeMember(ctx context.Context, workspaceID int64, from string, actor string, now time.Time) (model.Member, error)
	ExportMember(ctx context.Context, workspace model.Workspace, id, actor string, now time.Time) (store.MemberData, error)
	EraseMember(ctx context.Context, workspaceID int64, id, mode, actor string, now time.Time) (store.Erasure, error)
	PrivacySettings(ctx context.Context, workspaceID int64) (model.PrivacySettings, error)
	SetPrivacySettings(ctx context.Context, workspaceID int64, set model.PrivacySettings, actor string, now time.Time) (model.PrivacySettings, error)
	ApplyRetention(ctx context.Context, workspaceID int64, actor string, now time.Time) (store.Retention, error)
	MemberMerges(ctx context.Context, workspaceID int64, into string) ([]model.MemberMerge, error)
	MemberIdentityGroups(ctx context.Context, workspaceID int64, memberID string) ([]store.IdentityGroup, error)
	MemberChannels(ctx context.Context, workspaceID int64, memberID string) ([]store.ChannelActivity, error)
	MemberFields(ctx context.Context, workspaceID int64, memberID string) ([]store.MemberField, error)
	SetMemberFields(ctx context.Context, workspaceID int64, memberID string, set map[string]string, remove []string, actor string, now time.Time) ([]store.MemberField, error)
	MemberFacts(ctx context.Context, workspaceID int64, memberID string, p metrics.Period, now time.Time) (metrics.Facts, error)
	MemberSuggestions(ctx context.Context, workspaceID int64, id string, limit int) ([]store.MergeSuggestion, error)
	MergeSuggestions(ctx context.Context, workspaceID int64, limit int) ([]store.MergeSuggestion, error)
	DismissSuggestion(ctx context.Context, workspaceID int64, a, b, actor string, now time.Time) error
	SaveView(ctx context.Context, userID int64, name, query string) (model.SavedView, error)
	SavedViews(ctx context.Context, userID int64) ([]model.SavedView, error)
	DeleteSavedView(ctx context.Context, userID, id int64) error
	SetUILanguage(ctx context.Context, userID int64, lang, actor string) error
	routing.Store
	idempotency.Store
}

// Config tunes the API. Zero fields take the defaults given.
type Config struct {
	// MaxSectors is how many unrelated sectors a CM may work in before
	// their profile warns of it; model.DefaultMaxSectors.
	MaxSectors int
	// Live serves the live event stream and presence.
	Live Live
	// Sources checks live sources' settings and wakes their scheduler;
	// without it the source routes answer 503.
	Sources Sources
	// PasswordParams is the cost of the passwords of users created over
	// the API; auth.DefaultParams.
	PasswordParams auth.Params
	// Mail says the server sends e-mail: without it, monthly reports are
	// scheduled but not sent, and the schedule says so.
	Mail bool
	// BackgroundRouting says the server's routing job gives new
	// conversations to the CMs, woken by their arrival: imports and
	// inbound webhooks then leave routing to it, rather than routing the
	// whole workspace in each request.
	BackgroundRouting bool
}

func (c Config) withDefaults() Config {
	if c.PasswordParams == (auth.Params{}) {
		c.PasswordParams = auth.DefaultParams()
	}
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
	h := &handler{cfg: cfg.withDefaults(), store: st, accounts: st, analysis: an, authn: authn, logger: logger, live: cfg.Live,
		answers: rollup.NewCache(answersTTL, answersKept, answersCounted)}
	if s, ok := st.(*store.Store); ok {
		h.hooks = ingest.NewGrouper(s)
	}
	mux := http.NewServeMux()
	table := make(map[string]endpoint)
	for _, rt := range h.routes() {
		mux.HandleFunc(rt.pattern, rt.serve)
		table[rt.pattern] = rt
	}
	// A POST with an Idempotency-Key is answered once per key and caller;
	// sent again, it gets the same answer without acting twice.
	caller := func(r *http.Request) (int64, bool) {
		if p := principalOf(r.Context()); p != nil {
			return p.user.ID, true
		}
		return 0, false
	}
	return h.authenticate(mux, table, idempotency.Middleware(st, caller, httpx.ProblemFallback(mux)))
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
	live     Live
	// answers shares metrics answers between requests for a few
	// seconds, and bounds how many are counted at once.
	answers *rollup.Cache
	// hooks writes the inbound webhooks' deliveries for a channel that
	// arrive together in one transaction; nil without a *store.Store.
	hooks *ingest.Grouper
}

// Metrics answers are shared for answersTTL at least (longer when they
// take long to count, see rollup.Cache), at most answersKept of them, at
// most answersCounted counted at once: fewer than the SQLite readers, so
// that reads and ingest always find a connection.
const (
	answersTTL     = 5 * time.Second
	answersKept    = 256
	answersCounted = 2
)

// endpoint is one line of the route table: a ServeMux pattern (method and
// path) and its handler.
type endpoint struct {
	pattern string
	serve   http.HandlerFunc
	// public routes answer without credentials (signing in).
	public bool
	// readOnly marks a POST that changes nothing (analysing a text,
	// logging out), which a read-only API token may make.
	readOnly bool
	// sameSite marks a public route that only pages of this site may
	// call from a browser (see CheckOrigin): signing in, which another
	// site could otherwise do in the user's browser as someone else.
	sameSite bool
}

// routes is the whole route table of the API.
func (h *handler) routes() []endpoint {
	return []endpoint{
		{pattern: "POST /api/v1/login", serve: h.login, public: true, sameSite: true},
		{pattern: "POST /api/v1/hooks/{slug}/{channel}", serve: h.inboundHook, public: true},
		{pattern: "POST /api/v1/logout", serve: h.logout, readOnly: true},
		{pattern: "DELETE /api/v1/sessions", serve: h.logoutEverywhere},
		{pattern: "GET /api/v1/me", serve: h.me},
		{pattern: "PUT /api/v1/me/status", serve: h.putMyStatus},
		{pattern: "PUT /api/v1/me/password", serve: h.changePassword},
		{pattern: "GET /api/v1/users/{login}/profile", serve: h.showProfile},
		{pattern: "PUT /api/v1/users/{login}/profile", serve: h.putProfile},
		{pattern: "GET /api/v1/me/tokens", serve: h.listTokens},
		{pattern: "POST /api/v1/me/tokens", serve: h.createToken},
		{pattern: "DELETE /api/v1/me/tokens/{id}", serve: h.deleteToken},
		{pattern: "GET /api/v1/me/views", serve: h.listViews},
		{pattern: "POST /api/v1/me/views", serve: h.saveView},
		{pattern: "DELETE /api/v1/me/views/{id}", serve: h.deleteView},
		{pattern: "PUT /api/v1/me/language", serve: h.putMyLanguage},
		{pattern: "GET /api/v1/users", serve: h.listUsers},
		{pattern: "POST /api/v1/users", serve: h.createUser},
		{pattern: "GET /api/v1/workspaces", serve: h.listWorkspaces},
		{pattern: "POST /api/v1/workspaces", serve: h.createWorkspace},
		{pattern: "GET /api/v1/workspaces/{slug}/members", serve: h.listMembers},
		{pattern: "PUT /api/v1/workspaces/{slug}/members/{login}", serve: h.putMember},
		{pattern: "DELETE /api/v1/workspaces/{slug}/members/{login}", serve: h.deleteMember},
		{pattern: "GET /api/v1/workspaces/{slug}/people/{id}", serve: h.showMember},
		{pattern: "PATCH /api/v1/workspaces/{slug}/people/{id}", serve: h.patchMember},
		{pattern: "POST /api/v1/workspaces/{slug}/people/{id}/notes", serve: h.addMemberNote},
		{pattern: "POST /api/v1/workspaces/{slug}/people/{id}/merge", serve: h.mergeMember},
		{pattern: "POST /api/v1/workspaces/{slug}/people/{id}/unmerge", serve: h.unmergeMember},
		{pattern: "GET /api/v1/workspaces/{slug}/people/{id}/suggestions", serve: h.memberSuggestions},
		{pattern: "POST /api/v1/workspaces/{slug}/people/{id}/dismiss", serve: h.dismissSuggestion},
		{pattern: "GET /api/v1/workspaces/{slug}/merge-suggestions", serve: h.mergeSuggestions},
		{pattern: "GET /api/v1/workspaces/{slug}/people/{id}/export", serve: h.exportMember},
		{pattern: "POST /api/v1/workspaces/{slug}/people/{id}/erase", serve: h.eraseMember},
		{pattern: "GET /api/v1/workspaces/{slug}/privacy", serve: h.showPrivacy},
		{pattern: "PUT /api/v1/workspaces/{slug}/privacy", serve: h.putPrivacy},
		{pattern: "POST /api/v1/workspaces/{slug}/privacy/retention", serve: h.applyRetention},
		{pattern: "GET /api/v1/workspaces/{slug}/canned-replies", serve: h.listCanned},
		{pattern: "POST /api/v1/workspaces/{slug}/canned-replies", serve: h.createCanned},
		{pattern: "PUT /api/v1/workspaces/{slug}/canned-replies/{id}", serve: h.putCanned},
		{pattern: "DELETE /api/v1/workspaces/{slug}/canned-replies/{id}", serve: h.deleteCanned},
		{pattern: "GET /api/v1/workspaces/{slug}/sources", serve: h.listSources},
		{pattern: "POST /api/v1/workspaces/{slug}/sources", serve: h.createSource},
		{pattern: "GET /api/v1/workspaces/{slug}/sources/{id}", serve: h.getSource},
		{pattern: "PATCH /api/v1/workspaces/{slug}/sources/{id}", serve: h.updateSource},
		{pattern: "DELETE /api/v1/workspaces/{slug}/sources/{id}", serve: h.deleteSource},
		{pattern: "POST /api/v1/workspaces/{slug}/sources/{id}/poll", serve: h.pollSource},
		{pattern: "GET /api/v1/workspaces/{slug}/webhooks", serve: h.listWebhooks},
		{pattern: "POST /api/v1/workspaces/{slug}/webhooks", serve: h.createWebhook},
		{pattern: "DELETE /api/v1/workspaces/{slug}/webhooks/{id}", serve: h.deleteWebhook},
		{pattern: "GET /api/v1/workspaces/{slug}/webhooks/{id}/deliveries", serve: h.listDeliveries},
		{pattern: "GET /api/v1/workspaces/{slug}/conversations", serve: h.listConversations},
		{pattern: "GET /api/v1/workspaces/{slug}/topics", serve: h.listTopics},
		{pattern: "PUT /api/v1/workspaces/{slug}/topics/{name}", serve: h.putTopic},
		{pattern: "DELETE /api/v1/workspaces/{slug}/topics/{name}", serve: h.deleteTopic},
		{pattern: "POST /api/v1/workspaces/{slug}/analyze", serve: h.analyze, readOnly: true},
		{pattern: "GET /api/v1/workspaces/{slug}/corrections", serve: h.listCorrections},
		{pattern: "POST /api/v1/workspaces/{slug}/messages/{id}/corrections", serve: h.correct},
		{pattern: "GET /api/v1/workspaces/{slug}/routing-rules", serve: h.listRoutingRules},
		{pattern: "PUT /api/v1/workspaces/{slug}/routing-rules", serve: h.putRoutingRules},
		{pattern: "POST /api/v1/workspaces/{slug}/routing-rules/preview", serve: h.previewRouting, readOnly: true},
		{pattern: "POST /api/v1/workspaces/{slug}/imports", serve: h.createImport},
		{pattern: "POST /api/v1/workspaces/{slug}/route", serve: h.routeNow},
		{pattern: "GET /api/v1/workspaces/{slug}/sla", serve: h.showSLA},
		{pattern: "GET /api/v1/workspaces/{slug}/metrics", serve: h.showMetrics},
		{pattern: "GET /api/v1/metrics", serve: h.showMetricsAcross},
		{pattern: "GET /api/v1/workspaces/{slug}/metrics.csv", serve: h.showMetricsCSV},
		{pattern: "GET /api/v1/workspaces/{slug}/engagement-weights", serve: h.showWeights},
		{pattern: "PUT /api/v1/workspaces/{slug}/engagement-weights", serve: h.putWeights},
		{pattern: "GET /api/v1/workspaces/{slug}/insights", serve: h.showInsights},
		{pattern: "GET /api/v1/workspaces/{slug}/insights.md", serve: h.showInsightsMarkdown},
		{pattern: "GET /api/v1/workspaces/{slug}/insights.csv", serve: h.showInsightsCSV},
		{pattern: "GET /api/v1/workspaces/{slug}/reports/{file}", serve: h.showReport},
		{pattern: "GET /api/v1/workspaces/{slug}/report-schedule", serve: h.showReportSchedule},
		{pattern: "PUT /api/v1/workspaces/{slug}/report-schedule", serve: h.putReportSchedule},
		{pattern: "POST /api/v1/workspaces/{slug}/report-schedule/send", serve: h.sendReportNow},
		{pattern: "GET /api/v1/workspaces/{slug}/alert-settings", serve: h.showAlertSettings},
		{pattern: "PUT /api/v1/workspaces/{slug}/alert-settings", serve: h.putAlertSettings},
		{pattern: "GET /api/v1/workspaces/{slug}/alerts", serve: h.listAlerts},
		{pattern: "PUT /api/v1/workspaces/{slug}/sla", serve: h.putSLA},
		{pattern: "POST /api/v1/workspaces/{slug}/conversations/bulk", serve: h.bulkChange},
		{pattern: "GET /api/v1/workspaces/{slug}/outbox", serve: h.listOutbox},
		{pattern: "POST /api/v1/workspaces/{slug}/outbox/{id}/retry", serve: h.retryOutbox},
		{pattern: "POST /api/v1/workspaces/{slug}/messages/{id}/moderation", serve: h.moderate},
		{pattern: "GET /api/v1/workspaces/{slug}/moderations", serve: h.listModerations},
		{pattern: "POST /api/v1/workspaces/{slug}/moderations/{id}/retry", serve: h.retryModeration},
		{pattern: "GET /api/v1/conversations/{id}", serve: h.showConversation},
		{pattern: "PATCH /api/v1/conversations/{id}", serve: h.patchConversation},
		{pattern: "GET /api/v1/conversations/{id}/history", serve: h.conversationHistory},
		{pattern: "GET /api/v1/conversations/{id}/notes", serve: h.listNotes},
		{pattern: "POST /api/v1/conversations/{id}/notes", serve: h.addNote},
		{pattern: "POST /api/v1/conversations/{id}/replies", serve: h.addReply},
		{pattern: "GET /api/v1/conversations/{id}/canned-replies/{cid}", serve: h.renderCanned},
		{pattern: "GET /api/v1/conversations/{id}/presence", serve: h.showPresence},
		{pattern: "PUT /api/v1/conversations/{id}/presence", serve: h.putPresence},
		{pattern: "GET /api/v1/events", serve: h.events},
		{pattern: "GET /api/v1/openapi.json", serve: h.openAPI},
	}
}
