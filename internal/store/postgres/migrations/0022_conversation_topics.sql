-- A conversation's topics, as its customers' messages give them: their
-- topics columns (JSON lists), each once, one per line. Kept by triggers,
-- whatever writes the messages, so that the backlog by topic now is
-- counted from the index of the open conversations rather than from
-- their messages.
ALTER TABLE conversations ADD COLUMN topics TEXT NOT NULL DEFAULT '';

CREATE FUNCTION conversation_topics_of(conv BIGINT) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    UPDATE conversations SET topics = COALESCE((SELECT string_agg(t, chr(10) ORDER BY t) FROM (SELECT DISTINCT m.topics AS t
        FROM messages m WHERE m.conversation_id = conv AND NOT m.author_is_staff AND m.topics <> '') d), '')
    WHERE id = conv;
END
$$;

UPDATE conversations c SET topics = d.topics FROM (SELECT conversation_id, string_agg(t, chr(10) ORDER BY t) AS topics
    FROM (SELECT DISTINCT conversation_id, topics AS t FROM messages WHERE NOT author_is_staff AND topics <> '') m
    GROUP BY conversation_id) d
WHERE c.id = d.conversation_id;

CREATE FUNCTION conversation_topics() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        IF NOT NEW.author_is_staff AND NEW.topics <> '' THEN
            PERFORM conversation_topics_of(NEW.conversation_id);
        END IF;
    ELSIF TG_OP = 'DELETE' THEN
        IF NOT OLD.author_is_staff AND OLD.topics <> '' THEN
            PERFORM conversation_topics_of(OLD.conversation_id);
        END IF;
    ELSE
        PERFORM conversation_topics_of(OLD.conversation_id);
        IF NEW.conversation_id <> OLD.conversation_id THEN
            PERFORM conversation_topics_of(NEW.conversation_id);
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE TRIGGER conversation_topics_new AFTER INSERT OR DELETE ON messages
    FOR EACH ROW EXECUTE FUNCTION conversation_topics();
CREATE TRIGGER conversation_topics AFTER UPDATE ON messages FOR EACH ROW
    WHEN (OLD.topics IS DISTINCT FROM NEW.topics OR OLD.author_is_staff <> NEW.author_is_staff
        OR OLD.conversation_id <> NEW.conversation_id)
    EXECUTE FUNCTION conversation_topics();

-- The backlog now by topic: the open conversations with their topics.
CREATE INDEX conversations_backlog_topics ON conversations (workspace_id, opened_at, answered_at, topics)
    WHERE status NOT IN ('resolved', 'ignored', 'spam') AND opened_at IS NOT NULL;
