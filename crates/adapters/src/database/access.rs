//! The admin access port: the caller's facts in one round trip, and roles.

use admin_domain::{
    AdminAccess, CallerRecord, OrganizationId, RevocationId, Role, StoreError, TokenRecord, UserId,
};
use diesel::prelude::*;
use diesel_async::RunQueryDsl;

use super::connection::connections::with_connection;
use super::errors;
use super::query::rows::{self, TokenRow};
use super::query::schema::{memberships, organizations, tokens, users};
use super::query::sql_types::DbUuid;
use super::store::Database;

impl AdminAccess for Database {
    async fn caller(
        &self,
        revocation_id: &RevocationId,
    ) -> Result<Option<CallerRecord>, StoreError> {
        // The platform organization (one row of a partial index), then the caller's membership
        // there (one primary key lookup).
        let platform = organizations::table
            .filter(organizations::is_platform)
            .select(organizations::id)
            .single_value();
        let platform_role = memberships::table
            .filter(memberships::user_id.eq(tokens::user_id))
            .filter(memberships::organization_id.nullable().eq(platform))
            .select(memberships::role)
            .single_value();
        let scoped_to_platform = organizations::table
            .filter(organizations::id.nullable().eq(tokens::organization_id))
            .select(organizations::is_platform)
            .single_value();
        let row: Option<(TokenRow, bool, Option<String>, Option<bool>)> =
            with_connection!(self, |conn| {
                tokens::table
                    .inner_join(users::table)
                    .filter(tokens::revocation_id.eq(revocation_id.as_str()))
                    .select((
                        TokenRow::as_select(),
                        users::is_active,
                        platform_role,
                        scoped_to_platform,
                    ))
                    .first(conn)
                    .await
                    .optional()
                    .map_err(errors::query)
            })?;
        row.map(|(token, user_active, platform_role, scoped_to_platform)| {
            Ok(CallerRecord {
                token: TokenRecord::try_from(token)?,
                user_active,
                platform_role: platform_role.as_deref().map(rows::role).transpose()?,
                scoped_to_platform: scoped_to_platform.unwrap_or(false),
            })
        })
        .transpose()
    }

    async fn role_in(
        &self,
        user: UserId,
        organization: OrganizationId,
    ) -> Result<Option<Role>, StoreError> {
        let role: Option<String> = with_connection!(self, |conn| {
            memberships::table
                .filter(memberships::user_id.eq(DbUuid(user.as_uuid())))
                .filter(memberships::organization_id.eq(DbUuid(organization.as_uuid())))
                .select(memberships::role)
                .first(conn)
                .await
                .optional()
                .map_err(errors::query)
        })?;
        role.as_deref().map(rows::role).transpose()
    }
}
