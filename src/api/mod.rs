//! HTTP handlers, one module per resource, and the OpenAPI document they generate.

pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod contracts;
pub mod csv;
pub mod datasets;
pub mod documents;
pub mod extract;
pub mod facilities;
pub mod feed;
pub mod groups;
pub mod health;
pub mod idempotency;
pub mod inspections;
pub mod json;
pub mod lists;
pub mod me;
pub mod money;
pub mod notifications;
pub mod openapi;
pub mod organizations;
pub mod problem;
pub mod readiness;
pub mod seasons;
pub mod users;
pub mod webhooks;

use chrono::{DateTime, NaiveDateTime, Utc};

use crate::audit::AuditEntity;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

/// Every route of the portal. The OpenAPI document is generated from exactly these.
///
/// Routes are grouped in scopes by their first segment, each in the order it had among all: a
/// request is matched against each scope's prefix as text and then against the patterns of one
/// scope only (actix tries a route's pattern, with its captures, for every route before the one
/// that matches).
pub fn configure(cfg: &mut ServiceConfig) {
    cfg.service(health::live).service(health::ready).service(
        scope::scope("/api/v1")
            .service(
                scope::scope("/auth")
                    .service(auth::login)
                    .service(auth::refresh)
                    .service(auth::logout)
                    .service(auth::forgot_password)
                    .service(auth::set_password),
            )
            .service(
                scope::scope("/me")
                    .service(me::me)
                    .service(me::change_password),
            )
            .service(
                scope::scope("/organizations")
                    .service(organizations::create)
                    .service(organizations::list)
                    .service(organizations::get)
                    .service(organizations::update)
                    .service(organizations::set_countries)
                    .service(organizations::set_grants)
                    .service(users::create)
                    .service(users::list)
                    .service(api_keys::create)
                    .service(api_keys::list)
                    .service(webhooks::create)
                    .service(webhooks::list),
            )
            .service(
                scope::scope("/users")
                    .service(users::get)
                    .service(users::update),
            )
            .service(scope::scope("/api-keys").service(api_keys::revoke))
            .service(
                // Routes are tried in order, each with a path parameter through a regex: the
                // busiest first.
                scope::scope("/seasons")
                    .service(readiness::readiness_of)
                    .service(readiness::season_readiness)
                    .service(seasons::create)
                    .service(seasons::list)
                    .service(seasons::get)
                    .service(seasons::set_quota)
                    .service(seasons::quotas)
                    .service(seasons::set_allocation)
                    .service(seasons::allocations)
                    .service(seasons::create_extension)
                    .service(seasons::extensions)
                    .service(documents::set_rule)
                    .service(documents::rules)
                    .service(groups::create_group)
                    .service(groups::list_groups)
                    .service(datasets::read)
                    .service(money::set_schedule)
                    .service(money::schedules)
                    .service(money::create_transfer)
                    .service(money::import_transfers)
                    .service(money::balances)
                    .service(money::entries)
                    .service(money::season_money),
            )
            .service(
                scope::scope("/facilities")
                    .service(documents::attach_to_facility)
                    .service(documents::facility_documents)
                    .service(facilities::create)
                    .service(facilities::list)
                    .service(facilities::get)
                    .service(facilities::update)
                    .service(facilities::usage),
            )
            .service(
                scope::scope("/contracts")
                    .service(contracts::list)
                    .service(contracts::get)
                    .service(documents::attach_to_contract)
                    .service(documents::contract_documents)
                    .service(contracts::create)
                    .service(contracts::update)
                    .service(contracts::history)
                    .service(contracts::sheet)
                    .service(contracts::amendments)
                    .service(contracts::amend)
                    .service(contracts::act)
                    .service(money::contract_payments)
                    .service(money::decide_guarantee),
            )
            .service(
                scope::scope("/amendments")
                    .service(documents::attach_to_amendment)
                    .service(documents::amendment_documents)
                    .service(contracts::amendment)
                    .service(contracts::decide),
            )
            .service(
                scope::scope("/inspections")
                    .service(documents::attach_to_inspection)
                    .service(documents::inspection_documents)
                    .service(inspections::create_inspection)
                    .service(inspections::list_inspections)
                    .service(inspections::get_inspection),
            )
            .service(
                scope::scope("/documents")
                    .service(documents::get_document)
                    .service(documents::download)
                    .service(documents::withdraw),
            )
            .service(
                scope::scope("/groups")
                    .service(groups::get_group)
                    .service(groups::update_group)
                    .service(groups::delete_group),
            )
            .service(
                scope::scope("/notifications")
                    .service(notifications::inbox)
                    .service(notifications::mark_read),
            )
            .service(
                scope::scope("/audit")
                    .service(audit::list)
                    .service(audit::verify),
            )
            .service(scope::scope("/events").service(feed::read))
            .service(
                scope::scope("/webhooks")
                    .service(webhooks::get)
                    .service(webhooks::update)
                    .service(webhooks::remove)
                    .service(webhooks::rotate)
                    .service(webhooks::deliveries)
                    .service(webhooks::redeliver),
            ),
    );
}

/// One page of a list.
#[derive(Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    pub next_cursor: Option<String>,
}

impl<T: ToSchema> Page<T> {
    /// A list that is never long enough to page (a contract's history, a season's quotas, the
    /// days of a licence): every item, and no next page. The same shape as a paged list.
    pub fn whole(items: Vec<T>) -> Page<T> {
        Page {
            items,
            next_cursor: None,
        }
    }
}

impl<T: ToSchema + Serialize> Page<T> {
    /// The page as a `200 OK` JSON body, written into one buffer reserved for its items.
    pub fn respond(&self) -> actix_web::HttpResponse {
        json::ok(self, self.items.len())
    }
}

/// A stored time as RFC 3339 UTC.
pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    t.and_utc()
}

/// The resource each write reports to the audit log.
macro_rules! audited_by_id {
    ($($view:ty),* $(,)?) => {$(
        impl AuditEntity for $view {
            fn audit_entity(&self) -> Option<String> {
                Some(self.id.to_string())
            }
        }
    )*};
}

audited_by_id!(
    webhooks::WebhookView,
    webhooks::DeliveryView,
    organizations::OrganizationView,
    users::UserView,
    api_keys::ApiKeyView,
    seasons::SeasonView,
    seasons::ExtensionView,
    facilities::FacilityView,
    contracts::ContractView,
    contracts::AmendmentView,
    groups::GroupView,
    inspections::InspectionView,
);

impl AuditEntity for seasons::AllocationView {
    fn audit_entity(&self) -> Option<String> {
        Some(self.organization_id.clone())
    }
}

impl AuditEntity for seasons::QuotaView {}
impl AuditEntity for money::ScheduleView {}
impl AuditEntity for money::ImportView {}

impl AuditEntity for money::ContractPaymentsView {
    fn audit_entity(&self) -> Option<String> {
        Some(self.contract_id.to_string())
    }
}

impl AuditEntity for money::Recording {
    fn audit_entity(&self) -> Option<String> {
        Some(self.0.id.clone())
    }
}
impl AuditEntity for crate::storage::sessions::Rotation {}

/// A login is about the user who logged in.
impl AuditEntity for (crate::domain::ids::UserId, crate::domain::ids::SessionId) {
    fn audit_entity(&self) -> Option<String> {
        Some(self.0.to_string())
    }
}
