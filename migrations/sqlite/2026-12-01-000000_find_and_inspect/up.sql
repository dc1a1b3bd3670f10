-- Part 2's listings: filters, both orders, totals, an organization's members and a user's
-- memberships. Kept in step with ../../postgres/2026-12-01-000000_find_and_inspect/up.sql.
-- SQLite compares text byte by byte (BINARY), so a prefix is already one range of an index.

CREATE INDEX users_inactive ON users (created_at, id) WHERE NOT is_active;

-- A prefix's rows, with their keyset positions, read from the index alone.
CREATE INDEX users_email_keyset ON users (email, created_at, id);

-- Names, lowercased, for name_prefix; the service writes the key (Rust's lowercase). Rows
-- made before this migration take SQLite's lower(), which lowercases ASCII letters only: an
-- organization or workspace named before it with upper-case letters outside ASCII is found
-- by a prefix in their upper case.
ALTER TABLE organizations ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE organizations SET name_key = lower(name);
CREATE INDEX organizations_name_key ON organizations (name_key, created_at, id);

ALTER TABLE workspaces ADD COLUMN name_key TEXT NOT NULL DEFAULT '';
UPDATE workspaces SET name_key = lower(name);
CREATE INDEX workspaces_name_key ON workspaces (name_key, created_at, id);
CREATE INDEX workspaces_organization_keyset ON workspaces (organization_id, created_at, id);

-- When a user joined; existing memberships take the later of their user's and their
-- organization's creation times, the earliest they can have been made.
ALTER TABLE memberships ADD COLUMN created_at TEXT NOT NULL DEFAULT '';
UPDATE memberships SET created_at = max(
    (SELECT created_at FROM users WHERE users.id = memberships.user_id),
    (SELECT created_at FROM organizations WHERE organizations.id = memberships.organization_id));
DROP INDEX memberships_organization;
CREATE INDEX memberships_organization_keyset ON memberships (organization_id, created_at, user_id);
CREATE INDEX memberships_user_keyset ON memberships (user_id, created_at, organization_id);

-- Totals of the unfiltered listings, kept by triggers (one writer at a time: one row each).
CREATE TABLE listing_totals (
    listing TEXT    NOT NULL,
    shard   INTEGER NOT NULL,
    total   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (listing, shard)
) WITHOUT ROWID;
INSERT INTO listing_totals (listing, shard, total) VALUES
    ('users', 0, (SELECT count(*) FROM users)),
    ('organizations', 0, (SELECT count(*) FROM organizations)),
    ('workspaces', 0, (SELECT count(*) FROM workspaces));

CREATE TRIGGER users_totaled_insert AFTER INSERT ON users BEGIN
    UPDATE listing_totals SET total = total + 1 WHERE listing = 'users';
END;
CREATE TRIGGER users_totaled_delete AFTER DELETE ON users BEGIN
    UPDATE listing_totals SET total = total - 1 WHERE listing = 'users';
END;
CREATE TRIGGER organizations_totaled_insert AFTER INSERT ON organizations BEGIN
    UPDATE listing_totals SET total = total + 1 WHERE listing = 'organizations';
END;
CREATE TRIGGER organizations_totaled_delete AFTER DELETE ON organizations BEGIN
    UPDATE listing_totals SET total = total - 1 WHERE listing = 'organizations';
END;
CREATE TRIGGER workspaces_totaled_insert AFTER INSERT ON workspaces BEGIN
    UPDATE listing_totals SET total = total + 1 WHERE listing = 'workspaces';
END;
CREATE TRIGGER workspaces_totaled_delete AFTER DELETE ON workspaces BEGIN
    UPDATE listing_totals SET total = total - 1 WHERE listing = 'workspaces';
END;
