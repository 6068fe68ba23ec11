package store

// Full-text search over messages (title, body, author name) and members
// (display name, identity values), in French and English.
//
// Both engines index the same Go-made terms: each word is lower-cased,
// folded (é→e, œ→oe, with package textfold) and stemmed with the French and
// the English Snowball stemmers, and a message is indexed as the set of its
// words' stems. A query is processed the same way: every query word must
// match (AND), and a word matches when any of its stems does. Stemming in Go
// rather than with PostgreSQL's french and english configurations keeps the
// two engines identical, folds accents without the unaccent extension (which
// needs a superuser to install), and lets "vélos" find "vélo" through the
// English stem where the French one keeps the s. PostgreSQL therefore keeps
// the stems as a plain tsvector (no configuration involved: lexemes are
// written as they are) under a GIN index; SQLite keeps them in a
// contentless FTS5 table keyed by message id, tokenised on spaces only.
//
// An e-mail address is also indexed whole, as one term of its own (a hash
// of the folded address, marked so that no word's stem can be it), and a
// query that holds an address looks for that term rather than for its
// parts: "jean.dupont@example.org" then reads the short list of the
// documents holding that address, not the intersection of everyone's
// "example" and "org". Its parts stay indexed as words, so "dupont" still
// finds it.
//
// Quoted phrases are not supported: quotes separate words like any other
// punctuation. The index then needs no word positions (FTS5 detail=none),
// which keeps it small and its bulk filling fast.
//
// The importer fills the index in bulk, a statement per batch; triggers
// would make imports several times slower. Messages and members stored
// before migration 0007, and again after 0011 (addresses), are indexed
// once by BackfillSearch.

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/kljensen/snowball/english"
	"github.com/kljensen/snowball/french"

	"palabre/internal/model"
	"palabre/internal/textfold"
)

// Limits of the search terms.
const (
	maxSearchWordBytes = 64   // longer words (hashes, base64…) are not indexed
	maxDocumentStems   = 4000 // distinct stems indexed per message or member
	maxQueryWords      = 16   // words of a query past this are ignored
)

// searchWords splits text into lower-cased words, accents kept: letters and
// digits make words, everything else separates them. Combining marks stay
// with their letter. Words longer than maxSearchWordBytes are dropped.
func searchWords(text string, fn func(word string)) {
	start := -1
	flush := func(end int) {
		// Folding may lengthen a word (æ → ae) but not fourfold.
		if start >= 0 && end-start <= 4*maxSearchWordBytes {
			fn(strings.ToLower(text[start:end]))
		}
		start = -1
	}
	for i, r := range text {
		if unicode.IsLetter(r) || unicode.IsDigit(r) || (start >= 0 && unicode.IsMark(r)) {
			if start < 0 {
				start = i
			}
			continue
		}
		flush(i)
	}
	flush(len(text))
}

