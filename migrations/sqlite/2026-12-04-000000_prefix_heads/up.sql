-- Pages of a short prefix, and of an organization's members, as fast as an unfiltered page.
-- Kept in step with ../../postgres/2026-12-04-000000_prefix_heads/up.sql.

-- A prefix of one to three characters is an equality on the text's first characters, read in
-- keyset order from these indexes; the service writes the expressions as they stand here.
CREATE INDEX users_email_head1 ON users (substr(email, 1, 1), created_at, id);
CREATE INDEX users_email_head2 ON users (substr(email, 1, 2), created_at, id);
CREATE INDEX users_email_head3 ON users (substr(email, 1, 3), created_at, id);
CREATE INDEX organizations_name_head1 ON organizations (substr(name_key, 1, 1), created_at, id);
CREATE INDEX organizations_name_head2 ON organizations (substr(name_key, 1, 2), created_at, id);
CREATE INDEX organizations_name_head3 ON organizations (substr(name_key, 1, 3), created_at, id);
CREATE INDEX workspaces_name_head1 ON workspaces (substr(name_key, 1, 1), created_at, id);
CREATE INDEX workspaces_name_head2 ON workspaces (substr(name_key, 1, 2), created_at, id);
CREATE INDEX workspaces_name_head3 ON workspaces (substr(name_key, 1, 3), created_at, id);

-- Membership rows read from the index alone, the role included (SQLite has no INCLUDE: the
-- role is the index's last column).
DROP INDEX memberships_organization_keyset;
CREATE INDEX memberships_organization_keyset
    ON memberships (organization_id, created_at, user_id, role);
DROP INDEX memberships_user_keyset;
CREATE INDEX memberships_user_keyset ON memberships (user_id, created_at, organization_id, role);
