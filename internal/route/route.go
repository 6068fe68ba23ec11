// Package route decides who gets a new conversation: which community
// manager (CM), with which tags and priority, and why. It is pure and
// deterministic — no database, no HTTP, no clock: the caller loads the
// candidates and passes the time — so the same input always gives the same
// decision, whatever the order of the candidates.
//
// # Rules first
//
// Rules are evaluated in order; a rule applies when every field given in
// its condition matches (see [Condition]). Tags of all applying rules
// accumulate, without duplicates, in the order first given. The priority
// starts as the conversation's and takes the value of the last applying
// rule that sets one. The first applying rule whose AssignTo names a
// candidate who is not away assigns the conversation — even outside that
// CM's working hours or over their capacity, since a rule is an explicit
// choice of the team. When a rule's CM is not among the candidates or is
// away, the reason says so and evaluation goes on: a later rule may still
// assign, and otherwise scoring decides. A rule with Stop ends the
// evaluation once its action is taken.
//
// # Then continuity
//
// A reopened conversation (Previous set) goes back to the CM who held it
// when they are among the candidates and not excluded, whatever the
// scores: the customer keeps the CM who knows the story.
//
// # Then scoring
//
// The CM a conversation was taken from when its SLA was breached
// (Escalated) is excluded from scoring, though a rule may still assign
// them. A spam conversation is never assigned (reason "spam: not routed"); its
// rules still give tags and priority. Otherwise a candidate is excluded
// when away, outside their working hours at now in their own time zone
// (now.In(Location), so daylight saving time is followed; an interval
// "09:00-12:30" contains 09:00 and excludes 12:30; "24:00" ends a day), or
// at capacity (Open ≥ Capacity when Capacity > 0). A candidate without any
// working hours declared is always on. The others are scored:
//
//	score = 100·T + 10·L + (1 − R)
//
//	T = the candidate's best strength, 0..1, over the conversation's
//	    topics (topic names compared ignoring case); 0 when none matches
//	L = 1   the conversation's language is one of the candidate's
//	        ("fr-CA" counts as "fr"; case ignored)
//	    0.5 the candidate declared no languages
//	    0   otherwise, and for everyone when the language is unknown
//	R = Open/Capacity, or Open/50 when Capacity is 0 (no limit), clamped
//	    to 0..1
//
// So a difference of 0.1 in topic strength outweighs the language, half a
// language match outweighs any load, and load only separates candidates
// whose topic and language are equal. Strengths outside 0..1 are clamped
// (NaN counts as 0).
//
// The best score wins. Scores within 1e-9 of the best of their group tie
// (the ranking is sorted by score, and each group gathers the scores
// within 1e-9 of its first); a tie goes to the candidate assigned least
// recently (zero LastAssigned: never, so first), which rotates
// conversations among equals as the caller updates LastAssigned, then to
// the lowest UserID, then to the login.
package route

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"palabre/internal/model"
)

// Candidate is one CM who could take the conversation, as the caller
// loaded it.
type Candidate struct {
	UserID      int64
	Login, Name string
	Languages   []string           // from the profile
	Topics      map[string]float64 // topic name → strength 0..1 in this workspace
	Away        bool               // status "away"
	Hours       model.WeeklyHours  // no interval at all: no working hours declared (always on)
	Location    *time.Location     // the CM's time zone (nil = UTC)
	Capacity    int                // 0 = no limit
	Open        int                // conversations currently open and assigned to them
	// LastAssigned is when the CM was last given a conversation, for
	// round-robin among equals; the zero time means never.
	LastAssigned time.Time
}

// Conversation is what routing knows of a new conversation, from its
// analysis.
type Conversation struct {
	Lang      string // ISO 639-1, "" when unknown
	Intent    string
	Sentiment string
	Channel   string
	// Author identifies who wrote it: a handle, an e-mail, or both
	// separated by a space ("@max max@example.org").
	Author   string
	Topics   []string
	Priority int
	Spam     bool
	// Previous is the user who held the conversation before it was
	// reopened (0: nobody): they get it back when they can take it, so the
	// customer keeps the CM who knows the story.
	Previous int64
	// Escalated is the user the conversation was taken from when its SLA
	// was breached (0: nobody): scoring passes over them.
	Escalated int64
}

