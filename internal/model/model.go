// Package model holds palabre's plain domain types: the records that flow
// from connectors through ingest and analysis into the store, and back out
// through the API and exports. It has no behaviour beyond validation helpers.
package model

import "time"

// Message kinds.
const (
	KindPost    = "post"    // a conversation's opening article or post
	KindComment = "comment" // a reply to the post itself
	KindReply   = "reply"   // a reply to another comment
	KindMessage = "message" // a private or direct message
)

// Moderation statuses a source may report for a message.
const (
	StatusApproved = "approved"
	StatusPending  = "pending"
	StatusSpam     = "spam"
	StatusTrash    = "trash"
)

// Conversation statuses, as the CM works through the inbox.
const (
	ConvNew      = "new"
	ConvOpen     = "open"
	ConvPending  = "pending"
	ConvResolved = "resolved"
	ConvIgnored  = "ignored"
	ConvSpam     = "spam"
)

// ValidKind reports whether k is a known message kind.
func ValidKind(k string) bool {
	switch k {
	case KindPost, KindComment, KindReply, KindMessage:
		return true
	}
	return false
}

// ValidStatus reports whether s is a known moderation status.
func ValidStatus(s string) bool {
	switch s {
	case StatusApproved, StatusPending, StatusSpam, StatusTrash:
		return true
	}
	return false
}

// ValidConversationStatus reports whether s is a known conversation status.
func ValidConversationStatus(s string) bool {
	switch s {
	case ConvNew, ConvOpen, ConvPending, ConvResolved, ConvIgnored, ConvSpam:
		return true
	}
	return false
}

// Message is one normalised message, the unit of import and export. Its
// JSON form is the NDJSON line format of palabre import/export; the field
// order here is the order of exported keys.
//
// Optional analysis fields use pointers so that "not analysed" and "false"
// stay distinct and survive an export → import → export round trip.
type Message struct {
	Channel                string    `json:"channel,omitempty"`
	ExternalID             string    `json:"external_id"`
	ParentExternalID       string    `json:"parent_external_id,omitempty"`
	ConversationExternalID string    `json:"conversation_external_id,omitempty"`
	Kind                   string    `json:"kind,omitempty"`
	Status                 string    `json:"status,omitempty"`
	Title                  string    `json:"title,omitempty"`
	AuthorName             string    `json:"author_name,omitempty"`
	AuthorHandle           string    `json:"author_handle,omitempty"`
	AuthorEmail            string    `json:"author_email,omitempty"`
	AuthorURL              string    `json:"author_url,omitempty"`
	AuthorIsStaff          bool      `json:"author_is_staff"`
	MemberID               string    `json:"member_id,omitempty"`
	Body                   string    `json:"body"`
	BodyHTML               string    `json:"body_html,omitempty"`
	URL                    string    `json:"url,omitempty"`
	CreatedAt              time.Time `json:"created_at"`

	Lang               string   `json:"lang,omitempty"`
	LangConfidence     *float64 `json:"lang_confidence,omitempty"`
	Sentiment          string   `json:"sentiment,omitempty"`
	SentimentScore     *float64 `json:"sentiment_score,omitempty"`
	Intent             string   `json:"intent,omitempty"`
	NeedsResponse      *bool    `json:"needs_response,omitempty"`
	NeedsResponseScore *float64 `json:"needs_response_score,omitempty"`
	Spam               *bool    `json:"spam,omitempty"`
	SpamScore          *float64 `json:"spam_score,omitempty"`
	Topics             []string `json:"topics,omitempty"`
}

// Analysed reports whether the message carries an analysis (imported with
// one, or computed).
func (m *Message) Analysed() bool {
	return m.Lang != "" || m.Sentiment != "" || m.Intent != "" || m.NeedsResponse != nil || m.Spam != nil
}

