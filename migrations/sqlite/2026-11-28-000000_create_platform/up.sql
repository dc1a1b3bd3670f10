-- The platform: organizations, users, memberships, workspaces, and the record of every token.
-- Kept in step with ../../postgres/2026-11-28-000000_create_platform/up.sql.
-- Ids are hyphenated lowercase UUID text; instants are UTC text 'YYYY-MM-DD HH:MM:SS.ffffff',
-- whose text order is their time order.

CREATE TABLE organizations (
    id          TEXT    PRIMARY KEY NOT NULL,
    name        TEXT    NOT NULL,
    slug        TEXT    NOT NULL,
    is_platform BOOLEAN NOT NULL DEFAULT 0,
    created_at  TEXT    NOT NULL,
    CONSTRAINT organizations_slug_key UNIQUE (slug)
);
CREATE UNIQUE INDEX organizations_one_platform ON organizations (is_platform) WHERE is_platform;
CREATE INDEX organizations_keyset ON organizations (created_at, id);

CREATE TABLE users (
    id           TEXT    PRIMARY KEY NOT NULL,
    email        TEXT    NOT NULL,
    display_name TEXT,
    is_active    BOOLEAN NOT NULL DEFAULT 1,
    created_at   TEXT    NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email)
);
CREATE INDEX users_keyset ON users (created_at, id);

CREATE TABLE memberships (
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    PRIMARY KEY (user_id, organization_id)
) WITHOUT ROWID;
CREATE INDEX memberships_organization ON memberships (organization_id);

CREATE TABLE workspaces (
    id              TEXT PRIMARY KEY NOT NULL,
    organization_id TEXT NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            TEXT NOT NULL,
    slug            TEXT NOT NULL,
    created_at      TEXT NOT NULL,
    CONSTRAINT workspaces_organization_slug_key UNIQUE (organization_id, slug)
);
CREATE INDEX workspaces_keyset ON workspaces (created_at, id);

CREATE TABLE tokens (
    id              TEXT PRIMARY KEY NOT NULL,
    user_id         TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id TEXT REFERENCES organizations (id) ON DELETE CASCADE,
    revocation_id   TEXT NOT NULL,
    issued_at       TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    revoked_at      TEXT,
    CONSTRAINT tokens_revocation_id_key UNIQUE (revocation_id)
);
CREATE INDEX tokens_expires_at ON tokens (expires_at);
CREATE INDEX tokens_revoked_at ON tokens (revoked_at) WHERE revoked_at IS NOT NULL;
