package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"palabre/internal/model"
)

// IdentityKey is one normalised way to recognise a member, as prepared by
// ingest: Key is unique within a workspace ("email:ana@example.org").
type IdentityKey struct {
	Key   string
	Kind  string // model.Identity* kind
	Value string // as the author wrote it, for display
	// Weak identities (a name signed on a channel) only recognise authors
	// who come with no stronger identity.
	Weak bool
}

// IngestItem is one message ready to be stored. Ingest has normalised it:
// canonical ids, Kind and Status set, CreatedAt in UTC at microsecond
// precision; it has also decided which conversation it belongs to and how
// its author can be recognised.
type IngestItem struct {
	Message     model.Message
	Root        string        // external id of the conversation's root message
	Subject     string        // the conversation's subject when this is the root
	Identities  []IdentityKey // strongest first; empty for an anonymous author
	MemberID    string        // a member id the record asks for; used when it exists
	NewMemberID string        // the id a new member gets when nothing resolves
	DisplayName string        // the member's name when it is created

	inserted bool // set by a write that stored it
}

// BatchResult counts what one Write did.
type BatchResult struct {
	Inserted         int
	Duplicates       int // already stored, or repeated within the batch
	NewConversations int
	NewMembers       int
}

// Add sums results.
func (r *BatchResult) Add(o BatchResult) {
	r.Inserted += o.Inserted
	r.Duplicates += o.Duplicates
	r.NewConversations += o.NewConversations
	r.NewMembers += o.NewMembers
}

// Importer writes batches of messages into one channel. It remembers the
// conversations and identities it has seen, so a long import asks the
// database about each only once. It is not safe for concurrent use; after a
// failed Write it refuses further work, because its memory may then hold ids
// that were rolled back.
type Importer struct {
	s       *Store
	ws      model.Workspace
	ch      model.Channel
	convs   map[string]int64  // root external id → conversation id
	keys    map[string]string // identity key → member id ("" = known absent)
	members map[string]bool   // member id → exists
	merged  map[string]string // merged-away member id → the member it was merged into
	failed  error
}

// NewImporter prepares an importer for one channel of a workspace.
func (s *Store) NewImporter(ws model.Workspace, ch model.Channel) *Importer {
	return &Importer{
		s: s, ws: ws, ch: ch,
		convs:   make(map[string]int64),
		keys:    make(map[string]string),
		members: make(map[string]bool),
		merged:  make(map[string]string),
	}
}

// maxRemembered bounds each of the importer's memories. Past it a memory
// starts afresh: the database stays the truth, so forgetting costs a few
// look-ups, while remembering every author of a million-message import
// would cost hundreds of megabytes.
const maxRemembered = 50_000

// bound forgets what the importer remembers once a memory grows past
// maxRemembered. New maps, not clear(): a cleared map keeps its memory.
func (im *Importer) bound() {
	if len(im.convs) > maxRemembered {
		im.convs = make(map[string]int64)
	}
	if len(im.keys) > maxRemembered {
		im.keys = make(map[string]string)
	}
	if len(im.members) > maxRemembered {
		im.members = make(map[string]bool)
		im.merged = make(map[string]string)
	}
}

// aggregate accumulates what a batch adds to a conversation or a member.
type aggregate struct {
	count       int
	first, last int64
	staff       bool
	subject     string
}

func (a *aggregate) add(at int64, staff bool) {
	if a.count == 0 || at < a.first {
		a.first = at
	}
	if a.count == 0 || at > a.last {
		a.last = at
	}
	a.count++
	a.staff = a.staff || staff
}

// Write stores a batch in one transaction: either every new message of the
// batch is stored with its conversation and member bookkeeping, or nothing
// is. Messages already stored (same channel and external id) are counted as
// duplicates and left untouched, which makes re-running an interrupted
// import safe.
func (im *Importer) Write(ctx context.Context, items []IngestItem) (BatchResult, error) {
	var res BatchResult
	err := im.transact(ctx, func(tx *sql.Tx) error {
		var err error
		res, err = im.write(ctx, tx, items)
		return err
	})
	if err != nil {
		return BatchResult{}, fmt.Errorf("store batch into %s/%s: %w", im.ws.Slug, im.ch.Name, err)
	}
	return res, nil
}

// transact runs fn in a transaction of the importer's, which a failure
// makes unusable: what it remembers may then disagree with the database.
func (im *Importer) transact(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if im.failed != nil {
		return fmt.Errorf("importer unusable after an earlier failure: %w", im.failed)
	}
	err := im.s.inTx(ctx, fn)
	im.bound()
	if err != nil {
		im.failed = err
	}
	return err
}

