-- A workspace's listening alerts: its settings (JSON of a
-- model.AlertSettings) and the newest message detection has looked at, so
-- that each message is searched for keywords once, whichever node looks.
CREATE TABLE alert_settings (
    workspace_id    INTEGER PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    settings        TEXT    NOT NULL,
    last_message_id INTEGER NOT NULL DEFAULT 0,
    updated_at      INTEGER NOT NULL
);

-- The alerts raised: one per workspace, kind, subject and bucket (a
-- spike's window, a keyword's newest message), so that a spike is raised
-- once a window. Their e-mail is claimed by lease like the outbox.
CREATE TABLE alerts (
    id            INTEGER PRIMARY KEY,
    workspace_id  INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    kind          TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    bucket        INTEGER NOT NULL,
    from_at       INTEGER NOT NULL,
    to_at         INTEGER NOT NULL,
    count         INTEGER NOT NULL,
    usual         REAL NOT NULL,
    message_ids   TEXT    NOT NULL,
    headline      TEXT    NOT NULL DEFAULT '',
    created_at    INTEGER NOT NULL,
    emailed_at    INTEGER,
    mail_attempts INTEGER NOT NULL DEFAULT 0,
    mail_error    TEXT    NOT NULL DEFAULT '',
    mail_next_at  INTEGER NOT NULL DEFAULT 0,
    lease_token   TEXT    NOT NULL DEFAULT '',
    lease_until   INTEGER NOT NULL DEFAULT 0,
    UNIQUE (workspace_id, kind, subject, bucket)
);
CREATE INDEX alerts_recent ON alerts (workspace_id, created_at);

-- Detection asks for a workspace's newest message every round: read from
-- the end of this index, not by scanning the workspace's messages.
CREATE INDEX messages_workspace_id ON messages (workspace_id, id);
