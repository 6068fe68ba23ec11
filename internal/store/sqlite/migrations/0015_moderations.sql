-- Moderation a CM asked of a customer's message, waiting for, or done
-- with, the platform of its channel. One row per message: the latest
-- action asked is the state the platform should reach, so a newer action
-- replaces an older one still waiting. A node sending it claims it
-- (lease_token, lease_until, by compare-and-set); status is pending, sent
-- or failed.
CREATE TABLE moderations (
    id              INTEGER PRIMARY KEY,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    channel_id      INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    conversation_id INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    message_id      INTEGER NOT NULL UNIQUE REFERENCES messages (id) ON DELETE CASCADE,
    action          TEXT    NOT NULL,
    status          TEXT    NOT NULL DEFAULT 'pending',
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    last_error      TEXT    NOT NULL DEFAULT '',
    lease_token     TEXT    NOT NULL DEFAULT '',
    lease_until     INTEGER NOT NULL DEFAULT 0,
    created_by      TEXT    NOT NULL DEFAULT '',
    created_at      INTEGER NOT NULL,
    sent_at         INTEGER
);
CREATE INDEX moderations_due ON moderations (status, next_attempt_at);
CREATE INDEX moderations_conversation ON moderations (conversation_id);
