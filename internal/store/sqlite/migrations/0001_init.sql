CREATE TABLE workspaces (
    id         INTEGER PRIMARY KEY,
    slug       TEXT    NOT NULL UNIQUE,
    name       TEXT    NOT NULL,
    sector     TEXT    NOT NULL DEFAULT '',
    language   TEXT    NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL
);

CREATE TABLE channels (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    kind         TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL,
    UNIQUE (workspace_id, name)
);

CREATE TABLE members (
    workspace_id  INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    id            TEXT    NOT NULL,
    display_name  TEXT    NOT NULL DEFAULT '',
    is_staff      INTEGER NOT NULL DEFAULT 0,
    message_count INTEGER NOT NULL DEFAULT 0,
    first_seen_at INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, id)
) WITHOUT ROWID;

CREATE TABLE identities (
    workspace_id INTEGER NOT NULL,
    key          TEXT    NOT NULL,
    member_id    TEXT    NOT NULL,
    kind         TEXT    NOT NULL,
    value        TEXT    NOT NULL,
    PRIMARY KEY (workspace_id, key),
    FOREIGN KEY (workspace_id, member_id) REFERENCES members (workspace_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX identities_member ON identities (workspace_id, member_id);

CREATE TABLE conversations (
    id               INTEGER PRIMARY KEY,
    workspace_id     INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    channel_id       INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    root_external_id TEXT    NOT NULL,
    subject          TEXT    NOT NULL DEFAULT '',
    status           TEXT    NOT NULL DEFAULT 'new',
    priority         INTEGER NOT NULL DEFAULT 0,
    message_count    INTEGER NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    last_activity_at INTEGER NOT NULL,
    UNIQUE (channel_id, root_external_id)
);
CREATE INDEX conversations_inbox ON conversations (workspace_id, last_activity_at DESC, id DESC);
CREATE INDEX conversations_status ON conversations (workspace_id, status, last_activity_at DESC, id DESC);

CREATE TABLE messages (
    id                 INTEGER PRIMARY KEY,
    workspace_id       INTEGER NOT NULL,
    channel_id         INTEGER NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    conversation_id    INTEGER NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
    external_id        TEXT    NOT NULL,
    parent_external_id TEXT    NOT NULL DEFAULT '',
    kind               TEXT    NOT NULL,
    status             TEXT    NOT NULL,
    title              TEXT    NOT NULL DEFAULT '',
    author_name        TEXT    NOT NULL DEFAULT '',
    author_handle      TEXT    NOT NULL DEFAULT '',
    author_email       TEXT    NOT NULL DEFAULT '',
    author_url         TEXT    NOT NULL DEFAULT '',
    author_is_staff    INTEGER NOT NULL DEFAULT 0,
    member_id          TEXT,
    body               TEXT    NOT NULL,
    body_html          TEXT    NOT NULL DEFAULT '',
    url                TEXT    NOT NULL DEFAULT '',
    created_at         INTEGER NOT NULL,
    lang               TEXT    NOT NULL DEFAULT '',
    sentiment          TEXT    NOT NULL DEFAULT '',
    sentiment_score    REAL,
    intent             TEXT    NOT NULL DEFAULT '',
    needs_response     INTEGER,
    spam               INTEGER,
    topics             TEXT    NOT NULL DEFAULT '',
    UNIQUE (channel_id, external_id),
    FOREIGN KEY (workspace_id, member_id) REFERENCES members (workspace_id, id)
);
CREATE INDEX messages_conversation ON messages (conversation_id, created_at);
CREATE INDEX messages_workspace_time ON messages (workspace_id, created_at);
CREATE INDEX messages_member ON messages (workspace_id, member_id);

CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER REFERENCES workspaces (id) ON DELETE CASCADE,
    actor        TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    subject      TEXT    NOT NULL DEFAULT '',
    detail       TEXT    NOT NULL DEFAULT '',
    created_at   INTEGER NOT NULL
);
CREATE INDEX events_workspace ON events (workspace_id, created_at);
