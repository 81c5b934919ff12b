//! Rows as stored. Views (what the API shows) are built from these in `api`, never serialised as-is.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::domain::contract::{AmendmentStatus, ContractStatus};
use crate::domain::ids::{
    AmendmentId, ApiKeyId, ContractId, EventId, ExtensionId, FacilityId, GroupId, InspectionId,
    OrganizationId, SeasonId, SessionId, UserId,
};
use crate::domain::organization::{Language, OrgKind, OrgStatus, Role};
use crate::domain::season::{ContractType, FacilityKind, Place, SeasonKind};

use super::schema::{
    allocations, amendments, api_keys, contract_events, contracts, extensions, facilities,
    inspections, organizations, pilgrim_groups, quotas, refresh_tokens, seasons, sessions, users,
};

#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = organizations)]
pub struct OrganizationRow {
    pub id: OrganizationId,
    pub kind: OrgKind,
    pub name: String,
    pub name_ar: String,
    pub search_key: String,
    pub country: Option<String>,
    pub parent_id: Option<OrganizationId>,
    pub status: OrgStatus,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: UserId,
    pub organization_id: OrganizationId,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub language: Language,
    pub password_hash: String,
    pub active: bool,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: SessionId,
    pub user_id: UserId,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
    /// For a console session, the hash of the secret its cookie carries; API sessions have none.
    pub console_secret_hash: Option<String>,
}

#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = refresh_tokens)]
pub struct RefreshTokenRow {
    pub token_hash: String,
    pub session_id: SessionId,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = api_keys)]
pub struct ApiKeyRow {
    pub id: ApiKeyId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub role: Role,
    pub key_hash: String,
    pub prefix: String,
    pub created_by: UserId,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = seasons)]
pub struct SeasonRow {
    pub id: SeasonId,
    pub kind: SeasonKind,
    pub hijri_year: i32,
    pub name: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub housing_deadline: NaiveDate,
    pub transport_deadline: NaiveDate,
    pub catering_deadline: NaiveDate,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl SeasonRow {
    /// The season's last day of filing contracts of a type, before any client's extension (R2).
    pub fn deadline(&self, contract_type: crate::domain::season::ContractType) -> NaiveDate {
        use crate::domain::season::ContractType;
        match contract_type {
            ContractType::Housing => self.housing_deadline,
            ContractType::Transport => self.transport_deadline,
            ContractType::Catering => self.catering_deadline,
        }
    }

    /// A client's last day of filing contracts of a type: the season's deadline, or the latest day
    /// its extensions of that type grant if later (R2).
    pub fn last_filing_day(
        &self,
        contract_type: crate::domain::season::ContractType,
        extended: Option<NaiveDate>,
    ) -> NaiveDate {
        let deadline = self.deadline(contract_type);
        extended.map_or(deadline, |e| e.max(deadline))
    }
}

#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = quotas)]
pub struct QuotaRow {
    pub season_id: SeasonId,
    pub country: String,
    pub pilgrims: i64,
    pub allocated: i64,
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = allocations)]
pub struct AllocationRow {
    pub season_id: SeasonId,
    pub organization_id: OrganizationId,
    pub pilgrims: i64,
    pub suballocated: i64,
    pub lock_version: i64,
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = extensions)]
pub struct ExtensionRow {
    pub id: ExtensionId,
    pub season_id: SeasonId,
    pub organization_id: OrganizationId,
    pub contract_type: ContractType,
    pub until: NaiveDate,
    pub reason: String,
    pub granted_by: UserId,
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = facilities)]
pub struct FacilityRow {
    pub id: FacilityId,
    pub provider_id: OrganizationId,
    pub kind: FacilityKind,
    pub name: String,
    pub search_key: String,
    pub city: Place,
    pub licence_no: String,
    pub licence_valid_from: NaiveDate,
    pub licence_valid_to: NaiveDate,
    pub capacity: i64,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The Arabic name; empty when none was given.
    pub name_ar: String,
}

#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = contracts)]
pub struct ContractRow {
    pub id: ContractId,
    pub season_id: SeasonId,
    pub contract_type: ContractType,
    pub client_id: OrganizationId,
    pub client_office_id: Option<OrganizationId>,
    pub client_country: String,
    pub provider_id: OrganizationId,
    pub facility_id: FacilityId,
    pub status: ContractStatus,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub units: i64,
    pub route_from: Option<Place>,
    pub route_to: Option<Place>,
    pub meals_per_day: Option<i64>,
    pub unit_price: i64,
    pub currency: String,
    pub total: i64,
    pub search_key: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The reason given with the step that put the contract in its status, if one was.
    pub status_reason: Option<String>,
}

#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = amendments)]
pub struct AmendmentRow {
    pub id: AmendmentId,
    pub contract_id: ContractId,
    pub status: AmendmentStatus,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub units: i64,
    pub route_from: Option<Place>,
    pub route_to: Option<Place>,
    pub meals_per_day: Option<i64>,
    pub unit_price: i64,
    pub total: i64,
    pub reason: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = contract_events)]
pub struct ContractEventRow {
    pub id: EventId,
    pub contract_id: ContractId,
    pub amendment_id: Option<AmendmentId>,
    pub action: String,
    pub from_status: Option<String>,
    pub to_status: String,
    pub reason: Option<String>,
    pub actor_user_id: Option<UserId>,
    pub actor_api_key_id: Option<ApiKeyId>,
    pub organization_id: OrganizationId,
    pub at: NaiveDateTime,
}

#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = pilgrim_groups)]
pub struct GroupRow {
    pub id: GroupId,
    pub season_id: SeasonId,
    pub organization_id: OrganizationId,
    pub office_id: Option<OrganizationId>,
    pub country: String,
    pub name: String,
    pub pilgrims: i64,
    pub arrival_port: Place,
    pub arrival_date: NaiveDate,
    pub departure_port: Place,
    pub departure_date: NaiveDate,
    pub stays: String,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = inspections)]
pub struct InspectionRow {
    pub id: InspectionId,
    pub contract_id: ContractId,
    pub facility_id: FacilityId,
    pub inspected_on: NaiveDate,
    pub result: String,
    pub findings: String,
    pub organization_id: OrganizationId,
    pub actor_user_id: Option<UserId>,
    pub actor_api_key_id: Option<ApiKeyId>,
    pub created_at: NaiveDateTime,
}
