-- Members: staff notes and tags on a member, merges of members (undoable),
-- users' saved inbox views and the language of their screens.

-- merged_into: the member this one was merged into; its identities and
-- messages are there. The row stays, so that the merge can be undone.
ALTER TABLE members ADD COLUMN merged_into TEXT;

CREATE TABLE member_notes (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER NOT NULL,
    member_id    TEXT    NOT NULL,
    author_id    INTEGER REFERENCES users (id) ON DELETE SET NULL,
    author       TEXT    NOT NULL,
    body         TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    FOREIGN KEY (workspace_id, member_id) REFERENCES members (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX member_notes_member ON member_notes (workspace_id, member_id, id);

CREATE TABLE member_tags (
    workspace_id INTEGER NOT NULL,
    member_id    TEXT    NOT NULL,
    tag          TEXT    NOT NULL,
    PRIMARY KEY (workspace_id, member_id, tag),
    FOREIGN KEY (workspace_id, member_id) REFERENCES members (workspace_id, id) ON DELETE CASCADE
) WITHOUT ROWID;

-- One merge of from_id into into_id. last_message_id is the newest message
-- id when it was made: messages after it, imported for an identity that
-- came from from_id, go back with it when the merge is undone. The staff
-- flags are the two members' before the merge. undone_at is set by unmerge.
CREATE TABLE member_merges (
    id              INTEGER PRIMARY KEY,
    workspace_id    INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    into_id         TEXT    NOT NULL,
    from_id         TEXT    NOT NULL,
    actor           TEXT    NOT NULL,
    created_at      INTEGER NOT NULL,
    last_message_id INTEGER NOT NULL,
    into_staff      INTEGER NOT NULL,
    from_staff      INTEGER NOT NULL,
    identities      INTEGER NOT NULL,
    messages        INTEGER NOT NULL,
    undone_at       INTEGER
);
CREATE INDEX member_merges_into ON member_merges (workspace_id, into_id, id);
CREATE INDEX member_merges_from ON member_merges (workspace_id, from_id, id);

-- The identity keys each side held when the merge was made ('from' keys
-- moved; 'into' keys stayed), the messages it moved, and the tags of
-- from_id it added to into_id.
CREATE TABLE member_merge_identities (
    merge_id INTEGER NOT NULL REFERENCES member_merges (id) ON DELETE CASCADE,
    key      TEXT    NOT NULL,
    side     TEXT    NOT NULL,
    PRIMARY KEY (merge_id, key)
) WITHOUT ROWID;
CREATE TABLE member_merge_messages (
    merge_id   INTEGER NOT NULL REFERENCES member_merges (id) ON DELETE CASCADE,
    message_id INTEGER NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
    PRIMARY KEY (merge_id, message_id)
) WITHOUT ROWID;
CREATE TABLE member_merge_tags (
    merge_id INTEGER NOT NULL REFERENCES member_merges (id) ON DELETE CASCADE,
    tag      TEXT    NOT NULL,
    PRIMARY KEY (merge_id, tag)
) WITHOUT ROWID;

CREATE TABLE saved_views (
    id         INTEGER PRIMARY KEY,
    user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    name       TEXT    NOT NULL,
    query      TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    UNIQUE (user_id, name)
);

-- '' follows the browser's language; otherwise 'en' or 'fr'.
ALTER TABLE users ADD COLUMN ui_language TEXT NOT NULL DEFAULT '';
