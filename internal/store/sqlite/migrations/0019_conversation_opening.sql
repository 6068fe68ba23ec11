-- When a conversation's first customer message came, and when the team
-- first wrote after it: all the metrics need of a conversation that only
-- waits in a period's backlog, kept as messages arrive rather than found
-- in its messages for every report.
ALTER TABLE conversations ADD COLUMN opened_at INTEGER;
ALTER TABLE conversations ADD COLUMN answered_at INTEGER;
UPDATE conversations SET
    opened_at = (SELECT MIN(m.created_at) FROM messages m
        WHERE m.conversation_id = conversations.id AND NOT m.author_is_staff),
    answered_at = (SELECT MIN(s.created_at) FROM messages s
        WHERE s.conversation_id = conversations.id AND s.author_is_staff
        AND s.created_at > (SELECT MIN(m.created_at) FROM messages m
            WHERE m.conversation_id = conversations.id AND NOT m.author_is_staff));
