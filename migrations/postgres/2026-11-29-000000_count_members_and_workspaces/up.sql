-- Organization listings carry member and workspace counts. Counting them on every page costs
-- a scan per organization; keeping them in the row makes a page an index range read.
-- Statement-level triggers keep them exact, bulk inserts and cascading deletes included.
-- Kept in step with ../../sqlite/2026-11-29-000000_count_members_and_workspaces/up.sql.

ALTER TABLE organizations
    ADD COLUMN member_count    bigint NOT NULL DEFAULT 0,
    ADD COLUMN workspace_count bigint NOT NULL DEFAULT 0;

UPDATE organizations o SET
    member_count    = (SELECT count(*) FROM memberships m WHERE m.organization_id = o.id),
    workspace_count = (SELECT count(*) FROM workspaces w WHERE w.organization_id = o.id);

-- Moves the counter named by the trigger's argument by the rows `added` and `removed` (the
-- statement's transition tables). Organizations are locked in id order first, so concurrent
-- writers queue instead of deadlocking.
CREATE FUNCTION count_into_organizations() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    counter text := TG_ARGV[0];
    changes text;
BEGIN
    changes := CASE TG_OP
        WHEN 'INSERT' THEN 'SELECT organization_id, count(*) AS change FROM added GROUP BY organization_id'
        WHEN 'DELETE' THEN 'SELECT organization_id, -count(*) AS change FROM removed GROUP BY organization_id'
        ELSE 'SELECT organization_id, sum(change) AS change FROM (
                  SELECT organization_id, 1 AS change FROM added
                  UNION ALL SELECT organization_id, -1 FROM removed) moved
              GROUP BY organization_id HAVING sum(change) <> 0'
    END;
    EXECUTE format(
        'SELECT 1 FROM organizations WHERE id IN (SELECT organization_id FROM (%s) c) ORDER BY id FOR UPDATE',
        changes);
    EXECUTE format(
        'UPDATE organizations o SET %1$I = o.%1$I + c.change FROM (%2$s) c WHERE o.id = c.organization_id',
        counter, changes);
    RETURN NULL;
END
$$;

CREATE TRIGGER memberships_counted_insert AFTER INSERT ON memberships
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION count_into_organizations('member_count');
CREATE TRIGGER memberships_counted_update AFTER UPDATE ON memberships
    REFERENCING OLD TABLE AS removed NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION count_into_organizations('member_count');
CREATE TRIGGER memberships_counted_delete AFTER DELETE ON memberships
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION count_into_organizations('member_count');

CREATE TRIGGER workspaces_counted_insert AFTER INSERT ON workspaces
    REFERENCING NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION count_into_organizations('workspace_count');
CREATE TRIGGER workspaces_counted_update AFTER UPDATE ON workspaces
    REFERENCING OLD TABLE AS removed NEW TABLE AS added
    FOR EACH STATEMENT EXECUTE FUNCTION count_into_organizations('workspace_count');
CREATE TRIGGER workspaces_counted_delete AFTER DELETE ON workspaces
    REFERENCING OLD TABLE AS removed
    FOR EACH STATEMENT EXECUTE FUNCTION count_into_organizations('workspace_count');
