-- Rollups name members by keys: each member of a workspace gets a number
-- (1, 2, …, for good), so that a year of rollups merges members by
-- number, in arrays, rather than by id. And a rollup keeps its members
-- apart from its counts, which a trend step reads alone. The rollups
-- kept so far named members by id, with the counts: they go, and every
-- workspace's time is counted again.
CREATE TABLE metric_members (
    workspace_id BIGINT  NOT NULL,
    member_id    TEXT    NOT NULL,
    number       BIGINT  NOT NULL,
    PRIMARY KEY (workspace_id, member_id),
    UNIQUE (workspace_id, number),
    FOREIGN KEY (workspace_id, member_id) REFERENCES members (workspace_id, id) ON DELETE CASCADE
);

DELETE FROM metric_rollups;
ALTER TABLE metric_rollups ADD COLUMN members BYTEA   NOT NULL DEFAULT ''::bytea;
INSERT INTO metric_dirty (workspace_id, from_at, to_at) SELECT id, 0, 253402300799000000 FROM workspaces;
