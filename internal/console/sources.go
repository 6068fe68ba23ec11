package console

// The live sources of a workspace: what palabre polls for it, how the
// polls go, and the forms to add a feed, poll now, pause, resume and
// remove — each handed to the API.

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"palabre/internal/api"
	"palabre/internal/model"
	"palabre/internal/poll"
	"palabre/internal/store"
)

func (c *Console) registerSources(mux Router) {
	mux.HandleFunc("GET /settings/workspaces/{slug}/sources", c.page(c.sourcesPage))
	mux.HandleFunc("POST /settings/workspaces/{slug}/sources", c.page(c.sourceAdd))
	mux.HandleFunc("POST /settings/workspaces/{slug}/sources/{id}/{action}", c.page(c.sourceAction))
}

// sourceRow is one source on the page, its settings without secrets.
type sourceRow struct {
	model.Source
	URL string // a feed's address
}

// sourcesData fills settings_sources.html.
type sourcesData struct {
	settingsNav
	Workspace model.Workspace
	Sources   []sourceRow
	Channels  []model.Channel
	Form      sourceForm
	Problem   string
	// Created is a webhook just created, with the secret its senders sign
	// with, shown this once.
	Created *createdHook
}

// createdHook is a new inbound webhook: where to post and the secret.
type createdHook struct {
	Path, Secret string
}

// sourceForm is an "add a source" form as sent: its kind, and the fields
// of that kind (a feed's URL; a WordPress site's address, user and
// application password; a Mastodon instance and token; a mailbox's
// servers, address, user and password).
type sourceForm struct {
	Kind, Name, Channel, URL string
	User, Secret             string
	Interval                 int
	Mail                     mailForm
}

// mailForm is what the mailbox form adds: the servers (host:port), the
// address replies come from and its name, and the mailboxes palabre files
// into. One user and password serve both servers.
type mailForm struct {
	IMAP, SMTP, Address, FromName string
	Sent, Junk, Trash             string
	SaveSent                      bool
}

// defaultMailForm is the mailbox form as first shown: the usual names of
// the mailboxes.
func defaultMailForm() mailForm { return mailForm{Sent: "Sent", Junk: "Junk", Trash: "Trash"} }

// settings is what the API takes as an e-mail source's settings. A server
// without a port gets the usual one (993, 587); port 993 and 465 speak TLS
// at once, others start it (STARTTLS). The user is the address unless
// given.
func (m mailForm) settings(user, password string) map[string]any {
	imapAddr, imapTLS := withPort(m.IMAP, "993", "993")
	smtpAddr, smtpTLS := withPort(m.SMTP, "587", "465")
	if user == "" {
		user = m.Address
	}
	return map[string]any{"imap_addr": imapAddr, "imap_user": user, "imap_password": password, "imap_tls": imapTLS,
		"smtp_addr": smtpAddr, "smtp_user": user, "smtp_password": password, "smtp_tls": smtpTLS,
		"from": m.Address, "from_name": m.FromName, "sent_mailbox": m.Sent, "save_sent": m.SaveSent,
		"junk_mailbox": m.Junk, "trash_mailbox": m.Trash}
}

// withPort gives addr the port def when it has none, and says how TLS
// starts there: "tls" on the port tlsPort, "starttls" elsewhere.
func withPort(addr, def, tlsPort string) (string, string) {
	if addr == "" {
		return "", "starttls"
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		addr = net.JoinHostPort(strings.Trim(addr, "[]"), def)
	}
	if _, port, _ := net.SplitHostPort(addr); port == tlsPort {
		return addr, "tls"
	}
	return addr, "starttls"
}

// config is what the API takes as the form's connector settings.
func (f sourceForm) config() any {
	switch f.Kind {
	case model.SourceWordPress:
		return map[string]string{"site_url": f.URL, "user": f.User, "app_password": f.Secret}
	case model.SourceMastodon:
		return map[string]string{"instance_url": f.URL, "access_token": f.Secret}
	case model.SourceWebhook:
		return map[string]string{}
	case model.SourceEmail:
		return f.Mail.settings(f.User, f.Secret)
	}
	return map[string]string{"url": f.URL}
}

// sourceIntervals are the choices of the form's interval menu, in seconds.
var sourceIntervals = []int{30, 60, 300, 900, 3600}

func (c *Console) sourcesPage(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	return c.renderSources(w, r, v, http.StatusOK, ws, sourcesData{Form: defaultSourceForm()})
}

func defaultSourceForm() sourceForm {
	return sourceForm{Kind: model.SourceFeed, Channel: "blog", Interval: api.DefaultSourceInterval, Mail: defaultMailForm()}
}