// Workspace is one brand or client: the unit of isolation.
type Workspace struct {
	ID        int64     `json:"id"`
	Slug      string    `json:"slug"`
	Name      string    `json:"name"`
	Sector    string    `json:"sector,omitempty"`
	Language  string    `json:"language,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

// Channel is one source of messages inside a workspace (a blog, a feed, a
// social account).
type Channel struct {
	ID          int64     `json:"id"`
	WorkspaceID int64     `json:"workspace_id"`
	Name        string    `json:"name"`
	Kind        string    `json:"kind"`
	CreatedAt   time.Time `json:"created_at"`
}

// Conversation is a thread: a root message and every reply under it.
type Conversation struct {
	ID             int64     `json:"id"`
	WorkspaceID    int64     `json:"workspace_id"`
	Workspace      string    `json:"workspace"`
	ChannelID      int64     `json:"channel_id"`
	Channel        string    `json:"channel"`
	RootExternalID string    `json:"root_external_id"`
	Subject        string    `json:"subject"`
	Status         string    `json:"status"`
	Priority       int       `json:"priority"`
	MessageCount   int       `json:"message_count"`
	CreatedAt      time.Time `json:"created_at"`
	LastActivityAt time.Time `json:"last_activity_at"`
	// AssigneeID and Assignee (their login) name the CM the conversation
	// is assigned to; nil and "" when nobody is.
	AssigneeID *int64 `json:"assignee_id,omitempty"`
	Assignee   string `json:"assignee,omitempty"`
	// AssignmentReason says why routing chose the assignee, or why nobody
	// could take the conversation.
	AssignmentReason string     `json:"assignment_reason,omitempty"`
	AssignedAt       *time.Time `json:"assigned_at,omitempty"`
	// StatusAt is when the status last changed or the conversation was
	// snoozed.
	StatusAt     *time.Time `json:"status_at,omitempty"`
	Tags         []string   `json:"tags"`
	SnoozedUntil *time.Time `json:"snoozed_until,omitempty"`
	// AwaitingSince is the oldest customer message no staff reply has
	// answered yet; nil when nobody waits.
	AwaitingSince   *time.Time `json:"awaiting_since,omitempty"`
	FirstResponseAt *time.Time `json:"first_response_at,omitempty"`
	ResolvedAt      *time.Time `json:"resolved_at,omitempty"`
	SLA             SLAClocks  `json:"sla"`
}

// SLAClocks are a conversation's SLA due times under the workspace's
// policy, and how far each clock went: "", "warning" or "breached".
type SLAClocks struct {
	Policy          string     `json:"policy,omitempty"`
	ResponseDueAt   *time.Time `json:"response_due_at,omitempty"`
	ResolutionDueAt *time.Time `json:"resolution_due_at,omitempty"`
	Response        string     `json:"response,omitempty"`
	Resolution      string     `json:"resolution,omitempty"`
}

// Member is one person of a workspace's community, whatever names,
// handles and addresses they used.
type Member struct {
	ID           string     `json:"id"`
	WorkspaceID  int64      `json:"workspace_id"`
	DisplayName  string     `json:"display_name"`
	IsStaff      bool       `json:"is_staff"`
	MessageCount int        `json:"message_count"`
	FirstSeenAt  time.Time  `json:"first_seen_at"`
	LastSeenAt   time.Time  `json:"last_seen_at"`
	Identities   []Identity `json:"identities,omitempty"`
	// Tags are the staff's labels on the member ("vip", "blogger").
	Tags []string `json:"tags"`
	// MergedInto names the member this one was merged into; its
	// identities and messages are there until the merge is undone.
	MergedInto string `json:"merged_into,omitempty"`
}

// MemberNote is a staff note on a member (not on a conversation): what the
// team knows of the person. Never shown to clients.
type MemberNote struct {
	ID        int64     `json:"id"`
	MemberID  string    `json:"member_id"`
	Author    string    `json:"author"` // login
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"created_at"`
}

// MemberMerge is one merge of a member (From) into another (Into) that can
// still be undone, with what it moved.
type MemberMerge struct {
	From       string    `json:"from"`
	Into       string    `json:"into"`
	Actor      string    `json:"actor"`
	At         time.Time `json:"at"`
	Identities int       `json:"identities"`
	Messages   int       `json:"messages"`
}

