-- Rollups: each local day, week and month of a workspace's metrics,
-- kept as a partial report (internal/metrics.Partial in its binary form)
-- for the whole workspace and for each slice (channel, assignee, topic),
-- so that a dashboard merges a few hundred of them instead of counting
-- every message of a year again.
CREATE TABLE metric_rollups (
    workspace_id INTEGER NOT NULL REFERENCES workspaces (id) ON DELETE CASCADE,
    slice        TEXT    NOT NULL, -- '' for the whole workspace, or channel, assignee, topic
    grain        TEXT    NOT NULL, -- day, week, month or quarter
    day          INTEGER NOT NULL, -- its first local day, in days since 1970-01-01
    zone         TEXT    NOT NULL, -- the time zone its days are local to
    built_at     INTEGER NOT NULL,
    data         BLOB    NOT NULL,
    PRIMARY KEY (workspace_id, slice, grain, day)
);

-- What changed since the rollups were built: a span of time whose days
-- must be counted again, per workspace (NULL: every workspace). The
-- triggers below write it, so that no change, whatever writes it, is
-- missed. Spans are widened to quarter hours, which every time zone's
-- midnight falls on, so that a burst of changes writes a few rows;
-- 253402300799000000 (the end of year 9999) stands for "up to now".
CREATE TABLE metric_dirty (
    id           INTEGER PRIMARY KEY,
    workspace_id INTEGER,
    from_at      INTEGER NOT NULL,
    to_at        INTEGER NOT NULL
);
CREATE INDEX metric_dirty_span ON metric_dirty (workspace_id, from_at, to_at);

-- Each claim of a workspace's changed spans counts one generation more:
-- rollups built before a claim are not saved after it.
CREATE TABLE metric_claims (
    workspace_id INTEGER PRIMARY KEY REFERENCES workspaces (id) ON DELETE CASCADE,
    generation   INTEGER NOT NULL
);

-- Writing to metric_marks (lo, hi) marks a span, widened, once.
CREATE VIEW metric_marks AS SELECT workspace_id, from_at AS lo, to_at AS hi FROM metric_dirty;
CREATE TRIGGER metric_mark INSTEAD OF INSERT ON metric_marks
WHEN NEW.lo IS NOT NULL AND NEW.lo < 253402300799000000
BEGIN
    INSERT INTO metric_dirty (workspace_id, from_at, to_at)
    SELECT NEW.workspace_id, s.f, s.t FROM (SELECT NEW.lo / 900000000 * 900000000 AS f,
        CASE WHEN NEW.hi IS NULL OR NEW.hi >= 253402300799000000 THEN 253402300799000000 ELSE (NEW.hi + 900000000 - 1) / 900000000 * 900000000 END AS t) s
    WHERE NOT EXISTS (SELECT 1 FROM metric_dirty d WHERE d.workspace_id IS NEW.workspace_id AND d.from_at = s.f AND d.to_at = s.t);
END;

-- A conversation counts from its creation or opening; while open, in
-- every day's backlog up to now.
CREATE TRIGGER metric_dirty_conversation_new AFTER INSERT ON conversations BEGIN
    INSERT INTO metric_marks (workspace_id, lo, hi)
    VALUES (NEW.workspace_id, min(NEW.created_at, COALESCE(NEW.opened_at, NEW.created_at)), 253402300799000000);
END;
CREATE TRIGGER metric_dirty_conversation_gone AFTER DELETE ON conversations BEGIN
    INSERT INTO metric_marks (workspace_id, lo, hi)
    VALUES (OLD.workspace_id, min(OLD.created_at, COALESCE(OLD.opened_at, OLD.created_at)), 253402300799000000);
END;
-- A change to what the metrics read of a conversation marks from the
-- earliest instant it moves: a resolution or due time (old or new), a
-- closing (old or new), its opening or first answer, or, when it moves
-- to another channel or assignee, its whole life.
CREATE TRIGGER metric_dirty_conversation AFTER UPDATE ON conversations
WHEN OLD.status IS NOT NEW.status OR OLD.status_at IS NOT NEW.status_at OR OLD.resolved_at IS NOT NEW.resolved_at
    OR OLD.response_due_at IS NOT NEW.response_due_at OR OLD.assignee_id IS NOT NEW.assignee_id
    OR OLD.channel_id IS NOT NEW.channel_id OR OLD.opened_at IS NOT NEW.opened_at OR OLD.answered_at IS NOT NEW.answered_at
    OR OLD.created_at IS NOT NEW.created_at
    OR (OLD.last_activity_at IS NOT NEW.last_activity_at AND (OLD.status IN ('resolved', 'ignored', 'spam') OR NEW.status IN ('resolved', 'ignored', 'spam')))
