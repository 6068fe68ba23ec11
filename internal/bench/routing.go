package bench

// The routing part of `palabre bench team`: how many new conversations a
// routing run assigns per second.

import (
	"context"
	"fmt"
	"io"
	"time"

	"palabre/internal/ingest"
	"palabre/internal/model"
	"palabre/internal/routing"
)

// RoutingOptions size the routing part.
type RoutingOptions struct {
	Conversations int // new conversations to route
	CMs           int
	Seed          uint64
	Log           io.Writer
}

// RoutingResult is what the routing part measured.
type RoutingResult struct {
	Conversations int     `json:"conversations"`
	CMs           int     `json:"cms"`
	ImportSeconds float64 `json:"import_seconds"`
	Assigned      int     `json:"assigned"`
	Unassigned    int     `json:"unassigned"`
	Seconds       float64 `json:"seconds"`
	Rate          float64 `json:"conversations_per_s"` // (assigned + unassigned) / seconds
	// MostPerCM and FewestPerCM show how evenly the CMs were loaded.
	MostPerCM   int `json:"most_per_cm"`
	FewestPerCM int `json:"fewest_per_cm"`
}

// routingTopics are the topics of the routed conversations; the CMs
// specialise in some of them.
func routingTopics() []string {
	return []string{"livraison", "facturation", "compte", "produit", "retour", "abonnement"}
}

// RoutingBench stores new conversations nobody holds (one generated post
// each, with its language and a topic already set, as an analysed import
// would leave them; routing off), gives a workspace CMs with profiles —
// languages fr, en or both, some topic specialisations, no capacity limit,
// no declared hours — and times one routing.RouteWorkspace over them all.
func RoutingBench(ctx context.Context, dsn string, o RoutingOptions) (RoutingResult, error) {
	res := RoutingResult{Conversations: o.Conversations, CMs: o.CMs}
	if o.Conversations < 1 || o.CMs < 1 {
		return res, fmt.Errorf("bench: routing: need conversations and CMs, got %+v", o)
	}
	logf := logger(o.Log)
	st, ws, err := openWorkspace(ctx, dsn)
	if err != nil {
		return res, err
	}
	defer st.Close()

	logf("routing: storing %d new conversations", o.Conversations)
	t0 := time.Now()
	sum, err := ingest.Import(ctx, st, ingest.FromMessages(rootPosts(o.Conversations, o.Seed)),
		ingest.Options{Workspace: ws, ChannelKind: channelKind})
	if err != nil {
		return res, fmt.Errorf("bench: routing: import: %w", err)
	}
	res.ImportSeconds = time.Since(t0).Seconds()
	if sum.Conversations != o.Conversations {
		return res, fmt.Errorf("bench: routing: the import made %d of %d conversations: %+v", sum.Conversations, o.Conversations, sum)
	}

	cms, err := teamUsers(ctx, st, ws, "cm", o.CMs, model.RoleCM)
	if err != nil {
		return res, err
	}
	for i, u := range cms {
		if err := st.SetProfile(ctx, routingProfile(i, u.ID), teamActor); err != nil {
			return res, fmt.Errorf("bench: %w", err)
		}
	}

	logf("routing: routing %d conversations among %d CMs", o.Conversations, o.CMs)
	t0 = time.Now()
	rs, err := routing.RouteWorkspace(ctx, st, ws.ID, time.Now())
	elapsed := time.Since(t0)
	if err != nil {
		return res, fmt.Errorf("bench: routing: %w", err)
	}
	res.Assigned, res.Unassigned, res.Seconds = rs.Assigned, rs.Unassigned, elapsed.Seconds()
	res.Rate = rate(rs.Assigned+rs.Unassigned, elapsed)

	cands, err := st.RoutingCandidates(ctx, ws.ID)
	if err != nil {
		return res, fmt.Errorf("bench: %w", err)
	}
	res.FewestPerCM = -1
	for _, c := range cands {
		res.MostPerCM = max(res.MostPerCM, c.Open)
		if res.FewestPerCM < 0 || c.Open < res.FewestPerCM {
			res.FewestPerCM = c.Open
		}
	}
	return res, nil
}

// routingProfile is the i-th CM's profile: half speak French and English,
// a quarter each only one; every other CM specialises in one or two
// topics.
func routingProfile(i int, userID int64) model.Profile {
	p := model.DefaultProfile(userID)
	p.TimeZone = "Europe/Paris"
	switch i % 4 {
	case 0, 1:
		p.Languages = []string{"fr", "en"}
	case 2:
		p.Languages = []string{"fr"}
	default:
		p.Languages = []string{"en"}
	}
	if i%2 == 0 {
		topics := routingTopics()
		first := (i / 2) % len(topics)
		p.Specialisations = append(p.Specialisations, model.Specialisation{
			Workspace: Workspace, Topic: topics[first], Strength: 0.8})
		if i%4 == 0 {
			p.Specialisations = append(p.Specialisations, model.Specialisation{
				Workspace: Workspace, Topic: topics[(first+3)%len(topics)], Strength: 0.5})
		}
	}
	return p
}

// rootPosts generates n opening posts, each of its own conversation, with
// the language the generator wrote them in and one topic.
func rootPosts(n int, seed uint64) []model.Message {
	g := newGenerator(n, seed)
	msgs := make([]model.Message, n)
	for i := range msgs {
		t := g.startThread(maxThread + minThread)
		m := g.message(t)
		m.Lang = "en"
		if t.french {
			m.Lang = "fr"
		}
		topics := routingTopics()
		m.Topics = []string{topics[g.rng.IntN(len(topics))]}
		msgs[i] = m
	}
	return msgs
}
