// Package team runs what a palabre server does besides answering
// requests: the live event hub and its bus between processes, presence,
// the background jobs (routing, SLA clocks, snoozes, purges, webhook
// deliveries) and the live sources' polls. palabre serve and the web
// console's tests run the same one.
package team

import (
	"context"
	"encoding/json"
	"log/slog"
	"sync"
	"time"

	"palabre/internal/analysis"
	"palabre/internal/api"
	"palabre/internal/fetch"
	"palabre/internal/jobs"
	"palabre/internal/live"
	"palabre/internal/model"
	"palabre/internal/poll"
	"palabre/internal/store"
	"palabre/internal/webhook"
)

// Periods of the server's own work.
const (
	routingEvery  = 2 * time.Second
	slaEvery      = 15 * time.Second
	snoozeEvery   = 30 * time.Second
	purgeEvery    = time.Hour
	presenceTTL   = 30 * time.Second
	presenceSweep = time.Minute
	webhookEvery  = 2 * time.Second
	reportsEvery  = 5 * time.Minute
	alertsEvery   = time.Minute
	rollupsEvery  = time.Minute
	// retentionEvery is how often the server looks for a retention due
	// (each workspace's runs once a day).
	retentionEvery = 10 * time.Minute
)

// Team is what a server runs besides answering requests. Make one with
// New, hand Live to the server, and Run it.
type Team struct {
	hub       *live.Hub
	bus       live.Bus
	presence  *live.Presence
	runner    *jobs.Runner
	deliverer *webhook.Deliverer
	sources   *poll.Scheduler
	outbox    *poll.Outbox
	// sourcesClient fetches for the live sources.
	sourcesClient *fetch.Client
	logger        *slog.Logger
	st            *store.Store
}

// Config is what a server's team needs besides the store.
type Config struct {
	DSN                  string // the store's, for the PostgreSQL bus
	WebhooksAllowPrivate bool   // let webhooks reach private and loopback addresses
	// SourcesAllowHosts may be reached by live sources whatever they
	// resolve to; SourcesAllowPrivate lets them reach any private or
	// loopback address (tests).
	SourcesAllowHosts   []string
	SourcesAllowPrivate bool
	// Analysis analyses what live sources read; nil leaves it as read.
	Analysis *analysis.Registry
	// Mailer sends palabre's own e-mail: the monthly reports and the
	// alerts. Nil sends none.
	Mailer jobs.Mailer
}

// New prepares the team of a server over st.
func New(st *store.Store, tc Config, logger *slog.Logger) *Team {
	t := &Team{st: st, logger: logger, presence: live.NewPresence(presenceTTL)}
	t.hub = live.NewHub(st, logger, live.HubOptions{})
	if store.IsPostgresDSN(tc.DSN) {
		t.bus = live.NewPGBus(tc.DSN, logger)
	} else {
		t.bus = live.NewLocalBus()
	}
	t.deliverer = &webhook.Deliverer{Store: st, Client: fetch.NewHTTPClient(tc.WebhooksAllowPrivate, webhook.DefaultTimeout),
		Logger: logger, Now: time.Now}
	t.sourcesClient = SourcesClient(tc)
	t.sources = &poll.Scheduler{Store: st, Factories: poll.Factories(t.sourcesClient),
		Ingest: poll.StoreIngest(st, tc.Analysis), Logger: logger, Now: time.Now}
	t.outbox = &poll.Outbox{Store: st, Factories: t.sources.Factories, Logger: logger, Now: time.Now}
	all := []jobs.Job{
		jobs.Kicked(jobs.Routing(st, routingEvery)),
		jobs.Kicked(jobs.SLA(st, slaEvery)),
		jobs.Snooze(st, snoozeEvery),
		jobs.Purge(st, purgeEvery),
		jobs.WebhookFanOut(st, webhookEvery),
		// New messages wake the alerts too: a watched keyword is told at once.
		jobs.Kicked(jobs.Alerts(st, tc.Mailer, alertsEvery)),
		jobs.Rollups(st, rollupsEvery),
		jobs.Retention(st, retentionEvery),
		jobs.Job{Name: "presence", Every: presenceSweep, Run: func(_ context.Context, now time.Time) error {
			t.presence.Sweep(now)
			return nil
		}},
	}
	if tc.Mailer != nil {
		all = append(all, jobs.Kicked(jobs.Reports(st, tc.Mailer, reportsEvery)))
	}
	t.runner = jobs.NewRunner(logger, all...)
	return t
}

