package mastodon

// The parts of Mastodon's API entities palabre reads. Times are kept as
// the strings the API wrote, so that one status with an unreadable date
// becomes one bad record rather than a failed page; null strings decode
// to "".

// account is an Account entity.
type account struct {
	ID          string `json:"id"`
	Username    string `json:"username"`
	Acct        string `json:"acct"` // "user" for local accounts, "user@host" for others
	DisplayName string `json:"display_name"`
	URL         string `json:"url"`
}

// status is a Status entity.
type status struct {
	ID                 string       `json:"id"` // local to the instance
	URI                string       `json:"uri"`
	URL                string       `json:"url"`
	CreatedAt          string       `json:"created_at"`
	Account            account      `json:"account"`
	InReplyToID        string       `json:"in_reply_to_id"`
	InReplyToAccountID string       `json:"in_reply_to_account_id"`
	Visibility         string       `json:"visibility"`
	SpoilerText        string       `json:"spoiler_text"`
	Content            string       `json:"content"` // HTML
	MediaAttachments   []attachment `json:"media_attachments"`
	Reblog             *status      `json:"reblog"`
}

// attachment is a MediaAttachment entity.
type attachment struct {
	Type        string `json:"type"` // image, gifv, video, audio, unknown
	Description string `json:"description"`
}

// notification is a Notification entity.
type notification struct {
	ID     string  `json:"id"`
	Type   string  `json:"type"`
	Status *status `json:"status"`
}

// threadContext is a Context entity: the statuses above one status, root
// first, and those below it, as far as the instance can show them.
type threadContext struct {
	Ancestors   []status `json:"ancestors"`
	Descendants []status `json:"descendants"`
}

// searchResults is a Search entity, of which only statuses are asked.
type searchResults struct {
	Statuses []status `json:"statuses"`
}

// Visibilities of a status, narrowest last.
const (
	visibilityPublic   = "public"
	visibilityUnlisted = "unlisted"
	visibilityPrivate  = "private" // followers only
	visibilityDirect   = "direct"  // mentioned accounts only
)
