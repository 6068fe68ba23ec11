package store

// Rollups (internal/rollup): the partial reports kept for each local
// day, week and month of a workspace, the facts they are built from, and
// the spans of time that changed since (metric_dirty, which triggers
// write).

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"strings"
	"time"

	"palabre/internal/metrics"
	"palabre/internal/model"
	"palabre/internal/store/postgres"
)

// Rollup is one kept partial report: of a workspace's slice kind ("" for
// the whole workspace), over the grain ("day", "week", "month",
// "quarter") that begins on the local day Day (days since 1970-01-01) in
// Zone. Data holds its counts and durations, Members its members' parts,
// apart: a report of its period alone reads only Data.
type Rollup struct {
	Slice, Grain string
	Day          int32
	Zone         string
	BuiltAt      time.Time
	Data         []byte
	Members      []byte
}

// Span is a span of time [From, To] whose rollups changed.
type Span struct {
	From, To time.Time
}

// spanEnd stands for "up to now" in metric_dirty.to_at.
const spanEnd = 253402300799000000

// RollupFacts reads the facts of a workspace's conversations active in
// p — with a message, a resolution or a due time in it — with all their
// messages, as they stand at now; those that only wait in its backlog
// are left to Openings.
func (s *Store) RollupFacts(ctx context.Context, workspaceID int64, p metrics.Period, now time.Time) (metrics.Facts, error) {
	f := metrics.Facts{Now: now}
	args := []any{workspaceID, toMicros(p.From), toMicros(p.To)}
	const active = `WITH active AS (
			SELECT conversation_id AS id FROM messages WHERE workspace_id = $1 AND created_at >= $2 AND created_at < $3
			UNION SELECT id FROM conversations WHERE workspace_id = $1 AND resolved_at >= $2 AND resolved_at < $3
			UNION SELECT id FROM conversations WHERE workspace_id = $1 AND response_due_at >= $2 AND response_due_at < $3) `
	index := map[int64]int{}
	err := queryEach(ctx, s.r, active+`SELECT `+metricConversationColumns("NULL", "NULL")+`
		FROM conversations c JOIN active a ON a.id = c.id JOIN channels ch ON ch.id = c.channel_id
		LEFT JOIN users u ON u.id = c.assignee_id
		WHERE c.created_at < $3 ORDER BY c.id`, args, func(rows *sql.Rows) error {
		c, err := scanMetricConversation(rows)
		index[c.ID] = len(f.Conversations)
		f.Conversations = append(f.Conversations, c)
		return err
	})
	if err != nil {
		return f, fmt.Errorf("rollup facts: conversations: %w", err)
	}
	err = s.metricMessages(ctx, &f, index, active, `FROM messages m JOIN conversations c ON c.id = m.conversation_id
		JOIN active a ON a.id = c.id
		LEFT JOIN members mb ON mb.workspace_id = m.workspace_id AND mb.id = m.member_id
		WHERE c.created_at < $3`, args)
	return f, err
}

// closedStates are the states that take a conversation out of the
// backlog, as the indexes of migration 0020 spell them.
const closedStates = `('` + model.ConvResolved + `', '` + model.ConvIgnored + `', '` + model.ConvSpam + `')`

