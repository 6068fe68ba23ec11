package model

import "time"

// Kinds of live source.
const (
	SourceFeed      = "feed"      // an RSS or Atom comment feed
	SourceWordPress = "wordpress" // a WordPress site's REST API
	SourceEmail     = "email"     // an IMAP mailbox, answered over SMTP
	SourceMastodon  = "mastodon"  // a Mastodon account's mentions
	// SourceWebhook is pushed to, not polled: a signed endpoint where
	// forms and automation tools post messages (docs/INBOUND.md).
	SourceWebhook = "webhook"
)

// HiddenSecret is how a secret setting is shown; sent back in a change,
// it keeps the secret as it was.
const HiddenSecret = "********"

// Source is what palabre serve polls for a channel, how often, and how its
// polls went. Its settings (URLs, accounts, secrets) are the connector's,
// kept apart: the API shows them without their secrets.
type Source struct {
	ID          int64  `json:"id"`
	WorkspaceID int64  `json:"workspace_id"`
	ChannelID   int64  `json:"channel_id"`
	Channel     string `json:"channel"`
	Kind        string `json:"kind"`
	Name        string `json:"name"`
	// Interval between two polls when all is well.
	IntervalSeconds int          `json:"interval_seconds"`
	Enabled         bool         `json:"enabled"`
	Health          SourceHealth `json:"health"`
	CreatedBy       string       `json:"created_by"`
	CreatedAt       time.Time    `json:"created_at"`
}

// SourceHealth is how a source's polls went: what a CM looks at when a
// channel seems quiet.
type SourceHealth struct {
	LastPollAt    *time.Time `json:"last_poll_at,omitempty"`
	LastSuccessAt *time.Time `json:"last_success_at,omitempty"`
	LastErrorAt   *time.Time `json:"last_error_at,omitempty"`
	// LastError is the reason of the last failed poll, kept after a
	// success so that an intermittent failure stays visible; Failures
	// says whether it is current.
	LastError string `json:"last_error,omitempty"`
	// Failures counts the polls failed in a row; 0 after a success.
	Failures   int       `json:"failures"`
	NextPollAt time.Time `json:"next_poll_at"`
	// LastItems is how many messages the last successful poll read;
	// ItemsSeen how many all polls read.
	LastItems int   `json:"last_items"`
	ItemsSeen int64 `json:"items_seen"`
}

// Healthy reports whether the source's last poll succeeded.
func (h SourceHealth) Healthy() bool { return h.Failures == 0 }
