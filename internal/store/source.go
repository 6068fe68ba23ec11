package store

// Live sources: their settings, where their reading stands, their health,
// and the leases by which one node at a time polls each.

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"palabre/internal/model"
)

// Bounds of a source's settings.
const (
	MinSourceInterval      = 15 * time.Second
	MaxSourceInterval      = 24 * time.Hour
	MaxSourcesPerWorkspace = 5000
	maxSourceConfigBytes   = 16 << 10
	maxSourceErrorBytes    = 1000
)

// SourceKinds are the kinds of live source palabre can poll.
var sourceKinds = []string{model.SourceFeed, model.SourceWordPress, model.SourceEmail, model.SourceMastodon, model.SourceWebhook}

// polled keeps the sources so that the scheduler polls: all but inbound
// webhooks, which are pushed to.
const polled = ` AND so.kind <> '` + model.SourceWebhook + `'`

// SourceChange is a change to a source; nil fields stay as they are.
type SourceChange struct {
	Name            *string
	IntervalSeconds *int
	Enabled         *bool
	// Config replaces the connector's settings whole.
	Config *string
}

// checkSource checks what a user may set of a source.
func checkSource(name string, interval int, config string) error {
	switch {
	case strings.TrimSpace(name) == "" || utf8.RuneCountInString(name) > 100 || !utf8.ValidString(name):
		return fmt.Errorf("%w: name %q: must have 1 to 100 characters", ErrInvalid, name)
	case time.Duration(interval)*time.Second < MinSourceInterval || time.Duration(interval)*time.Second > MaxSourceInterval:
		return fmt.Errorf("%w: interval_seconds %d: must be between %d and %d", ErrInvalid, interval,
			int(MinSourceInterval/time.Second), int(MaxSourceInterval/time.Second))
	case len(config) > maxSourceConfigBytes:
		return fmt.Errorf("%w: config: %d bytes, at most %d", ErrInvalid, len(config), maxSourceConfigBytes)
	case !json.Valid([]byte(config)):
		return fmt.Errorf("%w: config: not valid JSON", ErrInvalid)
	}
	return nil
}

