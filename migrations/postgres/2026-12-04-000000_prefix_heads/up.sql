-- Pages of a short prefix, and of an organization's members, as fast as an unfiltered page.
-- Kept in step with ../../sqlite/2026-12-04-000000_prefix_heads/up.sql.

-- A prefix of one to three characters is an equality on the text's first characters: indexes
-- that lead with them, then the keyset (creation time, id), give its pages in keyset order
-- however many rows it matches (a prefix of 1/16 of 1M users read 800 rows a page through
-- the keyset index, filtering). A longer prefix that matches many rows is read among the rows
-- of its first three characters. The service writes these expressions as they stand here,
-- with constant lengths, so that the planner matches them to the indexes.
CREATE INDEX users_email_head1 ON users (substr(email, 1, 1), created_at, id);
CREATE INDEX users_email_head2 ON users (substr(email, 1, 2), created_at, id);
CREATE INDEX users_email_head3 ON users (substr(email, 1, 3), created_at, id);
CREATE INDEX organizations_name_head1 ON organizations (substr(name_key, 1, 1), created_at, id);
CREATE INDEX organizations_name_head2 ON organizations (substr(name_key, 1, 2), created_at, id);
CREATE INDEX organizations_name_head3 ON organizations (substr(name_key, 1, 3), created_at, id);
CREATE INDEX workspaces_name_head1 ON workspaces (substr(name_key, 1, 1), created_at, id);
CREATE INDEX workspaces_name_head2 ON workspaces (substr(name_key, 1, 2), created_at, id);
CREATE INDEX workspaces_name_head3 ON workspaces (substr(name_key, 1, 3), created_at, id);

-- A page of members or memberships reads the membership rows from the index alone, the role
-- included: only the member's user (or the organization) is read from its table. The new
-- indexes are built beside the old ones, which are dropped last: every authenticated request
-- reads memberships, and dropping an index locks its table out of reads until the migration
-- commits, so the lock is held for an instant, not while the indexes above are built.
CREATE INDEX memberships_organization_keyset_role ON memberships
    (organization_id, created_at, user_id) INCLUDE (role);
CREATE INDEX memberships_user_keyset_role ON memberships
    (user_id, created_at, organization_id) INCLUDE (role);
DROP INDEX memberships_organization_keyset;
DROP INDEX memberships_user_keyset;
ALTER INDEX memberships_organization_keyset_role RENAME TO memberships_organization_keyset;
ALTER INDEX memberships_user_keyset_role RENAME TO memberships_user_keyset;
