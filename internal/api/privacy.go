package api

// Personal data: a workspace's privacy policy and its retention, and a
// community member's export and erasure. Managers and owners only: they
// answer for the workspace's data.

import (
	"fmt"
	"io"
	"net/http"
	"time"

	"palabre/internal/model"
	"palabre/internal/privacy"
	"palabre/internal/store"
)

// showPrivacy answers a workspace's privacy policy.
func (h *handler) showPrivacy(w http.ResponseWriter, r *http.Request) {
	ws, err := h.workspace(r, r.PathValue("slug"), accessManage)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	set, err := h.store.PrivacySettings(r.Context(), ws.ID)
	h.respondOr(w, r, set, err)
}

// putPrivacy replaces a workspace's privacy policy.
func (h *handler) putPrivacy(w http.ResponseWriter, r *http.Request) {
	var set model.PrivacySettings
	ws, ok := h.decodeForWorkspace(w, r, 4<<10, &set, accessManage)
	if !ok {
		return
	}
	set, err := h.store.SetPrivacySettings(r.Context(), ws.ID, set, actor(r), time.Now())
	h.respondOr(w, r, set, unprocessableIfInvalid(err))
}

// applyRetention applies a workspace's retention now, and answers what
// it did.
func (h *handler) applyRetention(w http.ResponseWriter, r *http.Request) {
	ws, err := h.workspace(r, r.PathValue("slug"), accessManage)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	ret, err := h.store.ApplyRetention(r.Context(), ws.ID, actor(r), time.Now())
	h.respondOr(w, r, ret, unprocessableIfInvalid(err))
}

// exportMember answers everything the workspace holds on a member, as a
// file to save: JSON (?format=json, the default) or a zip of CSV files
// (?format=csv).
func (h *handler) exportMember(w http.ResponseWriter, r *http.Request) {
	ws, err := h.workspace(r, r.PathValue("slug"), accessManage)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = privacy.FormatJSON
	}
	if format != privacy.FormatJSON && format != privacy.FormatCSV {
		h.fail(w, r, fmt.Errorf("%w: format %q: want json or csv", store.ErrInvalid, format))
		return
	}
	data, err := h.store.ExportMember(r.Context(), ws, r.PathValue("id"), actor(r), time.Now())
	h.sendFile(w, r, unprocessableIfInvalid(err), privacy.ContentType(format), privacy.FileName(data, format),
		func(out io.Writer) error { return privacy.Write(out, data, format) })
}

// eraseMember erases a member (see store.EraseMember): mode "delete" or
// "anonymise" in the body, or no body (or no mode) for the workspace's
// policy.
func (h *handler) eraseMember(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Mode string `json:"mode"`
	}
	var ws model.Workspace
	if r.ContentLength == 0 {
		// No body: the workspace's policy decides.
		var err error
		if ws, err = h.workspace(r, r.PathValue("slug"), accessManage); err != nil {
			h.fail(w, r, err)
			return
		}
	} else {
		var ok bool
		if ws, ok = h.decodeForWorkspace(w, r, 1<<10, &req, accessManage); !ok {
			return
		}
	}
	er, err := h.store.EraseMember(r.Context(), ws.ID, r.PathValue("id"), req.Mode, actor(r), time.Now())
	h.respondOr(w, r, er, unprocessableIfInvalid(err))
}
