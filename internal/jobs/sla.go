package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"palabre/internal/model"
	"palabre/internal/sla"
	"palabre/internal/store"
)

// SLAStore is what the SLA job reads and changes. *store.Store satisfies
// it.
type SLAStore interface {
	Workspaces(ctx context.Context) ([]model.Workspace, error)
	SLASettingsVersion(ctx context.Context, workspaceID int64) (sla.Settings, int64, bool, error)
	StaleSLA(ctx context.Context, workspaceID, afterID int64, limit int) ([]store.SLAInput, error)
	SetSLADues(ctx context.Context, in store.SLAInput, d sla.Dues) error
	DueSLA(ctx context.Context, workspaceID int64, horizon time.Time, limit int) ([]store.SLADue, error)
	MarkSLA(ctx context.Context, workspaceID int64, d store.SLADue, state, actor string) (bool, error)
	ChangeConversations(ctx context.Context, workspaceID int64, ids []int64, ch store.ConversationChange, actor string, now time.Time) ([]model.Conversation, error)
	Reroute(ctx context.Context, workspaceID, conversationID int64, reason, actor string) error
}

// SLAActor is who the SLA job's changes are recorded as.
const SLAActor = "sla"

// SLA keeps every workspace's SLA clocks: it computes the due times of
// conversations whose clocks changed, records a warning when a clock has
// less business time left than the workspace's warning delay, and a
// breach when it is due, then escalates as the workspace says: the breach
// event itself notifies; the priority goes up one step; the conversation
// is taken from its CM and routed again, to someone else.
func SLA(st SLAStore, every time.Duration) Job {
	return Job{Name: "sla", Every: every, Run: func(ctx context.Context, now time.Time) error {
		wss, err := st.Workspaces(ctx)
		if err != nil {
			return err
		}
		var errs []error
		for _, ws := range wss {
			if err := keepSLA(ctx, st, ws.ID, now); err != nil {
				errs = append(errs, fmt.Errorf("workspace %s: %w", ws.Slug, err))
			}
		}
		return errors.Join(errs...)
	}}
}

// slaPage is how many conversations a round reads at a time.
const slaPage = 500

func keepSLA(ctx context.Context, st SLAStore, workspaceID int64, now time.Time) error {
	settings, version, ok, err := st.SLASettingsVersion(ctx, workspaceID)
	if err != nil || !ok {
		return err
	}
	clock, err := settings.Calendar.Compile()
	if err != nil {
		return err
	}
	var after int64
	for {
		page, err := st.StaleSLA(ctx, workspaceID, after, slaPage)
		if err != nil {
			return err
		}
		for _, in := range page {
			after = in.ID
			in.SettingsVersion = version
			conv := in.Conversation
			if in.Status == model.ConvResolved || in.Status == model.ConvIgnored || in.Status == model.ConvSpam {
				// Closed: no clock runs.
				conv.AwaitingSince = nil
				if conv.ResolvedAt == nil {
					conv.ResolvedAt = &now
				}
			}
			d, err := clock.Dues(settings, conv)
			if err != nil {
				return fmt.Errorf("conversation %d: %w", in.ID, err)
			}
			if err := st.SetSLADues(ctx, in, d); err != nil {
				return err
			}
		}
		if len(page) < slaPage {
			break
		}
	}
	horizon := now
	if settings.WarnBefore > 0 {
		if horizon, err = clock.Add(now, time.Duration(settings.WarnBefore)); err != nil {
			return err
		}
	}
	due, err := st.DueSLA(ctx, workspaceID, horizon, 1000)
	if err != nil {
		return err
	}
	for _, d := range due {
		state := clock.State(now, d.Due, time.Duration(settings.WarnBefore))
		if state == sla.StateOK || state == d.State {
			continue
		}
		marked, err := st.MarkSLA(ctx, workspaceID, d, state, SLAActor)
		if err != nil {
			return err
		}
		if !marked || state != sla.StateBreached {
			continue
		}
		if err := escalate(ctx, st, workspaceID, d, settings.Escalation, now); err != nil {
			return err
		}
	}
	return nil
}

func escalate(ctx context.Context, st SLAStore, workspaceID int64, d store.SLADue, esc sla.Escalation, now time.Time) error {
	if esc.RaisePriority && d.Priority < model.PriorityCritical {
		p := d.Priority + 1
		if _, err := st.ChangeConversations(ctx, workspaceID, []int64{d.ConversationID},
			store.ConversationChange{Priority: &p}, SLAActor, now); err != nil {
			return err
		}
	}
	if esc.Reroute && d.Assignee != "" {
		reason := fmt.Sprintf("SLA %s breached while with %s: routed again", d.Clock, d.Assignee)
		if err := st.Reroute(ctx, workspaceID, d.ConversationID, reason, SLAActor); err != nil {
			return err
		}
	}
	return nil
}
