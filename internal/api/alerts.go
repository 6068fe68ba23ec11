package api

// A workspace's listening alerts: its settings (spikes, watched keywords,
// e-mail recipients) and the alerts raised.

import (
	"net/http"
	"time"

	"palabre/internal/model"
)

// maxAlertsShown is how many alerts a list answers.
const maxAlertsShown = 100

// showAlertSettings answers a workspace's alert settings.
func (h *handler) showAlertSettings(w http.ResponseWriter, r *http.Request) {
	ws, err := h.workspace(r, r.PathValue("slug"), accessWork)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	set, err := h.store.AlertSettings(r.Context(), ws.ID)
	h.respondOr(w, r, set, err)
}

// putAlertSettings replaces them (managers and owners).
func (h *handler) putAlertSettings(w http.ResponseWriter, r *http.Request) {
	var set model.AlertSettings
	ws, ok := h.decodeForWorkspace(w, r, 32<<10, &set, accessManage)
	if !ok {
		return
	}
	recipients, err := bareAddresses(set.Recipients)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	set.Recipients = recipients
	set, err = h.store.SetAlertSettings(r.Context(), ws.ID, set, actor(r), time.Now())
	h.respondOr(w, r, set, err)
}

type alertsResponse struct {
	Alerts []model.Alert `json:"alerts"`
}

// listAlerts answers a workspace's latest alerts, the newest first.
func (h *handler) listAlerts(w http.ResponseWriter, r *http.Request) {
	ws, err := h.workspace(r, r.PathValue("slug"), accessWork)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	list, err := h.store.Alerts(r.Context(), ws.ID, maxAlertsShown)
	h.respondOr(w, r, alertsResponse{Alerts: list}, err)
}
