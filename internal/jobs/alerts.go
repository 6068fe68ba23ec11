package jobs

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"palabre/internal/alerts"
	"palabre/internal/connector/email"
	"palabre/internal/i18n"
	"palabre/internal/report"
	"palabre/internal/store"
	"palabre/internal/webhook"
)

// Limits of one round of alerts.
const (
	alertWindowMessages = 5000 // messages of the window read, the newest
	alertLease          = 2 * time.Minute
	alertMailBatch      = 20
	alertGap            = 10 * time.Second
)

// Alerts looks, in every workspace whose alerts are on and which received
// messages since it last looked, for spikes and watched keywords
// (alerts.Detect), raises what it finds as "alert.raised" events — which
// the live stream and the webhooks carry — and, with a mailer, e-mails
// each alert to the workspace's recipients.
func Alerts(st *store.Store, m Mailer, every time.Duration) Job {
	// looked says when this process last looked at each workspace: new
	// messages wake the job, and a busy workspace is looked at every
	// alertGap at most. A round runs at a time: no lock needed.
	looked := map[int64]time.Time{}
	return Job{Name: "alerts", Every: every, Run: func(ctx context.Context, now time.Time) error {
		list, err := st.WatchedWorkspaces(ctx)
		errs := []error{err}
		for _, w := range list {
			if w.Newest == w.Seen || now.Sub(looked[w.Workspace.ID]) < alertGap {
				continue // nothing new, or looked at a moment ago
			}
			looked[w.Workspace.ID] = now
			errs = append(errs, detect(ctx, st, w, now))
		}
		if m != nil {
			errs = append(errs, mailAlerts(ctx, st, m, now))
		}
		return errors.Join(errs...)
	}}
}

// detect looks at one workspace.
func detect(ctx context.Context, st *store.Store, w store.Watched, now time.Time) error {
	window := time.Duration(w.Settings.WindowMinutes) * time.Minute
	from := now.Add(-window)
	recent, err := st.AlertMessages(ctx, w.Workspace.ID, from, now.Add(time.Second), alertWindowMessages)
	if err != nil {
		return err
	}
	before, err := st.AlertBaseline(ctx, w.Workspace.ID, from.Add(-alerts.Baseline), from)
	if err != nil {
		return err
	}
	found, err := alerts.Detect(alerts.Input{Settings: w.Settings, Now: now, Window: recent, Before: before,
		Fresh: func(id int64) bool { return id > w.Seen && id <= w.Newest }})
	if err != nil {
		return fmt.Errorf("alerts of %s: %w", w.Workspace.Slug, err)
	}
	p := i18n.New(report.Language(w.Workspace))
	for i := range found {
		found[i].Headline = alerts.Headline(p, found[i])
	}
	_, err = st.RaiseAlerts(ctx, w.Workspace.ID, found, w.Seen, w.Newest, now)
	return err
}

// mailAlerts e-mails the alerts raised and not yet sent.
func mailAlerts(ctx context.Context, st *store.Store, m Mailer, now time.Time) error {
	claims, err := st.ClaimAlertMails(ctx, now, alertMailBatch, alertLease)
	errs := []error{err}
	for _, c := range claims {
		err := mailAlert(ctx, st, m, c, now)
		reason := ""
		if err != nil {
			reason = err.Error()
		}
		errs = append(errs, err, st.AlertMailed(ctx, c, reason, now.Add(webhook.Backoff(c.Attempts+1)), now))
	}
	return errors.Join(errs...)
}

// mailAlert sends one alert to its workspace's recipients, if any.
func mailAlert(ctx context.Context, st *store.Store, m Mailer, c store.AlertMail, now time.Time) error {
	ws, err := st.Workspace(ctx, c.WorkspaceID)
	if err != nil {
		return err
	}
	set, err := st.AlertSettings(ctx, ws.ID)
	if err != nil || len(set.Recipients) == 0 || !set.Enabled {
		return err // nobody to tell: recorded as sent
	}
	quotes, err := st.AlertQuotes(ctx, ws.ID, c.MessageIDs)
	if err != nil {
		return err
	}
	loc, err := report.Location(ctx, st, ws.ID)
	if err != nil {
		return err
	}
	p := i18n.New(report.Language(ws))
	headline := c.Headline
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n%s\n\n", ws.Name, headline)
	for _, q := range quotes {
		fmt.Fprintf(&b, "— %s, %s\n%s\n\n", q.Author, p.DateTime(q.At, loc), clipText(q.Body, 400))
	}
	raw, err := email.Letter{From: m.From(), To: set.Recipients, Subject: p.T("Alert") + " · " + ws.Name + " · " + headline, Date: now,
		Text: b.String()}.Bytes()
	if err != nil {
		return err
	}
	return m.Send(ctx, set.Recipients, raw)
}

// clipText shortens s to n runes, on one paragraph.
func clipText(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
