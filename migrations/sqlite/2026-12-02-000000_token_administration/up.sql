-- A user's tokens in the order they were issued, for their listing and for revoking them all.
-- Kept in step with ../../postgres/2026-12-02-000000_token_administration/up.sql.
CREATE INDEX tokens_user_keyset ON tokens (user_id, issued_at, id);

-- Scheduled cleanups: one row a run, its span and the rows it deleted so far.
CREATE TABLE cleanup_runs (
    id            TEXT    PRIMARY KEY NOT NULL,
    instance      TEXT    NOT NULL,
    started_at    TEXT    NOT NULL,
    finished_at   TEXT,
    deleted_count INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX cleanup_runs_started_at ON cleanup_runs (started_at);
