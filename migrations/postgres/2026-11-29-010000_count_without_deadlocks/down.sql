-- The counters locked FOR UPDATE again (which deadlocks concurrent writers).

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
        'SELECT 1 FROM organizations WHERE id IN (SELECT organization_id FROM (%s) c) ORDER BY id FOR UPDATE',
        changes);
    EXECUTE format(
        'UPDATE organizations o SET %1$I = o.%1$I + c.change FROM (%2$s) c WHERE o.id = c.organization_id',
        counter, changes);
    RETURN NULL;
END
$$;
