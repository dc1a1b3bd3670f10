DROP TRIGGER memberships_counted_insert ON memberships;
DROP TRIGGER memberships_counted_update ON memberships;
DROP TRIGGER memberships_counted_delete ON memberships;
DROP TRIGGER workspaces_counted_insert ON workspaces;
DROP TRIGGER workspaces_counted_update ON workspaces;
DROP TRIGGER workspaces_counted_delete ON workspaces;
DROP FUNCTION count_into_organizations();
ALTER TABLE organizations DROP COLUMN member_count, DROP COLUMN workspace_count;