// Decision is who gets the conversation, with which tags and priority, and
// why.
type Decision struct {
	Assignee *Candidate `json:"assignee"` // nil: nobody suitable (then Reason says why); a copy of the candidate
	Tags     []string   `json:"tags"`
	Priority int        `json:"priority"`
	Reason   string     `json:"reason"`  // human readable, with the deciding factors and their numbers
	Ranking  []Score    `json:"ranking"` // every candidate, best first: the eligible, then the excluded
}

// Score is one candidate's place in the ranking: the factors of the
// formula, the score, and why.
type Score struct {
	UserID        int64   `json:"user_id"`
	Login         string  `json:"login"`
	Name          string  `json:"name"`
	Score         float64 `json:"score"`          // 100·T + 10·L + (1 − R), computed for the excluded too
	Topic         string  `json:"topic"`          // the best matching topic, "" when none
	TopicStrength float64 `json:"topic_strength"` // T
	Language      float64 `json:"language"`       // L: 1, 0.5 or 0
	Load          float64 `json:"load"`           // R, 0..1
	Excluded      string  `json:"excluded"`       // why they cannot take it ("away", "at capacity 10/10", …); "" when eligible
	Why           string  `json:"why"`            // the factors, readable
}

// Weights of the score; see the package documentation.
const (
	topicWeight = 100
	langWeight  = 10
	loadWeight  = 1
	// defaultLoadScale is the open conversations that count as a full load
	// for a CM without a capacity limit.
	defaultLoadScale = 50
	// tieEpsilon is how close two scores must be to tie.
	tieEpsilon = 1e-9
)

// Decide decides who gets conversation c at now, given the rules and the
// candidates. It neither keeps nor changes anything: the caller records the
// assignment and updates Open and LastAssigned for the next decision.
func Decide(now time.Time, c Conversation, rules []Rule, cands []Candidate) Decision {
	applied := applyRules(c, rules, cands)
	d := Decision{Tags: applied.tags, Priority: applied.priority, Ranking: []Score{}}
	if c.Spam {
		d.Reason = joinReason(applied.notes, "spam: not routed")
		return d
	}
	ranked := rank(now, c, cands)
	d.Ranking = make([]Score, len(ranked))
	for i, r := range ranked {
		d.Ranking[i] = r.Score
	}
	if applied.assignee >= 0 {
		d.Assignee = copyCandidate(cands[applied.assignee])
		d.Reason = joinReason(applied.notes, fmt.Sprintf("rule %s: assigned to %s", quote(applied.rule), displayName(cands[applied.assignee])))
		return d
	}
	if len(ranked) == 0 {
		d.Reason = joinReason(applied.notes, "nobody available: no candidates")
		return d
	}
	for _, r := range ranked {
		if c.Previous != 0 && r.UserID == c.Previous && r.Excluded == "" {
			d.Assignee = copyCandidate(cands[r.index])
			d.Reason = joinReason(applied.notes, "reopened: back to "+displayName(cands[r.index])+", who had it before: "+r.Why)
			return d
		}
	}
	best := ranked[0]
	if best.Excluded != "" {
		why := make([]string, len(ranked))
		for i, r := range ranked {
			why[i] = cands[r.index].Login + " " + r.Excluded
		}
		d.Reason = joinReason(applied.notes, "nobody available: "+strings.Join(why, ", "))
		return d
	}
	d.Assignee = copyCandidate(cands[best.index])
	reason := "assigned to " + displayName(cands[best.index]) + ": " + best.Why
	if len(ranked) > 1 && ranked[1].Excluded == "" && ranked[1].group == best.group {
		reason += "; " + tieBreak(cands[best.index], cands[ranked[1].index], best.Score.Score)
	}
	d.Reason = joinReason(applied.notes, reason)
	return d
}

// ranked is a Score with what sorting needs.
type ranked struct {
	Score
	index int // in the candidates
	group int // scores of a group tie
}

