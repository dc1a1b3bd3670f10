-- A user's tokens in the order they were issued, for their listing and for revoking them all.
-- Kept in step with ../../sqlite/2026-12-02-000000_token_administration/up.sql.
CREATE INDEX tokens_user_keyset ON tokens (user_id, issued_at, id);

-- Scheduled cleanups: one row a run, its span and the rows it deleted so far, so that the
-- instances agree on when the last one started (docs/operations.md, "Scheduled cleanup").
CREATE TABLE cleanup_runs (
    id            uuid        PRIMARY KEY,
    instance      text        NOT NULL,
    started_at    timestamptz NOT NULL,
    finished_at   timestamptz,
    deleted_count bigint      NOT NULL DEFAULT 0
);
CREATE INDEX cleanup_runs_started_at ON cleanup_runs (started_at);
