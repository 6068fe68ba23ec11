package api

// A workspace's listening alerts: its settings (spikes, watched keywords,
// e-mail recipients) and the alerts raised.

import (
	"fmt"
	"net/http"
	"time"

	"palabre/internal/connector/email"
	"palabre/internal/model"
	"palabre/internal/store"
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
	for i, rc := range set.Recipients {
		list, err := email.Addresses(rc)
		if err != nil || len(list) != 1 {
			h.fail(w, r, fmt.Errorf("%w: recipient %q is not one e-mail address", store.ErrInvalid, rc))
			return
		}
		set.Recipients[i] = list[0].Address
	}
	set, err := h.store.SetAlertSettings(r.Context(), ws.ID, set, actor(r), time.Now())
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
