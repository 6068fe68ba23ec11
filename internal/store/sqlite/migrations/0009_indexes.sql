-- A member's messages in time order, with what their page reads of them
-- (conversation, sentiment), so that the page reads this index alone; it
-- serves every lookup the (workspace_id, member_id) index served.
CREATE INDEX messages_member_time ON messages (workspace_id, member_id, created_at, conversation_id, sentiment, sentiment_score);
DROP INDEX messages_member;

-- The inbox's side-bar counts (mine, unassigned, waiting, due soon) read
-- the open conversations from this index alone, not from the table.
CREATE INDEX conversations_open_counts ON conversations (workspace_id, snoozed_until, assignee_id, awaiting_since, response_due_at)
    WHERE status IN ('new', 'open', 'pending');
