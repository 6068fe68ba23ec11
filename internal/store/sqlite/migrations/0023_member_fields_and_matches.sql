-- Member 360 and identity resolution: the custom fields a CM sets on a
-- member ("customer id", "city"), the blocking keys that find members who
-- may be one person (namematch: folded names, initials, handles, personal
-- web domains, each with what the member signed that gave it and how
-- many words that has), and the
-- pairs a CM said are not the same person (member_a < member_b).

CREATE TABLE member_fields (
    workspace_id INTEGER NOT NULL,
    member_id    TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    value        TEXT    NOT NULL,
    updated_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, member_id, key),
    FOREIGN KEY (workspace_id, member_id) REFERENCES members (workspace_id, id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE TABLE member_match_keys (
    workspace_id INTEGER NOT NULL,
    key          TEXT    NOT NULL,
    member_id    TEXT    NOT NULL,
    source       TEXT    NOT NULL,
    words        INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, key, member_id),
    FOREIGN KEY (workspace_id, member_id) REFERENCES members (workspace_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
-- Covering: SQLite, without statistics, walks a WITHOUT ROWID table's
-- primary key over the whole workspace rather than use an index that
-- must look rows up.
CREATE INDEX member_match_keys_member ON member_match_keys (workspace_id, member_id, key, source, words);

-- The same holds of a member's identities (the member panel, Member):
-- their index covers them now.
DROP INDEX identities_member;
CREATE INDEX identities_member ON identities (workspace_id, member_id, kind, key, value);

CREATE TABLE member_dismissals (
    workspace_id INTEGER NOT NULL,
    member_a     TEXT    NOT NULL,
    member_b     TEXT    NOT NULL,
    actor        TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, member_a, member_b),
    FOREIGN KEY (workspace_id, member_a) REFERENCES members (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, member_b) REFERENCES members (workspace_id, id) ON DELETE CASCADE
) WITHOUT ROWID;

CREATE INDEX member_dismissals_b ON member_dismissals (workspace_id, member_b);

-- The members stored before are given their keys by BackfillSearch,
-- which indexes every member again (the messages are indexed already).
INSERT INTO search_backfill (id, message_id)
    SELECT 1, 0 WHERE EXISTS (SELECT 1 FROM members) AND NOT EXISTS (SELECT 1 FROM search_backfill);