// CreateSource adds a live source to a channel of the workspace (made if
// it does not exist yet, of the source's kind), due to be polled at once.
// config is the connector's settings as JSON, checked by the caller (the
// store does not know connectors); it is kept as given, secrets included.
// A "source.create" event is recorded, without the settings.
func (s *Store) CreateSource(ctx context.Context, workspaceID int64, src model.Source, config, actor string, now time.Time) (model.Source, error) {
	if !slices.Contains(sourceKinds, src.Kind) {
		return model.Source{}, fmt.Errorf("create source: %w: kind %q: must be one of %s", ErrInvalid, src.Kind, strings.Join(sourceKinds, ", "))
	}
	if err := checkSource(src.Name, src.IntervalSeconds, config); err != nil {
		return model.Source{}, fmt.Errorf("create source: %w", err)
	}
	ch, err := s.EnsureChannel(ctx, workspaceID, src.Channel, src.Kind)
	if err != nil {
		return model.Source{}, fmt.Errorf("create source: %w", err)
	}
	now = TruncateTime(now)
	var id int64
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM sources WHERE workspace_id = $1`, workspaceID).Scan(&n); err != nil {
			return err
		}
		if n >= MaxSourcesPerWorkspace {
			return fmt.Errorf("%w: a workspace has at most %d sources", ErrInvalid, MaxSourcesPerWorkspace)
		}
		err := tx.QueryRowContext(ctx, `INSERT INTO sources (workspace_id, channel_id, kind, name, config, interval_seconds,
			enabled, next_poll_at, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $8) RETURNING id`,
			workspaceID, ch.ID, src.Kind, src.Name, config, src.IntervalSeconds, src.Enabled, toMicros(now), actor).Scan(&id)
		if err != nil {
			return s.translate(err)
		}
		_, err = insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Actor: actor, Action: "source.create",
			Subject: src.Name, Detail: eventDetail(map[string]any{"id": id, "kind": src.Kind, "channel": ch.Name})})
		return err
	})
	if err != nil {
		return model.Source{}, fmt.Errorf("create source %q: %w", src.Name, err)
	}
	return s.Source(ctx, workspaceID, id)
}

// UpdateSource changes a source of the workspace. A source enabled again,
// or given new settings, is due at once; new settings also start its
// reading over (the cursor belonged to the old ones). A "source.update"
// event names what changed.
func (s *Store) UpdateSource(ctx context.Context, workspaceID, id int64, c SourceChange, actor string, now time.Time) (model.Source, error) {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var name, config string
		var interval int
		var enabled bool
		// The alias c is the one dialect.forUpdate names.
		err := tx.QueryRowContext(ctx, `SELECT c.name, c.interval_seconds, c.enabled, c.config FROM sources c
			WHERE c.workspace_id = $1 AND c.id = $2`+s.d.forUpdate, workspaceID, id).Scan(&name, &interval, &enabled, &config)
		if err != nil {
			return s.translate(err)
		}
		var changed []string
		due := false
		if c.Name != nil && *c.Name != name {
			name, changed = *c.Name, append(changed, "name")
		}
		if c.IntervalSeconds != nil && *c.IntervalSeconds != interval {
			interval, changed = *c.IntervalSeconds, append(changed, "interval_seconds")
		}
		if c.Enabled != nil && *c.Enabled != enabled {
			enabled, changed, due = *c.Enabled, append(changed, "enabled"), *c.Enabled
		}
		newConfig := false
		if c.Config != nil && *c.Config != config {
			config, changed, due, newConfig = *c.Config, append(changed, "config"), true, true
		}
		if err := checkSource(name, interval, config); err != nil {
			return err
		}
		if len(changed) == 0 {
			return nil
		}
		q := `UPDATE sources SET name = $1, interval_seconds = $2, enabled = $3, config = $4`
		if due {
			q += `, next_poll_at = ` + fmt.Sprint(toMicros(now))
		}
		if newConfig {
			q += `, cursor = '{}'`
		}
		if _, err := tx.ExecContext(ctx, q+` WHERE id = $5`, name, interval, enabled, config, id); err != nil {
			return s.translate(err)
		}
		_, err = insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Actor: actor, Action: "source.update",
			Subject: name, Detail: eventDetail(map[string]any{"id": id, "changed": changed})})
		return err
	})
	if err != nil {
		return model.Source{}, fmt.Errorf("update source %d: %w", id, err)
	}
	return s.Source(ctx, workspaceID, id)
}

// DeleteSource removes a source of the workspace; what it read stays. A
// "source.delete" event is recorded.
func (s *Store) DeleteSource(ctx context.Context, workspaceID, id int64, actor string) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var name string
		err := tx.QueryRowContext(ctx, `DELETE FROM sources WHERE workspace_id = $1 AND id = $2 RETURNING name`, workspaceID, id).Scan(&name)
		if err != nil {
			return s.translate(err)
		}
		_, err = insertEvent(ctx, tx, model.Event{WorkspaceID: workspaceID, Actor: actor, Action: "source.delete",
			Subject: name, Detail: eventDetail(map[string]any{"id": id})})
		return err
	})
	if err != nil {
		return fmt.Errorf("delete source %d: %w", id, err)
	}
	return nil
}

// sourceColumns reads sources aliased so, joined to their channel ch.
const sourceColumns = `so.id, so.workspace_id, so.channel_id, ch.name, so.kind, so.name, so.interval_seconds, so.enabled,
	so.created_by, so.created_at, so.last_poll_at, so.last_success_at, so.last_error_at, so.last_error, so.failures,
	so.next_poll_at, so.last_items, so.items_seen`

const sourceFrom = ` FROM sources so JOIN channels ch ON ch.id = so.channel_id`

func scanSource(row interface{ Scan(...any) error }, extra ...any) (model.Source, error) {
	var src model.Source
	var created, next int64
	var poll, success, failure sql.NullInt64
	h := &src.Health
	dest := append([]any{&src.ID, &src.WorkspaceID, &src.ChannelID, &src.Channel, &src.Kind, &src.Name, &src.IntervalSeconds,
		&src.Enabled, &src.CreatedBy, &created, &poll, &success, &failure, &h.LastError, &h.Failures,
		&next, &h.LastItems, &h.ItemsSeen}, extra...)
	if err := row.Scan(dest...); err != nil {
		return model.Source{}, err
	}
	src.CreatedAt, h.NextPollAt = fromMicros(created), fromMicros(next)
	h.LastPollAt, h.LastSuccessAt, h.LastErrorAt = timePtr(poll), timePtr(success), timePtr(failure)
	return src, nil
}

// Source returns a source of the workspace, or ErrNotFound.
func (s *Store) Source(ctx context.Context, workspaceID, id int64) (model.Source, error) {
	src, err := scanSource(s.r.QueryRowContext(ctx, `SELECT `+sourceColumns+sourceFrom+`
		WHERE so.workspace_id = $1 AND so.id = $2`, workspaceID, id))
	if err != nil {
		return model.Source{}, fmt.Errorf("source %d: %w", id, s.translate(err))
	}
	return src, nil
}

// SourceConfig returns the connector settings of a source of the
// workspace, secrets included.
func (s *Store) SourceConfig(ctx context.Context, workspaceID, id int64) (string, error) {
	var config string
	err := s.reader(ctx).QueryRowContext(ctx, `SELECT config FROM sources WHERE workspace_id = $1 AND id = $2`, workspaceID, id).Scan(&config)
	if err != nil {
		return "", fmt.Errorf("source %d: %w", id, s.translate(err))
	}
	return config, nil
}

// SourceConfigs returns the connector settings of every source of the
// workspace, secrets included, by source id: one query for a list.
func (s *Store) SourceConfigs(ctx context.Context, workspaceID int64) (map[int64]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT id, config FROM sources WHERE workspace_id = $1`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("sources' settings: %w", err)
	}
	defer rows.Close()
	out := make(map[int64]string)
	for rows.Next() {
		var id int64
		var config string
		if err := rows.Scan(&id, &config); err != nil {
			return nil, fmt.Errorf("sources' settings: %w", err)
		}
		out[id] = config
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sources' settings: %w", err)
	}
	return out, nil
}

