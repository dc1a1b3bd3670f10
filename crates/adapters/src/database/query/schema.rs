//! The tables, in diesel's terms. One definition serves both backends: see `sql_types`.

diesel::table! {
    use diesel::sql_types::*;
    use crate::database::query::sql_types::{Instant, Uuid};

    organizations (id) {
        id -> Uuid,
        name -> Text,
        name_key -> Text,
        slug -> Text,
        is_platform -> Bool,
        created_at -> Instant,
        member_count -> BigInt,
        workspace_count -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::database::query::sql_types::{Instant, Uuid};

    users (id) {
        id -> Uuid,
        email -> Text,
        display_name -> Nullable<Text>,
        is_active -> Bool,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::database::query::sql_types::{Instant, Uuid};

    memberships (user_id, organization_id) {
        user_id -> Uuid,
        organization_id -> Uuid,
        role -> Text,
        created_at -> Instant,
        email -> Text,
        display_name -> Nullable<Text>,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::database::query::sql_types::{Instant, Uuid};

    workspaces (id) {
        id -> Uuid,
        organization_id -> Uuid,
        name -> Text,
        name_key -> Text,
        slug -> Text,
        created_at -> Instant,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::database::query::sql_types::{Instant, Uuid};

    tokens (id) {
        id -> Uuid,
        user_id -> Uuid,
        organization_id -> Nullable<Uuid>,
        revocation_id -> Text,
        issued_at -> Instant,
        expires_at -> Instant,
        revoked_at -> Nullable<Instant>,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    listing_totals (listing, shard) {
        listing -> Text,
        shard -> SmallInt,
        total -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::database::query::sql_types::{Instant, Uuid};

    cleanup_runs (id) {
        id -> Uuid,
        instance -> Text,
        started_at -> Instant,
        finished_at -> Nullable<Instant>,
        deleted_count -> BigInt,
    }
}

diesel::table! {
    use diesel::sql_types::*;
    use crate::database::query::sql_types::{Instant, Uuid};

    audit_events (seq) {
        seq -> BigInt,
        id -> Uuid,
        at -> Instant,
        action -> Text,
        via -> Text,
        actor_user_id -> Nullable<Uuid>,
        actor_token_id -> Nullable<Uuid>,
        target_type -> Nullable<Text>,
        target_id -> Nullable<Uuid>,
        details -> Text,
        request_id -> Nullable<Text>,
        prev_hash -> Text,
        hash -> Text,
    }
}

diesel::table! {
    use diesel::sql_types::*;

    audit_head (only_row) {
        only_row -> Bool,
        seq -> BigInt,
        hash -> Text,
    }
}

diesel::joinable!(memberships -> organizations (organization_id));
diesel::joinable!(memberships -> users (user_id));
diesel::joinable!(workspaces -> organizations (organization_id));
diesel::joinable!(tokens -> users (user_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizations,
    users,
    memberships,
    workspaces,
    tokens,
    listing_totals
);
