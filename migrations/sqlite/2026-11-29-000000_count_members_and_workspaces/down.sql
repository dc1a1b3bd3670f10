DROP TRIGGER memberships_counted_insert;
DROP TRIGGER memberships_counted_delete;
DROP TRIGGER memberships_counted_move;
DROP TRIGGER workspaces_counted_insert;
DROP TRIGGER workspaces_counted_delete;
DROP TRIGGER workspaces_counted_move;
ALTER TABLE organizations DROP COLUMN member_count;
ALTER TABLE organizations DROP COLUMN workspace_count;
