-- Writers of memberships and workspaces first check their organization exists: the foreign key
-- takes a KEY SHARE lock on its row. Locking the counters FOR UPDATE then waited on every other
-- writer's KEY SHARE while they waited on ours: concurrent writers to one organization
-- deadlocked. Moving a counter is a no-key update, and FOR NO KEY UPDATE does not conflict
-- with KEY SHARE, so writers now queue on the counters instead. (SQLite writes one
-- transaction at a time: nothing to change there.)

CREATE OR REPLACE FUNCTION count_into_organizations() RETURNS trigger LANGUAGE plpgsql AS $$
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
        'SELECT 1 FROM organizations WHERE id IN (SELECT organization_id FROM (%s) c) ORDER BY id FOR NO KEY UPDATE',
        changes);
    EXECUTE format(
        'UPDATE organizations o SET %1$I = o.%1$I + c.change FROM (%2$s) c WHERE o.id = c.organization_id',
        counter, changes);
    RETURN NULL;
END
$$;