// rank scores every candidate and sorts them best first: the eligible by
// score, ties by round-robin, then the excluded in the same order.
func rank(now time.Time, c Conversation, cands []Candidate) []ranked {
	rs := make([]ranked, len(cands))
	for i := range cands {
		rs[i] = ranked{Score: score(now, c, &cands[i]), index: i}
	}
	// Exact order of scores first, so that the groups depend only on the
	// scores, not on the order of the candidates.
	slices.SortFunc(rs, func(a, b ranked) int {
		if ea, eb := a.Excluded != "", b.Excluded != ""; ea != eb {
			if ea {
				return 1
			}
			return -1
		}
		return cmp.Compare(b.Score.Score, a.Score.Score)
	})
	group, lead := 0, 0
	for i := range rs {
		if i > 0 && ((rs[i].Excluded != "") != (rs[lead].Excluded != "") || rs[lead].Score.Score-rs[i].Score.Score > tieEpsilon) {
			group++
			lead = i
		}
		rs[i].group = group
	}
	slices.SortFunc(rs, func(a, b ranked) int {
		if a.group != b.group {
			return cmp.Compare(a.group, b.group)
		}
		ca, cb := &cands[a.index], &cands[b.index]
		// After round-robin and user id, the rest only orders duplicates,
		// which candidates should not have, deterministically.
		return cmp.Or(ca.LastAssigned.Compare(cb.LastAssigned), cmp.Compare(ca.UserID, cb.UserID),
			cmp.Compare(ca.Login, cb.Login), cmp.Compare(ca.Name, cb.Name),
			cmp.Compare(a.Excluded, b.Excluded), cmp.Compare(a.Why, b.Why))
	})
	return rs
}

// score computes one candidate's factors, score and exclusion.
func score(now time.Time, c Conversation, cand *Candidate) Score {
	s := Score{UserID: cand.UserID, Login: cand.Login, Name: cand.Name}
	s.Topic, s.TopicStrength = bestTopic(c.Topics, cand.Topics)
	s.Language = languageMatch(c.Lang, cand.Languages)
	s.Load = loadRatio(cand)
	s.Score = topicWeight*s.TopicStrength + langWeight*s.Language + loadWeight*(1-s.Load)
	s.Excluded = exclusion(now, cand)
	if s.Excluded == "" && c.Escalated != 0 && cand.UserID == c.Escalated {
		s.Excluded = "SLA breached while they held it"
	}
	s.Why = why(c, cand, s)
	return s
}

// exclusion says why cand cannot take a conversation at now, or "".
func exclusion(now time.Time, cand *Candidate) string {
	switch {
	case cand.Away:
		return "away"
	case cand.Capacity > 0 && cand.Open >= cand.Capacity:
		return fmt.Sprintf("at capacity %d/%d", cand.Open, cand.Capacity)
	}
	if declared, in, local := working(now, cand.Hours, cand.Location); declared && !in {
		return fmt.Sprintf("outside working hours (%s %s)", local.Format("Mon 15:04"), local.Location())
	}
	return ""
}

// working reports whether hours declare any interval, and if so whether
// now, in loc (nil: UTC), falls in one; local is now in loc. Malformed
// intervals are ignored: profiles are validated when saved.
func working(now time.Time, hours model.WeeklyHours, loc *time.Location) (declared, in bool, local time.Time) {
	if loc == nil {
		loc = time.UTC
	}
	local = now.In(loc)
	for _, intervals := range hours {
		if len(intervals) > 0 {
			declared = true
			break
		}
	}
	if !declared {
		return false, true, local
	}
	const days = "sunmontuewedthufrisat" // in time.Weekday order
	wd := int(local.Weekday())
	minute := local.Hour()*60 + local.Minute()
	for _, iv := range hours[days[3*wd:3*wd+3]] {
		start, end, err := model.ParseInterval(iv)
		if err == nil && start <= minute && minute < end {
			return true, true, local
		}
	}
	return true, false, local
}

// bestTopic returns the conversation topic the candidate is strongest in,
// and that strength clamped to 0..1; "", 0 when none matches.
func bestTopic(topics []string, strengths map[string]float64) (string, float64) {
	best, bestStrength := "", 0.0
	for _, t := range topics {
		v, ok := strengths[t]
		if !ok {
			for name, s := range strengths {
				if strings.EqualFold(name, t) && (!ok || s > v) {
					v, ok = s, true
				}
			}
		}
		if v = clamp01(v); ok && v > bestStrength {
			best, bestStrength = t, v
		}
	}
	return best, bestStrength
}