// Delivery is an inbound webhook's delivery that WriteGroups remembers in
// the transaction storing its messages, as RememberDelivery does: until
// Until, the same delivery is known as accepted already.
type Delivery struct {
	Key   string
	Until time.Time
}

// Group is what one sender gave at once — the messages of one delivery —
// for WriteGroups.
type Group struct {
	Items    []IngestItem
	Delivery *Delivery // nil: nothing to remember
}

// WriteGroups stores several groups in one transaction, as Write stores
// their items together, and remembers their deliveries; a failure stores
// nothing of any. It returns, for each group, its messages inserted and
// those it repeated (messages stored already, or by an earlier group of
// the call, or twice in it); which conversations and members are new is
// not told by group.
func (im *Importer) WriteGroups(ctx context.Context, groups []Group) ([]BatchResult, error) {
	var all []IngestItem
	var owner []int
	var deliveries []Delivery
	for g, gr := range groups {
		for _, it := range gr.Items {
			it.inserted = false
			all = append(all, it)
			owner = append(owner, g)
		}
		if gr.Delivery != nil {
			deliveries = append(deliveries, *gr.Delivery)
		}
	}
	err := im.transact(ctx, func(tx *sql.Tx) error {
		if len(all) > 0 {
			if _, err := im.write(ctx, tx, all); err != nil {
				return err
			}
		}
		return im.s.rememberDeliveries(ctx, tx, im.ch.ID, deliveries)
	})
	if err != nil {
		return nil, fmt.Errorf("store %d deliveries into %s/%s: %w", len(groups), im.ws.Slug, im.ch.Name, err)
	}
	res := make([]BatchResult, len(groups))
	for i := range all {
		if all[i].inserted {
			res[owner[i]].Inserted++
		} else {
			res[owner[i]].Duplicates++
		}
	}
	return res, nil
}

func (im *Importer) write(ctx context.Context, tx *sql.Tx, items []IngestItem) (BatchResult, error) {
	var res BatchResult
	fresh, err := im.newItems(ctx, tx, items)
	if err != nil {
		return res, err
	}
	res.Duplicates = len(items) - len(fresh)
	if len(fresh) == 0 {
		return res, nil
	}
	if err := im.resolveRoots(ctx, tx, fresh); err != nil {
		return res, err
	}
	convIDs, created, err := im.resolveConversations(ctx, tx, fresh)
	if err != nil {
		return res, err
	}
	res.NewConversations = len(created)
	memberIDs, newMembers, err := im.resolveMembers(ctx, tx, fresh)
	if err != nil {
		return res, err
	}
	res.NewMembers = newMembers
	inserted, err := im.insertMessages(ctx, tx, fresh, convIDs, memberIDs)
	if err != nil {
		return res, err
	}
	res.Inserted = inserted
	res.Duplicates += len(fresh) - inserted
	for _, it := range fresh {
		it.inserted = true
	}
	if err := im.s.matchDomains(ctx, tx, im.ws.ID, fresh, memberIDs); err != nil {
		return res, err
	}
	if err := im.followUp(ctx, tx, fresh, convIDs, created); err != nil {
		return res, err
	}
	return res, nil
}