func (c *Console) renderSources(w http.ResponseWriter, r *http.Request, v *viewer, status int, ws model.Workspace, d sourcesData) error {
	ctx := r.Context()
	d.settingsNav, d.Workspace = navFor(v, "sources"), ws
	list, err := c.store.Sources(ctx, ws.ID)
	if err != nil {
		return err
	}
	configs, err := c.store.SourceConfigs(ctx, ws.ID)
	if err != nil {
		return err
	}
	for _, src := range list {
		row := sourceRow{Source: src}
		if u, ok := poll.Shown(src.Kind, []byte(configs[src.ID]))["url"].(string); ok {
			row.URL = u
		}
		d.Sources = append(d.Sources, row)
	}
	if d.Channels, err = c.store.Channels(ctx, ws.ID); err != nil {
		return err
	}
	c.render(w, r, v, status, "settings_sources.html",
		&layoutData{Title: v.P.T("Live sources of %s", ws.Name), Nav: "settings"}, d)
	return nil
}

// sourceAdd adds a live source of the kind the form names.
func (c *Console) sourceAdd(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	f := r.PostForm
	form := sourceForm{Kind: f.Get("kind"), Name: strings.TrimSpace(f.Get("name")), Channel: strings.TrimSpace(f.Get("channel")),
		URL: strings.TrimSpace(f.Get("url")), User: strings.TrimSpace(f.Get("user")), Secret: strings.TrimSpace(f.Get("secret"))}
	if form.Kind == "" {
		form.Kind = model.SourceFeed
	}
	form.Mail = mailForm{IMAP: strings.TrimSpace(f.Get("imap")), SMTP: strings.TrimSpace(f.Get("smtp")),
		Address: strings.TrimSpace(f.Get("address")), FromName: strings.TrimSpace(f.Get("from_name")),
		Sent: strings.TrimSpace(f.Get("sent")), Junk: strings.TrimSpace(f.Get("junk")), Trash: strings.TrimSpace(f.Get("trash")),
		SaveSent: f.Get("save_sent") != ""}
	if form.Kind != model.SourceEmail {
		form.Mail = defaultMailForm()
	}
	form.Interval, _ = strconv.Atoi(f.Get("interval"))
	if form.Interval == 0 {
		form.Interval = api.DefaultSourceInterval
	}
	if form.Name == "" {
		form.Name = form.URL
	}
	if form.Name == "" {
		form.Name = form.Mail.Address
	}
	if form.Name == "" {
		form.Name = form.Channel
	}
	a, err := c.callAPI(r, v, http.MethodPost, apiWorkspacePath(ws, "sources"), map[string]any{
		"channel": form.Channel, "kind": form.Kind, "name": form.Name,
		"interval_seconds": form.Interval, "config": form.config()})
	if err != nil {
		return err
	}
	if wantsJSON(r) {
		c.finish(w, r, v, a, "", settingsPath(ws, "sources"))
		return nil
	}
	if !a.OK() {
		form.Secret = "" // never sent back to the page
		return c.renderSources(w, r, v, a.Status, ws, sourcesData{Form: form, Problem: a.Problem()})
	}
	if form.Kind != model.SourceWebhook {
		c.finish(w, r, v, a, v.P.T("Source added: its first poll is under way."), settingsPath(ws, "sources"))
		return nil
	}
	// A webhook's secret is shown on the answer itself, this once: not
	// kept anywhere, not even in a flash message.
	var created struct {
		Channel string `json:"channel"`
		Config  struct {
			Secret string `json:"secret"`
		} `json:"config"`
	}
	if err := json.Unmarshal(a.Body, &created); err != nil || created.Config.Secret == "" {
		return fmt.Errorf("read the API's new webhook: %v", err)
	}
	hook := &createdHook{Path: "/api/v1/hooks/" + url.PathEscape(ws.Slug) + "/" + url.PathEscape(created.Channel), Secret: created.Config.Secret}
	return c.renderSources(w, r, v, http.StatusCreated, ws, sourcesData{Form: defaultSourceForm(), Created: hook})
}

// sourceAction polls a source now, pauses, resumes or removes it.
func (c *Console) sourceAction(w http.ResponseWriter, r *http.Request, v *viewer) error {
	ws, err := managedWorkspace(r, v)
	if err != nil {
		return err
	}
	id := r.PathValue("id")
	if n, err := strconv.ParseInt(id, 10, 64); err != nil || n <= 0 {
		return fmt.Errorf("source %q: %w", id, store.ErrNotFound)
	}
	path := apiWorkspacePath(ws, "sources/"+url.PathEscape(id))
	back := settingsPath(ws, "sources")
	switch r.PathValue("action") {
	case "poll":
		return c.relay(w, r, v, http.MethodPost, path+"/poll", nil, v.P.T("The source will be polled in a moment."), back)
	case "pause":
		return c.relay(w, r, v, http.MethodPatch, path, map[string]bool{"enabled": false}, v.P.T("Source paused."), back)
	case "resume":
		return c.relay(w, r, v, http.MethodPatch, path, map[string]bool{"enabled": true}, v.P.T("Source resumed."), back)
	case "delete":
		return c.relay(w, r, v, http.MethodDelete, path, nil, v.P.T("Source removed; what it read stays."), back)
	}
	return fmt.Errorf("action %q: %w", r.PathValue("action"), store.ErrNotFound)
}