// SavedView is an inbox filter a user saved under a name. Query is the
// inbox URL's query string ("view=mine&sentiment=neg").
type SavedView struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Query     string    `json:"query"`
	CreatedAt time.Time `json:"created_at"`
}

// Limits of saved views.
const (
	MaxSavedViewName  = 60   // characters
	MaxSavedViewQuery = 1000 // bytes
)

// Identity kinds, strongest first.
const (
	IdentityEmail  = "email"
	IdentityHandle = "handle"
	IdentityURL    = "url"
	IdentityName   = "name"
)

// Identity is one way a member is recognised: an e-mail address, a handle on
// a network, a web address or, weakest, a name signed on one channel.
type Identity struct {
	Kind  string `json:"kind"`
	Value string `json:"value"`
}

// Event is one line of the audit log: who did what, when.
type Event struct {
	ID          int64  `json:"id"`
	WorkspaceID int64  `json:"workspace_id,omitempty"`
	Actor       string `json:"actor"`
	Action      string `json:"action"`
	Subject     string `json:"subject,omitempty"`
	Detail      string `json:"detail,omitempty"`
	// ConversationID names the conversation the event is about, if any.
	ConversationID int64 `json:"conversation_id,omitempty"`
	// RecipientID names the one user a notification is for (an expert
	// @mentioned); 0 for events everyone allowed may see.
	RecipientID int64     `json:"recipient_id,omitempty"`
	CreatedAt   time.Time `json:"created_at"`
}

// Topic is one named subject of a workspace's vocabulary, recognised by its terms.
type Topic struct {
	Name  string   `json:"name"`
	Terms []string `json:"terms"`
}

// User is a person who signs in to palabre: a CM, a manager, an expert, a
// client. Their password hash stays in the store and never reaches this type.
type User struct {
	ID        int64     `json:"id"`
	Login     string    `json:"login"`
	Name      string    `json:"name"`
	IsAdmin   bool      `json:"is_admin"`
	Disabled  bool      `json:"disabled"`
	CreatedAt time.Time `json:"created_at"`
	// UILanguage is the language the user chose for palabre's screens:
	// "en" or "fr"; "" follows the browser.
	UILanguage string `json:"ui_language,omitempty"`
}

// ValidUILanguage reports whether l is a language palabre's screens can
// be set to: "" (follow the browser), "en" or "fr".
func ValidUILanguage(l string) bool { return l == "" || l == "en" || l == "fr" }

// Roles a user holds in a workspace. What each may do is decided above the
// store; the store only keeps who holds which.
const (
	RoleOwner   = "owner"
	RoleManager = "manager"
	RoleCM      = "cm"     // a community manager, working the inbox
	RoleExpert  = "expert" // a company expert the CMs call on
	RoleClient  = "client" // someone of the brand the workspace serves
)

// ValidRole reports whether r is a known workspace role.
func ValidRole(r string) bool {
	switch r {
	case RoleOwner, RoleManager, RoleCM, RoleExpert, RoleClient:
		return true
	}
	return false
}

// Membership is a user's role in one workspace.
type Membership struct {
	UserID      int64     `json:"user_id"`
	WorkspaceID int64     `json:"workspace_id"`
	Workspace   string    `json:"workspace"` // the workspace's slug
	Role        string    `json:"role"`
	CreatedAt   time.Time `json:"created_at"`
}