// Openings reads the conversations of a workspace that may be in a
// backlog at an end in p: opened before its end and, when closed, closed
// at or after its start; each with its opening and first answer
// (metrics.Conversation.Start, Answered), channel, assignee and topics,
// not its messages.
func (s *Store) Openings(ctx context.Context, workspaceID int64, p metrics.Period) ([]metrics.Conversation, error) {
	args := []any{workspaceID, toMicros(p.From), toMicros(p.To)}
	const candidates = `WITH candidates AS (
			SELECT id FROM conversations WHERE workspace_id = $1 AND status NOT IN ` + closedStates + `
				AND opened_at IS NOT NULL AND opened_at < $3
			UNION ALL SELECT id FROM conversations WHERE workspace_id = $1 AND status IN ` + closedStates + `
				AND opened_at IS NOT NULL AND COALESCE(status_at, last_activity_at) >= $2 AND opened_at < $3) `
	f := metrics.Facts{}
	index := map[int64]int{}
	err := queryEach(ctx, s.r, candidates+`SELECT `+metricConversationColumns("c.opened_at", "c.answered_at")+`
		FROM conversations c JOIN candidates k ON k.id = c.id JOIN channels ch ON ch.id = c.channel_id
		LEFT JOIN users u ON u.id = c.assignee_id
		WHERE c.created_at < $3`, args, func(rows *sql.Rows) error {
		c, err := scanMetricConversation(rows)
		index[c.ID] = len(f.Conversations)
		f.Conversations = append(f.Conversations, c)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("openings: %w", err)
	}
	err = s.metricTopics(ctx, f, index, candidates, `FROM messages m JOIN candidates k ON k.id = m.conversation_id WHERE TRUE`, args)
	return f.Conversations, err
}

// Rollups reads the rollups kept of a workspace's slice kind in zone
// whose first day is in [from, to), without their data (RollupData).
func (s *Store) Rollups(ctx context.Context, workspaceID int64, slice, zone string, from, to int32) ([]Rollup, error) {
	var out []Rollup
	err := queryEach(ctx, s.r, `SELECT grain, day, built_at FROM metric_rollups
		WHERE workspace_id = $1 AND slice = $2 AND zone = $3 AND day >= $4 AND day < $5 ORDER BY day, grain`,
		[]any{workspaceID, slice, zone, from, to}, func(rows *sql.Rows) error {
			r := Rollup{Slice: slice, Zone: zone}
			var built int64
			if err := rows.Scan(&r.Grain, &r.Day, &built); err != nil {
				return err
			}
			r.BuiltAt = fromMicros(built)
			out = append(out, r)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("rollups of workspace %d: %w", workspaceID, err)
	}
	return out, nil
}

// RollupData fills in the data of rollups of a workspace that Rollups
// listed (of one slice kind and zone), and with members their members
// (not nil, if empty); those gone since are left without.
func (s *Store) RollupData(ctx context.Context, workspaceID int64, rollups []Rollup, members bool) error {
	type key struct {
		grain string
		day   int32
	}
	at := map[key]int{}
	byGrain := map[string][]int64{}
	for i, r := range rollups {
		at[key{r.Grain, r.Day}] = i
		byGrain[r.Grain] = append(byGrain[r.Grain], int64(r.Day))
	}
	if len(rollups) == 0 {
		return nil
	}
	slice, zone := rollups[0].Slice, rollups[0].Zone
	for grain, days := range byGrain {
		columns := "data"
		if members {
			columns = "data, members"
		}
		args := []any{workspaceID, slice, zone, grain}
		if s.engine == EnginePostgres {
			args = append([]any{postgres.BinaryResults()}, args...)
		}
		err := queryEach(ctx, s.r, `SELECT day, `+columns+` FROM metric_rollups WHERE workspace_id = $1 AND slice = $2 AND zone = $3
			AND grain = $4 AND day`+s.d.inIDs(5), append(args, s.d.idSet(days)), func(rows *sql.Rows) error {
			var day int32
			var data, parts []byte
			dest := []any{&day, &data}
			if members {
				dest = append(dest, &parts)
			}
			if err := rows.Scan(dest...); err != nil {
				return err
			}
			if i, ok := at[key{grain, day}]; ok {
				rollups[i].Data, rollups[i].Members = data, nil
				if members {
					rollups[i].Members = parts
					if parts == nil {
						rollups[i].Members = []byte{} // read, and empty
					}
				}
			}
			return nil
		})
		if err != nil {
			return fmt.Errorf("rollups of workspace %d: %w", workspaceID, err)
		}
	}
	return nil
}

// RollupIndex lists the first days of a workspace's whole-workspace
// rollups kept in zone, by grain.
func (s *Store) RollupIndex(ctx context.Context, workspaceID int64, zone string) (map[string][]int32, error) {
	out := map[string][]int32{}
	err := queryEach(ctx, s.r, `SELECT grain, day FROM metric_rollups WHERE workspace_id = $1 AND slice = '' AND zone = $2
		ORDER BY day`, []any{workspaceID, zone}, func(rows *sql.Rows) error {
		var grain string
		var d int32
		err := rows.Scan(&grain, &d)
		out[grain] = append(out[grain], d)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("rollup days of workspace %d: %w", workspaceID, err)
	}
	return out, nil
}

// SaveRollups keeps rollups of a workspace built since the claim of
// generation (ClaimDirty), replacing those of the same slice, grain and
// day. It keeps none and returns false when the workspace was claimed
// again since: what they were built from may have changed.
func (s *Store) SaveRollups(ctx context.Context, workspaceID, generation int64, rollups []Rollup) (bool, error) {
	saved := false
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		var now int64
		err := tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT generation FROM metric_claims WHERE workspace_id = $1), 0)`,
			workspaceID).Scan(&now)
		if err != nil || now != generation {
			return err
		}
		saved = true
		for _, r := range rollups {
			if _, err := tx.ExecContext(ctx, `INSERT INTO metric_rollups (workspace_id, slice, grain, day, zone, built_at, data, members)
				VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
				ON CONFLICT (workspace_id, slice, grain, day) DO UPDATE SET zone = excluded.zone, built_at = excluded.built_at,
					data = excluded.data, members = excluded.members`,
				workspaceID, r.Slice, r.Grain, r.Day, r.Zone, toMicros(r.BuiltAt), r.Data, notNull(r.Members)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("save rollups of workspace %d: %w", workspaceID, err)
	}
	return saved, nil
}

// notNull is b, or no bytes rather than NULL (the column is NOT NULL).
func notNull(b []byte) []byte {
	if b == nil {
		return []byte{}
	}
	return b
}

// DirtySpans reads the spans of a workspace whose rollups changed and are
// not built again yet.
func (s *Store) DirtySpans(ctx context.Context, workspaceID int64) ([]Span, error) {
	return dirtySpans(ctx, s.r, workspaceID)
}

func dirtySpans(ctx context.Context, q queryer, workspaceID int64) ([]Span, error) {
	var out []Span
	err := queryEach(ctx, q, `SELECT from_at, to_at FROM metric_dirty WHERE workspace_id = $1 OR workspace_id IS NULL`,
		[]any{workspaceID}, func(rows *sql.Rows) error {
			var from, to int64
			if err := rows.Scan(&from, &to); err != nil {
				return err
			}
			sp := Span{From: fromMicros(from), To: fromMicros(to)}
			if to >= spanEnd {
				sp.To = time.Time{} // up to now: no end
			}
			out = append(out, sp)
			return nil
		})
	if err != nil {
		return nil, fmt.Errorf("changed spans of workspace %d: %w", workspaceID, err)
	}
	return out, nil
}

// ClaimDirty takes the spans of a workspace whose rollups changed: in one
// transaction, it deletes them and the rollups they touch, which days
// says (the first and last local day of a span; a zero To is "up to
// now"), so that no reader finds a rollup out of date while it is built
// again. Spans of every workspace become each workspace's first. It
// returns the spans and the generation of the claim, for SaveRollups.
func (s *Store) ClaimDirty(ctx context.Context, workspaceID int64, days func(Span) (first, last int32)) ([]Span, int64, error) {
	var spans []Span
	var generation int64
	var changed bool
	err := s.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM metric_dirty WHERE workspace_id = $1 OR workspace_id IS NULL),
			COALESCE((SELECT generation FROM metric_claims WHERE workspace_id = $1), 0)`, workspaceID).Scan(&changed, &generation)
	if err != nil || !changed {
		if err != nil {
			err = fmt.Errorf("claim the changed spans of workspace %d: %w", workspaceID, err)
		}
		return nil, generation, err // nothing changed: no claim to write
	}
	err = s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO metric_dirty (workspace_id, from_at, to_at)
			SELECT w.id, d.from_at, d.to_at FROM metric_dirty d, workspaces w WHERE d.workspace_id IS NULL`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM metric_dirty WHERE workspace_id IS NULL
			OR workspace_id NOT IN (SELECT id FROM workspaces)`); err != nil {
			return err
		}
		var err error
		if spans, err = dirtySpans(ctx, tx, workspaceID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM metric_dirty WHERE workspace_id = $1`, workspaceID); err != nil {
			return err
		}
		err = tx.QueryRowContext(ctx, `INSERT INTO metric_claims (workspace_id, generation) VALUES ($1, 1)
			ON CONFLICT (workspace_id) DO UPDATE SET generation = metric_claims.generation + 1 RETURNING generation`,
			workspaceID).Scan(&generation)
		if err != nil {
			return err
		}
		for _, sp := range spans {
			first, last := days(sp)
			// A week began at most 6 days, a month 30, a quarter 91,
			// before a day it holds.
			if _, err := tx.ExecContext(ctx, `DELETE FROM metric_rollups WHERE workspace_id = $1 AND day <= $3
				AND (day >= $2 OR (grain = 'week' AND day >= $2 - 6) OR (grain = 'month' AND day >= $2 - 30)
					OR (grain = 'quarter' AND day >= $2 - 91))`,
				workspaceID, first, last); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, 0, fmt.Errorf("claim the changed spans of workspace %d: %w", workspaceID, err)
	}
	return spans, generation, nil
}

// FirstMessageAt returns when a workspace's first message was written;
// ok is false when it has none.
func (s *Store) FirstMessageAt(ctx context.Context, workspaceID int64) (at time.Time, ok bool, err error) {
	var us sql.NullInt64
	if err := s.r.QueryRowContext(ctx, `SELECT MIN(created_at) FROM messages WHERE workspace_id = $1`, workspaceID).Scan(&us); err != nil {
		return time.Time{}, false, fmt.Errorf("first message of workspace %d: %w", workspaceID, err)
	}
	return fromMicros(us.Int64), us.Valid, nil
}

// MemberNames returns the display names of a workspace's members ids
// (those not found are left out).
func (s *Store) MemberNames(ctx context.Context, workspaceID int64, ids []string) (map[string]string, error) {
	out := make(map[string]string, len(ids))
	err := inBatches(workspaceID, ids, nil, func(list string, args []any) error {
		return queryEach(ctx, s.r, `SELECT id, display_name FROM members WHERE workspace_id = $1 AND id IN (`+list+`)`, args,
			func(rows *sql.Rows) error {
				var id, name string
				err := rows.Scan(&id, &name)
				out[id] = name
				return err
			})
	})
	if err != nil {
		return nil, fmt.Errorf("names of members of workspace %d: %w", workspaceID, err)
	}
	return out, nil
}

// inBatches calls fn with ids in batches of at most 500, each written as
// an SQL list of the placeholders that follow $1 (each as item writes
// it; with no item, the placeholder alone), with the arguments: first,
// then the batch's ids.
func inBatches(first any, ids []string, item func(id, placeholder string) string, fn func(list string, args []any) error) error {
	for len(ids) > 0 {
		n := min(len(ids), 500)
		args := []any{first}
		var b strings.Builder
		for i, id := range ids[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			args = append(args, id)
			at := fmt.Sprintf("$%d", len(args))
			if item != nil {
				at = item(id, at)
			}
			b.WriteString(at)
		}
		if err := fn(b.String(), args); err != nil {
			return err
		}
		ids = ids[n:]
	}
	return nil
}

// ForgetRollups marks all of a workspace's time as changed: its rollups
// go at the next claim and are built again from every fact.
func (s *Store) ForgetRollups(ctx context.Context, workspaceID int64) error {
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO metric_dirty (workspace_id, from_at, to_at) VALUES ($1, 0, $2)`, workspaceID, int64(spanEnd))
		return err
	})
	if err != nil {
		return fmt.Errorf("forget the rollups of workspace %d: %w", workspaceID, err)
	}
	return nil
}

