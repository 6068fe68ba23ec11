// Package routing applies package route's decisions to a workspace's
// stored conversations: it loads the CMs and the rules once, decides for
// each conversation nobody holds, and records who got it and why.
package routing

import (
	"context"
	"fmt"
	"slices"
	"time"

	"palabre/internal/route"
	"palabre/internal/store"
)

// Store is what routing reads and records. *store.Store satisfies it.
type Store interface {
	RoutingCandidates(ctx context.Context, workspaceID int64) ([]route.Candidate, error)
	RoutingRules(ctx context.Context, workspaceID int64) ([]route.Rule, error)
	UnroutedConversations(ctx context.Context, workspaceID, afterID int64, limit int) ([]store.Unrouted, error)
	ApplyDecisions(ctx context.Context, workspaceID int64, ds []store.Routed, actor string) (conflicts []int64, err error)
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
// another node assigned meanwhile is left to it; one being written (an
// import adding to it, on PostgreSQL) is left to the next round. A
// workspace without any CM is left alone: nothing could be assigned, and
// writing the same reason on every conversation would only slow imports
// down.
func RouteWorkspace(ctx context.Context, st Store, workspaceID int64, now time.Time) (Summary, error) {
	var sum Summary
	// Waiting conversations first: the server routes every workspace every
	// few seconds, and most rounds find none, which costs one indexed read
	// rather than loading the CMs and their loads.
	convs, err := st.UnroutedConversations(ctx, workspaceID, 0, pageSize)
	if err != nil || len(convs) == 0 {
		return sum, err
	}
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
	for {
		// A page is decided in memory — each assignment counting at once in
		// its CM's load and round-robin — then recorded in one transaction.
		page := make([]store.Routed, 0, len(convs))
		for _, c := range convs {
			d := route.Decide(now, c.Conversation, rules, cands)
			r := store.Routed{ConversationID: c.ID, Decision: store.Decision{Reason: d.Reason, Tags: d.Tags, Priority: -1}}
			if d.Priority != c.Priority {
				r.Priority = d.Priority
			}
			if d.Assignee != nil {
				r.Assignee = &d.Assignee.UserID
				cand := &cands[byID[d.Assignee.UserID]]
				cand.Open++
				cand.LastAssigned = latest(cands)
			}
			page = append(page, r)
		}
		conflicts, err := st.ApplyDecisions(ctx, workspaceID, page, Actor)
		if err != nil {
			return sum, fmt.Errorf("route workspace %d: %w", workspaceID, err)
		}
		for _, r := range page {
			switch {
			case slices.Contains(conflicts, r.ConversationID):
				// Another node assigned it first, or it is being
				// written (the next round routes it): it is not this
				// CM's.
				if r.Assignee != nil {
					cands[byID[*r.Assignee]].Open--
				}
			case r.Assignee == nil:
				sum.Unassigned++
			default:
				sum.Assigned++
			}
		}
		if len(convs) < pageSize {
			return sum, nil
		}
		if convs, err = st.UnroutedConversations(ctx, workspaceID, convs[len(convs)-1].ID, pageSize); err != nil || len(convs) == 0 {
			return sum, err
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
