-- Personal data that ends: how long a finished study keeps its panel's names, emails and links,
-- and when they were erased. A table of its own: a study's row stays as it was made.
CREATE TABLE study_privacy (
    study_id       INTEGER PRIMARY KEY REFERENCES studies (id),
    retention_days INTEGER CHECK (retention_days IS NULL OR retention_days BETWEEN 0 AND 36500),
    erased_at      TEXT,
    erased_by      TEXT NOT NULL DEFAULT ''
);
