-- A failed send is retried: count the attempts, keep the last error.
ALTER TABLE outbox ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
