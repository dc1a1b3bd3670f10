//! The audit trail: its events, newest first, found by action, actor, target and time.

use actix_web::web::{Data, Json};
use admin_domain::{Action, AdminService, AuditFilter, Listing, Order, Ports, UserId};

use crate::bodies::{AuditEventItem, PageBody};
use crate::datetime::DateTime;
use crate::errors::{ApiError, Invalid, Refusals};
use crate::extract::Authenticated;
use crate::handlers::audited;
use crate::handlers::listing::page_in;
use crate::params::{Declare, Id, Param, Parameters, Raw, Text};

/// `GET /v1/admin/platform/audit-events`'s parameters.
#[derive(Debug)]
pub struct AuditEventsParams(admin_domain::PageRequest, AuditFilter);

impl Parameters for AuditEventsParams {
    fn declare(declare: &mut impl Declare) -> Option<Self> {
        let listing = Listing::AuditEvents;
        let page = page_in(declare, Some(listing), listing.kind(), Order::Desc);
        let filter = AuditFilter {
            action: declare.take(
                Param::query("action", "The action, exactly, such as `token.revoke`"),
                Text { min: 1, max: 64 },
            ),
            actor_user_id: declare.take(
                Param::query("actor_user_id", "Events of API calls by this user"),
                Id(UserId::from_uuid),
            ),
            target_id: declare.take(
                Param::query(
                    "target_id",
                    "Events about this organization, user, workspace or token",
                ),
                Id(|id| id),
            ),
            since: declare.take(
                Param::query("since", "At or after this instant (ISO 8601; no zone: UTC)"),
                DateTime,
            ),
            until: declare.take(
                Param::query("until", "Before this instant (ISO 8601; no zone: UTC)"),
                DateTime,
            ),
        };
        Some(Self(page?, filter))
    }
}

crate::described!(AuditEventsParams);

/// A page of the audit trail's events, newest first unless `order=asc`.
#[utoipa::path(
    get,
    path = "/v1/admin/platform/audit-events",
    tag = "platform",
    operation_id = "list_audit_events",
    security(("bearer" = [])),
    params(AuditEventsParams),
    responses(
        (status = 200, description = "A page", body = PageBody<AuditEventItem>),
        Invalid,
        Refusals,
    )
)]
pub async fn audit_events<P: Ports>(
    service: Data<AdminService<P>>,
    auth: Authenticated<P>,
    raw: Raw,
) -> Result<Json<PageBody<AuditEventItem>>, ApiError> {
    let AuditEventsParams(request, filter) = AuditEventsParams::read(&raw)?;
    let page = service
        .list_audit_events(&auth.caller, &request, &filter)
        .await?;
    let details = || raw.details::<AuditEventsParams>();
    audited::read(&service, &auth, Action::AuditEventsList, None, details).await?;
    Ok(Json(page.into()))
}
