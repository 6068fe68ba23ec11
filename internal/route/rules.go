package route

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"strings"

	"palabre/internal/model"
)

// Rule is one routing rule of a workspace: when its condition matches,
// its action is taken. Rules are evaluated in order.
type Rule struct {
	Name string    `json:"name"`
	When Condition `json:"when"`
	Then Action    `json:"then"`
}

// Condition says which conversations a rule applies to. An empty field
// matches any conversation; every field given must match, ignoring case:
// Topic one of the conversation's topics, Lang its language ("fr" matches
// "fr-CA"), Author one of the author's handle or e-mail (a leading "@" of a
// handle ignored on either side), the others their field.
type Condition struct {
	Topic     string `json:"topic,omitempty"`
	Intent    string `json:"intent,omitempty"`
	Sentiment string `json:"sentiment,omitempty"`
	Channel   string `json:"channel,omitempty"`
	Author    string `json:"author,omitempty"`
	Lang      string `json:"lang,omitempty"`
}

// Action is what a rule does: assign to a CM by login, add tags, set the
// priority, and stop the evaluation of further rules.
type Action struct {
	AssignTo string   `json:"assign_to,omitempty"` // a login
	Tags     []string `json:"tags,omitempty"`
	Priority *int     `json:"priority,omitempty"` // nil: unchanged
	Stop     bool     `json:"stop,omitempty"`     // no further rules
}

// Matches reports whether the condition holds for c.
func (w Condition) Matches(c Conversation) bool {
	return (w.Topic == "" || slices.ContainsFunc(c.Topics, func(t string) bool { return strings.EqualFold(t, w.Topic) })) &&
		matchField(w.Intent, c.Intent) &&
		matchField(w.Sentiment, c.Sentiment) &&
		matchField(w.Channel, c.Channel) &&
		(w.Lang == "" || strings.EqualFold(baseLanguage(w.Lang), baseLanguage(c.Lang))) &&
		(w.Author == "" || matchAuthor(w.Author, c.Author))
}

// matchField reports whether want is empty or equals got, ignoring case
// and surrounding spaces.
func matchField(want, got string) bool {
	return want == "" || strings.EqualFold(strings.TrimSpace(want), strings.TrimSpace(got))
}

// matchAuthor reports whether want is one of the identifiers of author
// (space separated), ignoring case and a leading "@".
func matchAuthor(want, author string) bool {
	want = strings.TrimPrefix(strings.TrimSpace(want), "@")
	if want == "" {
		return false
	}
	for id := range strings.FieldsSeq(author) {
		if strings.EqualFold(strings.TrimPrefix(id, "@"), want) {
			return true
		}
	}
	return false
}

// applied is what the rules decided.
type applied struct {
	tags     []string
	priority int
	assignee int    // index in the candidates, -1 when no rule assigned
	rule     string // the rule that assigned
	notes    []string
}

// applyRules evaluates the rules in order for c; see the package
// documentation. No rule assigns spam.
func applyRules(c Conversation, rules []Rule, cands []Candidate) applied {
	a := applied{tags: []string{}, priority: c.Priority, assignee: -1}
	for _, r := range rules {
		if !r.When.Matches(c) {
			continue
		}
		for _, t := range r.Then.Tags {
			if t != "" && !slices.Contains(a.tags, t) {
				a.tags = append(a.tags, t)
			}
		}
		if r.Then.Priority != nil {
			a.priority = *r.Then.Priority
		}
		if r.Then.AssignTo != "" && a.assignee < 0 && !c.Spam {
			if i, why := findAssignee(r.Then.AssignTo, cands); i >= 0 {
				a.assignee, a.rule = i, r.Name
			} else {
				a.notes = append(a.notes, "rule "+quote(r.Name)+": "+r.Then.AssignTo+" unavailable ("+why+")")
			}
		}
		if r.Then.Stop {
			break
		}
	}
	return a
}

// findAssignee returns the index of the candidate with that login who is
// not away, or -1 and why not. Should several match — logins equal but for
// case, or listed twice — the exact spelling wins, then the lowest user id,
// whatever the order of the candidates.
func findAssignee(login string, cands []Candidate) (int, string) {
	found, why := -1, "not a candidate"
	for i := range cands {
		if !strings.EqualFold(cands[i].Login, login) {
			continue
		}
		if cands[i].Away {
			why = "away"
			continue
		}
		if found < 0 || preferAssignee(login, &cands[i], &cands[found]) {
			found = i
		}
	}
	return found, why
}

// preferAssignee reports whether a is a better match than b for login.
func preferAssignee(login string, a, b *Candidate) bool {
	ea, eb := a.Login == login, b.Login == login
	if ea != eb {
		return ea
	}
	return cmp.Or(cmp.Compare(a.UserID, b.UserID), cmp.Compare(a.Login, b.Login), cmp.Compare(a.Name, b.Name)) < 0
}

// Limits of a workspace's rules.
const (
	MaxRules       = 200
	maxRuleNameLen = 100
)

// ValidateRules checks a workspace's rules and returns every fault found:
// each needs a unique name; a rule must do something (assign, tag or set a
// priority); tags must be valid tags and the priority one of palabre's.
func ValidateRules(rules []Rule) error {
	var errs []error
	if len(rules) > MaxRules {
		errs = append(errs, fmt.Errorf("%d rules: at most %d", len(rules), MaxRules))
	}
	seen := make(map[string]bool, len(rules))
	for i, r := range rules {
		where := fmt.Sprintf("rule %d (%q)", i+1, r.Name)
		switch {
		case strings.TrimSpace(r.Name) == "":
			errs = append(errs, fmt.Errorf("rule %d: a name is required", i+1))
		case len([]rune(r.Name)) > maxRuleNameLen:
			errs = append(errs, fmt.Errorf("%s: name longer than %d characters", where, maxRuleNameLen))
		case seen[strings.ToLower(r.Name)]:
			errs = append(errs, fmt.Errorf("%s: another rule has this name", where))
		}
		seen[strings.ToLower(r.Name)] = true
		if r.Then.AssignTo == "" && len(r.Then.Tags) == 0 && r.Then.Priority == nil {
			errs = append(errs, fmt.Errorf("%s: does nothing; give then.assign_to, then.tags or then.priority", where))
		}
		for _, t := range r.Then.Tags {
			if _, err := model.NormalizeTag(t); err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", where, err))
			}
		}
		if r.Then.Priority != nil && !model.ValidPriority(*r.Then.Priority) {
			errs = append(errs, fmt.Errorf("%s: priority %d: must be between %d and %d", where, *r.Then.Priority,
				model.PriorityNormal, model.PriorityCritical))
		}
	}
	return errors.Join(errs...)
}
