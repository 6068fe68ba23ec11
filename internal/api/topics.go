package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"palabre/internal/model"
	"palabre/internal/store"
)

// maxTopicBody bounds a PUT body: 200 terms of 200 characters fit with room.
const maxTopicBody = 256 << 10

type topicsResponse struct {
	Topics []model.Topic `json:"topics"`
}

// listTopics answers a workspace's vocabulary, in the order its topics
// were created.
func (h *handler) listTopics(w http.ResponseWriter, r *http.Request) {
	ws, err := h.workspace(r, r.PathValue("slug"), accessRead)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	vocab, err := h.store.Topics(r.Context(), ws.ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, topicsResponse{Topics: nonNil(vocab)})
}

// topicRequest is the body of a PUT. The name may be repeated from the
// path, so that a topic as listed can be sent back as it is.
type topicRequest struct {
	Name  *string  `json:"name"`
	Terms []string `json:"terms"`
}

// putTopic creates a topic (201) or replaces its terms (200), and answers
// it.
func (h *handler) putTopic(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	var req topicRequest
	if err := decodeBody(w, r, maxTopicBody, &req); err != nil {
		h.fail(w, r, err)
		return
	}
	switch {
	case req.Name != nil && *req.Name != name:
		h.fail(w, r, fmt.Errorf("%w: the body names topic %q, the path %q", store.ErrInvalid, *req.Name, name))
		return
	case req.Terms == nil:
		h.fail(w, r, fmt.Errorf(`%w: the body needs "terms", a list of words and phrases`, store.ErrInvalid))
		return
	}
	ws, err := h.workspace(r, r.PathValue("slug"), accessManage)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	t := model.Topic{Name: name, Terms: req.Terms}
	created, err := h.store.SetTopic(r.Context(), ws.ID, t, actor(r))
	if err != nil {
		err = unprocessableIfInvalid(err)
		h.fail(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	h.respondStatus(w, r, status, t)
}

// deleteTopic removes a topic: 204, or 404 when there is none.
func (h *handler) deleteTopic(w http.ResponseWriter, r *http.Request) {
	ws, err := h.workspace(r, r.PathValue("slug"), accessManage)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	if err := h.store.DeleteTopic(r.Context(), ws.ID, r.PathValue("name"), actor(r)); err != nil {
		h.fail(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// holdsNUL reports whether a JSON document has a string (a value or a
// key) with a NUL character in it.
func holdsNUL(raw []byte) bool {
	if !bytes.Contains(raw, []byte(`\u0000`)) {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		if s, ok := tok.(string); ok && strings.ContainsRune(s, 0) {
			return true
		}
	}
}

// decodeBody reads a request body of at most limit bytes holding exactly
// one JSON object with no unknown fields and no NUL character in its
// texts into v. Its errors wrap store.ErrInvalid: the request is
// malformed.
func decodeBody(w http.ResponseWriter, r *http.Request, limit int64, v any) error {
	return decodeJSON(w, r, limit, v, false)
}

// decodeJSON is decodeBody, whose texts may hold NUL characters when
// allowNUL (for a text that is read, never stored).
func decodeJSON(w http.ResponseWriter, r *http.Request, limit int64, v any, allowNUL bool) error {
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err == nil {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err = dec.Decode(v); err == nil {
			if _, extra := dec.Token(); extra != io.EOF {
				err = errors.New("more than one JSON value")
			}
		}
	}
	if err == nil && !allowNUL && holdsNUL(raw) {
		// PostgreSQL cannot store it in text, and no one types it.
		err = errors.New(`a text holds a NUL character (\u0000)`)
	}
	var tooBig *http.MaxBytesError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &tooBig):
		return fmt.Errorf("%w: request body larger than %d bytes", store.ErrInvalid, limit)
	case errors.Is(err, io.EOF):
		return fmt.Errorf("%w: request body is empty; want a JSON object", store.ErrInvalid)
	}
	return fmt.Errorf("%w: request body: %v", store.ErrInvalid, err)
}
