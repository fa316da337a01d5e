-- When an expert first opened their link (issue 17 item 1): set once, on the first request the
-- link authenticates, so the round page can say per panelist issued / sent / opened / submitted.
ALTER TABLE invitations ADD COLUMN opened_at TEXT;

-- The round page reads each panelist's latest message of a round.
CREATE INDEX outbox_round_panelist ON outbox (round_id, panelist_id);
