-- A conversation's topics, as its customers' messages give them: their
-- topics columns (JSON lists), each once, one per line. Kept by triggers,
-- whatever writes the messages, so that the backlog by topic now is
-- counted from the index of the open conversations rather than from
-- their messages.
ALTER TABLE conversations ADD COLUMN topics TEXT NOT NULL DEFAULT '';

-- Writing a conversation's id to conversation_topics_of sets its topics
-- again from its messages.
CREATE VIEW conversation_topics_of AS SELECT id FROM conversations;
CREATE TRIGGER conversation_topics_of INSTEAD OF INSERT ON conversation_topics_of
BEGIN
    UPDATE conversations SET topics = COALESCE((SELECT group_concat(t, char(10)) FROM (SELECT DISTINCT m.topics AS t FROM messages m
        WHERE m.conversation_id = conversations.id AND NOT m.author_is_staff AND m.topics <> '' ORDER BY 1)), '')
    WHERE id = NEW.id;
END;

INSERT INTO conversation_topics_of (id)
SELECT DISTINCT conversation_id FROM messages WHERE NOT author_is_staff AND topics <> '';

CREATE TRIGGER conversation_topics_new AFTER INSERT ON messages
WHEN NOT NEW.author_is_staff AND NEW.topics <> ''
BEGIN
    INSERT INTO conversation_topics_of (id) VALUES (NEW.conversation_id);
END;
CREATE TRIGGER conversation_topics_gone AFTER DELETE ON messages
WHEN NOT OLD.author_is_staff AND OLD.topics <> ''
BEGIN
    INSERT INTO conversation_topics_of (id) VALUES (OLD.conversation_id);
END;
CREATE TRIGGER conversation_topics AFTER UPDATE ON messages
WHEN OLD.topics IS NOT NEW.topics OR OLD.author_is_staff IS NOT NEW.author_is_staff OR OLD.conversation_id IS NOT NEW.conversation_id
BEGIN
    INSERT INTO conversation_topics_of (id) VALUES (OLD.conversation_id);
    INSERT INTO conversation_topics_of (id) SELECT NEW.conversation_id WHERE NEW.conversation_id IS NOT OLD.conversation_id;
END;

-- The backlog now by topic: the open conversations with their topics.
CREATE INDEX conversations_backlog_topics ON conversations (workspace_id, opened_at, answered_at, topics)
    WHERE status NOT IN ('resolved', 'ignored', 'spam') AND opened_at IS NOT NULL;
