-- Sending the outbox through live channels. A node sending an entry
-- claims it (lease_token, lease_until, by compare-and-set), marks the
-- attempt begun (sending_at) before asking the platform, and records the
-- platform's id of the reply (external_id, url) once sent. An attempt
-- found begun by a later claim was cut short (a crash): the platform is
-- asked whether the reply arrived before it is sent again.
ALTER TABLE outbox ADD COLUMN lease_token TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN lease_until BIGINT NOT NULL DEFAULT 0;
ALTER TABLE outbox ADD COLUMN sending_at BIGINT;
ALTER TABLE outbox ADD COLUMN external_id TEXT NOT NULL DEFAULT '';
ALTER TABLE outbox ADD COLUMN url TEXT NOT NULL DEFAULT '';
