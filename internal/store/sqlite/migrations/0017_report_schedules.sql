-- A workspace's monthly client report sent by e-mail: to whom, in which
-- language, and from which month on (the month it was turned on).
CREATE TABLE report_schedules (
    workspace_id INTEGER PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    enabled      BOOLEAN NOT NULL,
    recipients   TEXT    NOT NULL, -- JSON array of addresses
    lang         TEXT    NOT NULL,
    since        TEXT    NOT NULL, -- YYYY-MM
    updated_at   INTEGER NOT NULL
);

-- One month's report of a workspace sent by e-mail, or being sent: one
-- row per workspace and month, so that it is sent once, whichever node
-- sends it. Claimed by lease like the outbox.
CREATE TABLE report_deliveries (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    month        TEXT    NOT NULL,
    status       TEXT    NOT NULL, -- pending, sent, failed
    recipients   TEXT    NOT NULL DEFAULT '[]', -- as sent
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT    NOT NULL DEFAULT '',
    next_at      INTEGER NOT NULL,
    sent_at      INTEGER,
    created_at   INTEGER NOT NULL,
    lease_token  TEXT    NOT NULL DEFAULT '',
    lease_until  INTEGER NOT NULL DEFAULT 0,
    UNIQUE (workspace_id, month)
);
CREATE INDEX report_deliveries_due ON report_deliveries (status, next_at);
