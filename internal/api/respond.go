package api

import (
	"errors"
	"io"
	"log/slog"
	"net/http"

	"palabre/internal/httpx"
	"palabre/internal/store"
)

// respond answers 200 with v as JSON.
func (h *handler) respond(w http.ResponseWriter, r *http.Request, v any) {
	h.respondStatus(w, r, http.StatusOK, v)
}

// respondStatus answers status with v as JSON.
func (h *handler) respondStatus(w http.ResponseWriter, r *http.Request, status int, v any) {
	if err := httpx.WriteJSON(w, status, v); err != nil {
		h.logger.ErrorContext(r.Context(), "api: write response",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
	}
}

// fail answers with the problem that err calls for. It is the one place
// where errors become HTTP statuses: the store's sentinels say whose fault
// it is, and their messages — written about the caller's input — become the
// detail. Anything else is the server's fault: it is logged, and the client
// learns nothing of it.
func (h *handler) fail(w http.ResponseWriter, r *http.Request, err error) {
	var u unprocessable
	var f forbidden
	switch {
	case errors.As(err, &f):
		httpx.WriteProblem(w, http.StatusForbidden, err.Error())
	case errors.As(err, &u):
		httpx.WriteProblem(w, http.StatusUnprocessableEntity, err.Error())
	case errors.Is(err, store.ErrNotFound):
		httpx.WriteProblem(w, http.StatusNotFound, err.Error())
	case errors.Is(err, store.ErrInvalid):
		httpx.WriteProblem(w, http.StatusBadRequest, err.Error())
	case errors.Is(err, store.ErrConflict):
		httpx.WriteProblem(w, http.StatusConflict, err.Error())
	default:
		h.logger.ErrorContext(r.Context(), "api: request failed",
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("error", err))
		httpx.WriteProblem(w, http.StatusInternalServerError, "internal error; the server log has the details")
	}
}

// unprocessable marks an error about a well-formed request whose content
// the store refused, such as a vocabulary that does not compile: 422
// rather than the 400 of a malformed request.
type unprocessable struct{ error }

func (u unprocessable) Unwrap() error { return u.error }

// unprocessableIfInvalid makes the store's ErrInvalid about a well-formed
// request a 422.
func unprocessableIfInvalid(err error) error {
	if errors.Is(err, store.ErrInvalid) {
		return unprocessable{err}
	}
	return err
}

// nonNil turns a nil slice into an empty one, so that lists encode as []
// rather than null.
func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// respondOr answers v as JSON, or the failure err.
func (h *handler) respondOr(w http.ResponseWriter, r *http.Request, v any, err error) {
	if err != nil {
		h.fail(w, r, err)
		return
	}
	h.respond(w, r, v)
}

// sendFile answers a file of contentType named name, written by write; or
// the failure err, which came first.
func (h *handler) sendFile(w http.ResponseWriter, r *http.Request, err error, contentType, name string, write func(io.Writer) error) {
	if err != nil {
		h.fail(w, r, err)
		return
	}
	httpx.Attachment(w, contentType, name)
	if err := write(w); err != nil {
		h.logger.ErrorContext(r.Context(), "api: write a file", slog.String("file", name), slog.Any("error", err))
	}
}
