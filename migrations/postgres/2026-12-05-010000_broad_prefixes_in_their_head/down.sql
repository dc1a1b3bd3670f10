DROP INDEX workspaces_name_head3;
DROP INDEX organizations_name_head3;
DROP INDEX users_email_head3;
CREATE INDEX users_email_head3 ON users (substr(email, 1, 3), created_at, id);
CREATE INDEX organizations_name_head3 ON organizations (substr(name_key, 1, 3), created_at, id);
CREATE INDEX workspaces_name_head3 ON workspaces (substr(name_key, 1, 3), created_at, id);
