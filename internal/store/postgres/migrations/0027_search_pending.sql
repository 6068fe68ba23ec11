-- The search indexes are GIN indexes: what is added goes to a pending
-- list first, and every search reads that list through until it is
-- merged into the index (by autovacuum, or by the write that finds it
-- over its limit). A busy inbox adds faster than autovacuum comes by:
-- at the default limit (4 MB) each search read thousands of pending
-- entries. A short list keeps searches fast, at the price of merging
-- more often, a little at a time.
ALTER INDEX message_search_terms SET (gin_pending_list_limit = 128);
ALTER INDEX member_search_terms SET (gin_pending_list_limit = 128);
