-- A workspace's privacy policy: how a person who asks to be forgotten is
-- erased (their messages deleted, or kept without who wrote them), and
-- how long messages are kept (0 months: for ever) and what happens to
-- older ones (purged, or anonymised). retained_at is when the server last
-- applied the retention, so that it runs about once a day whatever the
-- number of nodes.
CREATE TABLE privacy_settings (
    workspace_id     INTEGER PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    erasure          TEXT    NOT NULL DEFAULT 'delete' CHECK (erasure IN ('delete', 'anonymise')),
    retention_months INTEGER NOT NULL DEFAULT 0 CHECK (retention_months >= 0),
    retention_action TEXT    NOT NULL DEFAULT 'anonymise' CHECK (retention_action IN ('purge', 'anonymise')),
    retained_at      INTEGER NOT NULL DEFAULT 0,
    updated_at       INTEGER NOT NULL
);
