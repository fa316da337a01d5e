-- Consensus meetings (issue 15): a workshop's live votes on the items the rounds left
-- undecided. Each closed vote becomes a decision (decisions, basis meeting_vote).

CREATE TABLE meetings (
    id         INTEGER PRIMARY KEY,
    study_id   INTEGER NOT NULL REFERENCES studies (id),
    title      TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    date       TEXT NOT NULL, -- YYYY-MM-DD
    place      TEXT NOT NULL DEFAULT '',
    -- join_code is the short code attendees type, unique and never reused (a changed code
    -- stops working); join_open says whether it takes attendees now.
    join_code  TEXT NOT NULL UNIQUE,
    join_open  INTEGER NOT NULL DEFAULT 1 CHECK (join_open IN (0, 1)),
    state      TEXT NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'ended')),
    created_by INTEGER REFERENCES staff (id),
    created_at TEXT NOT NULL,
    ended_at   TEXT
);
CREATE INDEX meetings_study ON meetings (study_id);

-- The items put to the meeting, in the presenter's order. question is the JSON of the
-- question put when the vote opened ({"kind":"proposal","tier":…} or {"kind":"options"}).
CREATE TABLE meeting_items (
    meeting_id  INTEGER NOT NULL REFERENCES meetings (id),
    item_id     TEXT NOT NULL,
    position    INTEGER NOT NULL,
    state       TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'open', 'closed')),
    question    TEXT NOT NULL DEFAULT '',
    opened_at   TEXT,
    closed_at   TEXT,
    decision_id INTEGER REFERENCES decisions (id),
    PRIMARY KEY (meeting_id, item_id)
);
-- One vote open at a time in a meeting, even against a bug in the code.
CREATE UNIQUE INDEX meeting_items_one_open ON meeting_items (meeting_id) WHERE state = 'open';

-- Who joined, by code or through an invite link (panelist_id). The name is shown to no one
-- but the meeting's staff and appears in no result or export.
CREATE TABLE meeting_attendees (
    id          INTEGER PRIMARY KEY,
    meeting_id  INTEGER NOT NULL REFERENCES meetings (id),
    name        TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    group_id    TEXT NOT NULL,
    panelist_id INTEGER REFERENCES panelists (id),
    joined_at   TEXT NOT NULL
);
CREATE INDEX meeting_attendees_meeting ON meeting_attendees (meeting_id);

-- Votes. While an item's vote is open a vote is tied to its attendee (one per attendee,
-- replaced by a later one); when it closes attendee_id is set to NULL, so that the stored
-- votes say only which group voted what, as every result does.
CREATE TABLE meeting_votes (
    id          INTEGER PRIMARY KEY,
    meeting_id  INTEGER NOT NULL,
    item_id     TEXT NOT NULL,
    attendee_id INTEGER REFERENCES meeting_attendees (id),
    group_id    TEXT NOT NULL,
    option      TEXT NOT NULL,
    FOREIGN KEY (meeting_id, item_id) REFERENCES meeting_items (meeting_id, item_id)
);
CREATE UNIQUE INDEX meeting_votes_one ON meeting_votes (meeting_id, item_id, attendee_id);
