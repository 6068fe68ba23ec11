-- A member's messages in time order (their page: conversations, sentiment
-- by month) without reading the rest of the workspace's; it serves every
-- lookup the (workspace_id, member_id) index served.
CREATE INDEX messages_member_time ON messages (workspace_id, member_id, created_at);
DROP INDEX messages_member;
