-- Member 360 and identity resolution: the custom fields a CM sets on a
-- member ("customer id", "city"), the blocking keys that find members who
-- may be one person (namematch: folded names, initials, handles, personal
-- web domains, each with what the member signed that gave it and how
-- many words that has), and the
-- pairs a CM said are not the same person (member_a < member_b).

CREATE TABLE member_fields (
    workspace_id BIGINT  NOT NULL,
    member_id    TEXT    NOT NULL,
    key          TEXT    NOT NULL,
    value        TEXT    NOT NULL,
    updated_at   BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, member_id, key),
    FOREIGN KEY (workspace_id, member_id) REFERENCES members (workspace_id, id) ON DELETE CASCADE
);

CREATE TABLE member_match_keys (
    workspace_id BIGINT  NOT NULL,
    key          TEXT    NOT NULL,
    member_id    TEXT    NOT NULL,
    source       TEXT    NOT NULL,
    words        INTEGER NOT NULL,
    PRIMARY KEY (workspace_id, key, member_id),
    FOREIGN KEY (workspace_id, member_id) REFERENCES members (workspace_id, id) ON DELETE CASCADE
);
CREATE INDEX member_match_keys_member ON member_match_keys (workspace_id, member_id);

CREATE TABLE member_dismissals (
    workspace_id BIGINT  NOT NULL,
    member_a     TEXT    NOT NULL,
    member_b     TEXT    NOT NULL,
    actor        TEXT    NOT NULL,
    created_at   BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, member_a, member_b),
    FOREIGN KEY (workspace_id, member_a) REFERENCES members (workspace_id, id) ON DELETE CASCADE,
    FOREIGN KEY (workspace_id, member_b) REFERENCES members (workspace_id, id) ON DELETE CASCADE
);

CREATE INDEX member_dismissals_b ON member_dismissals (workspace_id, member_b);

-- The members stored before are given their keys by BackfillSearch,
-- which indexes every member again (the messages are indexed already).
INSERT INTO search_backfill (id, message_id)
    SELECT 1, 0 WHERE EXISTS (SELECT 1 FROM members) AND NOT EXISTS (SELECT 1 FROM search_backfill);
