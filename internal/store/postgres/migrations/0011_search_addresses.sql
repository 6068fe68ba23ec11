-- E-mail addresses are now indexed whole as well (see search.go): every
-- message and member is indexed again, once, by BackfillSearch, from the
-- newest message down, by palabre serve in the background.
DELETE FROM search_backfill;
INSERT INTO search_backfill (id, message_id)
    SELECT 1, (SELECT COALESCE(MAX(id), 0) FROM messages)
    WHERE EXISTS (SELECT 1 FROM messages) OR EXISTS (SELECT 1 FROM members);
