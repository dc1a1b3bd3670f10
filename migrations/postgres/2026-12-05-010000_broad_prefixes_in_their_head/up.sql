-- A prefix longer than three characters that matches many rows is read in keyset order from
-- the index of its first three characters. With the text itself the index's last column, the
-- whole prefix is a range that the index checks on each entry: the rows of the head that do
-- not match are passed over inside the index, and only the page's rows are read from the table
-- (`user19` among 200,000 `use…` emails: 1,854 buffers and 1.0 ms a page before, 69 and 0.3 ms
-- after, docs/performance.md "Filters"). Each index is built beside the one it replaces, which
-- is dropped last, so the prefix pages keep an index while the new one is built.
-- Kept in step with ../../sqlite/2026-12-05-010000_broad_prefixes_in_their_head/up.sql.
CREATE INDEX users_email_head3_text ON users (substr(email, 1, 3), created_at, id, email);
CREATE INDEX organizations_name_head3_text
    ON organizations (substr(name_key, 1, 3), created_at, id, name_key);
CREATE INDEX workspaces_name_head3_text
    ON workspaces (substr(name_key, 1, 3), created_at, id, name_key);
DROP INDEX users_email_head3;
DROP INDEX organizations_name_head3;
DROP INDEX workspaces_name_head3;
ALTER INDEX users_email_head3_text RENAME TO users_email_head3;
ALTER INDEX organizations_name_head3_text RENAME TO organizations_name_head3;
ALTER INDEX workspaces_name_head3_text RENAME TO workspaces_name_head3;
