package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"palabre/internal/idempotency"
)

// Idempotency keys of API requests: *Store implements idempotency.Store.

var _ idempotency.Store = (*Store)(nil)

// beginAttempts bounds BeginIdempotent's retries when the key it found
// taken is released before it could be read.
const beginAttempts = 3

// BeginIdempotent claims key for userID with the request's fingerprint at
// now (see idempotency.Store): nil when the caller now owns the key, the
// key's record otherwise. A key older than idempotency.KeyTTL is taken
// over. The claim is a single INSERT … ON CONFLICT, so two processes on one
// database never both own a key.
func (s *Store) BeginIdempotent(ctx context.Context, userID int64, key, fingerprint string, now time.Time) (*idempotency.Record, error) {
	if err := checkIdempotencyKey(key); err != nil {
		return nil, fmt.Errorf("begin idempotency key of user %d: %w", userID, err)
	}
	created, expired := toMicros(now), toMicros(now.Add(-idempotency.KeyTTL))
	for range beginAttempts {
		res, err := s.w.ExecContext(ctx, `INSERT INTO idempotency_keys (user_id, key, fingerprint, status, content_type, body, created_at)
			VALUES ($1, $2, $3, 0, '', '', $4)
			ON CONFLICT (user_id, key) DO UPDATE SET fingerprint = excluded.fingerprint, status = 0,
				content_type = '', body = '', created_at = excluded.created_at
			WHERE idempotency_keys.created_at <= $5`,
			userID, key, fingerprint, created, expired)
		if err != nil {
			return nil, fmt.Errorf("begin idempotency key of user %d: %w", userID, s.translate(err))
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, fmt.Errorf("begin idempotency key of user %d: %w", userID, err)
		}
		if n > 0 {
			return nil, nil // ours now
		}
		// Read through the writer: it saw the conflicting row, a reader
		// (SQLite's other pool) might not yet.
		rec, err := s.idempotencyRecord(ctx, userID, key)
		if errors.Is(err, ErrNotFound) {
			continue // released meanwhile: claim it again
		}
		if err != nil {
			return nil, fmt.Errorf("begin idempotency key of user %d: %w", userID, err)
		}
		return rec, nil
	}
	return nil, fmt.Errorf("begin idempotency key of user %d: %w: the key was released %d times while being claimed",
		userID, ErrConflict, beginAttempts)
}

func (s *Store) idempotencyRecord(ctx context.Context, userID int64, key string) (*idempotency.Record, error) {
	var rec idempotency.Record
	var body string
	var created int64
	err := s.w.QueryRowContext(ctx, `SELECT fingerprint, status, content_type, body, created_at
		FROM idempotency_keys WHERE user_id = $1 AND key = $2`, userID, key).
		Scan(&rec.Fingerprint, &rec.Status, &rec.ContentType, &body, &created)
	if err != nil {
		return nil, s.translate(err)
	}
	rec.Body = []byte(body)
	rec.CreatedAt = fromMicros(created)
	return &rec, nil
}

// FinishIdempotent stores the answer to the request that owns key. The
// body is kept as text: ErrInvalid when it, or the content type, is not
// valid UTF-8 or holds a NUL byte, and for a status outside 100–599;
// ErrNotFound when the key is not held by a request being served (it was
// released, or already answered).
func (s *Store) FinishIdempotent(ctx context.Context, userID int64, key string, status int, contentType string, body []byte) error {
	switch {
	case status < 100 || status > 599:
		return fmt.Errorf("finish idempotency key of user %d: %w: status %d", userID, ErrInvalid, status)
	case !storableText(contentType):
		return fmt.Errorf("finish idempotency key of user %d: %w: content type is not text", userID, ErrInvalid)
	case !utf8.Valid(body) || bytes.IndexByte(body, 0) >= 0:
		return fmt.Errorf("finish idempotency key of user %d: %w: body is not text", userID, ErrInvalid)
	}
	res, err := s.w.ExecContext(ctx, `UPDATE idempotency_keys SET status = $1, content_type = $2, body = $3
		WHERE user_id = $4 AND key = $5 AND status = 0`,
		status, contentType, string(body), userID, key)
	if err != nil {
		return fmt.Errorf("finish idempotency key of user %d: %w", userID, s.translate(err))
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("finish idempotency key of user %d: %w", userID, err)
	} else if n == 0 {
		return fmt.Errorf("finish idempotency key of user %d: no request in progress: %w", userID, ErrNotFound)
	}
	return nil
}

// ReleaseIdempotent forgets key while its request is still being served,
// so that the client may retry with it. An answered or unknown key is left
// as it is, which is not an error.
func (s *Store) ReleaseIdempotent(ctx context.Context, userID int64, key string) error {
	if _, err := s.w.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE user_id = $1 AND key = $2 AND status = 0`,
		userID, key); err != nil {
		return fmt.Errorf("release idempotency key of user %d: %w", userID, s.translate(err))
	}
	return nil
}

// PurgeIdempotencyKeys deletes the keys first used before before, answered
// or not, and returns how many there were. Run periodically with
// now.Add(-idempotency.KeyTTL), it keeps the table to a day of requests.
func (s *Store) PurgeIdempotencyKeys(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.w.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, toMicros(before))
	if err != nil {
		return 0, fmt.Errorf("purge idempotency keys: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("purge idempotency keys: %w", err)
	}
	return n, nil
}

// checkIdempotencyKey refuses what the middleware never lets through, so
// that PostgreSQL is never handed bytes its TEXT refuses.
func checkIdempotencyKey(key string) error {
	if key == "" || len(key) > idempotency.MaxKeyLen || !storableText(key) {
		return fmt.Errorf("%w: idempotency key must be 1 to %d characters of text", ErrInvalid, idempotency.MaxKeyLen)
	}
	return nil
}

// storableText reports whether both engines keep s as TEXT unchanged.
func storableText(s string) bool {
	return utf8.ValidString(s) && !strings.ContainsRune(s, 0)
}
