-- Routing: who a conversation is assigned to, why (kept also when nobody
-- could take it, so that the inbox can say why), and since when; and each
-- workspace's routing rules, in order, each the JSON of a route.Rule.
ALTER TABLE conversations ADD COLUMN assignee_id INTEGER REFERENCES users (id) ON DELETE SET NULL;
ALTER TABLE conversations ADD COLUMN assignment_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE conversations ADD COLUMN assigned_at INTEGER;
-- A CM's inbox: their conversations of a workspace by status, newest first.
CREATE INDEX conversations_assignee ON conversations (workspace_id, assignee_id, status, last_activity_at DESC);

CREATE TABLE routing_rules (
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    position     INTEGER NOT NULL,
    name         TEXT    NOT NULL,
    rule         TEXT    NOT NULL,
    PRIMARY KEY (workspace_id, position)
) WITHOUT ROWID;