// openNow keeps the conversations of workspace $1 open now that began
// before $2, as the partial indexes of migration 0020 spell it.
const openNow = ` c.workspace_id = $1 AND c.status NOT IN ` + closedStates + ` AND c.opened_at IS NOT NULL AND c.opened_at < $2`

// BacklogNow finds the backlog at end, an instant not before now, of a
// workspace ("" by nothing, key "") or of each of its channels or
// assignees (by "channel" or "assignee", keyed by name or login): the
// conversations open now that began before end, counted in the indexes
// of the open ones rather than read one by one, as metrics.Backlogs would
// count them. ok is false when a closing dated after end makes the open
// ones not the whole backlog: Openings then tells it.
func (s *Store) BacklogNow(ctx context.Context, workspaceID int64, end time.Time, by string) (map[string]metrics.Backlog, bool, error) {
	at := toMicros(end)
	// The latest closing, found at the end of its index (a query for
	// those after end would leave PostgreSQL guessing how many there are).
	var latest sql.NullInt64
	err := s.r.QueryRowContext(ctx, `SELECT COALESCE(c.status_at, c.last_activity_at) FROM conversations c
		WHERE c.workspace_id = $1 AND c.status IN `+closedStates+` AND c.opened_at IS NOT NULL
		ORDER BY COALESCE(c.status_at, c.last_activity_at) DESC LIMIT 1`, workspaceID).Scan(&latest)
	if errors.Is(err, sql.ErrNoRows) {
		err = nil
	}
	if err != nil || (latest.Valid && latest.Int64 >= at) {
		return nil, false, wrapBacklog(workspaceID, err)
	}
	if by == "topic" {
		out, err := s.backlogNowByTopic(ctx, workspaceID, end)
		return out, err == nil, wrapBacklog(workspaceID, err)
	}
	key := map[string]string{"": "c.workspace_id", "channel": "c.channel_id", "assignee": "COALESCE(c.assignee_id, 0)"}[by]
	if key == "" {
		return nil, false, fmt.Errorf("backlog now of workspace %d by %q: by channel, assignee or topic only", workspaceID, by)
	}
	// SQLite would walk the open ones by opening and look up each one's
	// channel or assignee in the table (ten times slower at 150,000 open):
	// it is told to read the index that holds them.
	from := "conversations c"
	if s.engine == EngineSQLite && by != "" {
		from += " INDEXED BY conversations_backlog_" + by
	}
	type group struct {
		id               int64
		open, unanswered int
		oldest, kth      int64
	}
	var groups []group
	err = queryEach(ctx, s.r, `SELECT `+key+`, COUNT(*), SUM(CASE WHEN c.answered_at IS NULL OR c.answered_at >= $2 THEN 1 ELSE 0 END),
			MIN(c.opened_at) FROM `+from+` WHERE`+openNow+` GROUP BY `+key, []any{workspaceID, at}, func(rows *sql.Rows) error {
		var g group
		err := rows.Scan(&g.id, &g.open, &g.unanswered, &g.oldest)
		groups = append(groups, g)
		return err
	})
	if err != nil {
		return nil, false, wrapBacklog(workspaceID, err)
	}
	names := map[int64]string{0: ""}
	if len(groups) > 0 && by != "" {
		ids := make([]int64, len(groups))
		for i, g := range groups {
			ids[i] = g.id
		}
		q := `SELECT id, name FROM channels WHERE id` + s.d.inIDs(1)
		if by == "assignee" {
			q = `SELECT id, login FROM users WHERE id` + s.d.inIDs(1)
		}
		err := queryEach(ctx, s.r, q, []any{s.d.idSet(ids)}, func(rows *sql.Rows) error {
			var id int64
			var name string
			err := rows.Scan(&id, &name)
			names[id] = name
			return err
		})
		if err != nil {
			return nil, false, wrapBacklog(workspaceID, err)
		}
	}
	out := make(map[string]metrics.Backlog, len(groups))
	for _, g := range groups {
		// The median age is the start of the k-th youngest, found in the
		// index by its rank.
		cond, args := "", []any{workspaceID, at, metrics.NearestRank(g.open, 50) - 1}
		switch {
		case by == "channel":
			cond, args = ` AND c.channel_id = $4`, append(args, g.id)
		case by == "assignee" && g.id == 0:
			cond = ` AND c.assignee_id IS NULL`
		case by == "assignee":
			cond, args = ` AND c.assignee_id = $4`, append(args, g.id)
		}
		if err := s.r.QueryRowContext(ctx, `SELECT c.opened_at FROM `+from+` WHERE`+openNow+cond+`
			ORDER BY c.opened_at DESC LIMIT 1 OFFSET $3`, args...).Scan(&g.kth); err != nil {
			return nil, false, wrapBacklog(workspaceID, err)
		}
		name, ok := names[g.id]
		if by == "" {
			name, ok = "", true
		}
		if !ok {
			return nil, false, wrapBacklog(workspaceID, fmt.Errorf("%s %d has no name", by, g.id))
		}
		out[name] = openBacklog(end, g.open, g.unanswered, g.kth, g.oldest)
	}
	return out, true, nil
}