// SourcesClient is the one client live sources fetch with, under tc's
// address rules.
func SourcesClient(tc Config) *fetch.Client {
	return (fetch.Client{AllowPrivate: tc.SourcesAllowPrivate, AllowHosts: tc.SourcesAllowHosts,
		Timeout: time.Minute, MaxBytes: 32 << 20}).Reusing()
}

// Sources is what the API needs of the live sources.
func (t *Team) Sources() api.Sources { return sourcesAPI{t.sources, t.sourcesClient} }

type sourcesAPI struct {
	sched  *poll.Scheduler
	client *fetch.Client
}

func (s sourcesAPI) Settings(ctx context.Context, kind string, config []byte) ([]byte, error) {
	return poll.Settings(ctx, s.client, kind, config)
}

func (s sourcesAPI) Shown(kind string, config []byte) map[string]any { return poll.Shown(kind, config) }

func (s sourcesAPI) Wake() { s.sched.Wake() }

// Live is what the API's live routes need.
func (t *Team) Live() api.Live {
	return api.Live{Hub: t.hub, Presence: t.presence, Bus: t.bus}
}

// Run runs the team until ctx ends, and waits for it to stop.
func (t *Team) Run(ctx context.Context) {
	var wg sync.WaitGroup
	t.st.OnCommit(t.hub.Wake)
	defer t.st.OnCommit(nil)
	wg.Add(6)
	go func() {
		defer wg.Done()
		t.deliverer.Run(ctx, webhookEvery)
	}()
	go func() {
		defer wg.Done()
		t.sources.Run(ctx)
	}()
	go func() {
		defer wg.Done()
		t.outbox.Run(ctx)
	}()
	go func() {
		defer wg.Done()
		// The hub reads new events through the writers' connections (on
		// PostgreSQL): announcing them must not wait behind the readers.
		if err := t.hub.Run(store.Urgent(ctx)); err != nil {
			t.logger.Error("live events stopped", slog.Any("error", err))
		}
	}()
	go func() {
		defer wg.Done()
		err := t.bus.Listen(ctx, func(payload []byte) {
			if err := t.hub.HandleMessage(payload); err != nil {
				t.logger.Warn("live bus message", slog.Any("error", err))
			}
			t.notePresence(payload)
		})
		if err != nil && ctx.Err() == nil {
			t.logger.Error("live bus stopped", slog.Any("error", err))
		}
	}()
	go func() {
		defer wg.Done()
		t.runner.Run(ctx)
	}()
	// New messages and reopened conversations wake routing and the SLA
	// clocks at once, rather than at their next round; a report asked to
	// be sent now, the reports.
	// Replies and moderation asked or retried wake the outbox.
	arrivals := func(e model.Event) bool {
		return e.Action == "message.new" || (e.Action == "conversation.status" && e.Actor == store.IngestActor) ||
			e.Action == "report.queue" || wakesOutbox(e.Action)
	}
	sub := t.hub.Subscribe(arrivals)
	defer func() { sub.Close() }()
	for {
		select {
		case <-ctx.Done():
			wg.Wait()
			return
		case <-sub.Dropped():
			if ctx.Err() != nil {
				continue // stopping: the next round returns
			}
			sub.Close()
			sub = t.hub.Subscribe(arrivals)
		case e := <-sub.C():
			if wakesOutbox(e.Action) {
				t.outbox.Wake()
			} else {
				t.runner.Kick()
			}
		}
	}
}

// wakesOutbox reports whether an event of this action gives the outbox
// something to send.
func wakesOutbox(action string) bool {
	switch action {
	case "reply.add", "reply.retry", "message.moderate", "moderation.retry":
		return true
	}
	return false
}

// notePresence records in this process's registry the presence another
// process (or this one) announced on the bus.
func (t *Team) notePresence(payload []byte) {
	var m live.Message
	if json.Unmarshal(payload, &m) != nil || m.Kind != live.KindPresence || m.Event == nil {
		return
	}
	if e, err := live.EntryFromEvent(*m.Event); err == nil {
		t.presence.Set(e, time.Now())
	}
}
