package sla

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"palabre/internal/model"
)

// Limits of the settings.
const (
	MaxPolicies      = 50
	MaxPolicyNameLen = 100 // characters
	MaxChannels      = 100 // per policy
	// MaxTarget is the longest target or warning: a year of business time.
	MaxTarget = 365 * 24 * time.Hour
)

// Settings are a workspace's SLA: the calendar its clocks run on, when a
// clock warns, the policies in order, and what to do on a breach.
type Settings struct {
	Calendar Calendar `json:"calendar"`
	// WarnBefore is how much business time before a due time a clock
	// turns to warning; zero means no warning.
	WarnBefore Duration   `json:"warn_before"`
	Policies   []Policy   `json:"policies"`
	Escalation Escalation `json:"escalation"`
}

// Escalation says what happens when a clock is breached; callers carry
// it out.
type Escalation struct {
	// Notify alerts the assignee and the workspace's leads.
	Notify bool `json:"notify"`
	// Reroute hands the conversation back to routing.
	Reroute bool `json:"reroute"`
	// RaisePriority raises the conversation's priority one step, up to
	// critical.
	RaisePriority bool `json:"raise_priority"`
}

// Policy is one promise: response and resolution targets for the
// conversations it applies to. Priorities are palabre's conversation
// priorities: 0 normal, 1 high, 2 urgent, 3 critical (model.PriorityNormal
// to model.PriorityCritical).
type Policy struct {
	Name string `json:"name"`
	// Priorities, when any, restrict the policy to those priorities.
	Priorities []int `json:"priorities,omitempty"`
	// Channels, when any, restrict the policy to those channels, by name.
	Channels []string `json:"channels,omitempty"`
	// FirstResponse is the target from a new conversation's first
	// customer message to the first staff reply.
	FirstResponse Duration `json:"first_response"`
	// NextResponse is the target for each later customer message left
	// unanswered.
	NextResponse Duration `json:"next_response"`
	// Resolution is the target from creation to resolution.
	Resolution Duration `json:"resolution"`
}

// Applies reports whether p applies to a conversation of that priority
// and channel.
func (p Policy) Applies(priority int, channel string) bool {
	return (len(p.Priorities) == 0 || slices.Contains(p.Priorities, priority)) &&
		(len(p.Channels) == 0 || slices.Contains(p.Channels, channel))
}

// Match returns the first policy, in order, that applies to a
// conversation of that priority and channel, and false when none does.
// A policy with no target placed before others exempts the conversations
// it applies to.
func (s Settings) Match(priority int, channel string) (Policy, bool) {
	for _, p := range s.Policies {
		if p.Applies(priority, channel) {
			return p, true
		}
	}
	return Policy{}, false
}

// Validate checks the settings and returns every fault found, on one line.
func (s Settings) Validate() error {
	var errs []string
	if err := s.Calendar.Validate(); err != nil {
		errs = append(errs, "calendar: "+err.Error())
	}
	if err := checkDuration("warn_before", s.WarnBefore); err != nil {
		errs = append(errs, err.Error())
	}
	if len(s.Policies) > MaxPolicies {
		errs = append(errs, fmt.Sprintf("policies: at most %d, got %d", MaxPolicies, len(s.Policies)))
	}
	for i, p := range s.Policies {
		errs = append(errs, p.faults(i)...)
		if p.Name != "" && slices.ContainsFunc(s.Policies[:i], func(q Policy) bool { return q.Name == p.Name }) {
			errs = append(errs, fmt.Sprintf("policy %q: name used twice", p.Name))
		}
	}
	if len(errs) == 0 {
		return nil
	}
	return fmt.Errorf("sla settings: %s", strings.Join(errs, "; "))
}

// faults lists what is wrong with p, the i-th policy (from 0).
func (p Policy) faults(i int) []string {
	var errs []string
	name := fmt.Sprintf("policy %q", p.Name)
	if p.Name == "" {
		name = fmt.Sprintf("policy #%d", i+1)
		errs = append(errs, name+": no name")
	} else if strings.TrimSpace(p.Name) != p.Name || !utf8.ValidString(p.Name) ||
		utf8.RuneCountInString(p.Name) > MaxPolicyNameLen || strings.IndexFunc(p.Name, unicode.IsControl) >= 0 {
		errs = append(errs, fmt.Sprintf("%s: the name must have 1 to %d printable characters without surrounding spaces", name, MaxPolicyNameLen))
	}
	for j, pr := range p.Priorities {
		if !model.ValidPriority(pr) {
			errs = append(errs, fmt.Sprintf("%s: priority %d: want %d (normal) to %d (critical)", name, pr, model.PriorityNormal, model.PriorityCritical))
		} else if slices.Contains(p.Priorities[:j], pr) {
			errs = append(errs, fmt.Sprintf("%s: priority %d listed twice", name, pr))
		}
	}
	if len(p.Channels) > MaxChannels {
		errs = append(errs, fmt.Sprintf("%s: at most %d channels, got %d", name, MaxChannels, len(p.Channels)))
	}
	for j, ch := range p.Channels {
		if ch == "" {
			errs = append(errs, fmt.Sprintf("%s: empty channel name", name))
		} else if slices.Contains(p.Channels[:j], ch) {
			errs = append(errs, fmt.Sprintf("%s: channel %q listed twice", name, ch))
		}
	}
	for _, t := range []struct {
		field string
		d     Duration
	}{{"first_response", p.FirstResponse}, {"next_response", p.NextResponse}, {"resolution", p.Resolution}} {
		if err := checkDuration(t.field, t.d); err != nil {
			errs = append(errs, fmt.Sprintf("%s: %v", name, err))
		}
	}
	return errs
}

// checkDuration checks a target or warning: from 0 to MaxTarget.
func checkDuration(field string, d Duration) error {
	if d < 0 || time.Duration(d) > MaxTarget {
		return fmt.Errorf("%s %v: want 0 to %v", field, d, Duration(MaxTarget))
	}
	return nil
}
