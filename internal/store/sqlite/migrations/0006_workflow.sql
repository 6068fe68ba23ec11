-- Workflow: snoozing, the SLA clocks of each conversation, tags, experts
-- asked into a conversation, internal notes, canned replies, the outbox of
-- replies written in palabre, idempotency keys of API requests, and
-- outgoing webhooks.

-- awaiting_since: the oldest customer message no staff reply has answered
-- yet (NULL once answered). sla_stale marks a conversation whose due times
-- must be computed again (new message, reply, priority or policy change).
-- The two *_sla columns say how far each clock went: '', 'warning' or
-- 'breached', so that a warning or an escalation happens once.
-- status_at: when the status last changed (or the conversation was
-- snoozed), so that only a message newer than that reopens it.
-- previous_assignee_id: who held it before it was reopened, whom routing
-- gives it back to when they can take it.
ALTER TABLE conversations ADD COLUMN status_at INTEGER;
ALTER TABLE conversations ADD COLUMN previous_assignee_id INTEGER REFERENCES users (id) ON DELETE SET NULL;
-- escalated_from_id: whom the conversation was taken from when its SLA was
-- breached; routing gives it to someone else.
ALTER TABLE conversations ADD COLUMN escalated_from_id INTEGER REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE conversations ADD COLUMN snoozed_until INTEGER;
ALTER TABLE conversations ADD COLUMN awaiting_since INTEGER;
ALTER TABLE conversations ADD COLUMN first_response_at INTEGER;
ALTER TABLE conversations ADD COLUMN resolved_at INTEGER;
ALTER TABLE conversations ADD COLUMN sla_policy TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN response_due_at INTEGER;
ALTER TABLE conversations ADD COLUMN resolution_due_at INTEGER;
ALTER TABLE conversations ADD COLUMN response_sla TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN resolution_sla TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN sla_stale INTEGER NOT NULL DEFAULT TRUE;
CREATE INDEX conversations_sla_stale ON conversations (workspace_id, id) WHERE sla_stale;
CREATE INDEX conversations_response_due ON conversations (workspace_id, response_due_at) WHERE response_due_at IS NOT NULL;
CREATE INDEX conversations_resolution_due ON conversations (workspace_id, resolution_due_at) WHERE resolution_due_at IS NOT NULL;
CREATE INDEX conversations_snoozed ON conversations (snoozed_until) WHERE snoozed_until IS NOT NULL;
-- A CM's inbox in the order it is listed, so that a page of 50 reads 50
-- rows however many the CM holds.
DROP INDEX conversations_assignee;
CREATE INDEX conversations_assignee ON conversations (workspace_id, assignee_id, status, last_activity_at DESC, id DESC);

-- Events about one conversation name it, so that its history and the live
-- stream can find them; a notification names the one user it is for.
ALTER TABLE events ADD COLUMN conversation_id INTEGER;
ALTER TABLE events ADD COLUMN recipient_id INTEGER;
CREATE INDEX events_conversation ON events (conversation_id, id) WHERE conversation_id IS NOT NULL;

CREATE TABLE conversation_tags (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    tag             TEXT    NOT NULL,
    PRIMARY KEY (conversation_id, tag)
) WITHOUT ROWID;
CREATE INDEX conversation_tags_tag ON conversation_tags (tag, conversation_id);

-- Users asked into a conversation (experts @mentioned in a note): they see
-- it, and only it, in their queue.
CREATE TABLE participants (
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    user_id         INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    added_by        TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
) WITHOUT ROWID;
CREATE INDEX participants_user ON participants (user_id, workspace_id, conversation_id);

CREATE TABLE notes (
    id              INTEGER PRIMARY KEY,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    author_id       INTEGER REFERENCES users (id) ON DELETE SET NULL,
    author          TEXT    NOT NULL,
    body            TEXT    NOT NULL,
    mentions        TEXT    NOT NULL DEFAULT '[]',
    created_at      INTEGER NOT NULL
);
CREATE INDEX notes_conversation ON notes (conversation_id, id);

-- A workspace's SLA settings: its calendar, warning delay, policies and
-- escalation, as the JSON of an sla.Settings.
CREATE TABLE sla_settings (
    workspace_id INTEGER PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    settings     TEXT    NOT NULL,
    updated_at   INTEGER NOT NULL
);

CREATE TABLE canned_replies (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    language     TEXT    NOT NULL DEFAULT '',
    body         TEXT    NOT NULL,
    usage_count  INTEGER NOT NULL DEFAULT 0,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    UNIQUE (workspace_id, name, language)
);

-- Replies written in palabre wait here for their channel's connector. One
-- entry per reply message; status pending, sent or failed.
CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    channel_id      INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    message_id      INTEGER NOT NULL UNIQUE REFERENCES messages (id) ON DELETE CASCADE,
    in_reply_to     TEXT    NOT NULL DEFAULT '',
    body            TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

-- What an API request with an Idempotency-Key answered, so that the same
-- request sent again gets the same answer without acting twice. status 0
-- means the first request is still being served.
CREATE TABLE idempotency_keys (
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    key          TEXT    NOT NULL,
    fingerprint  TEXT    NOT NULL,
    status       INTEGER NOT NULL DEFAULT 0,
    content_type TEXT    NOT NULL DEFAULT '',
    body         TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (user_id, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

-- Outgoing webhooks. The secret signs each delivery (HMAC), so it is kept
-- as given.
CREATE TABLE webhooks (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    url          TEXT    NOT NULL,
    secret       TEXT    NOT NULL,
    events       TEXT    NOT NULL DEFAULT '[]',
    active       INTEGER NOT NULL DEFAULT TRUE,
    created_by   TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX webhooks_workspace ON webhooks (workspace_id);

-- One delivery of one event to one webhook: pending, delivered or failed
-- (given up). locked_until lets one node at a time attempt it.
CREATE TABLE webhook_deliveries (
    id              INTEGER PRIMARY KEY,
    webhook_id      INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id        INTEGER NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    locked_until    INTEGER NOT NULL DEFAULT 0,
    last_status     INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    delivered_at    INTEGER,
    UNIQUE (webhook_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at);

-- How far the fan-out of events to webhooks has gone (one row).
CREATE TABLE webhook_cursor (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    event_id INTEGER NOT NULL
);
