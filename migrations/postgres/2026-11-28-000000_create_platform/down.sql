DROP TABLE tokens;
DROP TABLE workspaces;
DROP TABLE memberships;
DROP TABLE users;
DROP TABLE organizations;
