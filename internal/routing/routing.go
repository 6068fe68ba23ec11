// Package routing applies package route's decisions to a workspace's
// stored conversations: it loads the CMs and the rules once, decides for
// each conversation nobody holds, and records who got it and why.
package routing

import (
	"context"
	"errors"
	"fmt"
	"time"

	"palabre/internal/route"
	"palabre/internal/store"
)

// Store is what routing reads and records. *store.Store satisfies it.
type Store interface {
	RoutingCandidates(ctx context.Context, workspaceID int64) ([]route.Candidate, error)
	RoutingRules(ctx context.Context, workspaceID int64) ([]route.Rule, error)
	UnroutedConversations(ctx context.Context, workspaceID, afterID int64, limit int) ([]store.Unrouted, error)
	ApplyDecision(ctx context.Context, conversationID, workspaceID int64, d store.Decision, actor string) error
}

// Summary counts what a run did.
type Summary struct {
	Assigned   int `json:"assigned"`
	Unassigned int `json:"unassigned"` // nobody could take them; their reason says why
}

// pageSize is how many conversations are read at a time.
const pageSize = 500

// Actor is who routing's assignments are recorded as in the audit log.
const Actor = "routing"

// RouteWorkspace decides, at now, who takes each conversation of the
// workspace that nobody holds and still waits, and records it; when nobody
// can, it records why. Load and round-robin progress within the run, as
// each assignment counts in its CM's Open and LastAssigned. A conversation
// another node assigned meanwhile is left to it. A workspace without any
// CM is left alone: nothing could be assigned, and writing the same reason
// on every conversation would only slow imports down.
func RouteWorkspace(ctx context.Context, st Store, workspaceID int64, now time.Time) (Summary, error) {
	var sum Summary
	cands, err := st.RoutingCandidates(ctx, workspaceID)
	if err != nil || len(cands) == 0 {
		return sum, err
	}
	rules, err := st.RoutingRules(ctx, workspaceID)
	if err != nil {
		return sum, err
	}
	byID := make(map[int64]int, len(cands))
	for i, c := range cands {
		byID[c.UserID] = i
	}
	var after int64
	for {
		convs, err := st.UnroutedConversations(ctx, workspaceID, after, pageSize)
		if err != nil {
			return sum, err
		}
		for _, c := range convs {
			after = c.ID
			d := route.Decide(now, c.Conversation, rules, cands)
			var assignee *int64
			if d.Assignee != nil {
				assignee = &d.Assignee.UserID
			}
			err := st.ApplyDecision(ctx, c.ID, workspaceID,
				store.Decision{Assignee: assignee, Reason: d.Reason, Tags: d.Tags, Priority: d.Priority}, Actor)
			switch {
			case errors.Is(err, store.ErrConflict):
				continue
			case err != nil:
				return sum, fmt.Errorf("route workspace %d: %w", workspaceID, err)
			case assignee == nil:
				sum.Unassigned++
				continue
			}
			sum.Assigned++
			cand := &cands[byID[*assignee]]
			cand.Open++
			cand.LastAssigned = latest(cands)
		}
		if len(convs) < pageSize {
			return sum, nil
		}
	}
}

// latest is a time after every candidate's LastAssigned and not before the
// clock, so that the CM just assigned is the most recent whatever the
// clock's resolution.
func latest(cands []route.Candidate) time.Time {
	t := store.TruncateTime(time.Now())
	for _, c := range cands {
		if !c.LastAssigned.Before(t) {
			t = c.LastAssigned.Add(time.Microsecond)
		}
	}
	return t
}
