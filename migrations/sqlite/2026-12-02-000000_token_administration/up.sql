-- A user's tokens in the order they were issued, for their listing and for revoking them all.
-- Kept in step with ../../postgres/2026-12-02-000000_token_administration/up.sql.
CREATE INDEX tokens_user_keyset ON tokens (user_id, issued_at, id);
