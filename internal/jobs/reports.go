package jobs

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/mail"
	"strings"
	"time"

	"palabre/internal/connector"
	"palabre/internal/connector/email"
	"palabre/internal/i18n"
	"palabre/internal/report"
	"palabre/internal/store"
	"palabre/internal/webhook"
)

// Mailer sends palabre's own e-mail. *email.Mailer satisfies it.
type Mailer interface {
	From() mail.Address
	Send(ctx context.Context, to []string, raw []byte) error
}

// Report delivery: when a month's report goes, how long a node holds
// one, how many attempts before giving up.
const (
	// ReportHour is the local hour of the first day of a month from
	// which the month before is sent.
	ReportHour      = 6
	reportLease     = 5 * time.Minute
	reportBatch     = 10
	maxReportTrials = 8
)

// Reports sends each workspace's client report by e-mail once its month
// is over (from ReportHour on the first of the next, in the workspace's
// time zone) to the recipients of its schedule: the PDF and the CSV
// attached, the page itself as the body. Each month goes once (one row
// per workspace and month, claimed by lease); a failure is tried again
// with the webhooks' back-off, a refusal for good is not.
func Reports(st *store.Store, m Mailer, every time.Duration) Job {
	return Job{Name: "reports", Every: every, Run: func(ctx context.Context, now time.Time) error {
		err := queueReports(ctx, st, now)
		claims, cerr := st.ClaimReports(ctx, now, reportBatch, reportLease)
		errs := []error{err, cerr}
		for _, c := range claims {
			errs = append(errs, sendReport(ctx, st, m, c, now))
		}
		return errors.Join(errs...)
	}}
}

// queueReports makes the month just over due for every workspace whose
// schedule was on during it.
func queueReports(ctx context.Context, st *store.Store, now time.Time) error {
	list, err := st.ScheduledReports(ctx)
	if err != nil {
		return err
	}
	var errs []error
	for _, sr := range list {
		loc, err := report.Location(ctx, st, sr.Workspace.ID)
		if err != nil {
			errs = append(errs, fmt.Errorf("report of %s: %w", sr.Workspace.Slug, err))
			continue
		}
		month := report.LastMonth(now, loc)
		if month < sr.Schedule.Since || !reportTime(now, loc) {
			continue
		}
		if _, err := st.QueueReport(ctx, sr.Workspace.ID, month, false, "", now); err != nil {
			errs = append(errs, fmt.Errorf("report of %s: %w", sr.Workspace.Slug, err))
		}
	}
	return errors.Join(errs...)
}

// reportTime reports whether the reports may go at now: not before
// ReportHour on the first day of the month, in the workspace's time zone
// loc.
func reportTime(now time.Time, loc *time.Location) bool {
	local := now.In(loc)
	return local.Day() > 1 || local.Hour() >= ReportHour
}

// sendReport builds and sends one claimed report, and records how it
// went.
func sendReport(ctx context.Context, st *store.Store, m Mailer, c store.ReportClaim, now time.Time) error {
	fail := func(err error) error {
		giveUp := connector.IsPermanent(err) || c.Attempts+1 >= maxReportTrials
		next := now.Add(webhook.Backoff(c.Attempts + 1))
		return errors.Join(err, st.ReportFailed(ctx, c, err.Error(), next, giveUp, now))
	}
	ws, err := st.Workspace(ctx, c.WorkspaceID)
	if err != nil {
		return fail(err)
	}
	sc, err := st.ReportSchedule(ctx, ws.ID)
	if err != nil {
		return fail(err)
	}
	if len(sc.Recipients) == 0 {
		return fail(&connector.PermanentError{Err: errors.New("the schedule has no recipient")})
	}
	lang := report.Language(ws)
	if l, ok := i18n.Parse(sc.Lang); ok {
		lang = l
	}
	d, err := report.Build(ctx, st, ws, c.Month, lang, now)
	if err != nil {
		return fail(err)
	}
	raw, err := letter(d, m.From(), sc.Recipients, now)
	if err != nil {
		return fail(&connector.PermanentError{Err: err})
	}
	if err := m.Send(ctx, sc.Recipients, raw); err != nil {
		return fail(fmt.Errorf("send the report of %s for %s: %w", ws.Slug, c.Month, err))
	}
	return st.ReportSent(ctx, c, sc.Recipients, now)
}

// letter writes the e-mail of a report: its page as the body, a few
// lines of text for readers without HTML, the PDF and the CSV attached.
func letter(d *report.Document, from mail.Address, recipients []string, now time.Time) ([]byte, error) {
	var page, pdf, csv bytes.Buffer
	if err := report.WriteHTML(&page, d); err != nil {
		return nil, err
	}
	if err := report.WritePDF(&pdf, d, now); err != nil {
		return nil, err
	}
	if err := report.WriteCSV(&csv, d); err != nil {
		return nil, err
	}
	text := d.Title + " · " + d.Workspace.Name + " · " + d.Period + "\n\n" + strings.Join(d.Summary, "\n\n") +
		"\n\n" + d.T("The full report is attached as a PDF, and its figures as CSV.") + "\n"
	return email.Letter{From: from, To: recipients, Subject: d.Title + " · " + d.Workspace.Name + " · " + d.Period, Date: now,
		Text: text, HTML: page.String(), Attachments: []email.Attachment{
			{Name: report.FileName(d, "pdf"), ContentType: report.ContentType("pdf"), Data: pdf.Bytes()},
			{Name: report.FileName(d, "csv"), ContentType: report.ContentType("csv"), Data: csv.Bytes()},
		}}.Bytes()
}
