-- Analysis: scores beside the labels, fields a CM corrected (never
-- overwritten by a later analysis), workspace vocabularies, corrections the
-- workspace model learns from, and the checkpoint of a running reanalysis.
ALTER TABLE messages ADD COLUMN lang_confidence REAL;
ALTER TABLE messages ADD COLUMN needs_response_score REAL;
ALTER TABLE messages ADD COLUMN spam_score REAL;
ALTER TABLE messages ADD COLUMN corrected INTEGER NOT NULL DEFAULT 0;

CREATE TABLE topics (
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    name         TEXT    NOT NULL,
    terms        TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, name)
) WITHOUT ROWID;

CREATE TABLE corrections (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    message_id   INTEGER REFERENCES messages (id) ON DELETE SET NULL,
    field        TEXT    NOT NULL,
    old_value    TEXT    NOT NULL,
    new_value    TEXT    NOT NULL,
    text         TEXT    NOT NULL,
    actor        TEXT    NOT NULL,
    created_at   INTEGER NOT NULL
);
CREATE INDEX corrections_workspace ON corrections (workspace_id, id);

CREATE TABLE reanalysis (
    workspace_id    INTEGER PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    fingerprint     TEXT    NOT NULL,
    last_message_id INTEGER NOT NULL,
    done            INTEGER NOT NULL,
    total           INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
