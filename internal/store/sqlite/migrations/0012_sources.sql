-- Live sources: what palabre serve polls for each channel (a comment feed,
-- a WordPress site, a mailbox, a Mastodon account), how often, where its
-- reading stands and how its last polls went.
--
-- config holds the connector's settings, secrets included; the API never
-- shows the secrets. cursor is the connector's connector.Cursor as JSON,
-- written only once what a poll read is stored. A node polls a source
-- after claiming it: lease_token and lease_until, set by a compare-and-set,
-- so that with several nodes each source is polled by one at a time.
CREATE TABLE sources (
    id               INTEGER PRIMARY KEY,
    workspace_id     INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    channel_id       INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    kind             TEXT    NOT NULL,
    name             TEXT    NOT NULL,
    config           TEXT    NOT NULL DEFAULT '{}',
    interval_seconds INTEGER NOT NULL DEFAULT 60,
    enabled          INTEGER NOT NULL DEFAULT TRUE,
    cursor           TEXT    NOT NULL DEFAULT '{}',
    next_poll_at     INTEGER NOT NULL,
    lease_token      TEXT    NOT NULL DEFAULT '',
    lease_until      INTEGER NOT NULL DEFAULT 0,
    last_poll_at     INTEGER,
    last_success_at  INTEGER,
    last_error_at    INTEGER,
    last_error       TEXT    NOT NULL DEFAULT '',
    failures         INTEGER NOT NULL DEFAULT 0,
    last_items       INTEGER NOT NULL DEFAULT 0,
    items_seen       INTEGER NOT NULL DEFAULT 0,
    created_by       TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    UNIQUE (workspace_id, name)
);
-- The scheduler's question: which enabled sources are due?
CREATE INDEX sources_due ON sources (next_poll_at) WHERE enabled;
