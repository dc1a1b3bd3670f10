-- The audit trail (docs/audit.md): one row an event, chained by hash in `seq` order, and the
-- chain's head, one row, locked by every append so that appends from every instance form one
-- chain. Kept in step with ../../sqlite/2026-12-03-000000_audit_trail/up.sql.
CREATE TABLE audit_events (
    seq            bigint      PRIMARY KEY,
    id             uuid        NOT NULL,
    at             timestamptz NOT NULL,
    action         text        NOT NULL,
    via            text        NOT NULL,
    actor_user_id  uuid,
    actor_token_id uuid,
    target_type    text,
    target_id      uuid,
    details        text        NOT NULL,
    request_id     text,
    prev_hash      text        NOT NULL,
    hash           text        NOT NULL
);
-- The listing's keyset, and one index for each of its equality filters, leading with it. No
-- index on `id` alone: nothing looks an event up by it, and every append would pay for one.
CREATE INDEX audit_events_keyset ON audit_events (at, id);
CREATE INDEX audit_events_action ON audit_events (action, at, id);
CREATE INDEX audit_events_actor ON audit_events (actor_user_id, at, id)
    WHERE actor_user_id IS NOT NULL;
CREATE INDEX audit_events_target ON audit_events (target_id, at, id)
    WHERE target_id IS NOT NULL;

CREATE TABLE audit_head (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    seq      bigint  NOT NULL,
    hash     text    NOT NULL
);
INSERT INTO audit_head (seq, hash) VALUES (0, repeat('0', 64));