// foldWord spells a lower-cased word without accents; marks are dropped.
func foldWord(w string) string {
	var b strings.Builder
	b.Grow(len(w))
	for _, r := range w {
		if r < utf8.RuneSelf {
			b.WriteRune(r)
			continue
		}
		if f := textfold.Rune(r); f != "" {
			b.WriteString(f)
			continue
		}
		if unicode.IsMark(r) {
			continue
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

// wordStems returns the distinct stems of one lower-cased word, each folded:
// the French stem of the word as written (the French stemmer reads
// accents), the French stem of the folded word (what a query typed without
// accents gives) and the English stem of the folded word.
func wordStems(w string) []string {
	folded := foldWord(w)
	if folded == "" || len(folded) > maxSearchWordBytes {
		return nil
	}
	out := make([]string, 0, 3)
	add := func(s string) {
		if s != "" && !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	add(frenchStem(folded))
	if folded != w {
		add(frenchStem(w))
	}
	add(english.Stem(folded, false))
	return out
}

// stemCache remembers the stems of the words indexed lately: a
// community's words come again and again, and stemming a word costs more
// than the rest of indexing it. Its zero value is ready; it is safe for
// concurrent use.
type stemCache struct {
	mu    sync.Mutex
	stems map[string][]string // word → wordStems(word); read only
}

// maxCachedStems bounds a stemCache, which starts afresh past it: a few
// megabytes.
const maxCachedStems = 50_000

// of returns the stems of the lower-cased word w, from the cache when it
// knows them. The slice is shared: callers must not change it.
func (c *stemCache) of(w string) []string {
	c.mu.Lock()
	st, ok := c.stems[w]
	c.mu.Unlock()
	if ok {
		return st
	}
	st = wordStems(w)
	c.mu.Lock()
	if c.stems == nil || len(c.stems) >= maxCachedStems {
		c.stems = make(map[string][]string)
	}
	c.stems[strings.Clone(w)] = st
	c.mu.Unlock()
	return st
}

// frenchStem is the Snowball French stem of w, folded, with one addition:
// verbs in -dre and their participles in -du ("répondre", "répondu"), which
// Snowball leaves as "répondr" and "répondu", meet at "repond" like the
// other forms of the verb ("réponds", "répondait").
func frenchStem(w string) string {
	s := foldWord(french.Stem(w, false))
	switch {
	case len(s) >= 4 && strings.HasSuffix(s, "dr"):
		s = s[:len(s)-1]
	case len(s) >= 4 && strings.HasSuffix(s, "du"):
		s = s[:len(s)-1]
	}
	return s
}

// searchTerms returns the distinct stems of a text, space-separated, at
// most maxDocumentStems of them: what the index keeps of one document.
// stems remembers word → stems across documents (the Store's cache).
func searchTerms(text string, stems *stemCache) string {
	seen := make(map[string]bool)
	var b strings.Builder
	emailAddresses(text, func(_, _ int, term string) {
		if len(seen) < maxDocumentStems && !seen[term] {
			seen[term] = true
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(term)
		}
	})
	searchWords(text, func(w string) {
		if len(seen) >= maxDocumentStems {
			return
		}
		for _, s := range stems.of(w) {
			if !seen[s] {
				seen[s] = true
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(s)
			}
		}
	})
	return b.String()
}

// addressMark begins the term of a whole e-mail address. It is not a
// letter or a digit, so no word's stem holds it, and FTS5's ascii tokenizer
// keeps it (and the hexadecimal digits after it) in one token.
const addressMark = "§"

// maxAddressBytes bounds an e-mail address (RFC 5321: 254 in a path).
const maxAddressBytes = 254

// emailAddresses calls fn with the byte span and the index term of each
// e-mail address of text, in order: a local part and a domain of at least
// two labels around an @, lower-cased and folded before being hashed, so
// that an address matches however its case or accents are written.
func emailAddresses(text string, fn func(start, end int, term string)) {
	local := func(c byte) bool {
		return c >= utf8.RuneSelf || isASCIIAlnum(c) || strings.IndexByte(".!#$%&'*+/=?^_`{|}~-", c) >= 0
	}
	domain := func(c byte) bool { return c >= utf8.RuneSelf || isASCIIAlnum(c) || c == '.' || c == '-' }
	from := 0
	for {
		at := strings.IndexByte(text[from:], '@')
		if at < 0 {
			return
		}
		at += from
		start := at
		for start > from && local(text[start-1]) {
			start--
		}
		end := at + 1
		for end < len(text) && domain(text[end]) {
			end++
		}
		// Sentence punctuation is not part of an address.
		for start < at && (text[start] == '.' || text[start] == '\'') {
			start++
		}
		for end > at+1 && (text[end-1] == '.' || text[end-1] == '-') {
			end--
		}
		from = at + 1
		dom := text[at+1 : end]
		if start == at || !strings.Contains(dom, ".") || strings.HasPrefix(dom, ".") || strings.Contains(dom, "..") ||
			end-start > maxAddressBytes || !utf8.ValidString(text[start:end]) {
			continue
		}
		sum := sha256.Sum256([]byte(foldWord(strings.ToLower(text[start:end]))))
		fn(start, end, addressMark+hex.EncodeToString(sum[:10]))
		from = end
	}
}

// isASCIIAlnum reports whether c is an ASCII letter or digit.
func isASCIIAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// searchQuery is a parsed query: every word must match, a word matching
// when any of its stems does. No words means nothing can match.
type searchQuery [][]string

// parseSearchQuery turns what a user typed into stems. It never fails:
// operators, quotes and brackets are plain separators, and the result is
// only ever bound or quoted, never spliced into a query language as typed.
func parseSearchQuery(q string) searchQuery {
	var out searchQuery
	seen := make(map[string]bool)
	// An address is looked for whole; its parts are not words of the
	// query.
	var rest strings.Builder
	from := 0
	emailAddresses(q, func(start, end int, term string) {
		rest.WriteString(q[from:start])
		rest.WriteByte(' ')
		from = end
		if len(out) < maxQueryWords && !seen[term] {
			seen[term] = true
			out = append(out, []string{term})
		}
	})
	rest.WriteString(q[from:])
	searchWords(rest.String(), func(w string) {
		if len(out) >= maxQueryWords || seen[w] {
			return
		}
		seen[w] = true
		if st := wordStems(w); len(st) > 0 {
			out = append(out, st)
		}
	})
	return out
}

// fts5 writes the query in FTS5 syntax, each stem a quoted string.
func (q searchQuery) fts5() string {
	return q.write(" AND ", " OR ", func(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` })
}

// tsquery writes the query as a PostgreSQL tsquery literal, each stem a
// quoted lexeme.
func (q searchQuery) tsquery() string {
	return q.write(" & ", " | ", tsLexeme)
}

// write writes the query in a search syntax: its words joined by and,
// each word the alternatives of its stems joined by or, each stem quoted
// by term.
func (q searchQuery) write(and, or string, term func(string) string) string {
	var b strings.Builder
	for i, word := range q {
		if i > 0 {
			b.WriteString(and)
		}
		b.WriteByte('(')
		for j, s := range word {
			if j > 0 {
				b.WriteString(or)
			}
			b.WriteString(term(s))
		}
		b.WriteByte(')')
	}
	return b.String()
}

// tsLexeme quotes s as a lexeme of a tsvector or tsquery literal.
func tsLexeme(s string) string {
	var b strings.Builder
	writeLexeme(&b, s)
	return b.String()
}

// writeLexeme writes s to b as a quoted lexeme: in quotes, with its
// quotes doubled and its backslashes escaped.
func writeLexeme(b *strings.Builder, s string) {
	b.Grow(len(s) + 2)
	b.WriteByte('\'')
	for {
		i := strings.IndexAny(s, `'\`)
		if i < 0 {
			break
		}
		b.WriteString(s[:i])
		if s[i] == '\'' {
			b.WriteString(`''`)
		} else {
			b.WriteString(`\\`)
		}
		s = s[i+1:]
	}
	b.WriteString(s)
	b.WriteByte('\'')
}

// tsvector writes space-separated terms as a tsvector literal.
func tsvector(terms string) string {
	var b strings.Builder
	b.Grow(len(terms) + len(terms)/4)
	for i, t := range strings.Fields(terms) {
		if i > 0 {
			b.WriteByte(' ')
		}
		writeLexeme(&b, t)
	}
	return b.String()
}

// matchMessages returns an SQL condition keeping the messages m (an alias
// of messages) that match q, and its argument, bound as parameter $n.
func (s *Store) matchMessages(q searchQuery, n int) (string, any) {
	if s.engine == EnginePostgres {
		return fmt.Sprintf(`m.id IN (SELECT message_id FROM message_search WHERE terms @@ CAST($%d AS tsquery))`, n), q.tsquery()
	}
	return fmt.Sprintf(`m.id IN (SELECT rowid FROM message_search WHERE message_search MATCH $%d)`, n), q.fts5()
}

// matchMembers returns an SQL query of the (workspace_id, member_id) of the
// members that match q, and its argument, bound as parameter $n.
func (s *Store) matchMembers(q searchQuery, n int) (string, any) {
	if s.engine == EnginePostgres {
		return fmt.Sprintf(`SELECT workspace_id, member_id FROM member_search WHERE terms @@ CAST($%d AS tsquery)`, n), q.tsquery()
	}
	return fmt.Sprintf(`SELECT workspace_id, member_id FROM member_search_keys
		WHERE id IN (SELECT rowid FROM member_search WHERE member_search MATCH $%d)`, n), q.fts5()
}

// searchDoc is one message's searchable text.
type searchDoc struct {
	id   int64
	text string
}

// messageSearchText is what of a message is searchable.
func messageSearchText(title, body, author string) string {
	return title + "\n" + body + "\n" + author
}

// writeMessageIndex indexes (or indexes again) messages in bulk, in tx.
func (s *Store) writeMessageIndex(ctx context.Context, tx *sql.Tx, docs []searchDoc) error {
	if len(docs) == 0 {
		return nil
	}
	args := make([]any, 0, 2*len(docs))
	for _, d := range docs {
		terms := searchTerms(d.text, &s.stems)
		if s.engine == EnginePostgres {
			args = append(args, d.id, tsvector(terms))
		} else {
			args = append(args, d.id, terms)
		}
	}
	var err error
	if s.engine == EnginePostgres {
		err = s.d.bulk(ctx, tx, `INSERT INTO message_search (message_id, terms)
			SELECT v.column1, CAST(v.column2 AS tsvector) FROM (VALUES `, []string{"BIGINT", "TEXT"}, args,
			`) AS v ON CONFLICT (message_id) DO UPDATE SET terms = EXCLUDED.terms`, nil)
	} else {
		// INSERT OR REPLACE: a message id SQLite hands out again after
		// a deletion must not keep the deleted message's terms.
		err = s.d.bulkInsert(ctx, tx, `INSERT OR REPLACE INTO message_search (rowid, terms)`, 2, args, ``, nil)
	}
	if err != nil {
		return fmt.Errorf("index messages: %w", err)
	}
	return nil
}

// indexMessages indexes the stored messages of the given ids for search,
// in tx. The importer indexes what it writes by itself; whatever else adds
// a message (a reply written in palabre) calls this in its transaction.
func (s *Store) indexMessages(ctx context.Context, tx *sql.Tx, ids []int64) error {
	for len(ids) > 0 {
		n := min(len(ids), 1000)
		chunk := ids[:n]
		ids = ids[n:]
		rows, err := tx.QueryContext(ctx, `SELECT id, title, body, author_name FROM messages WHERE id`+s.d.inIDs(1), s.d.idSet(chunk))
		if err != nil {
			return fmt.Errorf("index messages: %w", err)
		}
		docs := make([]searchDoc, 0, n)
		for rows.Next() {
			var d searchDoc
			var title, body, author string
			if err := rows.Scan(&d.id, &title, &body, &author); err != nil {
				rows.Close()
				return fmt.Errorf("index messages: %w", err)
			}
			d.text = messageSearchText(title, body, author)
			docs = append(docs, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return fmt.Errorf("index messages: %w", err)
		}
		if err := s.writeMessageIndex(ctx, tx, docs); err != nil {
			return err
		}
	}
	return nil
}

// memberText is what of a member is indexed: its display name and its
// identities' values, and whether it is live (not merged away).
type memberText struct {
	id, name   string
	live       bool
	identities []identityText
}

// identityText is an identity of a memberText.
type identityText struct{ kind, value string }

// readMembers reads the display names and identities of the given
// members of a workspace, in tx, in the order found.
func (s *Store) readMembers(ctx context.Context, tx *sql.Tx, workspaceID int64, ids []string) ([]memberText, error) {
	var out []memberText
	at := make(map[string]int, len(ids))
	p1 := s.d.p1()
	err := s.d.inList(ctx, tx, `SELECT id, display_name, merged_into IS NULL FROM members WHERE workspace_id = `+p1+` AND id`,
		[]any{workspaceID}, ids, ``, func(r *sql.Rows) error {
			var m memberText
			if err := r.Scan(&m.id, &m.name, &m.live); err != nil {
				return err
			}
			at[m.id] = len(out)
			out = append(out, m)
			return nil
		})
	if err != nil {
		return nil, err
	}
	err = s.d.inList(ctx, tx, `SELECT member_id, kind, value FROM identities WHERE workspace_id = `+p1+` AND member_id`,
		[]any{workspaceID}, ids, ``, func(r *sql.Rows) error {
			var id, kind, value string
			if err := r.Scan(&id, &kind, &value); err != nil {
				return err
			}
			if i, ok := at[id]; ok {
				out[i].identities = append(out[i].identities, identityText{kind, value})
			}
			return nil
		})
	return out, err
}

// indexMembers indexes (again) the given members of a workspace: their
// display name and the values of their identities, for search and for
// merge suggestions (indexMatchKeys).
func (s *Store) indexMembers(ctx context.Context, tx *sql.Tx, workspaceID int64, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	members, err := s.readMembers(ctx, tx, workspaceID, ids)
	if err != nil {
		return fmt.Errorf("index members: %w", err)
	}
	if err := s.indexMatchKeys(ctx, tx, workspaceID, ids, members); err != nil {
		return err
	}
	if len(members) == 0 {
		return nil
	}
	order := make([]string, 0, len(members))
	terms := make(map[string]string, len(members))
	for _, m := range members {
		var b strings.Builder
		b.WriteString(m.name)
		for _, idn := range m.identities {
			b.WriteByte('\n')
			b.WriteString(idn.value)
		}
		order = append(order, m.id)
		terms[m.id] = searchTerms(b.String(), &s.stems)
	}
	if s.engine == EnginePostgres {
		args := make([]any, 0, 3*len(order))
		for _, id := range order {
			args = append(args, workspaceID, id, tsvector(terms[id]))
		}
		err = s.d.bulk(ctx, tx, `INSERT INTO member_search (workspace_id, member_id, terms)
			SELECT v.column1, v.column2, CAST(v.column3 AS tsvector) FROM (VALUES `, []string{"BIGINT", "TEXT", "TEXT"}, args,
			`) AS v ON CONFLICT (workspace_id, member_id) DO UPDATE SET terms = EXCLUDED.terms`, nil)
		if err != nil {
			return fmt.Errorf("index members: %w", err)
		}
		return nil
	}
	// SQLite's FTS5 rows are keyed by an integer: member_search_keys gives
	// each member one.
	args := make([]any, 0, 2*len(order))
	for _, id := range order {
		args = append(args, workspaceID, id)
	}
	var fts []any
	err = s.d.bulkInsert(ctx, tx, `INSERT INTO member_search_keys (workspace_id, member_id)`, 2, args,
		`ON CONFLICT (workspace_id, member_id) DO UPDATE SET member_id = excluded.member_id RETURNING id, member_id`,
		func(r *sql.Rows) error {
			var key int64
			var id string
			if err := r.Scan(&key, &id); err != nil {
				return err
			}
			fts = append(fts, key, terms[id])
			return nil
		})
	if err != nil {
		return fmt.Errorf("index members: %w", err)
	}
	if err := s.d.bulkInsert(ctx, tx, `INSERT OR REPLACE INTO member_search (rowid, terms)`, 2, fts, ``, nil); err != nil {
		return fmt.Errorf("index members: %w", err)
	}
	return nil
}

// backfillBatch is how many messages or members one backfill transaction
// indexes.
const backfillBatch = 5000

// BackfillSearch indexes the messages and members stored before the search
// index existed, or before it changed (the migrations that need it record
// how far that goes), a batch per transaction, and forgets the mark when
// done. It is safe to run again or from several processes at once
// (indexing is idempotent), and cheap when there is nothing left to do.
// palabre serve runs it in the background; until it is done, searches find
// only what is indexed already (SearchIndexPending tells).
func (s *Store) BackfillSearch(ctx context.Context) error {
	for {
		done := false
		err := s.inTx(ctx, func(tx *sql.Tx) error {
			var err error
			done, err = s.backfillStep(ctx, tx)
			return err
		})
		if err != nil {
			return fmt.Errorf("search backfill: %w", err)
		}
		if done {
			return nil
		}
	}
}

// SearchIndexPending reports whether stored messages or members are still
// to be indexed by BackfillSearch, so that searches may miss them.
func (s *Store) SearchIndexPending(ctx context.Context) (bool, error) {
	var one int
	err := s.r.QueryRowContext(ctx, `SELECT 1 FROM search_backfill`).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("search backfill: %w", err)
	}
	return true, nil
}

// backfillStep indexes one batch: messages from the mark downwards, then
// members in key order. It reports when nothing is left.
func (s *Store) backfillStep(ctx context.Context, tx *sql.Tx) (bool, error) {
	var mark, memberWS int64
	var memberID string
	err := tx.QueryRowContext(ctx, `SELECT message_id, member_workspace_id, member_id FROM search_backfill WHERE id = 1`).
		Scan(&mark, &memberWS, &memberID)
	if errors.Is(err, sql.ErrNoRows) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if mark > 0 {
		ids, err := column[int64](ctx, tx, `SELECT id FROM messages WHERE id <= $1 ORDER BY id DESC LIMIT $2`, mark, backfillBatch)
		if err != nil {
			return false, err
		}
		if err := s.indexMessages(ctx, tx, ids); err != nil {
			return false, err
		}
		next := int64(0)
		if len(ids) == backfillBatch {
			next = ids[len(ids)-1] - 1
		}
		_, err = tx.ExecContext(ctx, `UPDATE search_backfill SET message_id = $1 WHERE id = 1`, next)
		return false, err
	}
	rows, err := tx.QueryContext(ctx, `SELECT workspace_id, id FROM members
		WHERE workspace_id > $1 OR (workspace_id = $1 AND id > $2) ORDER BY workspace_id, id LIMIT $3`,
		memberWS, memberID, backfillBatch)
	if err != nil {
		return false, err
	}
	byWS := make(map[int64][]string)
	var wss []int64
	n := 0
	var lastWS int64
	var lastID string
	for rows.Next() {
		if err := rows.Scan(&lastWS, &lastID); err != nil {
			rows.Close()
			return false, err
		}
		if _, ok := byWS[lastWS]; !ok {
			wss = append(wss, lastWS)
		}
		byWS[lastWS] = append(byWS[lastWS], lastID)
		n++
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return false, err
	}
	for _, ws := range wss {
		if err := s.indexMembers(ctx, tx, ws, byWS[ws]); err != nil {
			return false, err
		}
		if err := s.indexMatchDomains(ctx, tx, ws, byWS[ws]); err != nil {
			return false, err
		}
	}
	if n < backfillBatch {
		_, err = tx.ExecContext(ctx, `DELETE FROM search_backfill`)
		return true, err
	}
	_, err = tx.ExecContext(ctx, `UPDATE search_backfill SET member_workspace_id = $1, member_id = $2 WHERE id = 1`, lastWS, lastID)
	return false, err
}

// SearchMembers returns the members of the given workspaces whose display
// name or identity values (e-mail, handle, address, signed name) match the
// query, most recently seen first, with their identities; at most limit
// (0 means 20, at most 500). A query with no word matches nobody.
func (s *Store) SearchMembers(ctx context.Context, workspaceIDs []int64, query string, limit int) ([]model.Member, error) {
	switch {
	case len(workspaceIDs) == 0:
		return nil, fmt.Errorf("%w: workspace ids: at least one is needed", ErrInvalid)
	case limit == 0:
		limit = 20
	case limit < 0 || limit > 500:
		return nil, fmt.Errorf("%w: limit %d: must be between 1 and 500", ErrInvalid, limit)
	}
	q := parseSearchQuery(query)
	if len(q) == 0 {
		return []model.Member{}, nil
	}
	match, arg := s.matchMembers(q, 1)
	rows, err := s.r.QueryContext(ctx, `SELECT m.id, m.workspace_id, m.display_name, m.is_staff, m.message_count, m.first_seen_at, m.last_seen_at
		FROM members m WHERE m.workspace_id IN (`+idList(workspaceIDs)+`) AND m.merged_into IS NULL
		AND (m.workspace_id, m.id) IN (`+match+`)
		ORDER BY m.last_seen_at DESC, m.workspace_id, m.id LIMIT $2`, arg, limit)
	if err != nil {
		return nil, fmt.Errorf("search members: %w", err)
	}
	defer rows.Close()
	out := []model.Member{}
	for rows.Next() {
		var m model.Member
		var first, last int64
		if err := rows.Scan(&m.ID, &m.WorkspaceID, &m.DisplayName, &m.IsStaff, &m.MessageCount, &first, &last); err != nil {
			return nil, fmt.Errorf("search members: %w", err)
		}
		m.FirstSeenAt, m.LastSeenAt = fromMicros(first), fromMicros(last)
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("search members: %w", err)
	}
	rows.Close()
	if err := s.withIdentities(ctx, out); err != nil {
		return nil, fmt.Errorf("search members: %w", err)
	}
	return out, nil
}

// withIdentities fills in the identities of members.
func (s *Store) withIdentities(ctx context.Context, members []model.Member) error {
	if len(members) == 0 {
		return nil
	}
	at := make(map[string]int, len(members))
	var cond strings.Builder
	args := make([]any, 0, 2*len(members))
	for i, m := range members {
		at[strconv.FormatInt(m.WorkspaceID, 10)+"\x00"+m.ID] = i
		if i > 0 {
			cond.WriteString(" OR ")
		}
		args = append(args, m.WorkspaceID, m.ID)
		fmt.Fprintf(&cond, "(workspace_id = $%d AND member_id = $%d)", len(args)-1, len(args))
	}
	rows, err := s.r.QueryContext(ctx, `SELECT workspace_id, member_id, kind, value FROM identities WHERE `+cond.String()+`
		ORDER BY workspace_id, member_id, kind, key`, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var ws int64
		var id string
		var i model.Identity
		if err := rows.Scan(&ws, &id, &i.Kind, &i.Value); err != nil {
			return err
		}
		if k, ok := at[strconv.FormatInt(ws, 10)+"\x00"+id]; ok {
			members[k].Identities = append(members[k].Identities, i)
		}
	}
	return rows.Err()
}
