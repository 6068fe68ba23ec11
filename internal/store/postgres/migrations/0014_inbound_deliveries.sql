-- Deliveries an inbound webhook accepted, by channel and the SHA-256 of
-- their body, kept as long as a replay of them could still pass the
-- signature check (until); a delivery seen again then is refused.
CREATE TABLE inbound_deliveries (
    channel_id BIGINT NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
    key        TEXT    NOT NULL,
    until      BIGINT NOT NULL,
    PRIMARY KEY (channel_id, key)
);
