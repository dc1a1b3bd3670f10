-- The audit trail (docs/audit.md): one row an event, chained by hash in `seq` order, and the
-- chain's head, one row, written by every append (SQLite has one writer at a time).
-- Kept in step with ../../postgres/2026-12-03-000000_audit_trail/up.sql.
CREATE TABLE audit_events (
    seq            INTEGER PRIMARY KEY NOT NULL,
    id             TEXT    NOT NULL,
    at             TEXT    NOT NULL,
    action         TEXT    NOT NULL,
    via            TEXT    NOT NULL,
    actor_user_id  TEXT,
    actor_token_id TEXT,
    target_type    TEXT,
    target_id      TEXT,
    details        TEXT    NOT NULL,
    request_id     TEXT,
    prev_hash      TEXT    NOT NULL,
    hash           TEXT    NOT NULL
);
-- No index on `id` alone: nothing looks an event up by it, and every append would pay for it.
CREATE INDEX audit_events_keyset ON audit_events (at, id);
CREATE INDEX audit_events_action ON audit_events (action, at, id);
CREATE INDEX audit_events_actor ON audit_events (actor_user_id, at, id)
    WHERE actor_user_id IS NOT NULL;
CREATE INDEX audit_events_target ON audit_events (target_id, at, id)
    WHERE target_id IS NOT NULL;

CREATE TABLE audit_head (
    only_row INTEGER PRIMARY KEY NOT NULL DEFAULT 1 CHECK (only_row = 1),
    seq      INTEGER NOT NULL,
    hash     TEXT    NOT NULL
);
INSERT INTO audit_head (seq, hash)
    VALUES (0, '0000000000000000000000000000000000000000000000000000000000000000');
