// Package idempotency makes POST requests to palabre's REST API safe to
// retry. A client that sends an Idempotency-Key header (see the IETF draft
// draft-ietf-httpapi-idempotency-key-header) gets, for every later request
// of the same user with the same key, the answer to the first one — the
// handler runs once — instead of a second message, reply or correction.
//
// The keys and the answers they keep live behind the Store interface, which
// palabre's store implements in the database so that every node serving
// the API sees the same keys.
package idempotency

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"net/http"
	"strings"
	"time"

	"palabre/internal/httpx"
)

// Header names of the protocol.
const (
	// HeaderKey carries the client's key on a request.
	HeaderKey = "Idempotency-Key"
	// HeaderReplayed marks an answer replayed from a stored one.
	HeaderReplayed = "Idempotent-Replayed"
)

// Limits of the protocol as palabre applies it.
const (
	// KeyTTL is how long a key and its answer are kept. An older key
	// counts as never used: BeginIdempotent takes it over.
	KeyTTL = 24 * time.Hour
	// MaxKeyLen is the longest key accepted, in bytes.
	MaxKeyLen = 255
	// MaxBodySize is the largest request body a keyed request may have
	// (it is read whole to be fingerprinted), and the largest answer body
	// kept for replay; a larger answer is sent but not kept.
	MaxBodySize = 1 << 20
)

// finishTimeout bounds the store calls made once the handler has answered,
// which no longer depend on the client's connection.
const finishTimeout = 10 * time.Second

// Record is what is kept of a key: the fingerprint of the request that
// first used it and, once that request has been answered, the answer.
type Record struct {
	// Fingerprint identifies the request (see Fingerprint).
	Fingerprint string
	// Status is the answer's HTTP status; 0 while the first request is
	// still being served.
	Status int
	// ContentType is the answer's Content-Type header, "" when it had none.
	ContentType string
	// Body is the answer's body.
	Body []byte
	// CreatedAt is when the key was first used.
	CreatedAt time.Time
}

// InProgress reports whether the first request with the key is still being
// served.
func (r *Record) InProgress() bool { return r.Status == 0 }

// Store keeps the keys of each user. Its methods must be safe for
// concurrent use, including by several processes sharing one database.
type Store interface {
	// BeginIdempotent claims key for userID with the request's fingerprint
	// at now. It returns a nil Record when the caller now owns the key —
	// the key was unused, or older than KeyTTL — and must end the claim
	// with FinishIdempotent or ReleaseIdempotent; otherwise it returns the
	// key's current record and changes nothing. Two concurrent calls never
	// both get nil.
	BeginIdempotent(ctx context.Context, userID int64, key, fingerprint string, now time.Time) (*Record, error)
	// FinishIdempotent stores the answer to the request that owns key.
	FinishIdempotent(ctx context.Context, userID int64, key string, status int, contentType string, body []byte) error
	// ReleaseIdempotent forgets a key whose request is still being served,
	// so that the client may try again with the same key. A key already
	// answered, or unknown, is left as it is.
	ReleaseIdempotent(ctx context.Context, userID int64, key string) error
}

