//! Token administration: a user's tokens, revoking one by id, revoking all of a user's.

use actix_web::web::{Data, Json};
use admin_domain::{
    Action, AdminService, Listing, ListingKind, PageRequest, Ports, Target, Timestamp, TokenFilter,
    TokenId, TokenState, UserId,
};

use crate::bodies::{PageBody, TokenItem, TokenRevocationBody, UserRevocationBody};
use crate::errors::{Absent, ApiError, Invalid, Refusals};
use crate::extract::Authenticated;
use crate::handlers::audited::read;
use crate::handlers::listing::page;
use crate::handlers::resources::PathId;
use crate::params::{Choice, Declare, Id, Param, Parameters, Raw};
use crate::wire;

/// `state`: a token's state.
const STATE: Choice<TokenState> = Choice {
    choices: &TokenState::ALL,
    name: TokenState::as_str,
};

/// `GET /v1/admin/platform/users/{user_id}/tokens`'s parameters.
#[derive(Debug)]
pub struct TokensParams(UserId, PageRequest, Option<TokenState>);

impl Parameters for TokensParams {
    fn declare(declare: &mut impl Declare) -> Option<Self> {
        let user = declare.take(Param::path("user_id", "The user"), Id(UserId::from_uuid));
        let page = page(declare, user.map(Listing::Tokens), ListingKind::Tokens);
        let state = declare.take(
            Param::query(
                "state",
                "Tokens in this state only: `active`, `expired` or `revoked`",
            ),
            STATE,
        );
        Some(Self(user?, page?, state))
    }
}

crate::described!(TokensParams);

/// A page of a user's tokens, oldest (or newest) issued first, found by state: never a
/// token's text, signature or revocation id.
#[utoipa::path(
    get,
    path = "/v1/admin/platform/users/{user_id}/tokens",
    tag = "platform",
    operation_id = "list_user_tokens",
    security(("bearer" = [])),
    params(TokensParams),
    responses(
        (status = 200, description = "A page", body = PageBody<TokenItem>),
        Invalid,
        Absent,
        Refusals,
    )
)]
pub async fn tokens<P: Ports>(
    service: Data<AdminService<P>>,
    auth: Authenticated<P>,
    raw: Raw,
) -> Result<Json<PageBody<TokenItem>>, ApiError> {
    let TokensParams(user, request, state) = TokensParams::read(&raw)?;
    let filter = TokenFilter {
        state,
        at: Timestamp::now(),
    };
    let page = service
        .list_tokens(&auth.caller, user, &request, &filter)
        .await?;
    let target = Some(Target::user(user));
    read(&service, &auth, Action::TokensList, target, || {
        raw.details::<TokensParams>()
    })
    .await?;
    Ok(Json(PageBody::of(page, |record| {
        TokenItem::new(record, filter.at)
    })))
}

/// Revokes one token, and every token attenuated from it. Revoking it again answers the
/// first revocation's time.
#[utoipa::path(
    post,
    path = "/v1/admin/platform/tokens/{token_id}/revoke",
    tag = "platform",
    operation_id = "revoke_token",
    security(("bearer" = [])),
    params(PathId<TokenId>),
    responses(
        (status = 200, description = "Revoked", body = TokenRevocationBody),
        Invalid,
        Absent,
        Refusals,
    )
)]
pub async fn revoke<P: Ports>(
    service: Data<AdminService<P>>,
    auth: Authenticated<P>,
    raw: Raw,
) -> Result<Json<TokenRevocationBody>, ApiError> {
    let PathId(id) = PathId::<TokenId>::read(&raw)?;
    let revocation = service.revoke(&auth.caller, id).await?;
    Ok(Json(TokenRevocationBody {
        id: id.to_string(),
        revoked_at: wire::timestamp(revocation.revoked_at),
        already_revoked: revocation.already_revoked,
    }))
}

/// Revokes every token of the user that could still authenticate, in one statement: the next
/// request with any of them is a 401 at every instance. Tokens issued after it are not
/// affected.
#[utoipa::path(
    post,
    path = "/v1/admin/platform/users/{user_id}/revoke-tokens",
    tag = "platform",
    operation_id = "revoke_user_tokens",
    security(("bearer" = [])),
    params(PathId<UserId>),
    responses(
        (status = 200, description = "Revoked", body = UserRevocationBody),
        Invalid,
        Absent,
        Refusals,
    )
)]
pub async fn revoke_all<P: Ports>(
    service: Data<AdminService<P>>,
    auth: Authenticated<P>,
    raw: Raw,
) -> Result<Json<UserRevocationBody>, ApiError> {
    let PathId(user) = PathId::<UserId>::read(&raw)?;
    let revocation = service.revoke_all(&auth.caller, user).await?;
    Ok(Json(UserRevocationBody {
        user_id: user.to_string(),
        revoked_count: revocation.revoked_count,
        revoked_at: wire::timestamp(revocation.revoked_at),
    }))
}