BEGIN
    INSERT INTO metric_marks (workspace_id, lo, hi) VALUES (NEW.workspace_id, min(
        CASE WHEN OLD.resolved_at IS NOT NEW.resolved_at
            THEN min(COALESCE(OLD.resolved_at, 253402300799000000), COALESCE(NEW.resolved_at, 253402300799000000)) ELSE 253402300799000000 END,
        CASE WHEN OLD.response_due_at IS NOT NEW.response_due_at
            THEN min(COALESCE(OLD.response_due_at, 253402300799000000), COALESCE(NEW.response_due_at, 253402300799000000)) ELSE 253402300799000000 END,
        CASE WHEN OLD.status IN ('resolved', 'ignored', 'spam') THEN COALESCE(OLD.status_at, OLD.last_activity_at) ELSE 253402300799000000 END,
        CASE WHEN NEW.status IN ('resolved', 'ignored', 'spam') THEN COALESCE(NEW.status_at, NEW.last_activity_at) ELSE 253402300799000000 END,
        CASE WHEN OLD.assignee_id IS NOT NEW.assignee_id OR OLD.channel_id IS NOT NEW.channel_id
                OR OLD.created_at IS NOT NEW.created_at
            THEN min(OLD.created_at, NEW.created_at, COALESCE(OLD.opened_at, 253402300799000000), COALESCE(NEW.opened_at, 253402300799000000)) ELSE 253402300799000000 END,
        CASE WHEN OLD.opened_at IS NOT NEW.opened_at OR OLD.answered_at IS NOT NEW.answered_at
            THEN min(COALESCE(OLD.opened_at, 253402300799000000), COALESCE(NEW.opened_at, 253402300799000000), COALESCE(OLD.answered_at, 253402300799000000),
                COALESCE(NEW.answered_at, 253402300799000000)) ELSE 253402300799000000 END), 253402300799000000);
END;

-- A new message counts on its day; the team's also answers the
-- questions left unanswered before it. One written before others of its
-- conversation (an import of the past) may change what follows it.
CREATE TRIGGER metric_dirty_message_new AFTER INSERT ON messages BEGIN
    INSERT INTO metric_marks (workspace_id, lo, hi) VALUES (NEW.workspace_id,
        CASE WHEN NEW.author_is_staff THEN COALESCE((SELECT MIN(q.created_at) FROM messages q
            WHERE q.conversation_id = NEW.conversation_id AND NOT q.author_is_staff AND q.created_at < NEW.created_at
            AND q.created_at >= COALESCE((SELECT MAX(s.created_at) FROM messages s WHERE s.conversation_id = NEW.conversation_id
                AND s.author_is_staff AND s.id <> NEW.id AND s.created_at < NEW.created_at), 0)), NEW.created_at)
        ELSE NEW.created_at END,
        CASE WHEN EXISTS (SELECT 1 FROM messages l WHERE l.conversation_id = NEW.conversation_id AND l.created_at > NEW.created_at)
            THEN 253402300799000000 ELSE NEW.created_at END);
END;
-- A message read again (sentiment, intent) counts again on its day, and
-- on those after it in its conversation; one whose topics, author or
-- conversation changed changes its conversation's whole life.
CREATE TRIGGER metric_dirty_message AFTER UPDATE ON messages
WHEN OLD.sentiment IS NOT NEW.sentiment OR OLD.intent IS NOT NEW.intent OR OLD.topics IS NOT NEW.topics
    OR OLD.member_id IS NOT NEW.member_id OR OLD.conversation_id IS NOT NEW.conversation_id
    OR OLD.created_at IS NOT NEW.created_at OR OLD.author_is_staff IS NOT NEW.author_is_staff
BEGIN
    INSERT INTO metric_marks (workspace_id, lo, hi) VALUES (NEW.workspace_id,
        CASE WHEN OLD.topics IS NOT NEW.topics OR OLD.member_id IS NOT NEW.member_id
                OR OLD.conversation_id IS NOT NEW.conversation_id OR OLD.author_is_staff IS NOT NEW.author_is_staff
            THEN min(OLD.created_at, NEW.created_at, COALESCE((SELECT MIN(min(c.created_at, COALESCE(c.opened_at, c.created_at)))
                FROM conversations c WHERE c.id IN (OLD.conversation_id, NEW.conversation_id)), 253402300799000000))
            ELSE min(OLD.created_at, NEW.created_at) END,
        CASE WHEN OLD.topics IS NOT NEW.topics OR OLD.member_id IS NOT NEW.member_id
                OR OLD.conversation_id IS NOT NEW.conversation_id OR OLD.author_is_staff IS NOT NEW.author_is_staff
                OR EXISTS (SELECT 1 FROM messages l WHERE l.conversation_id = NEW.conversation_id
                    AND l.created_at > min(OLD.created_at, NEW.created_at) AND l.id <> NEW.id)
            THEN 253402300799000000 ELSE max(OLD.created_at, NEW.created_at) END);
