package model

// Moderation actions a CM takes on a customer's message. Each sets the
// message's status in palabre and, where its channel's platform can, is
// sent there by the outbox.
const (
	ModApprove   = "approve"   // published
	ModUnapprove = "unapprove" // held for moderation
	ModSpam      = "spam"
	ModTrash     = "trash"
)

// ModerationActions lists the moderation actions, in the order a console
// offers them.
func ModerationActions() []string { return []string{ModApprove, ModUnapprove, ModSpam, ModTrash} }

// ModeratedStatus returns the status a message takes when action is
// applied to it, or false for an unknown action.
func ModeratedStatus(action string) (string, bool) {
	switch action {
	case ModApprove:
		return StatusApproved, true
	case ModUnapprove:
		return StatusPending, true
	case ModSpam:
		return StatusSpam, true
	case ModTrash:
		return StatusTrash, true
	}
	return "", false
}

// Moderates reports whether a live source of kind sends action to its
// platform: WordPress applies every action to a comment; a mailbox moves
// a message to its junk or trash folder; a feed, a Mastodon account and a
// webhook have no moderation to send.
func Moderates(kind, action string) bool {
	switch kind {
	case SourceWordPress:
		_, ok := ModeratedStatus(action)
		return ok
	case SourceEmail:
		return action == ModSpam || action == ModTrash
	}
	return false
}
