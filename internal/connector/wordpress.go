package connector

import (
	"strings"

	"palabre/internal/model"
)

// WordPressStatus maps a WordPress comment status, as an export
// (wp:comment_approved) or the REST API writes it, to palabre's: "1",
// "approve" and "approved" are approved, "spam" is spam, "trash" and
// "post-trashed" are in the trash, anything else ("0", "hold",
// "unapproved") is held.
func WordPressStatus(s string) string {
	switch strings.TrimSpace(s) {
	case "1", "approve", "approved":
		return model.StatusApproved
	case "spam":
		return model.StatusSpam
	case "trash", "post-trashed":
		return model.StatusTrash
	}
	return model.StatusPending
}