// backlogNowByTopic is BacklogNow by topic: the open conversations and
// their topics read from their index (a conversation counts in each of
// its topics), the backlog of each topic found from them.
func (s *Store) backlogNowByTopic(ctx context.Context, workspaceID int64, end time.Time) (map[string]metrics.Backlog, error) {
	from := "conversations c"
	if s.engine == EngineSQLite {
		from += " INDEXED BY conversations_backlog_topics"
	}
	type group struct {
		opened     []int64
		unanswered int
	}
	at := toMicros(end)
	groups := map[string]*group{}
	parsed := map[string][]string{} // the same topics come again and again
	err := queryEach(ctx, s.r, `SELECT c.opened_at, c.answered_at, c.topics FROM `+from+` WHERE`+openNow+` AND c.topics <> ''`,
		[]any{workspaceID, at}, func(rows *sql.Rows) error {
			var opened int64
			var answered sql.NullInt64
			var raw string
			if err := rows.Scan(&opened, &answered, &raw); err != nil {
				return err
			}
			topics, ok := parsed[raw]
			if !ok {
				for line := range strings.Lines(raw) {
					var err error
					if topics, err = addTopics(topics, strings.TrimSuffix(line, "\n")); err != nil {
						return fmt.Errorf("topics %q: %w", raw, err)
					}
				}
				parsed[raw] = topics
			}
			for _, t := range topics {
				g := groups[t]
				if g == nil {
					g = &group{}
					groups[t] = g
				}
				g.opened = append(g.opened, opened)
				if !answered.Valid || answered.Int64 >= at {
					g.unanswered++
				}
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	out := make(map[string]metrics.Backlog, len(groups))
	for t, g := range groups {
		// The median age is the start of the k-th youngest, as in the
		// index of the other slices.
		slices.SortFunc(g.opened, func(a, b int64) int { return cmp.Compare(b, a) })
		kth, oldest := g.opened[metrics.NearestRank(len(g.opened), 50)-1], g.opened[len(g.opened)-1]
		out[t] = openBacklog(end, len(g.opened), g.unanswered, kth, oldest)
	}
	return out, nil
}

// openBacklog is the backlog at end of open conversations, unanswered of
// them unanswered, the k-th youngest (the median) and the oldest opened
// at kth and oldest (Unix microseconds).
func openBacklog(end time.Time, open, unanswered int, kth, oldest int64) metrics.Backlog {
	return metrics.Backlog{Open: open, Unanswered: unanswered,
		MedianAge: int64(end.Sub(fromMicros(kth)) / time.Second), OldestAge: int64(end.Sub(fromMicros(oldest)) / time.Second)}
}

func wrapBacklog(workspaceID int64, err error) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf("backlog now of workspace %d: %w", workspaceID, err)
}

// MemberKeys returns the keys a workspace's dictionary gives members ids
// (metric_members), giving those without one the next keys: rollups name
// members by key (metrics.Partial.Keyed).
func (s *Store) MemberKeys(ctx context.Context, workspaceID int64, ids []string) (map[string]uint32, error) {
	out := make(map[string]uint32, len(ids))
	if err := s.readMemberKeys(ctx, s.r, workspaceID, ids, out); err != nil {
		return nil, err
	}
	var missing []string
	for _, id := range ids {
		if _, ok := out[id]; !ok {
			missing = append(missing, id)
		}
	}
	if len(missing) == 0 {
		return out, nil
	}
	slices.Sort(missing)
	missing = slices.Compact(missing)
	given := map[string]uint32{}
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		clear(given)
		if s.engine == EnginePostgres {
			// One numbering of a workspace at a time (SQLite writes one
			// transaction at a time anyway).
			if _, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(21, $1::int)`, workspaceID); err != nil {
				return err
			}
		}
		if err := s.readMemberKeys(ctx, tx, workspaceID, missing, given); err != nil {
			return err // numbered meanwhile
		}
		var top int64
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(number), 0) FROM metric_members WHERE workspace_id = $1`,
			workspaceID).Scan(&top); err != nil {
			return err
		}
		var fresh []string
		for _, id := range missing {
			if _, ok := given[id]; !ok {
				fresh = append(fresh, id)
			}
		}
		if top+int64(len(fresh)) > math.MaxInt32 {
			return fmt.Errorf("more than %d members numbered", math.MaxInt32)
		}
		return inBatches(workspaceID, fresh, func(id, at string) string {
			top++
			given[id] = uint32(top)
			return fmt.Sprintf("($1, %s, %d)", at, top)
		}, func(list string, args []any) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO metric_members (workspace_id, member_id, number) VALUES `+list, args...)
			return err
		})
	})
	if err != nil {
		return nil, fmt.Errorf("number the members of workspace %d: %w", workspaceID, err)
	}
	maps.Copy(out, given)
	return out, nil
}

// readMemberKeys adds to out the keys of those of ids a workspace's
// dictionary numbered, memberKeysRead ids a statement (one text, the ids
// bound as one parameter, however many they are).
func (s *Store) readMemberKeys(ctx context.Context, q queryer, workspaceID int64, ids []string, out map[string]uint32) error {
	for len(ids) > 0 {
		n := min(len(ids), memberKeysRead)
		err := queryEach(ctx, q, `SELECT member_id, number FROM metric_members WHERE workspace_id = $1 AND member_id`+s.d.inIDs(2),
			[]any{workspaceID, s.d.textSet(ids[:n])}, func(rows *sql.Rows) error {
				var id string
				var k int64
				err := rows.Scan(&id, &k)
				out[id] = uint32(k)
				return err
			})
		if err != nil {
			return fmt.Errorf("keys of members of workspace %d: %w", workspaceID, err)
		}
		ids = ids[n:]
	}
	return nil
}

// memberKeysRead bounds the ids of a statement of readMemberKeys.
const memberKeysRead = 10000

// MemberIDs returns the member ids of a workspace's keys (MemberKeys);
// those it never gave are left out.
func (s *Store) MemberIDs(ctx context.Context, workspaceID int64, keys []uint32) (map[uint32]string, error) {
	out := make(map[uint32]string, len(keys))
	for len(keys) > 0 {
		n := min(len(keys), 500)
		list := make([]int64, n)
		for i, k := range keys[:n] {
			list[i] = int64(k)
		}
		keys = keys[n:]
		err := queryEach(ctx, s.r, `SELECT number, member_id FROM metric_members WHERE workspace_id = $1 AND number`+s.d.inIDs(2),
			[]any{workspaceID, s.d.idSet(list)}, func(rows *sql.Rows) error {
				var k int64
				var id string
				err := rows.Scan(&k, &id)
				out[uint32(k)] = id
				return err
			})
		if err != nil {
			return nil, fmt.Errorf("members of keys of workspace %d: %w", workspaceID, err)
		}
	}
	return out, nil
}
