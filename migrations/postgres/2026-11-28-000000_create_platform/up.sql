-- The platform: organizations, users, memberships, workspaces, and the record of every token.
-- Kept in step with ../../sqlite/2026-11-28-000000_create_platform/up.sql.

CREATE TABLE organizations (
    id          uuid        PRIMARY KEY,
    name        text        NOT NULL,
    slug        text        NOT NULL,
    is_platform boolean     NOT NULL DEFAULT false,
    created_at  timestamptz NOT NULL,
    CONSTRAINT organizations_slug_key UNIQUE (slug)
);
-- Exactly one organization may be the platform organization.
CREATE UNIQUE INDEX organizations_one_platform ON organizations (is_platform) WHERE is_platform;
-- Keyset order of the listing.
CREATE INDEX organizations_keyset ON organizations (created_at, id);

CREATE TABLE users (
    id           uuid        PRIMARY KEY,
    email        text        NOT NULL,
    display_name text,
    is_active    boolean     NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL,
    CONSTRAINT users_email_key UNIQUE (email)
);
CREATE INDEX users_keyset ON users (created_at, id);

CREATE TABLE memberships (
    user_id         uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id uuid NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    role            text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    PRIMARY KEY (user_id, organization_id)
);
CREATE INDEX memberships_organization ON memberships (organization_id);

CREATE TABLE workspaces (
    id              uuid        PRIMARY KEY,
    organization_id uuid        NOT NULL REFERENCES organizations (id) ON DELETE CASCADE,
    name            text        NOT NULL,
    slug            text        NOT NULL,
    created_at      timestamptz NOT NULL,
    CONSTRAINT workspaces_organization_slug_key UNIQUE (organization_id, slug)
);
CREATE INDEX workspaces_keyset ON workspaces (created_at, id);

CREATE TABLE tokens (
    id              uuid        PRIMARY KEY,
    user_id         uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    organization_id uuid        REFERENCES organizations (id) ON DELETE CASCADE,
    revocation_id   text        NOT NULL,
    issued_at       timestamptz NOT NULL,
    expires_at      timestamptz NOT NULL,
    revoked_at      timestamptz,
    CONSTRAINT tokens_revocation_id_key UNIQUE (revocation_id)
);
-- Cleanup walks these two in order.
CREATE INDEX tokens_expires_at ON tokens (expires_at);
CREATE INDEX tokens_revoked_at ON tokens (revoked_at) WHERE revoked_at IS NOT NULL;
