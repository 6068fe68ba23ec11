package connector

import (
	"testing"

	"palabre/internal/model"
)

func TestWordPressStatus(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"approved": model.StatusApproved, "approve": model.StatusApproved, "1": model.StatusApproved, " 1 ": model.StatusApproved,
		"hold": model.StatusPending, "0": model.StatusPending, "spam": model.StatusSpam,
		"trash": model.StatusTrash, "post-trashed": model.StatusTrash, "": model.StatusPending, "other": model.StatusPending,
	} {
		if got := WordPressStatus(in); got != want {
			t.Errorf("%q → %q, want %q", in, got, want)
		}
	}
}
