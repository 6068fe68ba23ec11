package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"
)

// serverKeyBytes is the size of a server key: 256 bits.
const serverKeyBytes = 32

// ServerKey returns the server's secret key called name (say "device"),
// making it from crypto/rand the first time any node asks for it. Every
// node on one database gets the same key, and it outlives restarts, so
// that what one node signs another checks. The key is kept in the
// database: whoever reads the database can forge what it signs, which
// signs nothing worth more than the database itself.
func (s *Store) ServerKey(ctx context.Context, name string) ([]byte, error) {
	if err := checkLabel("server key name", name, 64); err != nil {
		return nil, fmt.Errorf("server key: %w", err)
	}
	fresh := make([]byte, serverKeyBytes)
	if _, err := rand.Read(fresh); err != nil {
		return nil, fmt.Errorf("server key %s: %w", name, err)
	}
	// Two nodes starting together both insert; the first wins and both
	// read its key back.
	if _, err := s.w.ExecContext(ctx, `INSERT INTO server_keys (name, key, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (name) DO NOTHING`, name, hex.EncodeToString(fresh), toMicros(time.Now())); err != nil {
		return nil, fmt.Errorf("server key %s: %w", name, s.translate(err))
	}
	var encoded string
	if err := s.w.QueryRowContext(ctx, `SELECT key FROM server_keys WHERE name = $1`, name).Scan(&encoded); err != nil {
		return nil, fmt.Errorf("server key %s: %w", name, s.translate(err))
	}
	key, err := hex.DecodeString(encoded)
	if err != nil || len(key) < serverKeyBytes {
		return nil, fmt.Errorf("server key %s: the stored key is not %d hex-encoded bytes", name, serverKeyBytes)
	}
	return key, nil
}