// newItems drops the items already stored and those repeated in the batch.
func (im *Importer) newItems(ctx context.Context, tx *sql.Tx, items []IngestItem) ([]*IngestItem, error) {
	ids := make([]string, 0, len(items))
	seen := make(map[string]bool, len(items))
	for i := range items {
		id := items[i].Message.ExternalID
		if !seen[id] {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	stored := make(map[string]bool)
	err := im.s.d.inList(ctx, tx, `SELECT external_id FROM messages WHERE channel_id = `+im.s.d.p1()+` AND external_id`,
		[]any{im.ch.ID}, ids, ``, intoSet(stored))
	if err != nil {
		return nil, fmt.Errorf("find stored messages: %w", err)
	}
	fresh := make([]*IngestItem, 0, len(items))
	taken := make(map[string]bool, len(items))
	for i := range items {
		id := items[i].Message.ExternalID
		if stored[id] || taken[id] {
			continue
		}
		taken[id] = true
		fresh = append(fresh, &items[i])
	}
	return fresh, nil
}

// resolveRoots fills in the conversation of replies that did not name it:
// a reply belongs to its parent's conversation, whether the parent comes
// earlier in the batch or is already stored. A reply whose parent is
// unknown starts a conversation rooted at that parent's id, so that the
// parent, arriving later, joins it.
func (im *Importer) resolveRoots(ctx context.Context, tx *sql.Tx, items []*IngestItem) error {
	var ask []string
	inBatch := make(map[string]bool, len(items))
	for _, it := range items {
		inBatch[it.Message.ExternalID] = true
	}
	for _, it := range items {
		if it.Root == "" && !inBatch[it.Message.ParentExternalID] {
			ask = append(ask, it.Message.ParentExternalID)
		}
	}
	stored := make(map[string]string)
	if len(ask) > 0 {
		err := im.s.d.inList(ctx, tx, `SELECT m.external_id, c.root_external_id FROM messages m
			JOIN conversations c ON c.id = m.conversation_id
			WHERE m.channel_id = `+im.s.d.p1()+` AND m.external_id`, []any{im.ch.ID}, ask, ``, func(r *sql.Rows) error {
			var id, root string
			if err := r.Scan(&id, &root); err != nil {
				return err
			}
			stored[id] = root
			return nil
		})
		if err != nil {
			return fmt.Errorf("find parents: %w", err)
		}
	}
	roots := make(map[string]string, len(items))
	for _, it := range items {
		if it.Root == "" {
			p := it.Message.ParentExternalID
			switch {
			case roots[p] != "":
				it.Root = roots[p]
			case stored[p] != "":
				it.Root = stored[p]
			default:
				it.Root = p
			}
			it.Message.ConversationExternalID = it.Root
		}
		roots[it.Message.ExternalID] = it.Root
	}
	return nil
}

// resolveConversations finds or creates the conversation of every item.
func (im *Importer) resolveConversations(ctx context.Context, tx *sql.Tx, items []*IngestItem) (map[string]int64, []string, error) {
	aggs := make(map[string]*aggregate)
	var order []string
	for _, it := range items {
		a := aggs[it.Root]
		if a == nil {
			a = &aggregate{}
			aggs[it.Root] = a
			order = append(order, it.Root)
		}
		a.add(toMicros(it.Message.CreatedAt), false)
		if it.Message.ExternalID == it.Root && it.Subject != "" {
			a.subject = it.Subject
		}
	}
	var unknown []string
	for _, root := range order {
		if _, ok := im.convs[root]; !ok {
			unknown = append(unknown, root)
		}
	}
	if len(unknown) > 0 {
		err := im.s.d.inList(ctx, tx, `SELECT root_external_id, id FROM conversations WHERE channel_id = `+im.s.d.p1()+` AND root_external_id`,
			[]any{im.ch.ID}, unknown, ``, func(r *sql.Rows) error {
				var root string
				var id int64
				if err := r.Scan(&root, &id); err != nil {
					return err
				}
				im.convs[root] = id
				return nil
			})
		if err != nil {
			return nil, nil, fmt.Errorf("find conversations: %w", err)
		}
	}
	var args []any
	var created []string
	for _, root := range order {
		if _, ok := im.convs[root]; ok {
			continue
		}
		a := aggs[root]
		args = append(args, im.ws.ID, im.ch.ID, root, a.subject, model.ConvNew, a.count, a.first, a.last)
		created = append(created, root)
	}
	if len(args) > 0 {
		err := im.s.d.bulkInsert(ctx, tx, `INSERT INTO conversations
			(workspace_id, channel_id, root_external_id, subject, status, message_count, created_at, last_activity_at)`,
			8, args, `RETURNING root_external_id, id`, func(r *sql.Rows) error {
				var root string
				var id int64
				if err := r.Scan(&root, &id); err != nil {
					return err
				}
				im.convs[root] = id
				delete(aggs, root) // its counters are already right
				return nil
			})
		if err != nil {
			return nil, nil, fmt.Errorf("create conversations: %w", err)
		}
		for _, root := range created {
			if _, ok := im.convs[root]; !ok {
				return nil, nil, fmt.Errorf("create conversation %q: no id returned", root)
			}
		}
	}
	var upd []any
	for _, root := range order {
		if a, ok := aggs[root]; ok {
			upd = append(upd, im.convs[root], a.count, a.first, a.last, a.subject)
		}
	}
	if len(upd) > 0 {
		d := im.s.d
		err := d.bulkUpdate(ctx, tx, `UPDATE conversations SET
			message_count = conversations.message_count + v.column2,
			created_at = `+d.least+`(conversations.created_at, v.column3),
			last_activity_at = `+d.greatest+`(conversations.last_activity_at, v.column4),
			subject = CASE WHEN conversations.subject = '' THEN v.column5 ELSE conversations.subject END
			FROM`, []string{"BIGINT", "BIGINT", "BIGINT", "BIGINT", "TEXT"}, upd,
			`WHERE conversations.id = v.column1`)
		if err != nil {
			return nil, nil, fmt.Errorf("update conversations: %w", err)
		}
	}
	return im.convs, created, nil
}

// resolveMembers finds or creates the member behind every item with an
// identity, and records identities seen for the first time. The record's
// own member id wins when that member exists; otherwise the strongest
// identity already known decides; otherwise a new member is created.
func (im *Importer) resolveMembers(ctx context.Context, tx *sql.Tx, items []*IngestItem) (map[*IngestItem]string, int, error) {
	if err := im.lookupIdentities(ctx, tx, items); err != nil {
		return nil, 0, err
	}
	type newMember struct {
		id, name string
		agg      aggregate
	}
	var created []*newMember
	createdByID := make(map[string]*newMember)
	touched := make(map[string]*aggregate)
	var touchedOrder []string
	var idArgs []any
	newMembers := 0
	out := make(map[*IngestItem]string, len(items))

	for _, it := range items {
		if len(it.Identities) == 0 && it.MemberID == "" {
			continue
		}
		id := ""
		if to := im.merged[it.MemberID]; to != "" {
			id = to // the record names a member merged into another since
		} else if it.MemberID != "" && im.members[it.MemberID] {
			id = it.MemberID
		}
		strong := false
		for _, k := range it.Identities {
			if id != "" {
				break
			}
			// A weak identity (a signed name) must not pull an author
			// whom a stronger one already describes into someone else.
			if k.Weak && strong {
				break
			}
			strong = strong || !k.Weak
			id = im.keys[k.Key]
		}
		at := toMicros(it.Message.CreatedAt)
		staff := it.Message.AuthorIsStaff
		if id == "" {
			id = it.MemberID
			if id == "" {
				id = it.NewMemberID
			}
			if id == "" {
				continue
			}
			nm := &newMember{id: id, name: it.DisplayName}
			created = append(created, nm)
			createdByID[id] = nm
			im.members[id] = true
		}
		if nm := createdByID[id]; nm != nil {
			nm.agg.add(at, staff)
		} else {
			a := touched[id]
			if a == nil {
				a = &aggregate{}
				touched[id] = a
				touchedOrder = append(touchedOrder, id)
			}
			a.add(at, staff)
		}
		for _, k := range it.Identities {
			if im.keys[k.Key] == "" {
				im.keys[k.Key] = id
				idArgs = append(idArgs, im.ws.ID, k.Key, id, k.Kind, k.Value)
			}
		}
		out[it] = id
	}

	if len(created) > 0 {
		args := make([]any, 0, len(created)*7)
		for _, nm := range created {
			args = append(args, im.ws.ID, nm.id, nm.name, nm.agg.staff, nm.agg.count, nm.agg.first, nm.agg.last)
		}
		inserted := make(map[string]bool, len(created))
		err := im.s.d.bulkInsert(ctx, tx, `INSERT INTO members
			(workspace_id, id, display_name, is_staff, message_count, first_seen_at, last_seen_at)`,
			7, args, `ON CONFLICT (workspace_id, id) DO NOTHING RETURNING id`, intoSet(inserted))
		if err != nil {
			return nil, 0, fmt.Errorf("create members: %w", err)
		}
		// A member id may exist without any of these identities (for
		// instance after its identities were removed): count into it.
		for _, nm := range created {
			if !inserted[nm.id] {
				a := nm.agg
				touched[nm.id] = &a
				touchedOrder = append(touchedOrder, nm.id)
			}
		}
		newMembers = len(inserted)
	}
	if len(idArgs) > 0 {
		err := im.s.d.bulkInsert(ctx, tx, `INSERT INTO identities (workspace_id, key, member_id, kind, value)`,
			5, idArgs, `ON CONFLICT (workspace_id, key) DO NOTHING`, nil)
		if err != nil {
			return nil, 0, fmt.Errorf("record identities: %w", err)
		}
	}
	// Members created or given new identities are searched by them.
	var reindex []string
	queued := make(map[string]bool)
	for i := 2; i < len(idArgs); i += 5 {
		if id := idArgs[i].(string); !queued[id] {
			queued[id] = true
			reindex = append(reindex, id)
		}
	}
	for _, nm := range created {
		if !queued[nm.id] {
			queued[nm.id] = true
			reindex = append(reindex, nm.id)
		}
	}
	if err := im.s.indexMembers(ctx, tx, im.ws.ID, reindex); err != nil {
		return nil, 0, err
	}
	var upd []any
	for _, id := range touchedOrder {
		a := touched[id]
		upd = append(upd, id, a.count, a.first, a.last, a.staff)
	}
	if len(upd) > 0 && im.s.d.oneByOneMemberUpdates {
		// SQLite, lacking statistics on a fresh database, runs the bulk
		// form below by reading every member of the workspace; one
		// statement a member, in-process, stays a primary-key look-up.
		if err := im.updateMembersOneByOne(ctx, tx, upd); err != nil {
			return nil, 0, err
		}
		upd = nil
	}
	if len(upd) > 0 {
		d := im.s.d
		err := d.bulkUpdate(ctx, tx, `UPDATE members SET
			message_count = members.message_count + v.column2,
			first_seen_at = `+d.least+`(members.first_seen_at, v.column3),
			last_seen_at = `+d.greatest+`(members.last_seen_at, v.column4),
			is_staff = (members.is_staff OR v.column5)
			FROM`, []string{"TEXT", "BIGINT", "BIGINT", "BIGINT", "BOOLEAN"}, upd,
			`WHERE members.workspace_id = `+strconv.FormatInt(im.ws.ID, 10)+` AND members.id = v.column1`)
		if err != nil {
			return nil, 0, fmt.Errorf("update members: %w", err)
		}
	}
	return out, newMembers, nil
}

// updateMembersOneByOne applies rows of (id, count, first, last, staff) to
// stored members, one UPDATE each. Its "?" parameters are SQLite's, the
// only engine that takes this path.
func (im *Importer) updateMembersOneByOne(ctx context.Context, tx *sql.Tx, upd []any) error {
	d := im.s.d
	q := `UPDATE members SET
		message_count = message_count + ?,
		first_seen_at = ` + d.least + `(first_seen_at, ?),
		last_seen_at = ` + d.greatest + `(last_seen_at, ?),
		is_staff = (is_staff OR ?)
		WHERE workspace_id = ? AND id = ?`
	for i := 0; i+5 <= len(upd); i += 5 {
		if _, err := tx.ExecContext(ctx, q, upd[i+1], upd[i+2], upd[i+3], upd[i+4], im.ws.ID, upd[i]); err != nil {
			return fmt.Errorf("update member %v: %w", upd[i], err)
		}
	}
	return nil
}

// lookupIdentities loads into the importer's memory what the database knows
// of the batch's identity keys and requested member ids.
func (im *Importer) lookupIdentities(ctx context.Context, tx *sql.Tx, items []*IngestItem) error {
	var keys, ids []string
	askedKey := make(map[string]bool)
	askedID := make(map[string]bool)
	for _, it := range items {
		for _, k := range it.Identities {
			if _, ok := im.keys[k.Key]; !ok && !askedKey[k.Key] {
				askedKey[k.Key] = true
				keys = append(keys, k.Key)
			}
		}
		if it.MemberID != "" {
			if _, ok := im.members[it.MemberID]; !ok && !askedID[it.MemberID] {
				askedID[it.MemberID] = true
				ids = append(ids, it.MemberID)
			}
		}
	}
	for _, k := range keys {
		im.keys[k] = ""
	}
	for _, id := range ids {
		im.members[id] = false
	}
	if len(keys) > 0 {
		err := im.s.d.inList(ctx, tx, `SELECT key, member_id FROM identities WHERE workspace_id = `+im.s.d.p1()+` AND key`,
			[]any{im.ws.ID}, keys, ``, func(r *sql.Rows) error {
				var k, id string
				if err := r.Scan(&k, &id); err != nil {
					return err
				}
				im.keys[k] = id
				im.members[id] = true
				return nil
			})
		if err != nil {
			return fmt.Errorf("find identities: %w", err)
		}
	}
	if len(ids) > 0 {
		err := im.s.d.inList(ctx, tx, `SELECT id, COALESCE(merged_into, '') FROM members WHERE workspace_id = `+im.s.d.p1()+` AND id`,
			[]any{im.ws.ID}, ids, ``, func(r *sql.Rows) error {
				var id, into string
				if err := r.Scan(&id, &into); err != nil {
					return err
				}
				im.members[id] = true
				if into != "" {
					im.merged[id] = into
				}
				return nil
			})
		if err != nil {
			return fmt.Errorf("find members: %w", err)
		}
	}
	return nil
}

const messageInsertColumns = 28

// insertMessages writes the batch's new messages and returns how many the
// database took.
func (im *Importer) insertMessages(ctx context.Context, tx *sql.Tx, items []*IngestItem, convIDs map[string]int64, memberIDs map[*IngestItem]string) (int, error) {
	args := make([]any, 0, len(items)*messageInsertColumns)
	for _, it := range items {
		m := &it.Message
		var member any
		if id := memberIDs[it]; id != "" {
			member = id
		}
		row, err := MessageRow(m, im.ws.ID, im.ch.ID, convIDs[it.Root], member)
		if err != nil {
			return 0, err
		}
		args = append(args, row...)
	}
	ids := make(map[string]int64, len(items))
	err := im.s.d.bulkInsert(ctx, tx, `INSERT INTO messages (`+MessageInsertColumns+`)`,
		messageInsertColumns, args, `ON CONFLICT (channel_id, external_id) DO NOTHING RETURNING external_id, id`,
		func(r *sql.Rows) error {
			var ext string
			var id int64
			if err := r.Scan(&ext, &id); err != nil {
				return err
			}
			ids[ext] = id
			return nil
		})
	if err != nil {
		return 0, fmt.Errorf("insert messages: %w", err)
	}
	if len(ids) != len(items) {
		// Another writer stored some of these between our check and our
		// insert; the counters above then over-count. Refuse the batch so
		// that a retry recounts from the database.
		return 0, errors.New("insert messages: a concurrent import stored some of the same messages; retry")
	}
	// The search index, filled here in bulk rather than by a trigger.
	docs := make([]searchDoc, 0, len(items))
	for _, it := range items {
		m := &it.Message
		docs = append(docs, searchDoc{id: ids[m.ExternalID], text: messageSearchText(m.Title, m.Body, m.AuthorName)})
	}
	if err := im.s.writeMessageIndex(ctx, tx, docs); err != nil {
		return 0, err
	}
	return len(ids), nil
}

// intoSet returns a scan function that adds each row's one text column to
// set.
func intoSet(set map[string]bool) func(*sql.Rows) error {
	return func(r *sql.Rows) error {
		var v string
		if err := r.Scan(&v); err != nil {
			return err
		}
		set[v] = true
		return nil
	}
}

// MessageInsertColumns lists the messages columns MessageRow fills, in
// its order.
const MessageInsertColumns = `workspace_id, channel_id, conversation_id, external_id, parent_external_id,
	kind, status, title, author_name, author_handle, author_email, author_url,
	author_is_staff, member_id, body, body_html, url, created_at,
	lang, sentiment, sentiment_score, intent, needs_response, spam, topics,
	lang_confidence, needs_response_score, spam_score`

// MessageRow gives the values the store writes for one message, in the
// order of MessageInsertColumns; member is a member id or nil. The
// benchmark's raw ceiling binds the same values.
func MessageRow(m *model.Message, workspaceID, channelID, conversationID int64, member any) ([]any, error) {
	topics, err := encodeTopics(m.Topics)
	if err != nil {
		return nil, fmt.Errorf("message %q: %w", m.ExternalID, err)
	}
	return []any{workspaceID, channelID, conversationID, m.ExternalID, m.ParentExternalID,
		m.Kind, m.Status, m.Title, m.AuthorName, m.AuthorHandle, m.AuthorEmail, m.AuthorURL,
		m.AuthorIsStaff, member, m.Body, m.BodyHTML, m.URL, toMicros(m.CreatedAt),
		m.Lang, m.Sentiment, floatArg(m.SentimentScore), m.Intent, boolArg(m.NeedsResponse), boolArg(m.Spam), topics,
		floatArg(m.LangConfidence), floatArg(m.NeedsResponseScore), floatArg(m.SpamScore)}, nil
}

func encodeTopics(t []string) (string, error) {
	if len(t) == 0 {
		return "", nil
	}
	b, err := json.Marshal(t)
	return string(b), err
}

func floatArg(f *float64) any {
	if f == nil {
		return nil
	}
	return *f
}

func boolArg(b *bool) any {
	if b == nil {
		return nil
	}
	return *b
}
