package api

import (
	"net/http"

	"palabre/internal/model"
	"palabre/internal/sla"
)

type slaResponse struct {
	// Configured is false while the workspace has no SLA: no clock runs.
	Configured bool         `json:"configured"`
	Settings   sla.Settings `json:"settings"`
}

// showSLA answers a workspace's SLA settings: its calendar, warning
// delay, policies and escalation.
func (h *handler) showSLA(w http.ResponseWriter, r *http.Request) {
	ws, err := h.workspace(r, r.PathValue("slug"), accessRead)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	s, ok, err := h.store.SLASettings(r.Context(), ws.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, slaResponse{Configured: ok, Settings: filled(s)})
}

// putSLA replaces a workspace's SLA settings; every conversation's due
// times are computed again.
func (h *handler) putSLA(w http.ResponseWriter, r *http.Request) {
	var s sla.Settings
	if err := decodeBody(w, r, 256<<10, &s); err != nil {
		h.fail(w, r, err)
		return
	}
	ws, err := h.workspace(r, r.PathValue("slug"), accessManage)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.store.SetSLASettings(r.Context(), ws.ID, s, actor(r)); err != nil {
		h.fail(w, r, unprocessableIfInvalid(err))
		return
	}
	h.respond(w, r, slaResponse{Configured: true, Settings: filled(s)})
}

// filled gives settings with empty lists rather than missing ones, and
// the UTC time zone when none is set, so that what GET answers can be
// sent back by PUT as it is.
func filled(s sla.Settings) sla.Settings {
	if s.Calendar.TimeZone == "" {
		s.Calendar.TimeZone = "UTC"
	}
	if s.Calendar.Hours == nil {
		s.Calendar.Hours = model.WeeklyHours{}
	}
	s.Calendar.Holidays = nonNil(s.Calendar.Holidays)
	s.Policies = nonNil(s.Policies)
	for i := range s.Policies {
		s.Policies[i].Priorities = nonNil(s.Policies[i].Priorities)
		s.Policies[i].Channels = nonNil(s.Policies[i].Channels)
	}
	return s
}