END;
CREATE TRIGGER metric_dirty_message_gone AFTER DELETE ON messages BEGIN
    INSERT INTO metric_marks (workspace_id, lo, hi) VALUES (OLD.workspace_id,
        min(OLD.created_at, COALESCE((SELECT min(c.created_at, COALESCE(c.opened_at, c.created_at)) FROM conversations c
            WHERE c.id = OLD.conversation_id), 253402300799000000)), 253402300799000000);
END;

-- An expert asked in counts on the day the conversation opened.
CREATE TRIGGER metric_dirty_participant_new AFTER INSERT ON participants BEGIN
    INSERT INTO metric_marks (workspace_id, lo, hi) SELECT c.workspace_id, COALESCE(c.opened_at, c.created_at),
        COALESCE(c.opened_at, c.created_at) FROM conversations c WHERE c.id = NEW.conversation_id;
END;
CREATE TRIGGER metric_dirty_participant_gone AFTER DELETE ON participants BEGIN
    INSERT INTO metric_marks (workspace_id, lo, hi) SELECT c.workspace_id, COALESCE(c.opened_at, c.created_at),
        COALESCE(c.opened_at, c.created_at) FROM conversations c WHERE c.id = OLD.conversation_id;
END;

-- A member found to have written earlier is no longer new on the day
-- they were thought to start; one found to have started later is new
-- again from then on.
CREATE TRIGGER metric_dirty_member AFTER UPDATE ON members
WHEN OLD.first_seen_at IS NOT NEW.first_seen_at
BEGIN
    INSERT INTO metric_marks (workspace_id, lo, hi) VALUES (NEW.workspace_id, OLD.first_seen_at,
        CASE WHEN NEW.first_seen_at > OLD.first_seen_at THEN 253402300799000000 ELSE OLD.first_seen_at END);
END;

-- Names of slices and the SLA calendar (business hours, time zone) are
-- in every day.
CREATE TRIGGER metric_dirty_channel AFTER UPDATE ON channels WHEN OLD.name IS NOT NEW.name BEGIN
    INSERT INTO metric_marks (workspace_id, lo, hi) VALUES (NEW.workspace_id, 0, 253402300799000000);
END;
CREATE TRIGGER metric_dirty_login AFTER UPDATE ON users WHEN OLD.login IS NOT NEW.login BEGIN
    INSERT INTO metric_marks (workspace_id, lo, hi) VALUES (NULL, 0, 253402300799000000);
END;
CREATE TRIGGER metric_dirty_sla_new AFTER INSERT ON sla_settings BEGIN
    INSERT INTO metric_marks (workspace_id, lo, hi) VALUES (NEW.workspace_id, 0, 253402300799000000);
END;
CREATE TRIGGER metric_dirty_sla AFTER UPDATE ON sla_settings WHEN OLD.settings IS NOT NEW.settings BEGIN
    INSERT INTO metric_marks (workspace_id, lo, hi) VALUES (NEW.workspace_id, 0, 253402300799000000);
END;
CREATE TRIGGER metric_dirty_sla_gone AFTER DELETE ON sla_settings BEGIN
    INSERT INTO metric_marks (workspace_id, lo, hi) VALUES (OLD.workspace_id, 0, 253402300799000000);
END;

-- The backlog of a span: the conversations still open, and those closed
-- since its start; the backlog now, counted in the index, for the
-- workspace and by channel and assignee.
CREATE INDEX conversations_backlog_open ON conversations (workspace_id, opened_at, answered_at)
    WHERE status NOT IN ('resolved', 'ignored', 'spam') AND opened_at IS NOT NULL;
CREATE INDEX conversations_backlog_channel ON conversations (workspace_id, channel_id, opened_at, answered_at)
    WHERE status NOT IN ('resolved', 'ignored', 'spam') AND opened_at IS NOT NULL;
CREATE INDEX conversations_backlog_assignee ON conversations (workspace_id, assignee_id, opened_at, answered_at)
    WHERE status NOT IN ('resolved', 'ignored', 'spam') AND opened_at IS NOT NULL;
CREATE INDEX conversations_backlog_closed ON conversations (workspace_id, COALESCE(status_at, last_activity_at))
    WHERE status IN ('resolved', 'ignored', 'spam') AND opened_at IS NOT NULL;
CREATE INDEX conversations_resolved ON conversations (workspace_id, resolved_at) WHERE resolved_at IS NOT NULL;
