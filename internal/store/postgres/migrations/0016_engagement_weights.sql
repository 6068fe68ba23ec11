-- A workspace's weights of its members' engagement score, as the JSON of
-- a metrics.Weights; a workspace without a row uses the defaults.
CREATE TABLE engagement_weights (
    workspace_id BIGINT PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    weights      TEXT   NOT NULL,
    updated_at   BIGINT NOT NULL
);
