package live

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Channel is the PostgreSQL notification channel of the live bus.
const Channel = "palabre_live"

// Reconnection backoff of the PGBus listener.
const (
	minBackoff = 100 * time.Millisecond
	maxBackoff = 10 * time.Second
)

// PGBus is the Bus of processes sharing a PostgreSQL database, on
// LISTEN/NOTIFY. Listening holds a dedicated connection, reopened with
// backoff when it drops; publishing uses another, opened on first use and
// reopened after an error. PostgreSQL delivers a process's own
// notifications back to it, and PGBus passes them on like any other: no
// message is dropped as "ours" (see Bus). It is safe for concurrent use.
type PGBus struct {
	dsn    string
	logger *slog.Logger

	mu  sync.Mutex // serialises publishing on pub
	pub *pgx.Conn
}

// NewPGBus returns a bus on the PostgreSQL database named by dsn (a
// postgres:// URL). It connects lazily.
func NewPGBus(dsn string, logger *slog.Logger) *PGBus {
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &PGBus{dsn: dsn, logger: logger}
}

// Publish sends payload to every listener of the database. Notifications
// are delivered when sent outside a transaction, as here, right away.
func (b *PGBus) Publish(ctx context.Context, payload []byte) error {
	if err := checkPayload(payload); err != nil {
		return err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.pub == nil || b.pub.IsClosed() {
		conn, err := pgx.Connect(ctx, b.dsn)
		if err != nil {
			return fmt.Errorf("bus publish: connect: %w", err)
		}
		b.pub = conn
	}
	if _, err := b.pub.Exec(ctx, "SELECT pg_notify($1, $2)", Channel, string(payload)); err != nil {
		// The connection may be broken or mid-query: start afresh next time.
		b.closePubLocked()
		return fmt.Errorf("bus publish: %w", err)
	}
	return nil
}

// Close closes the publishing connection; Listen stops with its context.
func (b *PGBus) Close() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.closePubLocked()
}

func (b *PGBus) closePubLocked() error {
	if b.pub == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := b.pub.Close(ctx)
	b.pub = nil
	if err != nil {
		return fmt.Errorf("bus: close: %w", err)
	}
	return nil
}

// Listen receives the notifications of Channel until ctx is done, then
// returns nil. When the connection fails it reconnects, waiting from
// 100ms up to 10s between attempts, and logs each failure.
func (b *PGBus) Listen(ctx context.Context, handle func(payload []byte)) error {
	backoff := minBackoff
	for {
		err := b.listenOnce(ctx, handle, func() { backoff = minBackoff })
		if ctx.Err() != nil {
			return nil
		}
		b.logger.Warn("live bus: listener disconnected", slog.Any("error", err), slog.Duration("retry_in", backoff))
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// listenOnce opens a connection, listens and hands over notifications
// until the connection fails or ctx is done; connected is called once it
// listens.
func (b *PGBus) listenOnce(ctx context.Context, handle func([]byte), connected func()) error {
	conn, err := pgx.Connect(ctx, b.dsn)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer func() {
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = conn.Close(cctx) // the connection is done with either way
	}()
	if _, err := conn.Exec(ctx, "LISTEN "+pgx.Identifier{Channel}.Sanitize()); err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	connected()
	handle(EncodeWake())
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
				return err
			}
			return fmt.Errorf("wait for notification: %w", err)
		}
		if n.Channel != Channel {
			continue
		}
		handle([]byte(n.Payload))
	}
}
