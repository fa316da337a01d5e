-- Staff accounts an institution can govern: sessions that can be ended, one-time links to set a
-- password, and who works on which study.

-- One row per sign-in. The session token's jti is the id; a token whose row is ended (sign-out,
-- an admin, or a change to the account) stops working at its next request, cookie and bearer
-- alike.
CREATE TABLE staff_sessions (
    id         TEXT PRIMARY KEY,
    staff_id   INTEGER NOT NULL REFERENCES staff (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    ended_at   TEXT,
    end_reason TEXT NOT NULL DEFAULT '', -- signed out, ended by an admin, disabled, role changed, password changed
    client     TEXT NOT NULL DEFAULT '', -- the browser's User-Agent (shortened), to tell sessions apart
    address    TEXT NOT NULL DEFAULT ''
);
CREATE INDEX staff_sessions_live ON staff_sessions (staff_id) WHERE ended_at IS NULL;

-- One-time links to choose a password: an invitation to a new account, or a reset. Only the
-- SHA-256 of the token is kept, so a copy of the database holds no usable link.
CREATE TABLE staff_password_links (
    token_hash TEXT PRIMARY KEY,
    staff_id   INTEGER NOT NULL REFERENCES staff (id),
    purpose    TEXT NOT NULL CHECK (purpose IN ('invite', 'reset')),
    created_at TEXT NOT NULL,
    created_by INTEGER REFERENCES staff (id),
    expires_at TEXT NOT NULL,
    used_at    TEXT
);
CREATE INDEX staff_password_links_staff ON staff_password_links (staff_id);

-- Who works on a study, and as what. Admins see every study without being members.
CREATE TABLE study_members (
    study_id INTEGER NOT NULL REFERENCES studies (id),
    staff_id INTEGER NOT NULL REFERENCES staff (id),
    role     TEXT NOT NULL CHECK (role IN ('facilitator', 'presenter')),
    added_at TEXT NOT NULL,
    added_by INTEGER REFERENCES staff (id),
    PRIMARY KEY (study_id, staff_id)
);
CREATE INDEX study_members_staff ON study_members (staff_id);

-- Studies created before membership existed keep their creator as a member.
INSERT INTO study_members (study_id, staff_id, role, added_at)
    SELECT s.id, s.created_by, 'facilitator', s.created_at FROM studies s
    JOIN staff st ON st.id = s.created_by WHERE st.role != 'presenter';
