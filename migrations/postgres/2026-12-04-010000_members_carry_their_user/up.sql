-- An organization's page of members from its membership rows alone: each membership carries
-- its member's email and display name. The users table owns them; the database writes the
-- copy (on every insert, whoever inserts) and moves it when a user's own row changes, so the
-- service never writes it and it cannot fall behind. A page read each member's user by its
-- key, 51 more index descents than a users page (1.4-1.6x its latency on 1M users,
-- docs/performance.md). Kept in step with
-- ../../sqlite/2026-12-04-010000_members_carry_their_user/up.sql.
--
-- Every authenticated request reads memberships, so no step here may keep them locked while
-- it works through the rows: the migration runs outside one transaction (metadata.toml), in
-- steps that each commit, and can be run again from any step if it stops. Only adding the
-- columns and setting NOT NULL take the table's exclusive lock, each for an instant; the
-- backfill locks membership rows, holding back writers of memberships (not readers) while it
-- runs; NOT NULL is proved by a constraint validated without blocking, so setting it scans
-- nothing.

BEGIN;
ALTER TABLE memberships ADD COLUMN IF NOT EXISTS email text COLLATE "C",
    ADD COLUMN IF NOT EXISTS display_name text;
COMMIT;

-- The copy is written on every insert from here on, by the instances serving meanwhile too.
BEGIN;
CREATE OR REPLACE FUNCTION copy_member_user() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT u.email, u.display_name INTO NEW.email, NEW.display_name
        FROM users u WHERE u.id = NEW.user_id;
    RETURN NEW;
END
$$;
DROP TRIGGER IF EXISTS memberships_copy_user ON memberships;
CREATE TRIGGER memberships_copy_user BEFORE INSERT OR UPDATE OF user_id ON memberships
    FOR EACH ROW EXECUTE FUNCTION copy_member_user();

-- Once per statement, over the rows it changed: a statement updating a million users makes
-- one update of their memberships, not a million. (A trigger with transition tables cannot
-- name columns: it runs after every update of users, and moves only changed names.)
CREATE OR REPLACE FUNCTION move_member_users() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE memberships m SET email = now_.email, display_name = now_.display_name
        FROM users_after now_ JOIN users_before was ON was.id = now_.id
        WHERE m.user_id = now_.id
          AND (was.email IS DISTINCT FROM now_.email
               OR was.display_name IS DISTINCT FROM now_.display_name);
    RETURN NULL;
END
$$;
DROP TRIGGER IF EXISTS users_moved_to_memberships ON users;
CREATE TRIGGER users_moved_to_memberships AFTER UPDATE ON users
    REFERENCING OLD TABLE AS users_before NEW TABLE AS users_after
    FOR EACH STATEMENT EXECUTE FUNCTION move_member_users();
COMMIT;

BEGIN;
UPDATE memberships m SET email = u.email, display_name = u.display_name
    FROM users u WHERE u.id = m.user_id AND m.email IS NULL;
COMMIT;

BEGIN;
ALTER TABLE memberships DROP CONSTRAINT IF EXISTS memberships_email_copied;
ALTER TABLE memberships ADD CONSTRAINT memberships_email_copied CHECK (email IS NOT NULL) NOT VALID;
COMMIT;
BEGIN;
ALTER TABLE memberships VALIDATE CONSTRAINT memberships_email_copied;
COMMIT;
BEGIN;
ALTER TABLE memberships ALTER COLUMN email SET NOT NULL;
ALTER TABLE memberships DROP CONSTRAINT memberships_email_copied;
COMMIT;