// APIToken is a user's key to the REST API. Its secret is shown once, at
// creation; the store keeps only a hash of it.
type APIToken struct {
	ID     int64  `json:"id"`
	UserID int64  `json:"user_id"`
	Name   string `json:"name"`
	// Workspaces restricts the token to these workspaces; empty means all
	// of the user's. It never grants more than the user's memberships.
	Workspaces []int64    `json:"workspaces"`
	CanWrite   bool       `json:"can_write"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
}

// ReportSchedule says whether, and to whom, a workspace's client report
// is sent by e-mail each month.
type ReportSchedule struct {
	Enabled bool `json:"enabled"`
	// Recipients are bare e-mail addresses.
	Recipients []string `json:"recipients"`
	// Lang is the report's language, "en" or "fr"; "" is the
	// workspace's.
	Lang string `json:"lang,omitempty"`
	// Since is the first month sent, YYYY-MM: the month the schedule was
	// turned on, whose report goes at the start of the next.
	Since     string    `json:"since,omitempty"`
	UpdatedAt time.Time `json:"updated_at,omitzero"`
}

// MaxReportRecipients bounds a schedule's recipients.
const MaxReportRecipients = 50

// Statuses of a report delivery.
const (
	DeliveryPending = "pending"
	DeliverySent    = "sent"
	DeliveryFailed  = "failed"
)

// ReportDelivery is one month's report of a workspace sent by e-mail, or
// being sent.
type ReportDelivery struct {
	ID          int64      `json:"id"`
	WorkspaceID int64      `json:"-"`
	Month       string     `json:"month"`
	Status      string     `json:"status"`
	Recipients  []string   `json:"recipients"`
	Attempts    int        `json:"attempts"`
	LastError   string     `json:"last_error,omitempty"`
	NextAt      time.Time  `json:"next_at"`
	SentAt      *time.Time `json:"sent_at,omitempty"`
	CreatedAt   time.Time  `json:"created_at"`
}

// AlertSettings say what a workspace is alerted of: spikes against the
// usual, watched keywords, and who gets them by e-mail.
type AlertSettings struct {
	Enabled bool `json:"enabled"`
	// Keywords are watched: brand names, competitors, crisis words.
	Keywords []string `json:"keywords"`
	// Recipients get each alert by e-mail (bare addresses).
	Recipients []string `json:"recipients"`
	// A spike is at least MinMessages in the last WindowMinutes, and
	// Factor times the usual.
	WindowMinutes int       `json:"window_minutes"`
	Factor        float64   `json:"factor"`
	MinMessages   int       `json:"min_messages"`
	UpdatedAt     time.Time `json:"updated_at,omitzero"`
}

// Alert is something a workspace's team should hear about at once: a
// spike (of messages, of negative ones, of a topic) or a watched keyword,
// with the messages that caused it.
type Alert struct {
	ID          int64  `json:"id"`
	WorkspaceID int64  `json:"-"`
	Kind        string `json:"kind"`              // volume, negative, topic, keyword
	Subject     string `json:"subject,omitempty"` // the topic or the keyword
	// From and To are the window looked at; Count the messages in it;
	// Usual how many a window has usually (spikes).
	From       time.Time `json:"from"`
	To         time.Time `json:"to"`
	Count      int       `json:"count"`
	Usual      float64   `json:"usual"`
	MessageIDs []int64   `json:"message_ids"`
	// Headline says it in one line, in the workspace's language.
	Headline string `json:"headline"`
	// Bucket tells one alert of a kind and subject from the next: the
	// window's start for a spike, the newest message for a keyword.
	Bucket    int64      `json:"-"`
	CreatedAt time.Time  `json:"created_at"`
	EmailedAt *time.Time `json:"emailed_at,omitempty"`
}

// PrivacySettings are a workspace's privacy policy: how a person asking
// to be forgotten is erased, and how long messages are kept.
type PrivacySettings struct {
	// Erasure is "delete" (their messages go, with the conversations
	// only they wrote in) or "anonymise" (their messages stay, written by
	// an anonymous member).
	Erasure string `json:"erasure"`
	// RetentionMonths is how long messages are kept; 0 keeps them for
	// ever. Older ones are purged or anonymised (RetentionAction "purge"
	// or "anonymise").
	RetentionMonths int    `json:"retention_months"`
	RetentionAction string `json:"retention_action"`
	// RetainedAt is when the retention was last applied.
	RetainedAt *time.Time `json:"retained_at,omitempty"`
	UpdatedAt  time.Time  `json:"updated_at,omitzero"`
}
