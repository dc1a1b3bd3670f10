-- Part 2's listings: filters, both orders, totals, an organization's members and a user's
-- memberships. Kept in step with ../../sqlite/2026-12-01-000000_find_and_inspect/up.sql.

-- Emails and name keys compare byte by byte (COLLATE "C") whatever the database's collation,
-- so that the texts starting with a prefix are one range of an index (in a linguistic
-- collation they need not be). Emails are stored lowercase already; rebuilding the column
-- rebuilds users_email_key with it.
ALTER TABLE users ALTER COLUMN email TYPE text COLLATE "C";
-- A prefix's rows, with their keyset positions, read from the index alone (an index-only scan
-- that stops at its LIMIT; without the positions in it, PostgreSQL chose a bitmap scan that
-- reads every match before the first: 50 ms for 62,000 of 1M users).
ALTER TABLE users DROP CONSTRAINT users_email_key,
    ADD CONSTRAINT users_email_key UNIQUE (email) INCLUDE (created_at, id);

-- The few deactivated users, in keyset order, found without passing the others.
CREATE INDEX users_inactive ON users (created_at, id) WHERE NOT is_active;

-- Names, lowercased, for name_prefix. The service writes the key (Rust's lowercase); the
-- trigger fills it for rows an older binary inserts during a rolling upgrade; existing rows
-- take PostgreSQL's lower().
ALTER TABLE organizations ADD COLUMN name_key text COLLATE "C";
UPDATE organizations SET name_key = lower(name);
ALTER TABLE organizations ALTER COLUMN name_key SET NOT NULL;
CREATE INDEX organizations_name_key ON organizations (name_key) INCLUDE (created_at, id);

ALTER TABLE workspaces ADD COLUMN name_key text COLLATE "C";
UPDATE workspaces SET name_key = lower(name);
ALTER TABLE workspaces ALTER COLUMN name_key SET NOT NULL;
CREATE INDEX workspaces_name_key ON workspaces (name_key) INCLUDE (created_at, id);
-- An organization's workspaces in keyset order.
CREATE INDEX workspaces_organization_keyset ON workspaces (organization_id, created_at, id);

CREATE FUNCTION fill_name_key() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.name_key IS NULL THEN
        NEW.name_key := lower(NEW.name);
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER organizations_name_key BEFORE INSERT ON organizations
    FOR EACH ROW EXECUTE FUNCTION fill_name_key();
CREATE TRIGGER workspaces_name_key BEFORE INSERT ON workspaces
    FOR EACH ROW EXECUTE FUNCTION fill_name_key();

-- When a user joined an organization. Memberships made before this migration were made
-- after both their user and their organization: they are backfilled with the later of the
-- two creation times, the earliest the membership can have been made. A role change keeps
-- the time (the upsert never sets it).
ALTER TABLE memberships ADD COLUMN created_at timestamptz;
UPDATE memberships m SET created_at = greatest(u.created_at, o.created_at)
    FROM users u, organizations o
    WHERE u.id = m.user_id AND o.id = m.organization_id;
ALTER TABLE memberships ALTER COLUMN created_at SET DEFAULT now();
ALTER TABLE memberships ALTER COLUMN created_at SET NOT NULL;
DROP INDEX memberships_organization;
CREATE INDEX memberships_organization_keyset ON memberships (organization_id, created_at, user_id);
CREATE INDEX memberships_user_keyset ON memberships (user_id, created_at, organization_id);

-- Totals of the unfiltered listings, kept by statement-level triggers in 16 shards (a writer
-- moves the shard of its backend), so that concurrent writers do not queue on one row; a total
-- is the sum of 16 rows.
CREATE TABLE listing_totals (
    listing text     NOT NULL,
    shard   smallint NOT NULL,
    total   bigint   NOT NULL DEFAULT 0,
    PRIMARY KEY (listing, shard)
);
INSERT INTO listing_totals (listing, shard)
    SELECT listing, shard FROM unnest(ARRAY['users', 'organizations', 'workspaces']) AS listing,
        generate_series(0, 15) AS shard;
UPDATE listing_totals SET total = (SELECT count(*) FROM users) WHERE listing = 'users' AND shard = 0;
UPDATE listing_totals SET total = (SELECT count(*) FROM organizations)
    WHERE listing = 'organizations' AND shard = 0;
UPDATE listing_totals SET total = (SELECT count(*) FROM workspaces)
    WHERE listing = 'workspaces' AND shard = 0;

CREATE FUNCTION count_into_totals() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    moved bigint;
BEGIN
    IF TG_OP = 'INSERT' THEN
        SELECT count(*) INTO moved FROM added;
    ELSE
        SELECT -count(*) INTO moved FROM removed;
    END IF;
    IF moved <> 0 THEN
        UPDATE listing_totals SET total = total + moved
            WHERE listing = TG_ARGV[0] AND shard = pg_backend_pid() % 16;
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER users_totaled_insert AFTER INSERT ON users
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION count_into_totals('users');
CREATE TRIGGER users_totaled_delete AFTER DELETE ON users
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION count_into_totals('users');
CREATE TRIGGER organizations_totaled_insert AFTER INSERT ON organizations
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION count_into_totals('organizations');
CREATE TRIGGER organizations_totaled_delete AFTER DELETE ON organizations
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION count_into_totals('organizations');
CREATE TRIGGER workspaces_totaled_insert AFTER INSERT ON workspaces
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION count_into_totals('workspaces');
CREATE TRIGGER workspaces_totaled_delete AFTER DELETE ON workspaces
    REFERENCING OLD TABLE AS removed FOR EACH STATEMENT EXECUTE FUNCTION count_into_totals('workspaces');
