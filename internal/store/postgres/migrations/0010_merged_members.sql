-- The members merged into a member, found from it: its notes (and those of
-- everyone merged into it) are read through this index, not by a scan of
-- every member of the workspace. Few members are ever merged, so the
-- index holds only them.
CREATE INDEX members_merged_into ON members (workspace_id, merged_into) WHERE merged_into IS NOT NULL;
