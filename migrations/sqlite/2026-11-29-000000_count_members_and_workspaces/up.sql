-- Organization listings carry member and workspace counts, kept in the row by triggers.
-- Kept in step with ../../postgres/2026-11-29-000000_count_members_and_workspaces/up.sql.
-- A membership's role changes by REPLACE (delete, then insert): with the connection's
-- recursive_triggers pragma on, its delete trigger fires too, so the count stays exact.

ALTER TABLE organizations ADD COLUMN member_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE organizations ADD COLUMN workspace_count INTEGER NOT NULL DEFAULT 0;

UPDATE organizations SET
    member_count    = (SELECT count(*) FROM memberships m WHERE m.organization_id = organizations.id),
    workspace_count = (SELECT count(*) FROM workspaces w WHERE w.organization_id = organizations.id);

CREATE TRIGGER memberships_counted_insert AFTER INSERT ON memberships BEGIN
    UPDATE organizations SET member_count = member_count + 1 WHERE id = NEW.organization_id;
END;
CREATE TRIGGER memberships_counted_delete AFTER DELETE ON memberships BEGIN
    UPDATE organizations SET member_count = member_count - 1 WHERE id = OLD.organization_id;
END;
CREATE TRIGGER memberships_counted_move AFTER UPDATE OF organization_id ON memberships BEGIN
    UPDATE organizations SET member_count = member_count - 1 WHERE id = OLD.organization_id;
    UPDATE organizations SET member_count = member_count + 1 WHERE id = NEW.organization_id;
END;

CREATE TRIGGER workspaces_counted_insert AFTER INSERT ON workspaces BEGIN
    UPDATE organizations SET workspace_count = workspace_count + 1 WHERE id = NEW.organization_id;
END;
CREATE TRIGGER workspaces_counted_delete AFTER DELETE ON workspaces BEGIN
    UPDATE organizations SET workspace_count = workspace_count - 1 WHERE id = OLD.organization_id;
END;
CREATE TRIGGER workspaces_counted_move AFTER UPDATE OF organization_id ON workspaces BEGIN
    UPDATE organizations SET workspace_count = workspace_count - 1 WHERE id = OLD.organization_id;
    UPDATE organizations SET workspace_count = workspace_count + 1 WHERE id = NEW.organization_id;
END;