// Fingerprint identifies a request by its method, path, raw query and body:
// the hex SHA-256 of those four, each preceded by its length so that no two
// different requests can run together into the same input.
func Fingerprint(method, path, rawQuery string, body []byte) string {
	h := sha256.New()
	for _, part := range [][]byte{[]byte(method), []byte(path), []byte(rawQuery), body} {
		writeLengthPrefixed(h, part)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func writeLengthPrefixed(h hash.Hash, b []byte) {
	var n [8]byte
	binary.BigEndian.PutUint64(n[:], uint64(len(b)))
	h.Write(n[:])
	h.Write(b)
}

// ParseKey returns the key an Idempotency-Key header value carries. The
// draft makes the value a structured-field string ("…" with \" and \\
// escapes); a bare value is accepted as the key itself, as many clients
// send it. The key must be 1 to MaxKeyLen printable ASCII characters.
func ParseKey(value string) (string, error) {
	key := value
	if len(value) >= 2 && value[0] == '"' {
		var err error
		if key, err = unquote(value); err != nil {
			return "", err
		}
	}
	if key == "" {
		return "", errors.New("the key is empty")
	}
	if len(key) > MaxKeyLen {
		return "", fmt.Errorf("the key is %d characters long, more than %d", len(key), MaxKeyLen)
	}
	for i := 0; i < len(key); i++ {
		if c := key[i]; c < 0x20 || c > 0x7e {
			return "", fmt.Errorf("the key has a character that is not printable ASCII at offset %d", i)
		}
	}
	return key, nil
}

// unquote decodes a structured-field string (RFC 8941, section 3.3.3).
func unquote(s string) (string, error) {
	if s[len(s)-1] != '"' {
		return "", errors.New("the quoted key has no closing quote")
	}
	var b strings.Builder
	inner := s[1 : len(s)-1]
	for i := 0; i < len(inner); i++ {
		c := inner[i]
		switch c {
		case '\\':
			i++
			if i == len(inner) || (inner[i] != '"' && inner[i] != '\\') {
				return "", errors.New(`the quoted key has a backslash not followed by " or \`)
			}
			c = inner[i]
		case '"':
			return "", errors.New("the quoted key has an unescaped quote inside")
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

// Middleware honours Idempotency-Key on the POST requests of authenticated
// users and passes every other request to next untouched. user returns the
// id of the request's authenticated user, false when there is none.
//
// A keyed request is served once: its answer is kept for KeyTTL and sent
// again, with Idempotent-Replayed: true, to any later request of the same
// user with the same key and the same method, path, query and body. The
// same key with a different request gets 422; with a request still being
// served, 409; a malformed key, 400; a body over MaxBodySize, 413. Answers
// of status 500 or more are not kept, so the client may retry with the same
// key. Only the status, Content-Type and body of an answer are kept.
func Middleware(st Store, user func(*http.Request) (int64, bool), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		values := r.Header.Values(HeaderKey)
		if r.Method != http.MethodPost || len(values) == 0 {
			next.ServeHTTP(w, r)
			return
		}
		userID, ok := user(r)
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		if len(values) > 1 {
			httpx.WriteProblem(w, http.StatusBadRequest, "the Idempotency-Key header is given more than once")
			return
		}
		key, err := ParseKey(values[0])
		if err != nil {
			httpx.WriteProblem(w, http.StatusBadRequest, "bad Idempotency-Key header: "+err.Error())
			return
		}
		body, status, err := readBody(r)
		if err != nil {
			httpx.WriteProblem(w, status, err.Error())
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }

		fp := Fingerprint(r.Method, r.URL.Path, r.URL.RawQuery, body)
		rec, err := st.BeginIdempotent(r.Context(), userID, key, fp, time.Now())
		if err != nil {
			httpx.WriteProblem(w, http.StatusServiceUnavailable, "the Idempotency-Key could not be checked; try again later")
			return
		}
		if rec != nil {
			answerFromRecord(w, rec, fp)
			return
		}
		serveOwned(w, r, st, userID, key, next)
	})
}

// readBody reads the whole request body, or says which status to answer
// with and why it could not.
func readBody(r *http.Request) ([]byte, int, error) {
	if r.Body == nil {
		return nil, 0, nil
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, MaxBodySize+1))
	if err != nil {
		return nil, http.StatusBadRequest, fmt.Errorf("reading the request body: %v", err)
	}
	if len(body) > MaxBodySize {
		return nil, http.StatusRequestEntityTooLarge,
			fmt.Errorf("a request with an Idempotency-Key may have a body of at most %d bytes", MaxBodySize)
	}
	return body, 0, nil
}

// answerFromRecord answers a request whose key is already taken.
func answerFromRecord(w http.ResponseWriter, rec *Record, fingerprint string) {
	switch {
	case rec.Fingerprint != fingerprint:
		httpx.WriteProblem(w, http.StatusUnprocessableEntity,
			"this Idempotency-Key was already used for a different request (method, path, query or body)")
	case rec.InProgress():
		httpx.WriteProblem(w, http.StatusConflict,
			"a request with this Idempotency-Key is still being served; retry once it has been answered")
	default:
		h := w.Header()
		if rec.ContentType != "" {
			h.Set("Content-Type", rec.ContentType)
		}
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set(HeaderReplayed, "true")
		w.WriteHeader(rec.Status)
		w.Write(rec.Body)
	}
}

// serveOwned runs next for a request that owns its key, and keeps its
// answer — or releases the key when the answer is not to be kept, or when
// next panics.
func serveOwned(w http.ResponseWriter, r *http.Request, st Store, userID int64, key string, next http.Handler) {
	rec := &recorder{ResponseWriter: w}
	done := false
	defer func() {
		if done {
			return
		}
		// next panicked: free the key before the panic goes on.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), finishTimeout)
		defer cancel()
		st.ReleaseIdempotent(ctx, userID, key)
	}()
	next.ServeHTTP(rec, r)
	done = true

	// The answer is sent; keeping it must not depend on the client still
	// being there, since a client that went away is the one that retries.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), finishTimeout)
	defer cancel()
	status := rec.finalStatus()
	if status >= 500 || rec.overflow {
		st.ReleaseIdempotent(ctx, userID, key)
		return
	}
	if err := st.FinishIdempotent(ctx, userID, key, status, rec.Header().Get("Content-Type"), rec.body.Bytes()); err != nil {
		// An answer that cannot be kept must not leave the key taken.
		st.ReleaseIdempotent(ctx, userID, key)
	}
}

// recorder passes an answer through to the client while keeping a copy of
// its status and body.
type recorder struct {
	http.ResponseWriter
	status   int
	body     bytes.Buffer
	overflow bool // the body outgrew MaxBodySize; it is not kept
}

// WriteHeader records the final status; informational ones (1xx) pass
// through only.
func (rec *recorder) WriteHeader(status int) {
	if rec.status == 0 && status >= 200 {
		rec.status = status
	}
	rec.ResponseWriter.WriteHeader(status)
}

// Write keeps a copy of b, up to MaxBodySize in all.
func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if !rec.overflow {
		if rec.body.Len()+len(b) > MaxBodySize {
			rec.overflow = true
			rec.body = bytes.Buffer{}
		} else {
			rec.body.Write(b)
		}
	}
	return rec.ResponseWriter.Write(b)
}

// Unwrap gives http.ResponseController the client's writer.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// finalStatus is the status the client got: 200 when next wrote nothing.
func (rec *recorder) finalStatus() int {
	if rec.status == 0 {
		return http.StatusOK
	}
	return rec.status
}
