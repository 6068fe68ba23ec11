-- Routing reads, for each CM, when they were last given a conversation
-- (round-robin goes to who waited longest). Without this index that was
-- a walk over every conversation the CM ever held, in every round: a
-- CM's history only grows.
CREATE INDEX conversations_assigned ON conversations (workspace_id, assignee_id, assigned_at);
