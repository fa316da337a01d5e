-- The outcome of a study (shared/outcome-definitions.md): the tier rule frozen beside the
-- consensus rule, the facilitators' reasons for changing the item set, and the decisions of
-- meetings and the steering committee.

-- The outcome rule in force (JSON) and its sha256, frozen when each round opens ...
ALTER TABLE rounds ADD COLUMN outcome_rule TEXT NOT NULL DEFAULT '';
ALTER TABLE rounds ADD COLUMN outcome_rule_hash TEXT NOT NULL DEFAULT '';
-- ... and again when the study is finished.
ALTER TABLE studies ADD COLUMN outcome_rule TEXT NOT NULL DEFAULT '';
ALTER TABLE studies ADD COLUMN outcome_rule_hash TEXT NOT NULL DEFAULT '';

-- Why the item set changed when a round opened: an item added, reworded (with the earlier
-- wording), merged from others, or dropped. Written with the round, in its transaction.
CREATE TABLE item_changes (
    round_id     INTEGER NOT NULL REFERENCES rounds (id),
    item_id      TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('added', 'reworded', 'merged', 'dropped')),
    reason       TEXT NOT NULL CHECK (length(reason) BETWEEN 1 AND 2000),
    derived_from TEXT NOT NULL DEFAULT '', -- comma-separated ids
    earlier      TEXT NOT NULL DEFAULT '', -- JSON of the survey.Item as last asked (reworded)
    PRIMARY KEY (round_id, item_id)
);

-- Decisions that settle an item after the rounds. Append-only: a later decision supersedes an
-- earlier one, and both stay.
CREATE TABLE decisions (
    id          INTEGER PRIMARY KEY,
    study_id    INTEGER NOT NULL REFERENCES studies (id),
    item_id     TEXT NOT NULL,
    tier        TEXT NOT NULL CHECK (tier IN ('core', 'expansion', 'excluded', 'undecided')),
    module      TEXT NOT NULL DEFAULT '',
    basis       TEXT NOT NULL CHECK (basis IN ('committee', 'meeting_vote')),
    reason      TEXT NOT NULL DEFAULT '',
    meeting     TEXT NOT NULL DEFAULT '', -- JSON of the meeting vote (basis meeting_vote)
    provisional INTEGER NOT NULL DEFAULT 0 CHECK (provisional IN (0, 1)),
    decided_at  TEXT NOT NULL,
    decided_by  INTEGER REFERENCES staff (id),
    CHECK (tier != 'expansion' OR module != ''),
    CHECK (basis != 'committee' OR length(reason) >= 1)
);
CREATE INDEX decisions_study ON decisions (study_id, item_id);
CREATE TRIGGER decisions_no_update BEFORE UPDATE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER decisions_no_delete BEFORE DELETE ON decisions
BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
