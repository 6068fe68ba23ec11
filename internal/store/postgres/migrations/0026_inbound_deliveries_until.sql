-- Remembering an inbound delivery forgets the channel's expired ones
-- first: this index makes that a look at what expired, not a walk over
-- every delivery of the last minutes (a busy webhook keeps tens of
-- thousands).
CREATE INDEX inbound_deliveries_until ON inbound_deliveries (channel_id, until);
