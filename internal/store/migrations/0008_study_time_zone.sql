-- The study's time zone (issue 17 item 3): an IANA name ("Europe/Paris") in which pages, emails
-- and reports show its dates and times and read the deadlines typed in the console. Times are
-- still stored in UTC; studies made before keep UTC.

ALTER TABLE studies ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC' CHECK (length(time_zone) BETWEEN 1 AND 64);
