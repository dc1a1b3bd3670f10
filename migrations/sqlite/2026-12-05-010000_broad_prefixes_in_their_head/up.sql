-- A broad prefix longer than three characters is read from the index of its first three, the
-- whole prefix a range on the index's last column, checked on each entry before the row is
-- read. Kept in step with ../../postgres/2026-12-05-010000_broad_prefixes_in_their_head/up.sql.
DROP INDEX users_email_head3;
DROP INDEX organizations_name_head3;
DROP INDEX workspaces_name_head3;
CREATE INDEX users_email_head3 ON users (substr(email, 1, 3), created_at, id, email);
CREATE INDEX organizations_name_head3
    ON organizations (substr(name_key, 1, 3), created_at, id, name_key);
CREATE INDEX workspaces_name_head3
    ON workspaces (substr(name_key, 1, 3), created_at, id, name_key);
