package sla

import (
	"fmt"
	"time"
)

// Kinds of response clock.
const (
	ResponseFirst = "first"
	ResponseNext  = "next"
)

// States of a clock, as Clock.State reports them.
const (
	StateOK       = ""
	StateWarning  = "warning"
	StateBreached = "breached"
)

// Conversation is what the due times of a conversation depend on.
type Conversation struct {
	Channel   string
	Priority  int
	CreatedAt time.Time
	// AwaitingSince is the oldest customer message not yet answered; nil
	// when none waits.
	AwaitingSince *time.Time
	// FirstResponseAt is the first staff reply; nil when none yet.
	FirstResponseAt *time.Time
	// ResolvedAt is non-nil when the conversation is resolved.
	ResolvedAt *time.Time
}

// Dues are a conversation's due times under the policy that applies to it.
type Dues struct {
	// Policy names the policy; "" when none applies, and then no clock runs.
	Policy string `json:"policy,omitempty"`
	// Response is when the awaited reply is due; nil when no reply is
	// awaited, the conversation is resolved, or the policy sets no target.
	Response *time.Time `json:"response,omitempty"`
	// ResponseKind is ResponseFirst or ResponseNext when Response is set,
	// "" otherwise.
	ResponseKind string `json:"response_kind,omitempty"`
	// Resolution is when the conversation is due to be resolved; nil when
	// it is resolved or the policy sets no target.
	Resolution *time.Time `json:"resolution,omitempty"`
}

// Dues computes conv's due times under the first policy of s that applies
// to it, on c's business time. A resolved conversation has no running
// clock.
func (c *Clock) Dues(s Settings, conv Conversation) (Dues, error) {
	p, ok := s.Match(conv.Priority, conv.Channel)
	if !ok {
		return Dues{}, nil
	}
	dues := Dues{Policy: p.Name}
	if conv.ResolvedAt != nil {
		return dues, nil
	}
	if conv.AwaitingSince != nil {
		kind, target := ResponseFirst, p.FirstResponse
		if conv.FirstResponseAt != nil {
			kind, target = ResponseNext, p.NextResponse
		}
		if target > 0 {
			due, err := c.Add(*conv.AwaitingSince, time.Duration(target))
			if err != nil {
				return Dues{}, fmt.Errorf("sla policy %q: %s response due: %w", p.Name, kind, err)
			}
			dues.Response, dues.ResponseKind = &due, kind
		}
	}
	if p.Resolution > 0 {
		due, err := c.Add(conv.CreatedAt, time.Duration(p.Resolution))
		if err != nil {
			return Dues{}, fmt.Errorf("sla policy %q: resolution due: %w", p.Name, err)
		}
		dues.Resolution = &due
	}
	return dues, nil
}

// State tells where a clock due at due stands at now: StateBreached once
// now reaches due, StateWarning when at most warnBefore of business time
// is left, StateOK otherwise. A warnBefore of zero or less never warns.
func (c *Clock) State(now, due time.Time, warnBefore time.Duration) string {
	switch {
	case !now.Before(due):
		return StateBreached
	case warnBefore > 0 && c.Between(now, due) <= warnBefore:
		return StateWarning
	}
	return StateOK
}
