-- Full-text search and the unified inbox across workspaces.
--
-- The search index holds, for each message and member, the set of its
-- words' folded French and English stems, computed in Go (see
-- internal/store/search.go: the same terms as on SQLite, accents folded
-- without the unaccent extension) and written by the importer in bulk.
-- They are kept as tsvectors of lexemes written as they are, no text
-- search configuration involved, under GIN indexes.
CREATE TABLE message_search (
    message_id BIGINT   PRIMARY KEY REFERENCES messages (id) ON DELETE CASCADE,
    terms      TSVECTOR NOT NULL
);
CREATE INDEX message_search_terms ON message_search USING GIN (terms);

CREATE TABLE member_search (
    workspace_id BIGINT   NOT NULL,
    member_id    TEXT     NOT NULL,
    terms        TSVECTOR NOT NULL,
    PRIMARY KEY (workspace_id, member_id),
    FOREIGN KEY (workspace_id, member_id) REFERENCES members (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX member_search_terms ON member_search USING GIN (terms);

-- What was stored before this step is indexed once, from Go (stemming is
-- not SQL): messages with an id up to message_id, then every member.
-- BackfillSearch works through it and deletes the row when done.
CREATE TABLE search_backfill (
    id                  BIGINT PRIMARY KEY CHECK (id = 1),
    message_id          BIGINT NOT NULL,
    member_workspace_id BIGINT NOT NULL DEFAULT 0,
    member_id           TEXT   NOT NULL DEFAULT ''
);
INSERT INTO search_backfill (id, message_id)
    SELECT 1, (SELECT COALESCE(MAX(id), 0) FROM messages)
    WHERE EXISTS (SELECT 1 FROM messages) OR EXISTS (SELECT 1 FROM members);

-- The inbox over several workspaces, in its two orders, walks these and
-- stops after a page, instead of sorting every conversation of the
-- workspaces; the open ones (new, open, pending) have their own.
CREATE INDEX conversations_activity ON conversations (last_activity_at DESC, id DESC);
CREATE INDEX conversations_open ON conversations (last_activity_at DESC, id DESC)
    WHERE status IN ('new', 'open', 'pending');
CREATE INDEX conversations_due ON conversations (response_due_at, id)
    WHERE response_due_at IS NOT NULL;
-- The sidebar counts: open conversations of each workspace by assignee.
CREATE INDEX conversations_open_assignee ON conversations (workspace_id, assignee_id)
    WHERE status IN ('new', 'open', 'pending');

-- The conversations a user was @mentioned in.
CREATE INDEX events_mentions ON events (recipient_id, action, conversation_id)
    WHERE recipient_id IS NOT NULL;

-- Each inbox row's headline: the latest customer message of its
-- conversation, one index step away.
CREATE INDEX messages_headline ON messages (conversation_id, created_at DESC, id DESC)
    WHERE NOT author_is_staff;
