-- Server keys: random secrets the server signs with (device cookies), made
-- the first time they are needed and the same for every palabre node on
-- one database, so that what one node signed another accepts.
CREATE TABLE server_keys (
    name       TEXT    NOT NULL PRIMARY KEY,
    key        TEXT    NOT NULL,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
