-- When an expert first opened their link (issue 17 item 1): set once, on the first request the
-- link authenticates, so the round page can say per panelist issued / sent / opened / submitted.
-- A link lives on from round to round, so the first opening while each round is open is kept
-- with the round's invitation too.
ALTER TABLE invitations ADD COLUMN opened_at TEXT;
ALTER TABLE round_panelists ADD COLUMN opened_at TEXT;

-- The round page reads each panelist's latest message of a round.
CREATE INDEX outbox_round_panelist ON outbox (round_id, panelist_id);
