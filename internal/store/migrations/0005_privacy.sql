-- Personal data that ends: how long a finished study keeps its panel's names, emails and links,
-- and when they were erased. A table of its own: a study's row stays as it was made.
CREATE TABLE study_privacy (
    study_id       INTEGER PRIMARY KEY REFERENCES studies (id),
    retention_days INTEGER CHECK (retention_days IS NULL OR retention_days BETWEEN 0 AND 36500),
    erased_at      TEXT,
    erased_by      TEXT NOT NULL DEFAULT ''
);

-- Which consent text a panelist agreed to (its version: a hash of the text in their language),
-- and, for a withdrawn panelist, what became of their answers in rounds still open then: kept
-- (pseudonymous) or removed.
ALTER TABLE panelists ADD COLUMN consent_version TEXT NOT NULL DEFAULT '';
ALTER TABLE panelists ADD COLUMN withdrawal TEXT NOT NULL DEFAULT '' CHECK (withdrawal IN ('', 'keep', 'remove_open'));