// languageMatch is L of the formula.
func languageMatch(lang string, langs []string) float64 {
	lang = baseLanguage(lang)
	if lang == "" {
		return 0
	}
	declared := false
	for _, l := range langs {
		if l = baseLanguage(l); l == "" {
			continue
		}
		declared = true
		if strings.EqualFold(l, lang) {
			return 1
		}
	}
	if !declared {
		return 0.5
	}
	return 0
}

// baseLanguage returns the primary subtag of a language tag: "fr" of
// "fr-CA", trimmed.
func baseLanguage(tag string) string {
	tag = strings.TrimSpace(tag)
	if i := strings.IndexAny(tag, "-_"); i >= 0 {
		tag = tag[:i]
	}
	return tag
}

// loadRatio is R of the formula.
func loadRatio(cand *Candidate) float64 {
	scale := defaultLoadScale
	if cand.Capacity > 0 {
		scale = cand.Capacity
	}
	return clamp01(float64(cand.Open) / float64(scale))
}

// clamp01 clamps v to 0..1, NaN to 0.
func clamp01(v float64) float64 {
	switch {
	case v > 1:
		return 1
	case v > 0:
		return v
	}
	return 0 // v ≤ 0 or NaN
}

// why tells a candidate's factors: "topic 'vélo électrique' 0.9, fr, 3/10 open".
func why(c Conversation, cand *Candidate, s Score) string {
	var b strings.Builder
	if s.Topic != "" {
		fmt.Fprintf(&b, "topic %s %s", quote(s.Topic), formatFloat(s.TopicStrength))
	} else {
		b.WriteString("no topic match")
	}
	b.WriteString(", ")
	switch lang := baseLanguage(c.Lang); {
	case lang == "":
		b.WriteString("language unknown")
	case s.Language == 1:
		b.WriteString(strings.ToLower(lang))
	case s.Language == 0.5:
		b.WriteString("no languages declared (half match)")
	default:
		b.WriteString("no " + strings.ToLower(lang))
	}
	if cand.Capacity > 0 {
		fmt.Fprintf(&b, ", %d/%d open", cand.Open, cand.Capacity)
	} else {
		fmt.Fprintf(&b, ", %d open, no limit", cand.Open)
	}
	fmt.Fprintf(&b, ", score %s", formatFloat(s.Score))
	return b.String()
}

// tieBreak tells how winner beat runnerUp, whose scores tie.
func tieBreak(winner, runnerUp Candidate, score float64) string {
	head := fmt.Sprintf("tied with %s at %s, ", displayName(runnerUp), formatFloat(score))
	if !winner.LastAssigned.Equal(runnerUp.LastAssigned) {
		return head + fmt.Sprintf("round-robin: %s last assigned %s, %s %s", displayName(winner),
			lastAssigned(winner.LastAssigned), displayName(runnerUp), lastAssigned(runnerUp.LastAssigned))
	}
	return head + fmt.Sprintf("same last assignment, lower user id %d < %d", winner.UserID, runnerUp.UserID)
}

// lastAssigned prints when a CM was last assigned.
func lastAssigned(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.UTC().Format("2006-01-02 15:04:05 UTC")
}

// formatFloat prints v with at most 3 decimals and no trailing zeros.
func formatFloat(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Sprint(v)
	}
	s := strings.TrimRight(fmt.Sprintf("%.3f", v), "0")
	return strings.TrimSuffix(s, ".")
}

// quote puts s in single quotes, as reasons name topics and rules.
func quote(s string) string { return "'" + s + "'" }

// displayName is the CM's name, or their login when they have none.
func displayName(c Candidate) string {
	if c.Name != "" {
		return c.Name
	}
	return c.Login
}

// copyCandidate returns a copy of c, so that a decision never aliases the
// caller's slice.
func copyCandidate(c Candidate) *Candidate { return &c }

// joinReason puts the rules' notes before the final reason.
func joinReason(notes []string, reason string) string {
	if len(notes) == 0 {
		return reason
	}
	return strings.Join(notes, "; ") + "; " + reason
}