// Sources lists a workspace's sources by channel and name.
func (s *Store) Sources(ctx context.Context, workspaceID int64) ([]model.Source, error) {
	rows, err := s.reader(ctx).QueryContext(ctx, `SELECT `+sourceColumns+sourceFrom+`
		WHERE so.workspace_id = $1 ORDER BY ch.name, so.name, so.id`, workspaceID)
	if err != nil {
		return nil, fmt.Errorf("sources: %w", err)
	}
	defer rows.Close()
	out := []model.Source{}
	for rows.Next() {
		src, err := scanSource(rows)
		if err != nil {
			return nil, fmt.Errorf("sources: %w", err)
		}
		out = append(out, src)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sources: %w", err)
	}
	return out, nil
}

// PollSourceNow makes a source of the workspace due at now, whatever its
// schedule or backoff.
func (s *Store) PollSourceNow(ctx context.Context, workspaceID, id int64, now time.Time) error {
	res, err := s.w.ExecContext(ctx, `UPDATE sources SET next_poll_at = $1 WHERE workspace_id = $2 AND id = $3`,
		toMicros(now), workspaceID, id)
	if err != nil {
		return fmt.Errorf("poll source %d now: %w", id, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("poll source %d now: %w", id, ErrNotFound)
	}
	return nil
}

// SourceClaim is a source a node has claimed to poll: its settings, where
// its reading stands, and the token that proves the claim is still its.
type SourceClaim struct {
	Source model.Source
	Config string
	Cursor string // JSON, as FinishPoll last kept it
	Token  string
}

// ClaimSources returns up to limit enabled sources due at now that no
// other node holds, earliest due first, each claimed until now+lease by a
// compare-and-set: two nodes claiming at once never both get one.
func (s *Store) ClaimSources(ctx context.Context, now time.Time, limit int, lease time.Duration) ([]SourceClaim, error) {
	q := leased[SourceClaim]{what: "source", many: "sources", table: "sources", cond: `enabled AND next_poll_at <= $5`,
		query: `SELECT ` + sourceColumns + `, so.config, so.cursor, so.lease_token` + sourceFrom + `
			WHERE so.enabled AND so.next_poll_at <= $1 AND so.lease_until <= $1` + polled + `
			ORDER BY so.next_poll_at, so.id LIMIT $2`,
		scan: func(rows *sql.Rows) (c SourceClaim, err error) {
			c.Source, err = scanSource(rows, &c.Config, &c.Cursor, &c.Token)
			return c, err
		},
		lease: func(c *SourceClaim) (int64, *string) { return c.Source.ID, &c.Token }}
	return q.claim(ctx, s, now, limit, lease)
}

// PollOutcome is how one poll of a claimed source went.
type PollOutcome struct {
	At time.Time // when the poll ended
	// Cursor, when not empty, is where the reading stands now: kept only
	// on success, once what the poll read is stored.
	Cursor string
	Items  int    // messages read
	Err    string // the failure's reason; empty on success
	Next   time.Time
}

// FinishPoll records how a poll of a claimed source went and releases the
// claim. ErrConflict when the claim was lost (it outlived its lease and
// another node took the source): nothing is recorded then.
func (s *Store) FinishPoll(ctx context.Context, c SourceClaim, o PollOutcome) error {
	at := toMicros(o.At)
	var res sql.Result
	var err error
	if o.Err == "" {
		// The count is bound twice: PostgreSQL gives a parameter one
		// type, and the two columns have two.
		q := `UPDATE sources SET last_poll_at = $1, last_success_at = $1, failures = 0, last_items = $2,
			items_seen = items_seen + $6, next_poll_at = $3, lease_token = '', lease_until = 0`
		args := []any{at, o.Items, toMicros(o.Next), c.Source.ID, c.Token, int64(o.Items)}
		if o.Cursor != "" {
			q += `, cursor = $7`
			args = append(args, o.Cursor)
		}
		res, err = s.w.ExecContext(ctx, q+` WHERE id = $4 AND lease_token = $5`, args...)
	} else {
		res, err = s.w.ExecContext(ctx, `UPDATE sources SET last_poll_at = $1, last_error_at = $1, last_error = $2,
			failures = failures + 1, next_poll_at = $3, lease_token = '', lease_until = 0
			WHERE id = $4 AND lease_token = $5`, at, clipReason(o.Err), toMicros(o.Next), c.Source.ID, c.Token)
	}
	return claimed(res, err, fmt.Sprintf("source %d: record poll", c.Source.ID))
}

// newLeaseToken is a fresh token proving a claim (of a source, of an
// outbox entry) is its holder's.
func newLeaseToken() string {
	var b [12]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// leased is one of the queues nodes claim rows of by lease (sources to
// poll, replies and moderation to send): how to read its due rows and
// claim one.
type leased[T any] struct {
	what, many, table string // a row, rows, the table
	// query selects the rows due at $1, at most $2, each with its lease
	// token; cond is what a row must still meet when claimed (see
	// takeLease).
	query, cond string
	scan        func(*sql.Rows) (T, error)
	// lease gives a row's id and its token, replaced once claimed.
	lease func(*T) (int64, *string)
}

// claim returns up to limit rows of the queue due at now that no other
// node holds, each claimed until now+lease by a compare-and-set: two
// nodes claiming at once never both get one.
func (q leased[T]) claim(ctx context.Context, s *Store, now time.Time, limit int, lease time.Duration) ([]T, error) {
	rows, err := s.r.QueryContext(ctx, q.query, toMicros(now), limit)
	if err != nil {
		return nil, fmt.Errorf("claim %s: %w", q.many, err)
	}
	var cands []T
	for rows.Next() {
		c, err := q.scan(rows)
		if err != nil {
			rows.Close()
			return nil, fmt.Errorf("claim %s: %w", q.many, err)
		}
		cands = append(cands, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("claim %s: %w", q.many, err)
	}
	var out []T
	for _, c := range cands {
		id, token := q.lease(&c)
		taken, err := s.takeLease(ctx, q.table, id, *token, now, lease, q.cond)
		if err != nil {
			return nil, fmt.Errorf("claim %s %d: %w", q.what, id, err)
		}
		if taken == "" {
			continue // another node took it, or it changed
		}
		*token = taken
		out = append(out, c)
	}
	return out, nil
}

// takeLease claims row id of table (sources, outbox, moderations) until
// now+lease by a compare-and-set: the row must still hold the token old,
// no live lease, and meet cond (where $5 is now). It returns the new
// token, or "" when another node took the row or it changed.
func (s *Store) takeLease(ctx context.Context, table string, id int64, old string, now time.Time, lease time.Duration, cond string) (string, error) {
	token := newLeaseToken()
	res, err := s.w.ExecContext(ctx, `UPDATE `+table+` SET lease_token = $1, lease_until = $2
		WHERE id = $3 AND lease_token = $4 AND lease_until <= $5 AND `+cond,
		token, toMicros(now.Add(lease)), id, old, toMicros(now))
	if err != nil {
		return "", err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return "", nil
	}
	return token, nil
}

// claimed reads the result of an update made under a claim's token: an
// error naming what was done, ErrConflict when no row had the token any
// more (the claim outlived its lease and another node took it).
func claimed(res sql.Result, err error, what string) error {
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%s: %w: the claim was lost", what, ErrConflict)
	}
	return nil
}

// clipReason keeps a failure's reason storable: valid UTF-8, at most
// maxSourceErrorBytes.
func clipReason(reason string) string {
	reason = strings.ToValidUTF8(reason, "?")
	if len(reason) > maxSourceErrorBytes {
		reason = strings.ToValidUTF8(reason[:maxSourceErrorBytes], "")
	}
	return reason
}

// NextSourceDue returns when the next enabled source is due (its lease
// ended, if held), or false when there is none.
func (s *Store) NextSourceDue(ctx context.Context) (time.Time, bool, error) {
	var next sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT MIN(CASE WHEN lease_until > next_poll_at THEN lease_until ELSE next_poll_at END)
		FROM sources so WHERE so.enabled`+polled).Scan(&next)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("next source due: %w", err)
	}
	if !next.Valid {
		return time.Time{}, false, nil
	}
	return fromMicros(next.Int64), true, nil
}

// SeenDelivery reports whether an inbound webhook of the channel accepted
// a delivery of this key that is remembered until now or later.
func (s *Store) SeenDelivery(ctx context.Context, channelID int64, key string, now time.Time) (bool, error) {
	var one int
	err := s.reader(ctx).QueryRowContext(ctx, `SELECT 1 FROM inbound_deliveries WHERE channel_id = $1 AND key = $2 AND until >= $3`,
		channelID, key, toMicros(now)).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("inbound delivery: %w", err)
	}
	return true, nil
}

// RememberDelivery remembers that an inbound webhook of the channel
// accepted a delivery, until until (the later one, if it was already),
// and forgets the channel's deliveries remembered no longer.
func (s *Store) RememberDelivery(ctx context.Context, channelID int64, key string, until time.Time) error {
	return s.inTx(ctx, func(tx *sql.Tx) error {
		return s.rememberDeliveries(ctx, tx, channelID, []Delivery{{Key: key, Until: until}})
	})
}

// rememberDeliveries is RememberDelivery for several, in tx.
func (s *Store) rememberDeliveries(ctx context.Context, tx *sql.Tx, channelID int64, ds []Delivery) error {
	if len(ds) == 0 {
		return nil
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM inbound_deliveries WHERE channel_id = $1 AND until < $2`,
		channelID, toMicros(time.Now())); err != nil {
		return fmt.Errorf("remember inbound delivery: %w", err)
	}
	// One row per key, the latest until: PostgreSQL refuses to change a
	// row twice in one INSERT … ON CONFLICT.
	until := make(map[string]int64, len(ds))
	keys := make([]string, 0, len(ds))
	for _, d := range ds {
		at, seen := until[d.Key]
		if !seen {
			keys = append(keys, d.Key)
		}
		until[d.Key] = max(at, toMicros(d.Until))
	}
	args := make([]any, 0, 3*len(keys))
	for _, k := range keys {
		args = append(args, channelID, k, until[k])
	}
	if err := s.d.bulkInsert(ctx, tx, `INSERT INTO inbound_deliveries (channel_id, key, until)`, 3, args,
		`ON CONFLICT (channel_id, key) DO UPDATE SET until = `+s.d.greatest+`(inbound_deliveries.until, excluded.until)`, nil); err != nil {
		return fmt.Errorf("remember inbound delivery: %w", err)
	}
	return nil
}
