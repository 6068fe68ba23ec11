-- CM profiles: languages, time zone and weekly hours (JSON), capacity and
-- status, one row per user who set one; and their strength on topics of
-- workspaces, which routing matches conversations against.
CREATE TABLE profiles (
    user_id    BIGINT  PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    languages  TEXT    NOT NULL DEFAULT '[]',
    time_zone  TEXT    NOT NULL DEFAULT 'UTC',
    hours      TEXT    NOT NULL DEFAULT '{}',
    capacity   INTEGER NOT NULL DEFAULT 0,
    status     TEXT    NOT NULL DEFAULT 'available',
    updated_at BIGINT  NOT NULL
);

CREATE TABLE specialisations (
    user_id      BIGINT           NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    workspace_id BIGINT           NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    topic        TEXT             NOT NULL,
    strength     DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (user_id, workspace_id, topic)
);
CREATE INDEX specialisations_workspace ON specialisations (workspace_id, topic);
