-- delphi schema, version 1. Times are UTC RFC 3339 text. Constraints here back the checks in code.

CREATE TABLE staff (
    id            INTEGER PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE COLLATE NOCASE,
    name          TEXT NOT NULL DEFAULT '',
    role          TEXT NOT NULL CHECK (role IN ('admin', 'facilitator', 'presenter')),
    password_hash TEXT NOT NULL,
    created_at    TEXT NOT NULL,
    disabled_at   TEXT
);

CREATE TABLE studies (
    id              INTEGER PRIMARY KEY,
    survey_id       TEXT NOT NULL,
    title           TEXT NOT NULL,
    -- the exact definition the study was created from; later edits of the file never change it
    definition      BLOB NOT NULL,
    definition_hash TEXT NOT NULL,
    state           TEXT NOT NULL DEFAULT 'active' CHECK (state IN ('active', 'finished')),
    contact         TEXT NOT NULL DEFAULT '',
    created_at      TEXT NOT NULL,
    created_by      INTEGER REFERENCES staff (id),
    finished_at     TEXT
);

CREATE TABLE panelists (
    id           INTEGER PRIMARY KEY,
    study_id     INTEGER NOT NULL REFERENCES studies (id),
    pseudonym    TEXT NOT NULL,
    name         TEXT NOT NULL,
    email        TEXT NOT NULL COLLATE NOCASE,
    grp          TEXT NOT NULL,
    country      TEXT NOT NULL DEFAULT '',
    language     TEXT NOT NULL DEFAULT 'en',
    consent_at   TEXT,
    withdrawn_at TEXT,
    created_at   TEXT NOT NULL,
    UNIQUE (study_id, email),
    UNIQUE (study_id, pseudonym)
);

CREATE TABLE rounds (
    id         INTEGER PRIMARY KEY,
    study_id   INTEGER NOT NULL REFERENCES studies (id),
    number     INTEGER NOT NULL CHECK (number >= 1),
    state      TEXT NOT NULL DEFAULT 'draft' CHECK (state IN ('draft', 'open', 'closed')),
    deadline   TEXT,
    -- the consensus rule in force, frozen when the round opens
    rule       TEXT NOT NULL DEFAULT '',
    rule_hash  TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    opened_at  TEXT,
    opened_by  INTEGER REFERENCES staff (id),
    closed_at  TEXT,
    closed_by  INTEGER REFERENCES staff (id),
    UNIQUE (study_id, number)
);
-- at most one open round per study
CREATE UNIQUE INDEX rounds_one_open ON rounds (study_id) WHERE state = 'open';

CREATE TABLE round_items (
    round_id     INTEGER NOT NULL REFERENCES rounds (id),
    item_id      TEXT NOT NULL,
    position     INTEGER NOT NULL,
    section_id   TEXT NOT NULL,
    -- JSON of a survey.Item when the item is new or reworded in this round; '' = as defined
    override     TEXT NOT NULL DEFAULT '',
    derived_from TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (round_id, item_id)
);

CREATE TABLE round_panelists (
    round_id    INTEGER NOT NULL REFERENCES rounds (id),
    panelist_id INTEGER NOT NULL REFERENCES panelists (id),
    PRIMARY KEY (round_id, panelist_id)
);

CREATE TABLE invitations (
    id          TEXT PRIMARY KEY, -- the token's jti
    study_id    INTEGER NOT NULL REFERENCES studies (id),
    panelist_id INTEGER NOT NULL REFERENCES panelists (id),
    issued_at   TEXT NOT NULL,
    issued_by   INTEGER REFERENCES staff (id),
    expires_at  TEXT NOT NULL,
    revoked_at  TEXT
);
CREATE INDEX invitations_panelist ON invitations (panelist_id);

CREATE TABLE answers (
    round_id    INTEGER NOT NULL REFERENCES rounds (id),
    panelist_id INTEGER NOT NULL REFERENCES panelists (id),
    item_id     TEXT NOT NULL,
    rating      INTEGER CHECK (rating IS NULL OR rating BETWEEN 0 AND 100),
    unable      INTEGER NOT NULL DEFAULT 0 CHECK (unable IN (0, 1)),
    placement   TEXT NOT NULL DEFAULT '',
    comment     TEXT NOT NULL DEFAULT '' CHECK (length(comment) <= 4000),
    reason      TEXT NOT NULL DEFAULT '' CHECK (length(reason) <= 4000),
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (round_id, panelist_id, item_id),
    CHECK (NOT (unable = 1 AND rating IS NOT NULL))
) WITHOUT ROWID;

CREATE TABLE submissions (
    round_id     INTEGER NOT NULL REFERENCES rounds (id),
    panelist_id  INTEGER NOT NULL REFERENCES panelists (id),
    submitted_at TEXT NOT NULL,
    PRIMARY KEY (round_id, panelist_id)
);

CREATE TABLE suggestions (
    id          INTEGER PRIMARY KEY,
    study_id    INTEGER NOT NULL REFERENCES studies (id),
    round_id    INTEGER NOT NULL REFERENCES rounds (id),
    panelist_id INTEGER NOT NULL REFERENCES panelists (id),
    label       TEXT NOT NULL CHECK (length(label) BETWEEN 1 AND 300),
    rationale   TEXT NOT NULL DEFAULT '' CHECK (length(rationale) <= 4000),
    created_at  TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'new' CHECK (status IN ('new', 'accepted', 'merged', 'rejected')),
    item_id     TEXT NOT NULL DEFAULT '', -- the item it became or was merged into
    section_id  TEXT NOT NULL DEFAULT '', -- for an accepted new item
    note        TEXT NOT NULL DEFAULT '',
    decided_by  INTEGER REFERENCES staff (id),
    decided_at  TEXT
);

CREATE TABLE snapshots (
    round_id    INTEGER PRIMARY KEY REFERENCES rounds (id),
    computed_at TEXT NOT NULL,
    result      BLOB NOT NULL -- JSON: consensus results plus participation, as stored at close
);

CREATE TABLE outbox (
    id          INTEGER PRIMARY KEY,
    study_id    INTEGER NOT NULL REFERENCES studies (id),
    panelist_id INTEGER NOT NULL REFERENCES panelists (id),
    round_id    INTEGER REFERENCES rounds (id),
    kind        TEXT NOT NULL CHECK (kind IN ('invitation', 'reminder')),
    to_addr     TEXT NOT NULL,
    subject     TEXT NOT NULL,
    body        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    sent_at     TEXT,
    error       TEXT NOT NULL DEFAULT ''
);

CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    actor    TEXT NOT NULL, -- "staff:3", "panelist:17", "system"
    action   TEXT NOT NULL,
    study_id INTEGER,
    detail   TEXT NOT NULL DEFAULT ''
);
-- the audit log is append-only
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
