-- Emails are stored lowercase, whoever writes them: the filters match a lowercased value
-- exactly (and by prefix), so a row written in mixed case by raw SQL, an import or a sibling
-- service was invisible to them, and two users could differ only in case. Existing rows are
-- lowercased, then a constraint holds it. Kept in step with
-- ../../sqlite/2026-12-05-000000_lowercase_emails/up.sql.
--
-- `admin-api migrate` first refuses, naming them, users whose emails differ only in case
-- (crates/adapters/src/database/migrations.rs): lowercasing them would break their
-- uniqueness. The column's collation is "C", whose lower() changes ASCII letters only; the
-- service lowercases with Unicode's rules (docs/operations.md, "Importing users").
--
-- Outside one transaction (metadata.toml), in steps that each commit: the update locks only
-- the rows it changes; the constraint is added NOT VALID (an instant's exclusive lock) and
-- validated without blocking readers or writers.

BEGIN;
UPDATE users SET email = lower(email) WHERE email <> lower(email);
COMMIT;

BEGIN;
ALTER TABLE users DROP CONSTRAINT IF EXISTS users_email_lowercase;
ALTER TABLE users ADD CONSTRAINT users_email_lowercase CHECK (email = lower(email)) NOT VALID;
COMMIT;
BEGIN;
ALTER TABLE users VALIDATE CONSTRAINT users_email_lowercase;
COMMIT;
